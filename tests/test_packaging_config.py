"""The Windows and macOS packaging, checked here on Linux: the PyInstaller spec as it runs on
each platform (with PyInstaller's build functions recorded, not run), the trim rules, the icons,
the Inno Setup script, the macOS bundle check, the dependency pins and the CI workflows
(actionlint, and what the jobs must do). Fast; no network."""

from __future__ import annotations

import importlib.util
import os
import plistlib
import re
import struct
import subprocess
import sys
import sysconfig
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from conftest import REPO_ROOT

PACKAGING = REPO_ROOT / "packaging"
WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle_config():
    return _load("bundle_config", PACKAGING / "bundle_config.py")


# -- the PyInstaller spec on each platform -------------------------------------------------------

def _run_spec(monkeypatch, tmp_path: Path, platform: str, env: dict[str, str] | None = None):
    """Execute packaging/ppds.spec as PyInstaller would on ``platform``, with Analysis, EXE,
    COLLECT and BUNDLE recording their arguments. Returns {kind: [calls]}."""
    calls: dict[str, list[SimpleNamespace]] = {}

    def recorder(kind):
        def make(*args, **kwargs):
            made = SimpleNamespace(args=args, kwargs=kwargs, pure=[], scripts=[], binaries=[],
                                   datas=[])
            calls.setdefault(kind, []).append(made)
            return made
        return make

    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = hooks.collect_dynamic_libs = lambda *a, **k: []
    hooks.collect_submodules = hooks.copy_metadata = lambda *a, **k: []
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "platform", platform)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    namespace = {"SPECPATH": str(PACKAGING), "workpath": str(tmp_path), "__name__": "__main__",
                 **{kind: recorder(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT",
                                                      "BUNDLE")}}
    source = (PACKAGING / "ppds.spec").read_text(encoding="utf-8")
    exec(compile(source, str(PACKAGING / "ppds.spec"), "exec"), namespace)  # noqa: S102
    return calls


def _exes(calls) -> dict[str, SimpleNamespace]:
    return {call.kwargs["name"]: call for call in calls["EXE"]}


def test_macos_app_is_a_windowed_app_with_a_minimum_macos(bundle_config, monkeypatch, tmp_path):
    """PyInstaller writes LSBackgroundOnly=True for a bundle whose last executable is a
    console one (the CLI): no Dock icon, no menu bar. The spec must say False itself."""
    identity = "Developer ID Application: Example Hospital (TEAMID1234)"
    calls = _run_spec(monkeypatch, tmp_path, "darwin", {"MACOS_SIGN_IDENTITY": identity})
    (bundle,) = calls["BUNDLE"]
    plist = bundle.kwargs["info_plist"]
    assert plist["LSBackgroundOnly"] is False
    assert plist["LSMinimumSystemVersion"] == bundle_config.MACOS_MINIMUM
    assert plist["NSRequiresAquaSystemAppearance"] is True      # the app pins a light look
    assert plistlib.loads(plistlib.dumps(plist)) == plist        # writable as Info.plist
    assert bundle.kwargs["icon"].endswith(".icns")
    for exe in _exes(calls).values():       # PyInstaller signs everything with these
        assert exe.kwargs["codesign_identity"] == identity
        assert Path(exe.kwargs["entitlements_file"]).is_file()


def test_both_executables_run_in_utf8_mode(monkeypatch, tmp_path):
    for platform in ("win32", "darwin", "linux"):
        exes = _exes(_run_spec(monkeypatch, tmp_path, platform))
        assert set(exes) == {"ppds-desktop", "ppds"}
        for exe in exes.values():
            options = [entry for arg in exe.args if isinstance(arg, list) for entry in arg]
            assert ("X utf8=1", None, "OPTION") in options, platform


