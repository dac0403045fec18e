"""Run ``ppds`` in a child process (its own stderr, optionally a file-size limit), for tests
that must see what a real run prints or that need a resource limit the test process must not
get itself."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PASSPHRASE, REPO_ROOT

# A file-size limit makes writes past it fail with EFBIG (SIGXFSZ ignored, or it would kill the
# process): the nearest a test can get to a full disk without filling one.
_RUNNER = """
import sys
limit = int(sys.argv[1])
if limit:
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from ppds_desktop.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run_ppds(*args, file_size_limit: int = 0, env: dict | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PPDS_PASSPHRASE=PASSPHRASE,
                    PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    full_env.pop("PPDS_DEBUG", None)
    return subprocess.run([sys.executable, "-c", _RUNNER, str(file_size_limit),
                           *[str(a) for a in args]],
                          capture_output=True, text=True, env=full_env, timeout=timeout)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The single ``ppds: error:`` line a refusal must print (exit status 1, no traceback)."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("ppds: error: "), proc.stderr
    return lines[0]
