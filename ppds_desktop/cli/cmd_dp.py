"""``ppds dp ...`` (privacy budgets and DP statistics) and ``ppds perturb`` (record-level noise).

Query language (see docs/privacy.md): ``count``, ``sum COL``, ``mean COL``, ``histogram COL``,
``quantile COL Q``, ``median COL``, each optionally followed by ``by COL[, COL]``; or a JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import InputError
from .common import (add_vault_option, check_destinations, open_vault, parse_pairs,
                     progress_task)


def parse_bounds(values: list[str] | None) -> dict[str, tuple[float, float]]:
    bounds = {}
    for col, rest in parse_pairs(values, "bounds"):
        lo, _, hi = rest.partition(":")      # LO may be negative: '-' is not ':'
        try:
            bounds[col] = (float(lo), float(hi))
        except ValueError:
            raise InputError(f"--bounds for {col!r} must be LO:HI with numbers") from None
    return bounds


def register(subparsers: argparse._SubParsersAction) -> None:
    dp = subparsers.add_parser(
        "dp", help="differential privacy: budgets and private statistics",
        description="Privacy budgets and DP statistics (record-level noise is 'ppds perturb'). "
                    "Queries (docs/privacy.md): 'count', 'sum COL', 'mean COL', "
                    "'histogram COL', 'quantile COL Q', 'median COL', each optionally followed "
                    "by 'by COL[, COL]'; or a JSON object.")
    dsub = dp.add_subparsers(dest="dp_command", metavar="ACTION")
    dsub.required = True

    budget = dsub.add_parser("budget", help="show or set a dataset's privacy budget")
    bsub = budget.add_subparsers(dest="budget_command", metavar="ACTION")
    bsub.required = True
    bset = bsub.add_parser("set", help="set the total budget of a dataset (data owner)")
    bset.add_argument("dataset")
    bset.add_argument("--epsilon", type=float, required=True, help="total ε for Laplace releases")
    bset.add_argument("--rho", type=float, default=None,
                      help="total ρ (zCDP) for Gaussian releases (default: unchanged, 0 at first)")
    bset.add_argument("--json", action="store_true", help="print JSON")
    add_vault_option(bset)
    bset.set_defaults(func=run_budget_set)
    bshow = bsub.add_parser("show", help="show the budget, what was spent, and the ledger")
    bshow.add_argument("dataset")
    bshow.add_argument("--json", action="store_true", help="print JSON")
    add_vault_option(bshow)
    bshow.set_defaults(func=run_budget_show)

    q = dsub.add_parser("query", help="answer a query with DP noise, spending budget",
                        description="Spends budget and records the answer as a release. "
                                    "Examples: 'count by Medical Condition', 'mean Age', "
                                    "'quantile Billing Amount 0.5 by Gender', or a JSON object.")
    q.add_argument("dataset")
    q.add_argument("query", help="the query text or JSON")
    q.add_argument("--epsilon", type=float, help="ε to spend (Laplace noise)")
    q.add_argument("--rho", type=float, help="ρ to spend (Gaussian noise, zCDP)")
    q.add_argument("--noise", choices=["laplace", "gaussian"], default=None,
                   help="noise distribution (default: gaussian if --rho is given, else laplace)")
    q.add_argument("--bounds", action="append", metavar="COL=LO:HI",
                   help="declared bounds of a numeric column (repeatable)")
    q.add_argument("--granularity", action="append", metavar="COL=G",
                   help="grid step of a numeric column (default: a power of two)")
    q.add_argument("--domain", action="append", metavar="COL=A|B|C",
                   help="declared categories of a grouping column, separated by |")
    q.add_argument("--bins", type=int, default=None, help="bins of a numeric histogram (10)")
    q.add_argument("--guess-bounds", action="store_true",
                   help="take missing bounds from the data (leaks min and max; warned)")
    q.add_argument("--name", help="name of the release (default: generated)")
    q.add_argument("--json", action="store_true", help="print JSON")
    add_vault_option(q)
    q.set_defaults(func=run_query)

    p = subparsers.add_parser("perturb", help="perturb records with a recipe's perturbation steps",
                              description="INPUT is a CSV/Excel/Parquet file or a vault dataset. "
                                          "Steps that spend privacy budget need a vault dataset.")
    p.add_argument("input")
    p.add_argument("--recipe", type=Path, required=True, help="recipe JSON with a 'perturbation' section")
    p.add_argument("-o", "--output", type=Path, required=True, help="output file (.csv, .xlsx, .parquet)")
    p.add_argument("--name", help="release name (vault datasets only)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--accept-risk", action="store_true",
                   help="go ahead although perturbation meets no privacy model (audited)")
    p.add_argument("--allow-identifiers", action="store_true",
                   help="go ahead although the dataset's direct identifiers are kept (audited)")
    add_vault_option(p)
    p.set_defaults(func=run_perturb)


def _print_status(status, as_json: bool) -> None:
    if as_json:
        print(json.dumps(status.to_dict(), indent=2, ensure_ascii=False))
        return
    if not status.is_set:
        print(f"{status.dataset}: no budget set (DP releases are refused until the owner sets one)")
    else:
        rho = (f"; ρ {status.rho_spent:g} spent of {status.rho_total:g} "
               f"(remaining {status.rho_remaining:g})" if status.rho_total or status.rho_spent
               else "")
        print(f"{status.dataset}: ε {status.epsilon_spent:g} spent of {status.epsilon_total:g} "
              f"(remaining {status.epsilon_remaining:g}){rho}")
        if status.rho_spent:
            print(f"  everything spent so far is ({status.overall_epsilon():.3g}, 1e-6)-DP")
        else:  # only Laplace releases: pure ε-DP, no δ
            print(f"  everything spent so far is {status.epsilon_spent:.3g}-DP (pure, δ = 0)")
    for e in status.entries:
        cost = " ".join(part for part, v in ((f"ε={e.epsilon:g}", e.epsilon),
                                             (f"ρ={e.rho:g}", e.rho)) if v) or "ε=0"
        print(f"  #{e.id} {e.created_at} {e.mechanism:<22} {cost:<8}  {e.description}")


def run_budget_set(args) -> int:
    from ..services import dp

    with open_vault(args) as vault:
        _print_status(dp.set_budget(vault, args.dataset, epsilon=args.epsilon, rho=args.rho),
                      args.json)
    return 0


def run_budget_show(args) -> int:
    from ..services import dp

    with open_vault(args) as vault:
        _print_status(dp.budget_status(vault, args.dataset), args.json)
    return 0


def _fmt(v) -> str:
    if v is None:
        return "—"
    return f"{v:,.6g}" if isinstance(v, float) else f"{v:,}"


def print_result(result, release, budget) -> None:
    spent = f"ε={result.cost.epsilon:g}" if result.cost.epsilon else f"ρ={result.cost.rho:g}"
    what = "rank error" if result.noise_on == "rank" else f"noise std on the {result.noise_on}"
    print(f"{result.query}   ({result.noise} noise, {spent}, {what} {result.noise_scale:.4g})")
    width = max([len(result.label(r)) for r in result.rows] + [5])
    print(f"  {'group':<{width}}  {'value':>14}  95% interval")
    for row in result.rows:
        ci = (f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]" if row["ci_low"] is not None
              else f"rank within ±{row.get('rank_error', 0):.0f}")
        print(f"  {result.label(row):<{width}}  {_fmt(row['value']):>14}  {ci}")
    for w in result.warnings:
        print(f"  warning: {w}")
    for n in result.notes:
        print(f"  note: {n}")
    rho = f", ρ={budget.rho_remaining:g}" if budget.rho_total else ""
    print(f"Saved as release {release.name!r}. Remaining: ε={budget.epsilon_remaining:g}{rho}")


def run_query(args) -> int:
    from ..services import dp

    granularity = {}
    for col, value in parse_pairs(args.granularity, "granularity"):
        try:
            granularity[col] = float(value)
        except ValueError:
            raise InputError(f"--granularity for {col!r} must be a number, got {value!r}") from None
    domains = {c: [s.strip() for s in v.split("|")] for c, v in parse_pairs(args.domain, "domain")}
    query = args.query
    if args.bins is not None:
        query = dp.with_bins(query, args.bins)
    with open_vault(args) as vault:
        out = dp.run_query(vault, args.dataset, query, epsilon=args.epsilon, rho=args.rho,
                           noise=args.noise, bounds=parse_bounds(args.bounds), granularity=granularity,
                           domains=domains, guess_bounds=args.guess_bounds,
                           release_name=args.name, task=progress_task("DP query"))
        if args.json:
            print(json.dumps({"result": out.result.to_dict(), "release": out.release.name,
                              "budget": out.budget.to_dict()}, indent=2, ensure_ascii=False))
        else:
            print_result(out.result, out.release, out.budget)
    return 0


def run_perturb(args) -> int:
    from ..services import dp
    from ..services.datasets import export_format

    section = dp.perturbation_section(args.recipe)
    # Check the output before any work: a local-DP step spends budget that a failed write
    # would waste.
    export_format(args.output)
    check_destinations(args.output)
    task = progress_task("Perturb")
    if Path(args.input).exists():
        outcome = dp.perturb_file(Path(args.input), section, args.output,
                                  accept_risk=args.accept_risk, task=task)
        where = str(args.output)
    else:
        with open_vault(args) as vault:
            outcome, release = dp.perturb_dataset(
                vault, args.input, section, release_name=args.name, output=args.output,
                allow_identifiers=args.allow_identifiers, accept_risk=args.accept_risk,
                task=task)
            where = f"{args.output} (release {release.name!r})"
    if args.json:
        print(json.dumps(outcome.report, indent=2, ensure_ascii=False, default=str))
    else:
        steps = ", ".join(s["method"] for s in outcome.report.get("steps", [])) or "no steps"
        spent = outcome.cost
        print(f"Perturbed {len(outcome.data):,} rows ({steps}) -> {where}"
              + (f"; spent ε={spent.epsilon:g} ρ={spent.rho:g}" if spent.epsilon or spent.rho else ""))
    sys.stdout.flush()
    return 0
