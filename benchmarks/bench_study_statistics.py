"""Benchmark of one site's side of a study, before encryption: statistics, noise, packing.

10,000 number variables, each with a mean (a count and a sum: 20,000 statistics), one site with
50,000 records (a 50,000 × 10,000 float64 frame, 4 GB). Timed: ``site_statistics`` (clip,
encode, sum), ``noise_share`` (exact discrete Gaussian shares from the OS CSPRNG, DP on),
``layout_for`` and ``pack_vector``; also, in the same run, one plain ``matrix.sum(axis=0)``
over the frame (reading the data once: the floor for any pass over it) and the spec's
JSON parse and ``plan``, which a site does once per study. ``--quick``: 5,000 records.
Writes benchmarks/results/bench_study_statistics.json. The machine has 2 cores shared with
other work, so timings are noisy upper bounds.
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
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ppds_desktop.core.he.encoding import pack_vector  # noqa: E402
from ppds_desktop.core.study import (StudySpec, ciphertext_count, layout_for, noise_share,  # noqa: E402
                                     plan, site_statistics)

VARIABLES = 10_000
SITES_MAX = 20


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def spec_json(dp: bool) -> str:
    return json.dumps({
        "format": "ppds-study-analyses", "version": 1,
        "variables": [{"name": f"v{i}", "type": "number", "unit": "", "lower": 0, "upper": 120,
                       "decimals": 1} for i in range(VARIABLES)],
        "analyses": [{"kind": "mean", "variable": f"v{i}"} for i in range(VARIABLES)],
        "min_sites": 3, "max_records_per_site": 100_000,
        "dp": {"epsilon": 1.0, "delta": 1e-6, "honest_sites": 2} if dp else None})


def run(records: int) -> dict:
    rng = np.random.default_rng(7)        # test data only; never privacy noise
    matrix = np.empty((records, VARIABLES))
    for r in range(0, records, 2_000):    # in slices, so the peak stays near the frame's size
        part = rng.normal(50.0, 25.0, (min(2_000, records - r), VARIABLES)).round(1)
        part[rng.random(part.shape) < 0.01] = np.nan
        matrix[r:r + part.shape[0]] = part
    frame = pd.DataFrame(matrix, columns=[f"v{i}" for i in range(VARIABLES)], copy=False)
    _, read_once = timed(matrix.sum, axis=0)
    out = {"records": records, "variables": VARIABLES, "read_matrix_once_s": round(read_once, 3)}
    for dp in (False, True):
        text = spec_json(dp)
        spec, t_parse = timed(StudySpec.from_json, text)
        study_plan, t_plan = timed(plan, spec)
        site, t_stats = timed(site_statistics, spec, frame)
        noise, t_noise = timed(noise_share, study_plan, spec.dp, SITES_MAX)
        values = [v + z for v, z in zip(site.values, noise)]
        layout, t_layout = timed(layout_for, study_plan, SITES_MAX, spec.dp)
        packed, t_pack = timed(pack_vector, layout, values)
        total = t_stats + t_noise + t_layout + t_pack
        out["dp_on" if dp else "dp_off"] = {
            "statistics": len(study_plan), "parse_spec_s": round(t_parse, 3),
            "plan_s": round(t_plan, 3), "site_statistics_s": round(t_stats, 3),
            "noise_share_s": round(t_noise, 3), "layout_for_s": round(t_layout, 4),
            "pack_vector_s": round(t_pack, 3), "site_total_s": round(total, 3),
            "values_per_ciphertext": len(layout.slots),
            "ciphertexts": ciphertext_count(study_plan, layout),
            "slot_bits": layout.widths[0],
            "clipped_values": sum(site.clipped.values())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 records instead of 50,000")
    args = parser.parse_args()
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None},
              **run(5_000 if args.quick else 50_000)}
    for mode in ("dp_off", "dp_on"):
        r = result[mode]
        print(f"{mode}: {r['statistics']:,} statistics from {result['records']:,} records × "
              f"{VARIABLES:,} variables: site_statistics {r['site_statistics_s']} s, noise "
              f"{r['noise_share_s']} s, layout {r['layout_for_s']} s, pack {r['pack_vector_s']} s"
              f" = {r['site_total_s']} s; {r['values_per_ciphertext']} values of "
              f"{r['slot_bits']} bits per ciphertext, {r['ciphertexts']} ciphertexts "
              f"(spec parse {r['parse_spec_s']} s, plan {r['plan_s']} s, once per study)")
    print(f"reading the {result['records']:,} × {VARIABLES:,} matrix once (matrix.sum): "
          f"{result['read_matrix_once_s']} s; load average {result['machine']['load_average']}")
    out = Path(__file__).resolve().parent / "results" / "bench_study_statistics.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
