"""``ppds-desktop`` / ``python -m ppds_desktop``: the desktop app's entry point.

``--demo`` opens a demo vault preloaded with the sample data (what ``make run`` does); where no
display is available it says so and runs ``ppds demo`` instead of crashing. ``--self-test``
runs an offscreen-safe end-to-end check for installers; ``--version`` prints the version.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def missing_x11_libraries() -> list[str]:
    """On Linux X11, the system libraries Qt's xcb plugin needs but cannot find.

    Qt aborts the whole process when its platform plugin fails to load, so we ask the dynamic
    linker first (``ldd`` on the plugin) and can say which packages to install instead.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") \
            or os.environ.get("WAYLAND_DISPLAY") or not os.environ.get("DISPLAY"):
        return []
    import shutil
    import subprocess

    import PySide6

    plugin = os.path.join(os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms",
                          "libqxcb.so")
    if not os.path.exists(plugin) or shutil.which("ldd") is None:
        return []
    try:
        out = subprocess.run(["ldd", plugin], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split()[0] for line in out.splitlines() if "not found" in line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ppds-desktop", description="PPDS Desktop")
    parser.add_argument("--version", action="version", version=f"PPDS Desktop {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open a demo vault preloaded with the bundled sample data")
    parser.add_argument("--self-test", action="store_true",
                        help="run an end-to-end check in a temporary vault and exit")
    parser.add_argument("--vault", help="vault file to open (default: your user data folder)")
    # For installers' smoke tests: quit as soon as the unlock screen is up / save a screenshot.
    parser.add_argument("--probe-startup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--screenshot", metavar="PNG", help=argparse.SUPPRESS)
    args, qt_args = parser.parse_known_args(argv)

    if args.self_test:
        from .demo.selftest import run_self_test

        return run_self_test()
    if not has_display() and not (args.probe_startup or args.screenshot):
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): running `ppds demo` instead "
              "of the window.", flush=True)
        from .cli import main as cli_main

        return cli_main(["demo"])
    missing = missing_x11_libraries()
    if missing:
        print("The window cannot open: Qt needs these system libraries, which are missing: "
              f"{', '.join(missing)}. On Debian/Ubuntu: sudo apt-get install libxcb-cursor0 "
              "libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0. Running `ppds demo` instead.",
              flush=True)
        from .cli import main as cli_main

        return cli_main(["demo"])
    from .ui.app import run_app

    if args.probe_startup or args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run_app(qt_args, demo=args.demo, vault=args.vault,
                   probe_startup=args.probe_startup, screenshot=args.screenshot)


if __name__ == "__main__":
    sys.exit(main())
