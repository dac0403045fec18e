"""Kill ``ppds`` with SIGKILL at random moments and check the vault after every kill.

Operations, each a real ``ppds`` process on one vault: ``import`` (a CSV of sample admissions),
``dp query`` (spends ε from a budget), ``vault passwd`` (re-wraps the key in the header),
``bundle open`` (verifies and stores a partner's bundle, replay confirmed) and ``vault backup``.
Each run is killed after a delay drawn uniformly between 80 % of the interpreter's start-up
time and 98 % of that operation's duration measured without a kill, so most kills land in the
work itself (unlocking, reading, writing, committing) rather than in imports; a run that ends
before its kill counts as completed, not as a kill. The vault carries a ballast dataset so that
a backup has megabytes to copy. Per operation the figures say how often a killed run had
nevertheless taken effect (committed, header replaced, backup file written), which shows that
kills fell on both sides of the commit.

After every run the vault is reopened (with the old or the new passphrase: a killed passphrase
change may have gone either way) and checked:

* ``PRAGMA integrity_check`` is ok and the audit chain verifies;
* the audit head recorded before the run is still in the chain (no committed entry lost or
  changed), and every dataset committed before the run is there with its uid and row count;
* what the run committed is whole: an imported or opened dataset has all its rows; the ε spent
  only grows and never exceeds the budget;
* the backup file, if it exists, is complete (its manifest, size and database checksum).

Temporary files a killed process could not remove (``.NAME.*`` beside the backup or vault) are
counted, then removed. Run it (the suite runs a 5-kill version, ``tests/core/vault/test_kill_at_random.py``):

    nice -n 10 .venv/bin/python tests/stress/kill_at_random.py --kills 120 --json out.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _folder in (ROOT, ROOT / "tests"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bundle_helpers import introduce  # noqa: E402
from ppds_desktop.core.dp.ledger import budget_status, set_budget  # noqa: E402
from ppds_desktop.core.errors import WrongPassphrase  # noqa: E402
from ppds_desktop.core.sample import generate_admissions  # noqa: E402
from ppds_desktop.core.vault import FAST_KDF, Vault  # noqa: E402
from ppds_desktop.core.vault.backup import read_manifest  # noqa: E402
from ppds_desktop.services import sharing  # noqa: E402

PASSPHRASES = ("amber lantern quietly folds 11", "copper meadow sings northward 22")
OPERATIONS = ("import", "dp", "passwd", "bundle", "backup")
EPSILON = 0.01
BUDGET = 1_000.0
_CLI = "import sys; from ppds_desktop.cli import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class Site:
    work: Path
    vault: Path
    csv: Path
    csv_rows: int
    bundle: Path
    bundle_rows: int
    backups: Path
    passphrase: str = PASSPHRASES[0]


@dataclass
class Tally:
    kills: Counter = field(default_factory=Counter)
    took_effect: Counter = field(default_factory=Counter)     # killed, yet committed
    completed: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)
    leftovers: int = 0
    passphrase_flips: int = 0           # times the other passphrase was the one that opened


def setup(work: Path, rows: int, bundle_rows: int, ballast_rows: int) -> Site:
    """A site vault with a DP budget on a base dataset, a verified partner, and a bundle from
    that partner; an import file of ``rows`` sample admissions."""
    site = Site(work, work / "site" / "site.vault", work / "admissions.csv", rows,
                work / "from-partner.ppdsb", bundle_rows, work / "backups")
    site.backups.mkdir(parents=True)
    generate_admissions(rows, seed=7).to_csv(site.csv, index=False)
    vault, _ = Vault.create(site.vault, site.passphrase, kdf=FAST_KDF)
    partner, _ = Vault.create(work / "partner" / "partner.vault", PASSPHRASES[0], kdf=FAST_KDF)
    try:
        vault.put_dataset("base", generate_admissions(2_000, seed=8))
        set_budget(vault, "base", epsilon=BUDGET)
        rng = np.random.default_rng(9)           # test data only
        vault.put_dataset("ballast", pd.DataFrame({"v": rng.integers(0, 2**62, ballast_rows)}))
        introduce(vault, "Site", partner, "Partner", work)
        partner.put_dataset("counts", pd.DataFrame({"n": rng.integers(0, 2**62, bundle_rows),
                                                    "x": rng.random(bundle_rows)}))
        sharing.seal_for_contacts(partner, "counts", ["Site"], site.bundle)
    finally:
        vault.lock()
        partner.lock()
    return site


def _other(passphrase: str) -> str:
    return PASSPHRASES[1] if passphrase == PASSPHRASES[0] else PASSPHRASES[0]


def _argv(site: Site, op: str, i: int) -> tuple[list[str], dict]:
    env = {"PPDS_PASSPHRASE": site.passphrase}
    v = ["--vault", str(site.vault)]
    if op == "import":
        return ["import", str(site.csv), "--name", f"import {i}", *v], env
    if op == "dp":
        return ["dp", "query", "base", "count", "--epsilon", str(EPSILON), *v], env
    if op == "passwd":
        return ["vault", "passwd", *v], {**env, "PPDS_NEW_PASSPHRASE": _other(site.passphrase)}
    if op == "bundle":
        return ["bundle", "open", str(site.bundle), "--name", f"bundle {i}", "--yes", *v], env
    return ["vault", "backup", "-o", str(site.backups / f"b{i}.bak"), *v], env


def _start(site: Site, op: str, i: int) -> subprocess.Popen:
    argv, env = _argv(site, op, i)
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.Popen([sys.executable, "-c", _CLI, *argv], env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _open(site: Site, tally: Tally) -> Vault:
    for passphrase in (site.passphrase, _other(site.passphrase)):
        try:
            vault = Vault.open(site.vault, passphrase)
        except WrongPassphrase:
            continue
        if passphrase != site.passphrase:
            tally.passphrase_flips += 1
            site.passphrase = passphrase
        return vault
    raise AssertionError("neither passphrase opens the vault")


def state(site: Site, tally: Tally) -> dict:
    with _open(site, tally) as v:
        head = v.audit_head()
        return {"datasets": {d.name: (d.uid, d.n_rows) for d in v.list_datasets()},
                "spent": budget_status(v, "base").epsilon_spent,
                "head": head.hash, "audit": head.seq}


def check(site: Site, tally: Tally, before: dict, op: str, i: int, rc: int | None) -> list[str]:
    """What is wrong after run ``i`` (an empty list when all holds)."""
    problems = []
    flips = tally.passphrase_flips
    with _open(site, tally) as v:
        integrity = v.integrity_check()
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        try:
            n = v.verify_audit(before["head"])
            if n < before["audit"]:
                problems.append(f"audit shrank from {before['audit']} to {n}")
        except Exception as exc:  # noqa: BLE001 - any failure is a finding
            problems.append(f"audit: {exc}")
        now = {d.name: (d.uid, d.n_rows) for d in v.list_datasets()}
        for name, was in before["datasets"].items():
            if now.get(name) != was:
                problems.append(f"committed dataset {name!r} lost or changed")
        for name, expected in ((f"import {i}", site.csv_rows), (f"bundle {i}", site.bundle_rows)):
            if name in now and now[name][1] != expected:
                problems.append(f"{name!r} stored with {now[name][1]} of {expected} rows")
        done = {"import": f"import {i}", "bundle": f"bundle {i}"}.get(op)
        if rc == 0 and done and done not in now:
            problems.append(f"{op} exited 0 but {done!r} is missing")
        spent = budget_status(v, "base").epsilon_spent
        if rc is None and ({"import": f"import {i}" in now, "bundle": f"bundle {i}" in now,
                            "dp": spent > before["spent"] + 1e-9,
                            "passwd": tally.passphrase_flips > flips,
                            "backup": (site.backups / f"b{i}.bak").exists()}[op]):
            tally.took_effect[op] += 1
        if spent < before["spent"] - 1e-9 or spent > BUDGET + 1e-9:
            problems.append(f"ε spent went from {before['spent']} to {spent}")
        if op == "dp" and rc == 0 and spent < before["spent"] + EPSILON - 1e-9:
            problems.append("dp query exited 0 but spent nothing")
        for name in (f"import {i}", f"bundle {i}"):      # keep the vault from growing
            if name in now:
                v.delete_dataset(name)
    backup = site.backups / f"b{i}.bak"
    if backup.exists():
        problems += _check_backup(backup)
        backup.unlink()
    elif op == "backup" and rc == 0:
        problems.append("backup exited 0 but wrote no file")
    return problems


def _check_backup(path: Path) -> list[str]:
    try:
        manifest, offset = read_manifest(path)
    except Exception as exc:  # noqa: BLE001
        return [f"backup {path.name}: {exc}"]
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        fh.seek(offset)
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return [] if digest.hexdigest() == manifest["db_sha256"] else [f"backup {path.name}: hash"]


def _sweep(site: Site) -> int:
    """Remove (and count) temporary files a killed process left behind."""
    found = [p for folder in (site.backups, site.vault.parent) for p in folder.iterdir()
             if p.name.startswith(".")]
    for p in found:
        p.unlink()
    return len(found)


def measure(site: Site, tally: Tally) -> dict[str, float]:
    """Each operation's duration without a kill (run once, checked like the others), and the
    start-up time of ``ppds`` itself."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _CLI, "--version"], capture_output=True, check=True,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)))
    durations = {"start-up": time.perf_counter() - t0}
    for op in OPERATIONS:
        before = state(site, tally)
        t0 = time.perf_counter()
        proc = _start(site, op, 0)
        _out, err = proc.communicate()
        durations[op] = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{op} failed without a kill: {err.decode()[-500:]}")
        if op == "passwd":
            site.passphrase = _other(site.passphrase)
        problems = check(site, tally, before, op, 0, 0)
        if problems:
            raise RuntimeError(f"{op} without a kill: {problems}")
    return durations