def test_windows_executables_carry_icon_and_version_resource(monkeypatch, tmp_path):
    from ppds_desktop import __version__

    exes = _exes(_run_spec(monkeypatch, tmp_path, "win32"))
    assert exes["ppds"].kwargs["console"] and not exes["ppds-desktop"].kwargs["console"]
    for name, exe in exes.items():
        assert exe.kwargs["icon"].endswith(".ico")
        text = Path(exe.kwargs["version"]).read_text(encoding="utf-8")
        assert f"StringStruct('OriginalFilename', '{name}.exe')" in text
        assert f"StringStruct('ProductVersion', '{__version__}')" in text
        assert "StringStruct('ProductName', 'PPDS Desktop')" in text
        quad = tuple(int(n) for n in __version__.split(".")) + (0,)
        assert f"filevers={quad}" in text


def test_trim_rules_match_the_windows_and_macos_layouts(bundle_config):
    unused = [
        "PySide6\\translations\\qtbase_de.qm", "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6\\plugins\\sqldrivers\\qsqlite.dll", "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6\\qml\\QtQuick\\qmldir", "PySide6/Qt/plugins/tls/libqopensslbackend.dylib",
        "PySide6\\plugins\\multimedia\\ffmpegmediaplugin.dll", "pyarrow\\arrow_flight.dll",
        "pyarrow/libarrow_flight.so.1900", "PySide6/Qt/lib/libQt6EglFsKmsSupport.so.6",
        "pyarrow\\include\\arrow\\api.h", "numpy/core/include/numpy/ndarraytypes.h",
    ]
    kept = [
        "PySide6\\plugins\\platforms\\qwindows.dll", "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib", "PySide6\\Qt6Widgets.dll",
        "PySide6/Qt/lib/QtWidgets.framework/Versions/A/QtWidgets", "pyarrow\\arrow.dll",
        "pyarrow/libarrow_python.so", "PySide6\\plugins\\imageformats\\qsvg.dll",
        "resources/style.qss",
    ]
    assert [p for p in unused if not bundle_config.is_unused(p)] == []
    assert [p for p in kept if bundle_config.is_unused(p)] == []
    toc = [(p, "src", "BINARY") for p in unused + kept]
    assert [entry[0] for entry in bundle_config.without_unused(toc)] == kept


# -- icons ---------------------------------------------------------------------------------------

