"""Crash safety (a killed import leaves the last committed state) and no plaintext on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from ppds_desktop.core.progress import TaskState
from ppds_desktop.core.vault import Vault

from conftest import PASSPHRASE, REPO_ROOT

# The exit status of a killed child: -SIGKILL where there are signals, 1 on Windows.
KILLED = -signal.SIGKILL if hasattr(signal, "SIGKILL") else 1

# Runs in a child process: opens the vault and imports ~16 MB of incompressible data, printing
# a line at each progress report; half-way it waits on stdin, so the parent can kill it at a
# known point in the middle of the transaction; after the commit it waits again, so the parent
# can kill it before the committed pages are checkpointed from the WAL into the main file.
IMPORTER = textwrap.dedent("""
    import sys
    import numpy as np
    import pyarrow as pa
    from ppds_desktop.core.progress import TaskState
    from ppds_desktop.core.vault import Vault

    vault = Vault.open(sys.argv[1], sys.argv[2])
    vault._query("PRAGMA cache_size = -256")   # spill uncommitted pages to the WAL early
    rng = np.random.default_rng(1)        # test data only, not privacy noise
    table = pa.table({"a": rng.integers(0, 2**62, 1_000_000), "b": rng.random(1_000_000)})
    reports = []
    def progress(fraction, message):
        reports.append(fraction)
        print(f"{fraction:.3f}", flush=True)
        if len(reports) == 8:
            sys.stdin.readline()
    vault.put_dataset("big", table, task=TaskState(progress))
    print("committed", flush=True)
    sys.stdin.readline()
""")


def _start_importer(vault_path: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, "-c", IMPORTER, str(vault_path), PASSPHRASE],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_killed_import_leaves_last_committed_state(vault, vault_path):
    vault.put_dataset("before", pd.DataFrame({"x": [1, 2, 3]}))
    vault.lock()
    child = _start_importer(vault_path)
    try:
        reports = 0
        for line in child.stdout:
            if line.strip() == "committed":
                pytest.fail("the import finished before it could be killed")
            reports += 1
            if reports == 8:           # the child now waits, half-way through the chunks
                break
        else:
            pytest.fail(f"the importer died early: {child.stderr.read()[-2000:]}")
        wal = vault_path.with_name(vault_path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 1 << 20   # uncommitted pages reached disk
        child.kill()           # SIGKILL on Linux and macOS, TerminateProcess on Windows
    finally:
        child.kill()
        child.wait()
    assert child.returncode == KILLED

    v = Vault.open(vault_path, PASSPHRASE)
    try:
        assert v.integrity_check() == "ok"
        assert [d.name for d in v.list_datasets()] == ["before"]
        assert v._query("SELECT count(*) FROM dataset_chunks") == \
            v._query("SELECT count(*) FROM dataset_chunks WHERE dataset_id = "
                    "(SELECT id FROM datasets WHERE name = 'before')")
        assert v.load_dataset("before")["x"].tolist() == [1, 2, 3]
        assert v.verify_audit() == 2
        v.put_dataset("after", pd.DataFrame({"y": [1]}))      # and it is writable again
    finally:
        v.lock()


def test_killed_after_commit_keeps_the_import(vault, vault_path):
    """A commit is durable in the WAL; the checkpoint into the main file can wait."""
    vault.lock()
    child = _start_importer(vault_path)
    try:
        for reports, line in enumerate(child.stdout, 1):
            if line.strip() == "committed":
                break
            if reports == 8:                   # let it go on past the half-way stop
                child.stdin.write("\n")
                child.stdin.flush()
        else:
            pytest.fail(f"the importer died early: {child.stderr.read()[-2000:]}")
        assert vault_path.stat().st_size < 8 << 20     # the 16 MB are still only in the WAL
        child.kill()           # SIGKILL on Linux and macOS, TerminateProcess on Windows
    finally:
        child.kill()
        child.wait()
    v = Vault.open(vault_path, PASSPHRASE)
    try:
        assert v.integrity_check() == "ok"
        assert v.load_arrow("big").num_rows == 1_000_000
    finally:
        v.lock()


def _files_with(roots: list[Path], needles: list[bytes], since: float) -> list[str]:
    """Files under ``roots`` (modified since ``since``, i.e. during this test) containing any
    needle. Older files cannot hold a canary made inside the test, and the shared temp folder
    holds many unrelated ones."""
    hits = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                    if st.st_mtime < since or st.st_size > 512 << 20 or not path.is_file():
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n in data for n in needles):
                    hits.append(str(path))
    return hits


def _open_deleted_files() -> list[str]:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return []
    out = []
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.endswith("(deleted)") and target.startswith("/"):
            out.append(target)
    return out


def test_no_plaintext_on_disk(vault_path, tmp_path):
    since = time.time() - 2
    canary = f"CANARY-{uuid.uuid4().hex}"
    needles = [canary.encode("utf-8"), canary.encode("utf-16-le"), canary.encode("utf-16-be")]
    roots = [vault_path.parent, Path(tempfile.gettempdir())]
    if Path("/var/tmp").is_dir():
        roots.append(Path("/var/tmp"))   # SQLite's fallback temp folder
    n = 60_000     # random text, so the Parquet file outgrows the page cache mid-write
    df = pd.DataFrame({"id": range(n),
                       "note": [f"{canary} {os.urandom(24).hex()}" for _ in range(n)],
                       "code": [canary] * n})
    held_before = set(_open_deleted_files())
    vault, _ = Vault.create(vault_path, PASSPHRASE)
    mid_write = []

    def progress(fraction, message):
        if fraction >= 1.0:       # everything written, transaction not yet committed
            wal = vault_path.with_name(vault_path.name + "-wal")
            assert wal.stat().st_size > 1 << 20       # the uncommitted pages are in the WAL
            mid_write.extend(_files_with([vault_path.parent], needles, since))

    vault._query("PRAGMA cache_size = -256")   # a small page cache spills to the WAL mid-write
    vault.put_dataset("canary frame", df, roles={"note": "sensitive"},
                      task=TaskState(progress))
    vault.put_dataset("canary arrow", pa.table({"note": [canary] * 1000}))
    vault.put_secret("pseudonym_key", "k", canary.encode())
    # Sorting and grouping force SQLite to use temporary storage.
    assert vault.load_dataset("canary frame", columns=["note"])["note"].iloc[0].startswith(canary)
    vault._query("SELECT data FROM dataset_chunks ORDER BY data DESC")
    vault._query("CREATE TEMP TABLE t AS SELECT data FROM dataset_chunks")
    # SQLite unlinks its temp files as soon as it opens them, so a folder scan alone would miss
    # them: check that the vault opened no deleted (anonymous temp) file either. (pytest's own
    # output capture holds some from before the test.)
    assert set(_open_deleted_files()) <= held_before
    backup = vault.backup(vault_path.parent / "vault.bak")
    assert backup.exists()
    open_hits = _files_with(roots, needles, since)
    vault.lock()
    closed_hits = _files_with(roots, needles, since)
    assert mid_write == [] and open_hits == [] and closed_hits == []
    # The scan itself works: a plaintext file is found.
    (tmp_path / "plain.txt").write_text(canary)
    assert _files_with([tmp_path], needles, since) == [str(tmp_path / "plain.txt")]
