"""Benchmark of the exact DP samplers and a DP histogram, compared with OpenDP when installed.

Prints figures and writes ``benchmarks/results/bench_dp.json``. ``--quick`` uses 100k draws/rows
instead of 1M. OpenDP (``pip install -e '.[bench]'``) is timed in the same run on the same sizes:
its ``make_laplace`` / ``make_gaussian`` on a vector of integers are also exact samplers (its
time includes handing a Python list of n integers to Rust and back, as a user of it would).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ppds_desktop.core.dp.query import QueryOptions, evaluate, parse_query
from ppds_desktop.core.dp.samplers import discrete_gaussian, discrete_laplace
from ppds_desktop.core.perturb.microaggregation import mdav_groups

SCALE = 10          # discrete Laplace scale
SIGMA = 10          # discrete Gaussian σ


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def opendp_timings(n: int) -> dict | None:
    try:
        import opendp.prelude as dp
    except ImportError:
        return None
    dp.enable_features("contrib")
    data = [0] * n
    lap = (dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)) >> dp.m.then_laplace(scale=float(SCALE))
    gau = (dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)) >> dp.m.then_gaussian(scale=float(SIGMA))
    from importlib.metadata import version

    out = {"version": version("opendp"),
           "laplace_s": timed(lambda: lap(data)), "gaussian_s": timed(lambda: gau(data))}
    out["laplace_var"] = float(np.var(lap(data)))
    out["gaussian_var"] = float(np.var(gau(data)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="100k instead of 1M")
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000

    lap_s = timed(lambda: discrete_laplace(SCALE, n))
    gau_s = timed(lambda: discrete_gaussian(SIGMA ** 2, n))
    p = np.exp(-1 / SCALE)
    k = np.arange(-40 * SIGMA, 40 * SIGMA + 1)
    w = np.exp(-k.astype(float) ** 2 / (2 * SIGMA ** 2))
    exact_var = {"laplace": 2 * p / (1 - p) ** 2, "gaussian": float((k ** 2 * w).sum() / w.sum())}
    sample_var = {"laplace": float(np.var(discrete_laplace(SCALE, n))),
                  "gaussian": float(np.var(discrete_gaussian(SIGMA ** 2, n)))}
    rng = np.random.default_rng(0)       # synthetic table for the histogram, not privacy noise
    cats = [f"c{i:02d}" for i in range(12)]
    df = pd.DataFrame({"Medical Condition": rng.choice(cats, n),
                       "Billing Amount": rng.uniform(0, 50_000, n)})
    query, _ = parse_query("count by Medical Condition")
    opts = QueryOptions(domains={"Medical Condition": cats}, epsilon=1.0)
    hist_s = timed(lambda: evaluate(df, query, opts))
    mean_q, _ = parse_query("mean Billing Amount by Medical Condition")
    mean_opts = QueryOptions(domains={"Medical Condition": cats},
                             bounds={"Billing Amount": (0, 50_000)}, epsilon=1.0)
    mean_s = timed(lambda: evaluate(df, mean_q, mean_opts))
    m = n // 20                          # MDAV is O(n²/k): 50k rows (5k with --quick)
    mdav_s = timed(lambda: mdav_groups(rng.normal(size=(m, 3)), 3))
    ours = {"laplace_s": lap_s, "gaussian_s": gau_s}
    od = opendp_timings(n)

    print(f"n = {n:,} ({platform.machine()}, shared machine: figures are indicative)")
    for name, key in (("discrete Laplace (scale 10)", "laplace_s"),
                      ("discrete Gaussian (σ 10)", "gaussian_s")):
        line = f"  {name:<28} {ours[key]:7.3f} s  {ours[key] / n * 1e9:8.1f} ns/draw"
        if od:
            line += (f"   OpenDP {od[key]:7.3f} s  {od[key] / n * 1e9:8.1f} ns/draw"
                     f"   ratio ours/OpenDP {ours[key] / od[key]:.2f}")
        print(line)
    for name in ("laplace", "gaussian"):
        line = (f"  variance check, {name:<9} exact {exact_var[name]:8.3f}  ours "
                f"{sample_var[name]:8.3f}")
        if od:
            line += f"  OpenDP {od[name + '_var']:8.3f}"
        print(line)
    if od is None:
        print("  OpenDP not installed: pip install -e '.[bench]' to compare")
    print(f"  DP histogram, {n:,} rows x 12 categories   {hist_s:7.3f} s")
    print(f"  DP mean by group, {n:,} rows               {mean_s:7.3f} s")
    print(f"  MDAV microaggregation, {m:,} rows x 3, k=3     {mdav_s:7.3f} s")

    result = {"n": n, "quick": args.quick, "machine": platform.machine(),
              "python": platform.python_version(),
              "ours": {**ours, "laplace_ns_per_draw": lap_s / n * 1e9,
                       "gaussian_ns_per_draw": gau_s / n * 1e9,
                       "histogram_s": hist_s, "mean_by_group_s": mean_s,
                       "mdav_rows": m, "mdav_s": mdav_s,
                       "variance": sample_var, "exact_variance": exact_var},
              "opendp": None if od is None else {
                  **od, "laplace_ns_per_draw": od["laplace_s"] / n * 1e9,
                  "gaussian_ns_per_draw": od["gaussian_s"] / n * 1e9,
                  "ratio_laplace": lap_s / od["laplace_s"],
                  "ratio_gaussian": gau_s / od["gaussian_s"]}}
    out = Path(__file__).resolve().parent / "results" / "bench_dp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
