"""The dataset view at scale: ``ArrowTableModel`` over a million rows in a real ``QTableView``.

Builds a 20-column table shaped like the admissions sample (integers, decimals, dates,
categories, free text) with seeded synthetic values (not patient data), then times
  model: building ``ArrowTableModel`` from the Arrow table;
  first paint: showing a 1280×800 view of it;
  scroll to end: jumping to the last row and painting;
  random jumps: 200 jumps to random rows, each painted;
  sort: sorting by a numeric column (Arrow's C++ sort) and painting;
and the process's resident memory before and after the view exists. Headless
(``QT_QPA_PLATFORM=offscreen``). Prints a table and writes ``benchmarks/results/bench_table_model.json``.

    python benchmarks/bench_table_model.py            # 1,000,000 rows
    python benchmarks/bench_table_model.py --quick    # 100,000 rows
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _table(n: int):
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(7)  # synthetic benchmark data, not privacy noise
    conditions = np.array(["Asthma", "Cancer", "Diabetes", "Hypertension", "Obesity", "COPD"])
    cols = {}
    for i in range(4):
        cols[f"int_{i}"] = rng.integers(0, 100_000, n)
        cols[f"dec_{i}"] = rng.random(n) * 50_000
        cols[f"date_{i}"] = pa.array((rng.integers(0, 20_000, n)).astype("datetime64[D]"))
        cols[f"cat_{i}"] = pa.array(conditions[rng.integers(0, len(conditions), n)]
                                    ).dictionary_encode()
        cols[f"text_{i}"] = pa.array(np.char.add("Patient note ", rng.integers(0, n, n)
                                                 .astype(str)))
    return pa.table(cols)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows instead of 1,000,000")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000

    from PySide6.QtWidgets import QApplication, QTableView

    from ppds_desktop.ui.datasets_page import configure_table
    from ppds_desktop.ui.table_model import ArrowTableModel

    app = QApplication([])
    table = _table(n).combine_chunks()
    rss_data = _rss_mb()
    figures: dict[str, float] = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        fn()
        app.processEvents()
        figures[name] = round(time.perf_counter() - t0, 4)

    holder = {}
    timed("model_s", lambda: holder.setdefault("model", ArrowTableModel(table)))
    model = holder["model"]
    view = QTableView()
    configure_table(view)
    view.resize(1280, 800)
    timed("first_paint_s", lambda: (view.setModel(model), view.show(), view.repaint()))
    figures["rss_after_first_paint_mb"] = round(_rss_mb(), 1)
    timed("scroll_to_end_s", lambda: (view.scrollToBottom(), view.repaint()))

    import numpy as np

    rows = np.random.default_rng(1).integers(0, n, 200)

    def jumps():
        for row in rows:
            view.scrollTo(model.index(int(row), 0))
            view.repaint()
    timed("random_jumps_200_s", jumps)
    figures["per_jump_ms"] = round(figures["random_jumps_200_s"] / 200 * 1000, 2)
    from PySide6.QtCore import Qt

    figures["rss_before_sort_mb"] = round(_rss_mb(), 1)
    timed("sort_s", lambda: (model.sort(1, Qt.SortOrder.AscendingOrder), view.repaint()))
    figures["rss_table_mb"] = round(rss_data, 1)
    figures["rss_at_end_mb"] = round(_rss_mb(), 1)
    figures["view_overhead_mb"] = round(figures["rss_at_end_mb"] - rss_data, 1)

    result = {"rows": n, "columns": table.num_columns,
              "arrow_table_mb": round(table.nbytes / 1e6, 1), **figures,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
              "python": platform.python_version()}
    print(f"ArrowTableModel, {n:,} rows × {table.num_columns} columns "
          f"({result['arrow_table_mb']} MB of Arrow data)")
    for key, value in figures.items():
        print(f"  {key:<22} {value}")
    out = ROOT / "benchmarks" / "results" / "bench_table_model.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
