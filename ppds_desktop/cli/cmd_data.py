"""``ppds import / datasets / profile / sample / export``: getting data in and out of the vault."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError
from ..services import choices
from .common import add_vault_option, open_vault, parse_pairs, progress_task

if TYPE_CHECKING:
    from ..services.datasets import DatasetProfile, ParseOptions

_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("import", help="import a CSV/TSV, .xlsx or Parquet file into the vault")
    p.add_argument("file", type=Path, help="the file to import")
    p.add_argument("--name", help="dataset name (default: the file name without extension)")
    _add_parse_options(p)
    p.add_argument("--role", action="append", default=[], metavar="COLUMN=ROLE",
                   help=f"set a column's role instead of the suggestion ({', '.join(choices.ROLES)}); "
                        "repeatable")
    p.add_argument("--yes", action="store_true",
                   help="import into the public demo vault even though the file is not the "
                        "bundled sample")
    add_vault_option(p)
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("datasets", help="list the datasets in the vault")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_vault_option(p)
    p.set_defaults(func=cmd_datasets)

    p = subparsers.add_parser("profile", help="profile a file or a stored dataset: types, missing "
                                              "values, distinct counts, suggested roles")
    p.add_argument("target", metavar="FILE_OR_DATASET",
                   help="a file to read (nothing is stored) or the name of a stored dataset")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--examples", action="store_true",
                   help="include example values (these are real cell values: mind your screen)")
    _add_parse_options(p)
    add_vault_option(p)
    p.set_defaults(func=cmd_profile)

    p = subparsers.add_parser("sample", help="write synthetic hospital-admissions data (no real people)")
    p.add_argument("--rows", type=int, default=1000, help="number of rows (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="file to write (.csv, .xlsx or .parquet)")
    _add_plain_utf8_option(p)
    p.set_defaults(func=cmd_sample)

    p = subparsers.add_parser("export", help="export a stored dataset to .csv, .xlsx or .parquet")
    p.add_argument("dataset", help="dataset name or uid")
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    p.add_argument("--allow-identifiers", action="store_true",
                   help="export data that still has direct identifiers (names, SSNs...) as "
                        "they are")
    p.add_argument("--accept-risk", action="store_true",
                   help="export a release that can still identify people (recorded in the "
                        "vault's audit log)")
    _add_plain_utf8_option(p)
    add_vault_option(p)
    p.set_defaults(func=cmd_export)


def _add_plain_utf8_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plain-utf8", action="store_true",
                   help="write CSV as plain UTF-8, without the byte-order mark that spreadsheets "
                        "such as Excel need to show accented letters correctly")


def _add_parse_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("parse options (detected when not given)")
    g.add_argument("--delimiter", help="field delimiter, e.g. ',' ';' tab '|'")
    g.add_argument("--encoding", help="text encoding: utf-8, utf-8-sig, cp1252, latin-1")
    g.add_argument("--header-row", type=int, help="0-based line of the header (lines above it "
                                                  "are skipped)")
    g.add_argument("--quotechar", help="quote character, e.g. '\"' or \"'\"")
    g.add_argument("--decimal", choices=[".", ","], help="decimal mark of numbers")
    g.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")


def _parse_options(args: argparse.Namespace) -> ParseOptions:
    from ..services.datasets import ParseOptions

    delimiter = args.delimiter
    if delimiter is not None:
        delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    if args.header_row is not None and args.header_row < 0:
        raise InputError("--header-row must be 0 or more")
    return ParseOptions(delimiter=delimiter, encoding=args.encoding, header_row=args.header_row,
                        quotechar=args.quotechar, decimal=args.decimal, sheet=args.sheet)


def cmd_import(args: argparse.Namespace) -> int:
    from ..services import datasets

    options = _parse_options(args)
    roles = dict(parse_pairs(args.role, "role", key="COLUMN", value="ROLE"))
    with open_vault(args) as vault:
        info = datasets.import_file(vault, args.file, name=args.name, options=options, roles=roles,
                                    demo_confirmed=args.yes, task=progress_task("Importing"))
        print(f"Imported {info.name!r}: {info.n_rows:,} rows, {info.n_cols} columns.")
        for column, role in vault.roles(info.id).items():
            print(f"  {column:<24} {role.role:<17} {role.reason}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    with open_vault(args) as vault:
        items = vault.list_datasets()
    if args.json:
        print(json.dumps([{"name": d.name, "uid": d.uid, "kind": d.kind, "created_at": d.created_at,
                           "rows": d.n_rows, "columns": d.n_cols, "bytes": d.byte_size}
                          for d in items], indent=2))
        return 0
    if not items:
        print("The vault holds no datasets yet (ppds import FILE).")
    for d in items:
        print(f"{d.name:<32} {d.kind:<10} {d.n_rows:>10,} rows {d.n_cols:>4} columns  {d.created_at}")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from ..services import datasets

    target = Path(args.target)
    task = progress_task("Profiling")
    if target.exists():
        profile = datasets.profile_file(target, _parse_options(args), task=task)
    else:
        with open_vault(args) as vault:
            profile = datasets.profile_dataset(vault, args.target, task=task)
    if args.json:
        print(json.dumps(profile.to_dict(examples=args.examples), indent=2, ensure_ascii=False))
    else:
        _print_profile(profile, args.examples)
    return 0


def _print_profile(profile: DatasetProfile, examples: bool) -> None:
    print(f"{profile.rows:,} rows, {len(profile.columns)} columns")
    print(f"{'column':<24} {'type':<12} {'missing':>8} {'distinct':>10}  {'role':<17} reason")
    for c in profile.columns:
        print(f"{c.name:<24} {c.kind:<12} {c.missing_share:>8.1%} {c.distinct:>10,}  "
              f"{c.role:<17} {c.reason}")
        if examples and c.examples:
            print(f"{'':<24} e.g. {', '.join(c.examples)}")


def cmd_sample(args: argparse.Namespace) -> int:
    from ..services import datasets

    if args.rows < 1:
        raise InputError("--rows must be at least 1")
    datasets.write_sample(args.output, args.rows, args.seed, task=progress_task("Writing"),
                          bom=not args.plain_utf8)
    print(f"Wrote {args.rows:,} synthetic rows (seed {args.seed}) to {args.output}.",
          file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..services import datasets

    with open_vault(args) as vault:
        out = datasets.export_dataset(vault, args.dataset, args.output,
                                      allow_identifiers=args.allow_identifiers,
                                      accept_risk=args.accept_risk,
                                      task=progress_task("Exporting"), bom=not args.plain_utf8)
    print(f"Exported {args.dataset!r} to {out}.", file=sys.stderr)
    return 0
