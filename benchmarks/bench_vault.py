"""Benchmark of the encrypted vault: key derivation, storing and loading a dataset, backup.

Times, on synthetic admissions (``core.sample``), ``put_dataset`` of an Arrow table (Parquet +
SQLCipher in one transaction), ``load_arrow`` / ``load_dataset`` of all columns and of two
columns, ``backup``; the production Argon2id unlock; and reports the vault size. Peak memory is
the process's maximum resident set size (``memory.py``); ``put_extra_arrow_mib`` is the most
Arrow memory allocated on top of the input table while ``put_dataset`` streams it (sampled at
each progress report). ``--quick``: 100,000 rows instead of
1,000,000. Writes benchmarks/results/bench_vault.json. The machine has 2 cores shared with other
work, so timings are noisy upper bounds.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_bytes  # benchmarks/memory.py, beside this script

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppds_desktop.core.progress import TaskState  # noqa: E402
from ppds_desktop.core.sample import generate_admissions  # noqa: E402
from ppds_desktop.core.vault import PRODUCTION_KDF, Vault  # noqa: E402

PASSPHRASE = "benchmark passphrase"


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def peak_rss_mib() -> float:
    return peak_rss_bytes() / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    args = ap.parse_args()
    rows = 100_000 if args.quick else 1_000_000

    table = pa.Table.from_pandas(generate_admissions(rows, seed=1), preserve_index=False)
    rss_before = peak_rss_mib()
    work = Path(tempfile.mkdtemp(prefix="ppds-bench-vault-"))
    try:
        (vault, _recovery), t_create = timed(Vault.create, work / "b.vault", PASSPHRASE,
                                             kdf=PRODUCTION_KDF)
        base, extra = pa.total_allocated_bytes(), [0]

        def sample_memory(_fraction, _message):
            extra[0] = max(extra[0], pa.total_allocated_bytes() - base)

        info, t_put = timed(vault.put_dataset, "admissions", table,
                            task=TaskState(sample_memory))
        _, t_load_arrow = timed(vault.load_arrow, "admissions")
        _, t_load_two = timed(vault.load_arrow, "admissions", columns=["Age", "Billing Amount"])
        _, t_load_pandas = timed(vault.load_dataset, "admissions")
        _, t_backup = timed(vault.backup, work / "b.bak")
        vault.lock()
        vault, t_open = timed(Vault.open, work / "b.vault", PASSPHRASE)
        vault.lock()
        size = (work / "b.vault").stat().st_size
        results = {
            "rows": rows, "columns": table.num_columns,
            "arrow_mib": round(table.nbytes / 2**20, 1),
            "parquet_mib": round(info.byte_size / 2**20, 1),
            "vault_file_mib": round(size / 2**20, 1),
            "create_s": round(t_create, 3), "open_production_kdf_s": round(t_open, 3),
            "kdf": PRODUCTION_KDF.describe(),
            "put_dataset_s": round(t_put, 3),
            "put_rows_per_s": round(rows / t_put),
            "put_extra_arrow_mib": round(extra[0] / 2**20, 1),
            "load_arrow_s": round(t_load_arrow, 3),
            "load_two_columns_s": round(t_load_two, 3),
            "load_dataset_pandas_s": round(t_load_pandas, 3),
            "backup_s": round(t_backup, 3),
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "peak_rss_before_vault_mib": round(rss_before, 1),
            "machine": f"{platform.machine()}, {platform.python_version()}, shared 2 cores",
            "quick": args.quick,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for key, value in results.items():
        print(f"{key:>28}: {value}")
    out = Path(__file__).resolve().parent / "results" / "bench_vault.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