def test_icons_hold_every_size_windows_and_macos_ask_for(qapp, tmp_path):
    make_icons = _load("make_icons", PACKAGING / "make_icons.py")
    make_icons.write_icons(tmp_path)
    ico = (tmp_path / "ppds.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind) == (0, 1)
    sizes = {struct.unpack_from("<B", ico, 6 + 16 * i)[0] or 256 for i in range(count)}
    assert {16, 24, 32, 48, 64, 128, 256} <= sizes
    icns = (tmp_path / "ppds.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack_from(">I", icns, 4)[0] == len(icns)
    types_found, offset = set(), 8
    while offset < len(icns):
        types_found.add(icns[offset:offset + 4].decode())
        offset += struct.unpack_from(">I", icns, offset + 4)[0]
    assert {"icp4", "icp5", "ic07", "ic08", "ic09", "ic10", "ic11", "ic12", "ic13",
            "ic14"} <= types_found
    # Qt reads every image back, at its size.
    from PySide6.QtGui import QImageReader

    reader = QImageReader(str(tmp_path / "ppds.ico"))
    read = []
    for i in range(reader.imageCount()):
        reader.jumpToImage(i)
        read.append(reader.read().width())
    assert sorted(read) == sorted(make_icons.ICO_SIZES)


# -- Windows installer ---------------------------------------------------------------------------

def _iss() -> str:
    return (PACKAGING / "windows" / "ppds-desktop.iss").read_text(encoding="utf-8")


def _iss_setup(text: str) -> dict[str, str]:
    section = text.split("[Setup]", 1)[1].split("\n[", 1)[0]
    return dict(line.split("=", 1) for line in section.splitlines()
                if "=" in line and not line.startswith(";"))


def test_inno_setup_installs_per_user_and_puts_ppds_on_the_users_path():
    text = _iss()
    setup = _iss_setup(text)
    assert setup["PrivilegesRequired"] == "lowest"          # no administrator rights asked
    assert setup["ChangesEnvironment"] == "yes"             # running programs see the new PATH
    assert setup["DefaultDirName"].startswith("{autopf}")   # per user: %LOCALAPPDATA%\Programs
    code = text.split("[Code]", 1)[1]
    # PATH under the key Windows reads it from: HKCU\Environment per user, the system key
    # for all users; never the non-existent HKLM\Environment that "HKA" gives an admin install.
    assert "HKA" not in text.split("[Code]")[0]
    assert "HKEY_CURRENT_USER" in code and "Session Manager\\Environment" in code
    assert re.search(r"ssPostInstall\) and WizardIsTaskSelected\('addtopath'\)", code)
    assert re.search(r"usPostUninstall then\s+RemoveFromPath", code)   # removed on uninstall


def test_uninstalling_never_touches_the_users_vaults():
    text = _iss()
    for section in ("[UninstallDelete]", "[InstallDelete]", "[UninstallRun]"):
        assert section not in text
    for folder in ("{localappdata}", "{userappdata}", "{commonappdata}", "{userdocs}", "DelTree"):
        assert folder.lower() not in text.lower()
    # The app folder and the vault folder are apart: removing one leaves the other.
    import platformdirs

    data = Path(platformdirs.user_data_dir("PPDS Desktop", "PPDS"))
    install = Path(_iss_setup(text)["DefaultDirName"].replace("{autopf}", "/programs"))
    assert install not in data.parents and data not in install.parents


# -- macOS ---------------------------------------------------------------------------------------

def _macho(cpu: int, minos: tuple[int, int]) -> bytes:
    """A minimal 64-bit Mach-O: header and one LC_BUILD_VERSION command."""
    command = struct.pack("<IIIIII", 0x32, 24, 1, (minos[0] << 16) | (minos[1] << 8), 0, 0)
    return struct.pack("<IiiIIIII", 0xFEEDFACF, cpu, 0, 6, 1, len(command), 0, 0) + command


def test_macos_bundle_check_finds_libraries_above_the_minimum_and_wrong_plist(bundle_config, tmp_path):
    check = _load("check_bundle", PACKAGING / "macos" / "check_bundle.py")
    arm, intel = 0x0100000C, 0x01000007
    app = tmp_path / "PPDS Desktop.app"
    macos = app / "Contents" / "MacOS"
    macos.mkdir(parents=True)
    plist = bundle_config.macos_info_plist("0.1.0")
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps(plist))
    (macos / "ppds-desktop").write_bytes(_macho(arm, (11, 0)))
    (macos / "ppds").write_bytes(_macho(arm, (13, 0)))
    fat_slices = [_macho(arm, (12, 0)), _macho(intel, (10, 15))]
    header = struct.pack(">II", 0xCAFEBABE, 2)
    offset, entries, body = 8 + 20 * 2, b"", b""
    for data in fat_slices:
        entries += struct.pack(">iiIII", 0, 0, offset + len(body), len(data), 0)
        body += data
    (macos / "libfat.dylib").write_bytes(header + entries + body)
    assert check.problems(app, "arm64") == []

    (macos / "libnew.dylib").write_bytes(_macho(arm, (14, 0)))      # numpy's Accelerate wheel
    (macos / "libintel.so").write_bytes(_macho(intel, (11, 0)))
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps({**plist, "LSBackgroundOnly": True}))
    found = check.problems(app, "arm64")
    assert any("libnew.dylib (arm64) needs macOS 14.0" in line for line in found)
    assert any("libintel.so: no arm64 code" in line for line in found)
    assert any("LSBackgroundOnly is True" in line for line in found)


# -- dependency pins -----------------------------------------------------------------------------

def test_sqlcipher3_pin_starts_at_the_first_release_with_windows_and_macos_wheels():
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"sqlcipher3>=([\d.]+)', text).group(1)
    assert tuple(int(n) for n in floor.split(".")) >= (0, 6, 2)


def test_wheel_targets_follow_the_minimum_macos(bundle_config):
    check_wheels = _load("check_wheels", PACKAGING / "check_wheels.py")
    tag = bundle_config.MACOS_MINIMUM.replace(".", "_")
    assert check_wheels.TARGETS == {"windows-x64": "win_amd64",
                                    "macos-arm64": f"macosx_{tag}_arm64",
                                    "macos-x86_64": f"macosx_{tag}_x86_64"}
    assert "sqlcipher3>=0.6.2" in check_wheels.requirements()
    assert any(r.startswith("pyinstaller") for r in check_wheels.requirements())


