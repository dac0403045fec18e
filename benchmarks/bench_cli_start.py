"""Start-up cost of the ``ppds`` command line: CPU time (user + system, of the child process) of
``ppds --version``, ``ppds --help`` and one real command (``ppds sample``, which needs pandas),
in a warm cache (bytecode compiled first, one unmeasured run of each), ``--runs`` runs each,
median reported. Target: ``--version`` and ``--help`` ≤ 0.15 s of CPU.

With ``--baseline COMMIT`` the same commands also run on that commit's tree (exported with
``git archive`` into a temporary folder), alternating old and new run by run, so both see the
same machine load. CPU time rather than wall time because the machine is shared.

    python benchmarks/bench_cli_start.py                      # this tree
    python benchmarks/bench_cli_start.py --baseline e7e5d91   # and that commit, alternating

Prints the figures and writes ``benchmarks/results/bench_cli_start.json``.
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "--version": ["--version"],
    "--help": ["--help"],
    "sample": ["sample", "--rows", "1000", "--seed", "1", "-o", "{tmp}/sample.csv"],
}
TARGET_CPU_S = 0.15


def _cpu_of(tree: Path, argv: list[str], tmp: Path) -> float:
    """CPU seconds (user + system) of one ``python -m ppds_desktop.cli`` child."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [a.replace("{tmp}", str(tmp)) for a in argv]
    proc = subprocess.Popen([sys.executable, "-m", "ppds_desktop.cli", *args], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ppds {' '.join(args)} failed in {tree}: {err.strip()}")
    return usage.ru_utime + usage.ru_stime


def _export(commit: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--baseline", metavar="COMMIT", help="also measure this commit, alternating")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ppds-bench-cli-"))
    try:
        trees = {"this tree": ROOT}
        if opts.baseline:
            trees[f"baseline {opts.baseline}"] = _export(opts.baseline, work / "baseline")
        for tree in trees.values():
            compileall.compile_dir(str(tree / "ppds_desktop"), quiet=1)
        times: dict[str, dict[str, list[float]]] = {t: {c: [] for c in COMMANDS} for t in trees}
        for run in range(opts.runs + 1):          # run 0 warms the caches and is not counted
            for command, argv in COMMANDS.items():
                for label, tree in trees.items():
                    cpu = _cpu_of(tree, argv, work)
                    if run:
                        times[label][command].append(cpu)
        load = os.getloadavg()
        result = {"runs": opts.runs, "python": platform.python_version(),
                  "load_average": [round(x, 2) for x in load], "target_cpu_s": TARGET_CPU_S,
                  "median_cpu_s": {label: {c: round(statistics.median(v), 4)
                                           for c, v in per.items()}
                                   for label, per in times.items()},
                  "min_cpu_s": {label: {c: round(min(v), 4) for c, v in per.items()}
                                for label, per in times.items()}}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ppds start-up, CPU seconds (median of {opts.runs}; load average "
          f"{' '.join(f'{x:.1f}' for x in load)}):")
    print(f"{'':<24}" + "".join(f"{c:>12}" for c in COMMANDS))
    for label, per in result["median_cpu_s"].items():
        print(f"{label:<24}" + "".join(f"{per[c]:>12.3f}" for c in COMMANDS))
    ours = result["median_cpu_s"]["this tree"]
    ok = all(ours[c] <= TARGET_CPU_S for c in ("--version", "--help"))
    print(f"target --version/--help <= {TARGET_CPU_S} s: {'met' if ok else 'NOT met'}")
    out = ROOT / "benchmarks" / "results" / "bench_cli_start.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