def run(kills: int, work: Path, *, seed: int = 1, rows: int = 60_000,
        bundle_rows: int = 400_000, ballast_rows: int = 4_000_000, report=print) -> dict:
    rng = random.Random(seed)     # chooses kill moments only; no privacy noise here
    site = setup(work, rows, bundle_rows, ballast_rows)
    tally = Tally()
    durations = measure(site, tally)
    report("durations without a kill: " + ", ".join(f"{k} {v:.2f} s"
                                                     for k, v in durations.items()))
    i = 0
    while sum(tally.kills.values()) < kills:
        i += 1
        op = OPERATIONS[(i - 1) % len(OPERATIONS)]
        before = state(site, tally)
        delay = rng.uniform(0.8 * durations["start-up"], 0.98 * durations[op])
        proc = _start(site, op, i)
        try:
            proc.wait(timeout=delay)
            rc = proc.returncode
            tally.completed[op] += 1
        except subprocess.TimeoutExpired:
            proc.kill()                                   # SIGKILL on POSIX
            proc.wait()
            rc = None
            tally.kills[op] += 1
        if op == "passwd" and rc == 0:
            site.passphrase = _other(site.passphrase)
        if rc not in (None, 0):
            tally.failures.append((i, op, f"exit {rc}: {proc.stderr.read().decode()[-300:]}"))
        proc.stderr.close()
        problems = check(site, tally, before, op, i, rc)
        tally.leftovers += _sweep(site)
        if problems:
            tally.failures.append((i, op, problems))
        if i % 10 == 0:
            report(f"run {i}: {sum(tally.kills.values())} kills, "
                   f"{len(tally.failures)} failures")
    return {"kills": dict(tally.kills), "killed_but_took_effect": dict(tally.took_effect),
            "completed": dict(tally.completed),
            "total_kills": sum(tally.kills.values()), "runs": i,
            "failures": [list(map(str, f)) for f in tally.failures],
            "temporary_files_left_by_kills": tally.leftovers,
            "durations_s": {k: round(v, 3) for k, v in durations.items()},
            "rows_per_import": rows, "rows_per_bundle": bundle_rows,
            "ballast_rows": ballast_rows, "seed": seed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", type=int, default=60_000, help="rows per import")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ppds-kill-") as tmp:
        t0 = time.perf_counter()
        result = run(args.kills, Path(tmp), seed=args.seed, rows=args.rows)
        result["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
