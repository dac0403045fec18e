"""Benchmark of the generalization engine against ARX's published figures, plus a scale run.

Adult (``tests/data/adult``, ARX's setup: 8 quasi-identifiers, occupation sensitive), five
scenarios: k=5 with 0 %, 5 %, 10 % suppression; k=5 + 0.2-closeness of occupation
(hierarchical and equal distance) with 5 %. For each: levels, suppressed rows, classes, Loss,
granularity, nodes checked, engine time (median of warm runs of ``search``, wall and CPU),
and whole-process time of a fresh ``python benchmarks/bench_adult.py --scenario NAME``
(interpreter start, imports, reading the CSVs, search), next to ARX 3.9.2's published figures
(``ARX`` below).

Scale: 1,000,000 synthetic admissions (``core.sample.generate_admissions``) with 8
quasi-identifiers whose hierarchies come from our builders (age intervals 5/10/20, sex, ZIP
redaction, admission date day→month→year→decade, blood group, insurance kind, admission
type, hospital region), k=5, 5 % suppression; run in a child process so its peak resident
memory is its own. ``--quick`` skips the scale run.

The machine has 2 cores shared with other work: wall times are noisy upper bounds, which is
why CPU times are reported too. Writes benchmarks/results/bench_adult.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from memory import peak_rss_bytes  # benchmarks/memory.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADULT = ROOT / "tests" / "data" / "adult"
ORDER = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
         "salary-class"]

# ARX 3.9.2 (Flash, objective Loss, 2-core machine); levels in ORDER.
ARX = {
    "k5_supp0": {"levels": [0, 4, 1, 2, 3, 2, 0, 0], "suppressed": 0, "classes": 26,
                 "loss": 0.542, "granularity": 0.291, "warm_ms": 235},
    "k5_supp5": {"levels": [0, 3, 0, 0, 2, 1, 1, 0], "suppressed": 1346, "classes": 397,
                 "loss": 0.170, "granularity": 0.799, "warm_ms": 1357},
    "k5_supp10": {"levels": [0, 3, 0, 0, 2, 1, 0, 0], "suppressed": 2184, "classes": 518,
                  "loss": 0.162, "granularity": 0.812, "warm_ms": None},
    "k5_t0.2_hierarchical_supp5": {"levels": [1, 4, 0, 0, 3, 1, 2, 1], "suppressed": 1384,
                                   "classes": 24, "loss": 0.613, "granularity": 0.351,
                                   "warm_ms": 1640},
    "k5_t0.2_equal_supp5": {"levels": [1, 4, 1, 1, 3, 1, 2, 1], "suppressed": 235, "classes": 6,
                            "loss": 0.815, "granularity": 0.184, "warm_ms": None},
}


def load_adult():
    import pandas as pd

    from ppds_desktop.core.anonymize.hierarchy import Hierarchy

    df = pd.read_csv(ADULT / "adult.csv", sep=";")
    qis = {c: Hierarchy.read_csv(ADULT / f"adult_hierarchy_{c}.csv", name=c) for c in ORDER}
    occupation = Hierarchy.read_csv(ADULT / "adult_hierarchy_occupation.csv", name="occupation")
    return df, qis, occupation


def scenario_setup(name: str, occupation):
    from ppds_desktop.core.anonymize.models import KAnonymity, TCloseness

    models = [KAnonymity(5)]
    if "hierarchical" in name:
        models.append(TCloseness("occupation", 0.2, "hierarchical", occupation))
    elif "equal" in name:
        models.append(TCloseness("occupation", 0.2, "equal"))
    return models, int(name.rsplit("supp", 1)[1]) / 100


def run_scenario(name: str, df, qis, occupation) -> dict:
    from ppds_desktop.core.anonymize.search import search

    models, limit = scenario_setup(name, occupation)
    res = search(df, qis, models, suppression_limit=limit)
    best = res.best
    return {"levels": [best.levels[c] for c in ORDER], "suppressed": best.suppressed,
            "classes": best.classes, "loss": round(best.loss, 4),
            "granularity": round(best.granularity, 4), "checked": res.stats.checked,
            "lattice": res.stats.lattice_size}


def scale_workload(rows: int):
    """The generated table and its 8 QI hierarchies, built with our builders."""
    from ppds_desktop.core.anonymize.hierarchy import (
        build_categories, build_dates, build_intervals, build_redaction)
    from ppds_desktop.core.sample import HOSPITALS, generate_admissions

    df = generate_admissions(rows, seed=1)
    region = {h: z[0] for h, z in HOSPITALS}
    kind = {"Medicaid": "public", "Medicare": "public", "Self-pay": "self"}
    qis = {
        "Age": build_intervals(df["Age"], [5, 10, 20], name="Age"),
        "Gender": build_categories(df["Gender"], [], name="Gender"),
        "ZIP": build_redaction(df["ZIP"], name="ZIP"),
        "Date of Admission": build_dates(df["Date of Admission"], name="Date of Admission"),
        "Blood Type": build_categories(
            df["Blood Type"], [{b: b.rstrip("+-") for b in df["Blood Type"].unique()}],
            name="Blood Type"),
        "Insurance Provider": build_categories(
            df["Insurance Provider"],
            [{i: kind.get(i, "private") for i in df["Insurance Provider"].unique()}],
            name="Insurance Provider"),
        "Admission Type": build_categories(df["Admission Type"], [], name="Admission Type"),
        "Hospital": build_categories(
            df["Hospital"], [{h: region[h] for h in df["Hospital"].unique()}], name="Hospital"),
    }
    return df, qis


def rss_mib() -> float:
    return peak_rss_bytes() / 2**20


def scale_child(rows: int) -> dict:
    from ppds_desktop.core.anonymize.models import KAnonymity
    from ppds_desktop.core.anonymize.search import apply, search

    df, qis = scale_workload(rows)
    before = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    res = search(df, qis, [KAnonymity(5)], suppression_limit=0.05)
    search_wall, search_cpu = time.perf_counter() - wall, time.process_time() - cpu
    after_search = rss_mib()
    wall = time.perf_counter()
    out = apply(df, qis, res.best.levels, [KAnonymity(5)], suppression_limit=0.05)
    apply_wall = time.perf_counter() - wall
    return {"rows": rows, "qis": len(qis), "lattice": res.stats.lattice_size,
            "checked": res.stats.checked, "distinct_combinations": res.stats.entries,
            "levels": res.best.levels, "suppressed": res.best.suppressed,
            "classes": res.best.classes, "loss": round(res.best.loss, 4),
            "measured_k": out.measured["k"],
            "search_wall_s": round(search_wall, 3), "search_cpu_s": round(search_cpu, 3),
            "apply_wall_s": round(apply_wall, 3),
            "rss_before_search_mib": round(before, 1),
            "peak_rss_after_search_mib": round(after_search, 1),
            "peak_rss_mib": round(rss_mib(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="skip the 1,000,000-row scale run")
    ap.add_argument("--scenario", choices=list(ARX), help="run one adult scenario and print it")
    ap.add_argument("--scale-child", type=int, metavar="ROWS", help=argparse.SUPPRESS)
    ap.add_argument("--runs", type=int, default=5, help="warm runs per scenario (median)")
    args = ap.parse_args()

    if args.scenario:
        df, qis, occupation = load_adult()
        print(json.dumps(run_scenario(args.scenario, df, qis, occupation)))
        return
    if args.scale_child:
        print(json.dumps(scale_child(args.scale_child)))
        return

    from ppds_desktop.core.anonymize.search import search

    df, qis, occupation = load_adult()
    results = {}
    for name, arx in ARX.items():
        models, limit = scenario_setup(name, occupation)
        figures = run_scenario(name, df, qis, occupation)          # also the warm-up run
        walls, cpus = [], []
        for _ in range(max(args.runs, 1)):
            wall, cpu = time.perf_counter(), time.process_time()
            search(df, qis, models, suppression_limit=limit)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall = time.perf_counter()
        child = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scenario", name],
                               capture_output=True, text=True, check=True, cwd=ROOT)
        process_s = time.perf_counter() - wall
        assert json.loads(child.stdout)["levels"] == figures["levels"]
        figures.update({"engine_ms_median": round(1000 * statistics.median(walls), 1),
                        "engine_cpu_ms_median": round(1000 * statistics.median(cpus), 1),
                        "process_s": round(process_s, 2), "same_optimum_as_arx":
                        figures["levels"] == arx["levels"], "arx": arx})
        results[name] = figures
        print(f"{name:28s} levels {' '.join(map(str, figures['levels']))}  "
              f"supp {figures['suppressed']:5d}  classes {figures['classes']:4d}  "
              f"loss {figures['loss']:.3f} (ARX {arx['loss']:.3f})  "
              f"gran {figures['granularity']:.3f} (ARX {arx['granularity']:.3f})  "
              f"checked {figures['checked']:4d}/{figures['lattice']}  "
              f"engine {figures['engine_ms_median']:7.1f} ms wall "
              f"{figures['engine_cpu_ms_median']:7.1f} ms cpu (ARX {arx['warm_ms'] or '—'} ms)  "
              f"process {figures['process_s']:.2f} s", flush=True)

    scale = None
    if not args.quick:
        child = subprocess.run([sys.executable, str(Path(__file__).resolve()),
                                "--scale-child", "1000000"],
                               capture_output=True, text=True, check=True, cwd=ROOT)
        scale = json.loads(child.stdout)
        print(f"scale: {scale['rows']:,} rows, {scale['qis']} QIs, lattice {scale['lattice']}, "
              f"{scale['distinct_combinations']:,} distinct, checked {scale['checked']}: search "
              f"{scale['search_wall_s']:.2f} s wall / {scale['search_cpu_s']:.2f} s cpu, apply "
              f"{scale['apply_wall_s']:.2f} s, peak RSS {scale['peak_rss_mib']:.0f} MiB "
              f"({scale['rss_before_search_mib']:.0f} MiB with the data before the search); "
              f"loss {scale['loss']}, suppressed {scale['suppressed']:,}, "
              f"k {scale['measured_k']:.0f}")

    out = ROOT / "benchmarks" / "results" / "bench_adult.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": {"python": platform.python_version(),
                                           "platform": platform.platform(),
                                           "note": "2 cores shared with other work"},
                               "adult": results, "scale": scale}, indent=2) + "\n",
                   encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
