"""Check that every dependency has a binary wheel for each platform the installers target.

A dependency without a wheel for Windows or macOS makes that installer's build fail on the
build machine (or compile from source there); this finds it from any machine, in seconds, by
asking pip to resolve the dependency set of ``pyproject.toml`` (the app's and the ``package``
extra) for each target without installing anything:

    python packaging/check_wheels.py                      # every target, one line each
    python packaging/check_wheels.py --platform macosx_10_15_x86_64      # one tag of your choice
    python packaging/check_wheels.py --target macos-arm64 --download DIR

``--download`` fetches the wheels of one target into DIR and writes DIR/requirements.txt; the
macOS jobs install from there only (``pip install --no-index --find-links DIR -r
DIR/requirements.txt``), so the app bundles wheels built for its minimum macOS
(``bundle_config.MACOS_MINIMUM``) rather than the newest ones the build machine accepts.
Exit status 1 if any target fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundle_config import MACOS_MINIMUM  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"          # what the installer jobs build with
_MAC = MACOS_MINIMUM.replace(".", "_")
# The installers' targets: id -> wheel platform tag (macOS: wheels for the app's minimum macOS).
TARGETS = {
    "windows-x64": "win_amd64",
    "macos-arm64": f"macosx_{_MAC}_arm64",
    "macos-x86_64": f"macosx_{_MAC}_x86_64",
}
SHOWN = ("PySide6-Essentials", "pyside6-essentials", "PySide6_Essentials", "sqlcipher3", "numpy",
         "pandas", "pyarrow", "gmpy2")


def requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["package"]]


def _pip_platform_args(tag: str) -> list[str]:
    return ["--only-binary=:all:", "--platform", tag, "--python-version", PYTHON_VERSION,
            "--implementation", "cp"]


def resolve(tag: str) -> tuple[bool, str]:
    """(ok, one line: the versions picked, or pip's reason) for one platform tag."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
             "--quiet", "--report", str(report), "--target", str(Path(tmp) / "target"),
             *_pip_platform_args(tag), *requirements()],
            capture_output=True, text=True)
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR")]
            return False, " / ".join(errors[-2:]) or proc.stderr.strip()[-300:]
        installs = json.loads(report.read_text())["install"]
    picked = {item["metadata"]["name"]: item["metadata"]["version"] for item in installs}
    shown = ", ".join(f"{name} {version}" for name, version in picked.items() if name in SHOWN)
    return True, f"{len(picked)} wheels ({shown})"


def download(tag: str, dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest),
                           *_pip_platform_args(tag), *requirements()])
    if proc.returncode != 0:
        return 1
    (dest / "requirements.txt").write_text("\n".join(requirements()) + "\n", encoding="utf-8")
    print(f"{tag}: wheels in {dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--target", choices=sorted(TARGETS), help="one of the installers' targets")
    which.add_argument("--platform", metavar="TAG", help="any wheel platform tag")
    parser.add_argument("--download", metavar="DIR", type=Path,
                        help="download the wheels of that one target into DIR")
    args = parser.parse_args(argv)
    tags = ({args.target: TARGETS[args.target]} if args.target
            else {args.platform: args.platform} if args.platform else TARGETS)
    if args.download:
        if len(tags) != 1:
            parser.error("--download needs --target or --platform")
        return download(next(iter(tags.values())), args.download)
    failed = 0
    for name, tag in tags.items():
        ok, line = resolve(tag)
        failed += not ok
        label = tag if name == tag else f"{name} ({tag})"
        print(f"{label}: {'ok' if ok else 'FAILED'}: {line}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
