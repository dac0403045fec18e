; Inno Setup 6 script for PPDS Desktop on Windows (64-bit).
; Build on Windows after PyInstaller:  iscc /DAppVersion=0.1.0 packaging\windows\ppds-desktop.iss
; Input: packaging\build\dist\ppds-desktop\ (the PyInstaller onedir folder).
; Signing: set SIGNTOOL to a configured SignTool entry, e.g.
;   iscc "/Ssigntool=signtool sign /fd sha256 /tr http://timestamp.example /td sha256 /a $f" ...
; and uncomment SignTool below.

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
PrivilegesRequiredOverridesAllowed=dialog
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

[Registry]
Root: HKA; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\ppds-desktop.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Paths: string;
begin
  if not RegQueryStringValue(HKEY_CURRENT_USER, 'Environment', 'Path', Paths) then
    Paths := '';
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;