# -- CI workflows --------------------------------------------------------------------------------

def _actionlint() -> str:
    scripts = Path(sysconfig.get_path("scripts"))
    found = [scripts / name for name in ("actionlint", "actionlint.exe") if (scripts / name).exists()]
    assert found, "actionlint is missing: reinstall the dev extras (pip install -e '.[dev]')"
    return str(found[0])


def test_workflows_pass_actionlint():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert files
    proc = subprocess.run([_actionlint(), "-no-color", *files], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _installers() -> dict:
    return yaml.safe_load((WORKFLOWS / "installers.yml").read_text(encoding="utf-8"))


def test_windows_steps_fail_when_a_command_fails():
    """Under pwsh a failing native command does not fail the step unless asked; the windowed
    executable returns at once unless waited for."""
    job = _installers()["jobs"]["windows"]
    assert job["defaults"]["run"]["shell"] == "pwsh"
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    assert scripts
    for script in scripts:
        assert "$PSNativeCommandUseErrorActionPreference = $true" in script, script
        assert "$ErrorActionPreference = 'Stop'" in script, script
        for line in script.splitlines():
            if "ppds-desktop.exe" in line and "--self-test" in line:
                assert "Start-Process" in line and "-Wait" in line and "-PassThru" in line
                assert "ExitCode" in script
    installed = next(s for s in scripts if "/CURRENTUSER" in s)
    assert "unins000.exe" in installed and "Test-Path $vault" in installed


def test_macos_jobs_cover_both_architectures_and_sign_only_with_secrets(tmp_path):
    workflow = _installers()
    job = workflow["jobs"]["macos"]
    archs = {entry["arch"]: entry["runner"] for entry in job["strategy"]["matrix"]["include"]}
    assert set(archs) == {"arm64", "x86_64"} and "intel" in archs["x86_64"]
    steps = job["steps"]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "check_wheels.py --target \"macos-$MACOS_ARCH\" --download" in runs
    assert "--no-index --find-links" in runs
    setup = next(step for step in steps if "ci_keychain.sh setup" in step.get("run", ""))
    assert all(value.startswith("${{ secrets.") for value in setup["env"].values())
    cleanup = next(step for step in steps if "ci_keychain.sh cleanup" in step.get("run", ""))
    assert cleanup["if"] == "always()"
    script = (PACKAGING / "macos" / "ci_keychain.sh").read_text(encoding="utf-8")
    for needed in ("security create-keychain", "security import", "set-key-partition-list",
                   "notarytool store-credentials", "security delete-keychain"):
        assert needed in script
    # Without a certificate among the secrets the step does nothing and succeeds.
    bash = "bash" if os.name != "nt" else None
    if bash:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MACOS_")}
        env.update(RUNNER_TEMP=str(tmp_path), GITHUB_ENV=str(tmp_path / "env"))
        proc = subprocess.run([bash, str(PACKAGING / "macos" / "ci_keychain.sh"), "setup"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "unsigned" in proc.stdout
        assert not (tmp_path / "env").exists()
    # Every build job waits for the wheel check.
    for name in ("linux", "windows", "macos"):
        assert workflow["jobs"][name]["needs"] == "wheels"
    assert "check_wheels.py" in workflow["jobs"]["wheels"]["steps"][-1]["run"]


def test_build_dmg_checks_the_app_it_built():
    script = (PACKAGING / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "check_bundle.py" in script
    assert "codesign --verify --deep --strict" in script
    assert "PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR=1" in script
    # PyInstaller signs (frameworks as bundles); no file-by-file signing left behind.
    assert "xargs -0 codesign" not in script


@pytest.mark.skipif(sys.platform == "win32", reason="bash scripts")
def test_shell_scripts_parse():
    for script in [*PACKAGING.rglob("*.sh")]:
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, (script, proc.stderr)
