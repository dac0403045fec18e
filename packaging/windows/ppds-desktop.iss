; Inno Setup 6 script for PPDS Desktop on Windows (64-bit).
; Build on Windows after PyInstaller:  iscc /DAppVersion=0.1.0 packaging\windows\ppds-desktop.iss
; Input: packaging\build\dist\ppds-desktop\ (the PyInstaller onedir folder).
; Signing: set SIGNTOOL to a configured SignTool entry, e.g.
;   iscc "/Ssigntool=signtool sign /fd sha256 /tr http://timestamp.example /td sha256 /a $f" ...
; and uncomment SignTool below.
;
; Per user by default: no administrator rights asked, the app goes to
; %LOCALAPPDATA%\Programs\PPDS Desktop and `ppds` onto the user's PATH (HKCU). "Install for all
; users" (the dialog, or /ALLUSERS) uses Program Files and the system PATH instead. Uninstalling
; removes the program files, the shortcuts and the PATH entry, and nothing else: vaults, backups
; and settings live in the user's data folder (or wherever the user put them) and stay.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "PPDS Desktop"
#define SourceDir "..\build\dist\ppds-desktop"

[Setup]
AppId={{6E1B2F5C-3D7A-4C8E-9A41-2B7F0D5E9C13}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=PPDS Desktop maintainers
DefaultDirName={autopf}\PPDS Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir=..\build
OutputBaseFilename=ppds-desktop-{#AppVersion}-setup
SetupIconFile=..\build\icons\ppds.ico
UninstallDisplayIcon={app}\ppds-desktop.exe
Compression=lzma2/normal
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ChangesEnvironment=yes
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
WizardStyle=modern
; SignTool=signtool

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the ppds command-line tool to PATH"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\ppds-desktop.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\ppds-desktop.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\ppds-desktop.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// PATH holds the app folder for the CLI: the user's PATH for a per-user install, the system's
// for an install for all users. Added after the files are in place, removed after uninstalling.
const
  SystemEnvironment = 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';

function EnvironmentRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function EnvironmentKey: string;
begin
  if IsAdminInstallMode then
    Result := SystemEnvironment
  else
    Result := 'Environment';
end;

procedure AddToPath(Dir: string);
var
  Paths: string;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then
    Paths := '';
  if Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0 then
    exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then
    Paths := Paths + ';';
  RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths + Dir);
end;

procedure RemoveFromPath(Dir: string);
var
  Paths: string;
  At: Integer;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  At := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if At = 0 then
    exit;
  Delete(Paths, At, Length(Dir) + 1);
  RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey, 'Path',
                            Copy(Paths, 2, Length(Paths) - 2));
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
