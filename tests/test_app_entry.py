"""The app's entry point as installers and `make run` use it, in fresh subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path), **extra)
    env.pop("PPDS_TEST_FAST_KDF", None)  # the demo vault is made as a user would get it
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ppds_desktop", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_probe_startup_reaches_the_first_screen_and_exits_0(tmp_path):
    proc = _run(["--probe-startup"], _env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_demo_screenshot_shows_the_unlocked_main_window(tmp_path):
    shot = tmp_path / "main.png"
    proc = _run(["--demo", "--screenshot", str(shot)], _env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_without_a_display_run_says_so_and_runs_the_demo(tmp_path):
    env = _env(tmp_path)
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    proc = _run(["--demo"], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("No display found")
    assert "== Encrypted vault" in proc.stdout and "== Share bundle" in proc.stdout


def test_version():
    proc = subprocess.run([sys.executable, "-m", "ppds_desktop", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("PPDS Desktop ")


def test_missing_x11_libraries_are_named_instead_of_qt_aborting(monkeypatch):
    import subprocess as sp

    from ppds_desktop import __main__ as entry

    monkeypatch.setattr(entry.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    ldd = "\tlibxcb-icccm.so.4 => not found\n\tlibc.so.6 => /lib/libc.so.6 (0x1)\n"
    monkeypatch.setattr(sp, "run", lambda *a, **k: sp.CompletedProcess(a, 0, stdout=ldd))
    assert entry.missing_x11_libraries() == ["libxcb-icccm.so.4"]
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")   # offscreen needs no X11 libraries
    assert entry.missing_x11_libraries() == []
