"""The whole de-identification release pipeline on generated admissions, stage by stage.

Research preset (identifiers dropped, Name pseudonymized, admission and discharge dates
shifted per person, Age/Gender/ZIP/Date of Birth generalized to 5-anonymity with 5 %
suppression and distinct 2-diversity of Medical Condition), timed per stage: column actions,
generalization (hierarchies + the engine's search and apply), report (risk before/after,
utility, histograms, measured model), HTML rendering. Prints a table and writes
``benchmarks/results/bench_release.json``. Peak RSS is the process's (``ru_maxrss``).

    python benchmarks/bench_release.py            # 100,000 and 1,000,000 rows
    python benchmarks/bench_release.py --quick    # 50,000 rows
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from memory import peak_rss_bytes  # benchmarks/memory.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ppds_desktop.core.anonymize.actions import KeyRing, apply_actions  # noqa: E402
from ppds_desktop.core.recipe import column_actions  # noqa: E402
from ppds_desktop.core.recipe.presets import research_k_anonymity  # noqa: E402
from ppds_desktop.core.recipe.run import generalize  # noqa: E402
from ppds_desktop.core.recipe.report import build_report  # noqa: E402
from ppds_desktop.core.report import render_html  # noqa: E402
from ppds_desktop.core.sample import generate_admissions  # noqa: E402

ROLES = {"Name": "identifier", "SSN": "identifier", "Phone": "identifier",
         "Email": "identifier", "Age": "quasi_identifier", "Gender": "quasi_identifier",
         "ZIP": "quasi_identifier", "Date of Birth": "quasi_identifier",
         "Medical Condition": "sensitive"}


def recipe_for(columns: list[str]) -> dict:
    r = research_k_anonymity(columns, ROLES)
    r["privacy"]["l"] = {"l": 2}
    r["columns"]["Name"] = {"role": "identifier",
                            "action": {"type": "pseudonym", "key": "bench", "prefix": "P"}}
    for col in ("Date of Admission", "Discharge Date"):
        r["columns"][col] = {"action": {"type": "date_shift", "key": "bench dates",
                                        "max_days": 30, "person": "Name"}}
    return r


def run(rows: int) -> dict:
    df = generate_admissions(rows, seed=7)        # synthetic test data, not privacy noise
    recipe = recipe_for(list(df.columns))
    keys = KeyRing()
    t0 = time.perf_counter()
    acted, log = apply_actions(df, column_actions(recipe), keys)
    t1 = time.perf_counter()
    released, gen = generalize(acted, recipe)
    t2 = time.perf_counter()
    report = build_report(original=df, released=released, recipe=recipe, actions_log=log,
                          generalization=gen)
    t3 = time.perf_counter()
    html = render_html(report)
    t4 = time.perf_counter()
    return {"rows": rows, "actions_s": t1 - t0, "generalization_s": t2 - t1,
            "engine_s": gen.engine_seconds, "report_s": t3 - t2, "html_s": t4 - t3,
            "total_s": t4 - t0, "html_bytes": len(html),
            "levels": gen.levels, "suppressed": gen.suppressed_rows, "classes": gen.classes,
            "k": report["model"]["achieved"].get("k"),
            "l": report["model"]["achieved"].get("l[Medical Condition]"),
            "loss": gen.metrics.get("loss"),
            "peak_rss_mib": peak_rss_bytes() / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50,000 rows only")
    args = ap.parse_args()
    sizes = [50_000] if args.quick else [100_000, 1_000_000]
    results = []
    print(f"{'rows':>10} {'actions':>8} {'general.':>8} {'engine':>8} {'report':>8} "
          f"{'html':>6} {'total':>7} {'k':>4} {'suppr.':>7} {'loss':>6} {'RSS MiB':>8}")
    for n in sizes:
        r = run(n)
        results.append(r)
        print(f"{n:>10,} {r['actions_s']:>8.2f} {r['generalization_s']:>8.2f} "
              f"{r['engine_s']:>8.2f} {r['report_s']:>8.2f} {r['html_s']:>6.2f} "
              f"{r['total_s']:>7.2f} {r['k']:>4g} {r['suppressed']:>7,} {r['loss']:>6.3f} "
              f"{r['peak_rss_mib']:>8.0f}")
    out = ROOT / "benchmarks" / "results" / "bench_release.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                               "quick": args.quick, "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
