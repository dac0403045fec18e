"""A Windows developer can run ``make test`` and the benchmarks: the Makefile finds the venv's
programs where Windows puts them and uses no shell syntax, and tests and benchmarks use no
POSIX-only module or signal without a fallback."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import REPO_ROOT

# Names that exist on Linux and macOS only: used unguarded they fail on Windows at import or
# at run time.
POSIX_ONLY = [
    (re.compile(r"^(import|from) (resource|fcntl|pwd|grp|termios)\b", re.M), "POSIX-only module"),
    (re.compile(r"\bos\.(kill|fork|getuid|killpg|setsid)\("), "POSIX-only call"),
    (re.compile(r"^(?!.*hasattr\(signal).*\bsignal\.SIG(KILL|STOP|HUP|USR1|USR2|ALRM)\b", re.M),
     "POSIX-only signal without a hasattr() fallback"),
]


def _make_dry_run(*args: str) -> str:
    proc = subprocess.run(["make", "-n", "-B", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_makefile_on_windows_uses_the_scripts_folder_and_no_shell_syntax():
    out = _make_dry_run("test", "bench", "demo", "clean", "OS=Windows_NT")
    assert '".venv/Scripts/python" -m pytest' in out
    assert "/bin/" not in out
    for posix in ("touch ", "rm -", "; do", "QT_QPA_PLATFORM=", "'.[dev]'",
                  "'pycanon"):
        assert posix not in out, posix


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_makefile_on_linux_and_macos_uses_bin():
    out = _make_dry_run("test")
    assert '".venv/bin/python" -m pytest' in out and "Scripts" not in out


def test_tests_and_benchmarks_use_nothing_posix_only_unguarded():
    found = []
    for folder in ("tests", "benchmarks"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if path.name in ("test_portability.py", "memory.py"):  # the rules; the fallbacks
                continue
            text = path.read_text(encoding="utf-8")
            for pattern, why in POSIX_ONLY:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{path.relative_to(REPO_ROOT)}:{line}: {why}: "
                                 f"{match.group(0).strip()}")
    assert found == []
