"""Benchmark of the homomorphic engine against phe, at 2048 and 3072 bits.

(a) aggregate mode: one vector of 1,000,000 fixed-point values, packed; homomorphic sum of two
    such vectors (two sites), decryption of the whole summed vector.
(b) record mode: 100,000 records x 3 encrypted columns (values, squares and counts packed into
    one ciphertext per record); homomorphic sum over all records, decryption of the sum.
phe's ``public_key.encrypt`` is timed on a sample in the same run; speed-up is per value.
``--quick``: 1/10 of the sizes, 2048 bits only. Writes benchmarks/results/bench_he.json.
The machine has 2 cores shared with other work, so timings are noisy upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import phe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppds_desktop.core.he import CRTDecryptor, Encryptor, encrypt_rows, encrypt_vector  # noqa: E402
from ppds_desktop.core.he import serial  # noqa: E402
from ppds_desktop.core.he.columns import ColumnSpec, record_layout  # noqa: E402
from ppds_desktop.core.he.encoding import encode_fixed  # noqa: E402

WORKERS = 2
PHE_SAMPLE = 200


def write_results(name: str, results: dict) -> Path:
    """``benchmarks/results/NAME.json``, and say so."""
    out = Path(__file__).resolve().parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return out


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def phe_per_value(public_key, rng) -> float:
    sample = rng.integers(-10**6, 10**6, PHE_SAMPLE).tolist()
    t = time.perf_counter()
    for v in sample:
        public_key.encrypt(v)
    return (time.perf_counter() - t) / PHE_SAMPLE


def aggregate_mode(pk, sk, size, phe_s, rng) -> dict:
    values = np.round(rng.uniform(-10_000, 10_000, size), 2)
    with Encryptor(pk, workers=WORKERS) as enc:
        vec, t_enc = timed(encrypt_vector, enc, values, scale=100, value_bits=21,
                           max_additions=1024)
    summed, t_sum = timed(vec.add, vec)
    decrypted, t_dec = timed(summed.decrypt_vector, CRTDecryptor(sk, workers=WORKERS))
    exact = bool(np.array_equal(np.round(np.asarray(decrypted) * 100).astype(np.int64),
                                2 * np.round(values * 100).astype(np.int64)))
    return {"values": size, "ciphertexts": len(vec), "values_per_ciphertext": len(vec.layout.slots),
            "encrypt_s": round(t_enc, 2), "homomorphic_sum_s": round(t_sum, 3),
            "decrypt_s": round(t_dec, 2), "bytes_on_disk": len(serial.dumps(vec)),
            "phe_estimated_encrypt_s": round(phe_s * size, 1),
            "speedup_per_value": round(phe_s * size / t_enc, 1), "exact": exact}


def record_mode(pk, sk, records, phe_s, rng) -> dict:
    specs = [ColumnSpec("billing", 100, 100_000), ColumnSpec("age", 1, 150),
             ColumnSpec("length_of_stay", 10, 1_000)]
    data = [np.round(rng.uniform(0, 50_000, records), 2), rng.integers(0, 100, records),
            np.round(rng.uniform(0, 60, records), 1)]
    layout = record_layout(specs, expected_records=records)
    cols = []
    for spec, col in zip(specs, data):
        ints = encode_fixed(col, layout.slots[len(cols)])
        cols += [ints, [v * v for v in ints], [1] * records]
    with Encryptor(pk, workers=WORKERS) as enc:
        arr, t_enc = timed(encrypt_rows, enc, layout, cols)
    total, t_sum = timed(arr.total)
    slots, t_dec = timed(total.decrypt_slots, CRTDecryptor(sk))
    totals = slots[0]               # per column: sum of values, of squares, of presence counts
    exact = all(totals[3 * i] == sum(cols[3 * i]) and totals[3 * i + 2] == records
                for i in range(len(specs)))
    n_values = records * len(specs)
    return {"records": records, "columns": len(specs), "ciphertexts": len(arr),
            "bits_used_per_ciphertext": layout.total_bits,
            "encrypt_s": round(t_enc, 2), "homomorphic_sum_s": round(t_sum, 2),
            "decrypt_sum_s": round(t_dec, 4), "bytes_on_disk": len(serial.dumps(arr)),
            "phe_estimated_encrypt_s": round(phe_s * n_values, 1),
            "speedup_per_value": round(phe_s * n_values / t_enc, 1), "exact": exact}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/10 sizes, 2048 bits only")
    args = parser.parse_args(argv)
    div = 10 if args.quick else 1
    sizes = (2048,) if args.quick else (2048, 3072)
    rng = np.random.default_rng(6)   # synthetic data only, not privacy noise
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "note": "2 cores shared with other engineers' work; noisy"},
               "workers": WORKERS, "quick": args.quick, "keys": {}}
    for bits in sizes:
        (pk, sk), t_key = timed(phe.generate_paillier_keypair, n_length=bits)
        phe_s = phe_per_value(pk, rng)
        print(f"[{bits} bits] keygen {t_key:.1f} s; phe encrypt {phe_s * 1000:.2f} ms/value "
              f"(sample of {PHE_SAMPLE})", flush=True)
        agg = aggregate_mode(pk, sk, 1_000_000 // div, phe_s, rng)
        print(f"  (a) aggregate {agg['values']:,} values in {agg['ciphertexts']:,} ciphertexts: "
              f"encrypt {agg['encrypt_s']} s ({agg['speedup_per_value']}x phe), sum "
              f"{agg['homomorphic_sum_s']} s, decrypt {agg['decrypt_s']} s, "
              f"{agg['bytes_on_disk'] / 1e6:.1f} MB, exact={agg['exact']}", flush=True)
        rec = record_mode(pk, sk, 100_000 // div, phe_s, rng)
        print(f"  (b) records {rec['records']:,} x {rec['columns']}: encrypt {rec['encrypt_s']} s "
              f"({rec['speedup_per_value']}x phe), sum {rec['homomorphic_sum_s']} s, decrypt sum "
              f"{rec['decrypt_sum_s']} s, {rec['bytes_on_disk'] / 1e6:.1f} MB, "
              f"exact={rec['exact']}", flush=True)
        results["keys"][str(bits)] = {"keygen_s": round(t_key, 1),
                                      "phe_encrypt_ms_per_value": round(phe_s * 1000, 3),
                                      "aggregate": agg, "records": rec}
    if 2048 in sizes:
        r = results["keys"]["2048"]
        results["targets_2048"] = {
            "aggregate_speedup_ge_200": r["aggregate"]["speedup_per_value"] >= 200,
            "aggregate_encrypt_le_60s_full_size": (r["aggregate"]["encrypt_s"] <= 60) if not args.quick else None,
            "records_speedup_ge_25": r["records"]["speedup_per_value"] >= 25}
        print("targets at 2048 bits:", results["targets_2048"])
    write_results("bench_he", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
