"""Install a built .deb into a scratch root and prove the installed app works.

Runs the installed ``ppds-desktop --self-test`` and ``ppds --help`` offscreen, times five cold
starts of the installed app to its unlock screen, saves a screenshot of the main window after
unlocking a demo vault, and writes the figures to ``packaging/build/figures.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "packaging" / "build"
SCREENSHOTS = ROOT / "packaging" / "screenshots"


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("deb", type=Path)
    parser.add_argument("--build-seconds", type=float, default=None)
    parser.add_argument("--installed-kib", type=int, default=None)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="ppds-deb-root-"))
    home = Path(tempfile.mkdtemp(prefix="ppds-home-"))
    try:
        subprocess.run(["dpkg-deb", "-x", str(args.deb), str(scratch)], check=True)
        gui = scratch / "opt" / "ppds-desktop" / "ppds-desktop"
        cli = scratch / "opt" / "ppds-desktop" / "ppds"
        for link in ("ppds-desktop", "ppds"):
            target = os.readlink(scratch / "usr" / "bin" / link)
            assert target == f"/opt/ppds-desktop/{link}", f"/usr/bin/{link} -> {target}"
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
               "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
               "LANG": "C.UTF-8"}

        self_test = run([str(gui), "--self-test"], env).stdout.strip().splitlines()[-1]
        print(f"installed ppds-desktop --self-test: {self_test}")
        help_text = run([str(cli), "--help"], env).stdout
        assert "usage: ppds" in help_text, help_text
        version = run([str(gui), "--version"], env).stdout.strip()
        print(f"installed ppds --help: ok; {version}")

        starts = []
        for _ in range(5):
            t0 = time.perf_counter()
            run([str(gui), "--probe-startup"], env, timeout=120)
            starts.append(time.perf_counter() - t0)
        cold = statistics.median(starts)
        print(f"cold start to unlock screen: median {cold:.2f} s of {[round(s, 2) for s in starts]}")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "installed-main-window.png"
        run([str(gui), "--demo", "--screenshot", str(shot)], env, timeout=180)
        assert shot.exists() and shot.stat().st_size > 10_000, "screenshot missing or empty"
        print(f"screenshot: {shot}")

        figures = {
            "deb": args.deb.name, "deb_kib": args.deb.stat().st_size // 1024,
            "installed_kib": args.installed_kib, "build_seconds": args.build_seconds,
            "cold_start_seconds_median": round(cold, 3),
            "cold_start_seconds": [round(s, 3) for s in starts],
            "self_test": self_test, "screenshot": str(shot.relative_to(ROOT)),
        }
        BUILD.mkdir(parents=True, exist_ok=True)
        (BUILD / "figures.json").write_text(json.dumps(figures, indent=2))
        print(json.dumps(figures, indent=2))
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
