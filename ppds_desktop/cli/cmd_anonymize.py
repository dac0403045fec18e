"""``ppds anonymize``, ``ppds risk``, ``ppds hierarchy`` and ``ppds pseudonym``:
de-identification from the command line, through the same use cases as the Prepare wizard.

A recipe comes from ``--recipe FILE``, from ``--preset``, or from flags; flags given with a
recipe or preset change it (``--qi``, ``--k``, ...). ``--save-recipe`` writes the final recipe.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import InputError
from .common import (add_vault_option, check_destinations, open_vault, parse_pairs,
                     progress_task, vault_path)

PRESET_CHOICES = ["hipaa", "research", "expert"]
_PRESET_IDS = {"hipaa": "hipaa_safe_harbor", "research": "research_k_anonymity",
               "expert": "expert"}


def _cols(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _fraction(text: str) -> float:
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise argparse.ArgumentTypeError("give a fraction (0.05) or a percentage (5%)") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("the suppression limit must be between 0 and 100%")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    a = subparsers.add_parser(
        "anonymize", help="de-identify a file or vault dataset with a recipe",
        description="De-identify a file or a vault dataset. The recipe comes from --recipe, "
                    "from --preset, or from the flags; flags change a recipe or preset "
                    "(docs/recipe.md). Prints what was achieved: k/l/t measured on the "
                    "output, suppressed rows, re-identification risk before and after.")
    a.add_argument("input", help="a CSV/TSV, .xlsx or Parquet file, or a vault dataset name")
    a.add_argument("--recipe", type=Path, help="recipe JSON file (see docs/recipe.md)")
    a.add_argument("-o", "--output", type=Path,
                   help="output file (.csv, .xlsx or .parquet; CSV is formula-injection safe)")
    a.add_argument("--report", type=Path, help="write the release report as JSON")
    a.add_argument("--html", type=Path, help="write the release report as HTML")
    a.add_argument("--save-release", metavar="NAME", help="also store the release in the vault")
    a.add_argument("--accept-risk", action="store_true",
                   help="write the release even though it meets no privacy model or its "
                        "highest re-identification risk is above the vault's threshold "
                        "(recorded in the vault's audit log)")
    a.add_argument("--preset", choices=PRESET_CHOICES, help="start from a preset")
    a.add_argument("--drop", metavar="COLS", help="comma-separated columns to drop")
    a.add_argument("--qi", metavar="COLS", help="comma-separated quasi-identifiers")
    a.add_argument("--sensitive", metavar="COL",
                   help="the sensitive column l and t protect (default: every column whose "
                        "role is sensitive)")
    a.add_argument("--k", type=int, help="k-anonymity")
    a.add_argument("--l", type=float, help="distinct l-diversity of the sensitive column")
    a.add_argument("--t", type=float, help="t-closeness of the sensitive column")
    a.add_argument("--t-distance", choices=["equal", "ordered", "hierarchical"], default=None,
                   help="distance for t-closeness (default equal)")
    a.add_argument("--suppression", type=_fraction, metavar="LIMIT",
                   help="largest share of rows that may be suppressed (0.05 or 5%%)")
    a.add_argument("--objective", choices=["loss", "discernibility", "entropy"])
    a.add_argument("--hierarchy", action="append", metavar="COL=FILE",
                   help="ARX hierarchy CSV for a quasi-identifier, or for the sensitive "
                        "column (hierarchical t-closeness); repeatable")
    a.add_argument("--seed", type=int, help="recipe seed")
    a.add_argument("--save-recipe", type=Path, metavar="FILE", help="write the final recipe")
    a.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_vault_option(a)
    a.set_defaults(func=run_anonymize)

    r = subparsers.add_parser("risk", help="re-identification risk of a file or vault dataset")
    r.add_argument("input", help="a file or a vault dataset name")
    r.add_argument("--qi", metavar="COLS", required=True, help="comma-separated quasi-identifiers")
    r.add_argument("--sensitive", metavar="COL", help="sensitive column: also measure l and t")
    r.add_argument("--threshold", type=float, default=0.2,
                   help="a record is at risk above this re-identification probability (0.2)")
    r.add_argument("--population", type=int, metavar="N",
                   help="population size, for the journalist-risk estimate")
    r.add_argument("--json", action="store_true", help="print JSON")
    add_vault_option(r)
    r.set_defaults(func=run_risk)

    h = subparsers.add_parser("hierarchy", help="generalization hierarchies (ARX CSV format)")
    hs = h.add_subparsers(dest="hierarchy_command", metavar="ACTION")
    hs.required = True
    b = hs.add_parser("build", help="build a hierarchy for a column and write it as ARX CSV")
    b.add_argument("input", help="a file or a vault dataset name")
    b.add_argument("--column", required=True, help="the column to build the hierarchy for")
    b.add_argument("--kind", choices=["auto", "intervals", "dates", "redaction", "categories"],
                   default="auto")
    b.add_argument("--widths", help="intervals: comma-separated widths, e.g. 5,10,20")
    b.add_argument("--levels", help="dates: e.g. month,year,decade")
    b.add_argument("--step", type=int, help="redaction: characters hidden per level")
    b.add_argument("--groups", type=Path, help="categories: JSON file with a list of mappings")
    b.add_argument("-o", "--output", type=Path, required=True)
    add_vault_option(b)
    b.set_defaults(func=run_hierarchy_build)
    i = hs.add_parser("import", help="check an ARX hierarchy against a column; optionally put "
                                     "it into a recipe")
    i.add_argument("file", type=Path)
    i.add_argument("--input", required=True, help="the data it is for (file or dataset)")
    i.add_argument("--column", required=True, help="the column the hierarchy generalizes")
    i.add_argument("--recipe", type=Path, help="add it to this recipe (written in place)")
    add_vault_option(i)
    i.set_defaults(func=run_hierarchy_import)
    e = hs.add_parser("export", help="write the hierarchy a recipe uses for a column as ARX CSV")
    e.add_argument("--recipe", type=Path, required=True)
    e.add_argument("--input", required=True, help="the data (file or dataset)")
    e.add_argument("--column", required=True, help="the column whose hierarchy to write")
    e.add_argument("-o", "--output", type=Path, required=True)
    add_vault_option(e)
    e.set_defaults(func=run_hierarchy_export)

    p = subparsers.add_parser("pseudonym", help="look a pseudonym up (owner only)")
    ps = p.add_subparsers(dest="pseudonym_command", metavar="ACTION")
    ps.required = True
    lk = ps.add_parser("lookup", help="which source value a pseudonym stands for")
    lk.add_argument("pseudonym", help="the pseudonym as it appears in the release")
    lk.add_argument("--dataset", required=True, help="the source dataset in the vault")
    lk.add_argument("--column", required=True, help="the column that was pseudonymized")
    lk.add_argument("--key", required=True, help="the pseudonym key's name")
    lk.add_argument("--prefix", default="", help="the prefix the recipe used")
    add_vault_option(lk)
    lk.set_defaults(func=run_pseudonym_lookup)


# --- input ------------------------------------------------------------------------------------

def _needs_vault(args, recipe) -> bool:
    from ..services.recipes import column_actions as R_column_actions

    if not Path(str(args.input)).is_file() or getattr(args, "save_release", None):
        return True
    if getattr(args, "vault", None):
        return True
    actions = [c["action"]["type"] for c in R_column_actions(recipe or {}).values()]
    return any(t in ("pseudonym", "date_shift") for t in actions)


def _load(args, vault, task=None):
    from ..services.release import load_input
    return load_input(args.input, vault, task)


def _open_if(args, needed: bool, why: str | None = None):
    """The unlocked vault if ``needed`` (else None); a missing vault is reported with ``why``
    it is needed."""
    if not needed:
        return None
    if not vault_path(args).exists():
        if not Path(str(args.input)).is_file():
            raise InputError(f"'{args.input}' is not a file, and there is no vault at "
                             f"{vault_path(args)} to look it up in")
        raise InputError(f"{why or 'this needs a vault'}, and there is no vault at "
                         f"{vault_path(args)}", hint="give --vault, or create one with "
                                                     "'ppds vault init'")
    return open_vault(args)


def _with_vault(args, fn):
    """``fn(vault)`` with the vault open (None when ``args.input`` is a file), then locked."""
    vault = _open_if(args, not Path(str(args.input)).is_file())
    try:
        return fn(vault)
    finally:
        if vault is not None:
            vault.lock()


# --- anonymize --------------------------------------------------------------------------------

def build_recipe(args, df, roles: dict[str, str] | None = None,
                 kinds: dict[str, str] | None = None, loaded: dict | None = None):
    """The recipe ``loaded`` from ``--recipe`` (changed in place), or from ``--preset``, with
    the flags applied on top; validated once and returned typed."""
    from ..services import recipes as R
    from ..services.recipes import make_preset

    roles = dict(roles or {})
    if loaded is not None:
        recipe = loaded
    elif args.preset:
        for col in _cols(args.qi):
            roles[col] = "quasi_identifier"
        if args.sensitive:
            roles[args.sensitive] = "sensitive"
        recipe = make_preset(_PRESET_IDS[args.preset], list(df.columns), roles, kinds)
    else:
        recipe = R.new_recipe(name="command line")
    cols = recipe.setdefault("columns", {})
    for col in _cols(args.drop):
        cols[col] = {"role": "identifier", "action": {"type": "drop"}}
    hier = {col: str(Path(file).resolve())
            for col, file in parse_pairs(args.hierarchy, "hierarchy", value="FILE",
                                         split_at_first=True)}
    if args.sensitive and args.sensitive in hier:      # for hierarchical t-closeness
        cols.setdefault(args.sensitive, {})["hierarchy"] = {
            "kind": "file", "file": hier.pop(args.sensitive)}
    for col in _cols(args.qi) + [c for c in hier if c not in _cols(args.qi)]:
        spec = {"kind": "file", "file": hier[col]} if col in hier else {"kind": "auto"}
        current = cols.get(col, {}).get("action", {})
        if col in hier or current.get("type") in (None, "keep"):
            cols[col] = {"role": "quasi_identifier",
                         "action": {"type": "generalize", "hierarchy": spec}}
        else:
            cols[col]["role"] = "quasi_identifier"
    if args.sensitive:
        cols.setdefault(args.sensitive, {})["role"] = "sensitive"
    privacy = recipe.get("privacy", {})
    if args.k is not None:
        privacy["k"] = args.k
    if args.l is not None:
        privacy["l"] = {"l": args.l, "variant": "distinct"}
    if args.t is not None:
        privacy["t"] = {"t": args.t, "distance": args.t_distance or "equal"}
    elif args.t_distance and "t" in privacy:
        privacy["t"]["distance"] = args.t_distance
    for model in ("l", "t"):
        if args.sensitive and model in privacy:
            privacy[model]["column"] = args.sensitive
    if args.suppression is not None:
        privacy["suppression_limit"] = args.suppression
    if args.objective:
        privacy["objective"] = args.objective
    if privacy:
        recipe["privacy"] = privacy
    if args.seed is not None:
        recipe["seed"] = args.seed
    return R.parse(recipe)


def _summary(report: dict, risk) -> str:
    rows, model, after = report["rows"], report["model"], report["risk"]["after"]
    parts = [f"{rows['input']:,} rows in, {rows['output']:,} out ({rows['suppressed']:,} suppressed)"]
    if "hipaa" in report:        # rules applied: not a measured guarantee, so said apart
        parts.append("Safe Harbor rules applied: " +
                     ("every identifier type handled" if report["hipaa"]["compliant"]
                      else "NOT every identifier type handled (see the report)"))
    if not model["requested"] and report["quasi_identifiers"]:
        parts.append("no privacy model requested (add --k, --l or --t), so the "
                     "quasi-identifiers were not generalized")
    if model["achieved"]:
        achieved = ", ".join(f"{k} = {v:g}" for k, v in model["achieved"].items()
                             if isinstance(v, (int, float)))
        parts.append(f"measured {achieved}" + ("" if model["satisfied"] else " — NOT satisfied"))
    if after["qi_columns"]:
        parts.append(f"highest re-identification risk {report['risk']['before']['prosecutor_max']:.1%}"
                     f" → {after['prosecutor_max']:.1%} (limit {risk.threshold:.0%}); records at "
                     f"risk {report['risk']['before']['share_at_risk']:.1%} → "
                     f"{after['share_at_risk']:.1%}")
    parts.append("measured risk: within the limit" if risk.safe else
                 "measured risk: CAN STILL IDENTIFY PEOPLE, written because --accept-risk was given")
    return "; ".join(parts)


def run_anonymize(args) -> int:
    from ..services import recipes as R
    from ..services import release as svc

    if not (args.output or args.save_release or args.save_recipe or args.report or args.html):
        raise InputError("nothing to write: give -o OUTPUT, --save-release, --report, --html "
                         "or --save-recipe")
    check_destinations(args.output, args.report, args.html, args.save_recipe)
    pre = R.load(args.recipe) if args.recipe else None
    vault = _open_if(args, _needs_vault(args, pre),
                     "saving a release, pseudonyms and date shifts need the vault")
    try:
        task = progress_task("anonymize")
        df, name = _load(args, vault, task.sub(0.0, 0.1))
        in_vault = vault is not None and not Path(str(args.input)).is_file()
        roles, kinds = svc.column_hints(df, vault if in_vault else None,
                                        name if in_vault else None)
        from_preset = bool(args.preset and not args.recipe)     # presets start from hints
        recipe = build_recipe(args, df, roles if from_preset else None,
                              kinds if from_preset else None, pre)
        if vault is None and _needs_vault(args, recipe):
            vault = _open_if(args, True, "pseudonyms and date shifts use keys kept in a vault")
        if not (args.output or args.save_release or args.report or args.html):
            R.save(args.save_recipe, recipe)
            print(f"recipe written to {args.save_recipe}")
            return 0
        base = args.recipe.parent if args.recipe else Path.cwd()
        outcome = svc.run_release_on_frame(df, recipe, vault=vault, source=name, roles=roles,
                                           base_dir=base,
                                           task=task.sub(0.1, 0.9))
        risk = svc.export_release(vault, outcome,
                                  title=args.save_release or (args.output.name if args.output
                                                              else name),
                                  output=args.output, report=args.report, html=args.html,
                                  recipe_file=args.save_recipe, recipe=recipe,
                                  save_as=args.save_release, accept_risk=args.accept_risk,
                                  task=task.sub(0.9, 1.0))
        if args.json:
            print(json.dumps({"summary": _summary(outcome.report, risk),
                              "rows": outcome.report["rows"], "model": outcome.report["model"],
                              "risk": risk.figures(),
                              "levels": outcome.report["generalization"]["levels"]}, indent=2))
        else:
            print(_summary(outcome.report, risk))
        if not risk.safe:
            print("ppds: warning: " + " ".join(risk.problems()), file=sys.stderr)
        return 0
    finally:
        if vault is not None:
            vault.lock()


# --- risk -------------------------------------------------------------------------------------

def run_risk(args) -> int:
    from ..services.release import assess_risk

    df, _name = _with_vault(args, lambda vault: _load(args, vault))
    qis = _cols(args.qi)
    if not qis:
        raise InputError("--qi names no column: give the quasi-identifiers, e.g. --qi Age,ZIP")
    result = assess_risk(df, qis, sensitive=args.sensitive, threshold=args.threshold,
                         population_size=args.population)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    r = result["risk"]
    lines = [f"records: {r['n_records']:,}   equivalence classes: {r['n_classes']:,}   "
             f"smallest class (k): {r['min_class_size']:,}",
             f"prosecutor risk: highest {r['prosecutor_max']:.1%}, average {r['prosecutor_avg']:.1%}",
             f"journalist risk: highest {r['journalist_max']:.1%}, average {r['journalist_avg']:.1%}"
             + (" (population estimate)" if r["population_size"] else ""),
             f"marketer risk: {r['marketer']:.1%}",
             f"records at risk (> {r['threshold']:.0%}): {r['records_at_risk']:,} "
             f"({r['share_at_risk']:.1%});  unique records: {r['unique_records']:,}"]
    if "l_distinct" in result:
        lines.append(f"'{result['sensitive']}': distinct l = {result['l_distinct']:g}, "
                     f"entropy l = {result['l_entropy']:.3g}, t (equal distance) = "
                     f"{result['t_equal']:.3g}")
    print("\n".join(lines))
    return 0


# --- hierarchy --------------------------------------------------------------------------------

def _column(args, vault):
    df, _ = _load(args, vault)
    if args.column not in df.columns:
        raise InputError(f"no column '{args.column}' in the data")
    return df[args.column]


def _read_groups(path: Path) -> list[dict]:
    """``--groups``: a JSON list with one object per level, mapping a value to its group."""
    try:
        groups = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the groups file ({exc.strerror or exc})",
                         path=str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, column {exc.colno})", path=str(path),
                         line=exc.lineno) from None
    if not isinstance(groups, list) or not all(
            isinstance(level, dict) and all(isinstance(v, str) for v in level.values())
            for level in groups):
        raise InputError('expected a JSON list with one object per level, mapping each value '
                         'to its group, e.g. [{"Male": "any", "Female": "any"}]',
                         path=str(path))
    return groups


def run_hierarchy_build(args) -> int:
    from ..services.recipes import build_hierarchy

    spec: dict = {"kind": args.kind}
    if args.widths:
        try:
            spec["widths"] = [float(w) if "." in w else int(w) for w in _cols(args.widths)]
        except ValueError:
            raise InputError("--widths expects numbers, e.g. 5,10,20") from None
    if args.levels:
        spec["levels"] = _cols(args.levels)
    if args.step:
        spec["step"] = args.step
    if args.groups:
        spec["groups"] = _read_groups(args.groups)
    if args.kind == "categories":
        spec.setdefault("groups", [])
    values = _with_vault(args, lambda v: _column(args, v))
    h = build_hierarchy(spec, values, column=args.column)
    h.to_csv(args.output)
    print(f"{args.output}: {len(h.leaves)} values, {h.height} levels (0-{h.height - 1})")
    return 0


def run_hierarchy_import(args) -> int:
    from ..services import recipes as R
    h = R.read_hierarchy(args.file, args.column)
    values = _with_vault(args, lambda v: _column(args, v))
    h.encode(values, column=args.column)          # raises if a value is not covered
    print(f"{args.file}: covers every value of '{args.column}'; {h.height} levels; top labels "
          f"per level: " + ", ".join(str(len(h.labels(i))) for i in range(h.height)))
    if args.recipe:
        recipe = R.load(args.recipe) if args.recipe.exists() else R.new_recipe()
        recipe.setdefault("columns", {})[args.column] = {
            "role": "quasi_identifier",
            "action": {"type": "generalize",
                       "hierarchy": {"kind": "file", "file": str(args.file.resolve())}}}
        R.save(args.recipe, recipe)
        print(f"added to {args.recipe}")
    return 0


def run_hierarchy_export(args) -> int:
    from ..services import recipes as R
    from ..services.recipes import build_hierarchy

    recipe = R.load(args.recipe)
    action = (recipe.get("columns", {}).get(args.column) or {}).get("action", {})
    spec = action.get("hierarchy", {"kind": "auto"}) if action.get("type") == "generalize" \
        else {"kind": "auto"}
    values = _with_vault(args, lambda v: _column(args, v))
    h = build_hierarchy(spec, values, column=args.column, base_dir=args.recipe.parent)
    h.to_csv(args.output)
    print(f"{args.output}: {len(h.leaves)} values, {h.height} levels")
    return 0


def run_pseudonym_lookup(args) -> int:
    from ..services.release import lookup_pseudonym

    with open_vault(args) as vault:
        found = lookup_pseudonym(vault, args.dataset, args.column, args.pseudonym, args.key,
                                 prefix=args.prefix)
    if not found:
        hint = "" if args.prefix else " (if the recipe gave the pseudonyms a prefix, pass it with --prefix)"
        print(f"ppds: error: no value of column '{args.column}' has this pseudonym under key "
              f"'{args.key}'{hint}", file=sys.stderr)
        return 1
    for value in found:
        print(value)
    return 0
