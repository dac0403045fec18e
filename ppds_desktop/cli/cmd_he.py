"""``ppds he``: Paillier keys, and sums / means / variances over encrypted columns of several
sites' bundles, decrypted only by the key holder through request and result bundles."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.errors import InputError, NotFound
from ..services import choices
from .common import add_vault_option, check_destinations, open_vault, progress_task


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("he", help="homomorphic aggregation of encrypted columns",
                              description=__doc__.replace("``", ""))
    sub = p.add_subparsers(dest="he_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("keygen", help="create a Paillier key pair and publish its public key "
                                      "on your identity card")
    add_vault_option(s)
    s.add_argument("--bits", type=int, choices=choices.KEY_SIZES, default=choices.KEY_SIZES[0],
                   help=f"key size (default {choices.KEY_SIZES[0]})")
    s.add_argument("--name", default="default", help="name of the key in the vault")
    s.add_argument("--no-publish", action="store_true", help="keep it off the identity card")
    s.add_argument("--replace", action="store_true", help="replace a key of the same name")
    s.set_defaults(func=cmd_keygen)

    s = sub.add_parser("keys", help="list the Paillier keys in the vault")
    add_vault_option(s)
    s.set_defaults(func=cmd_keys)

    s = sub.add_parser("compute", help="combine encrypted columns and write a decryption "
                                       "request for the key holder")
    add_vault_option(s)
    s.add_argument("sources", nargs="+", metavar="BUNDLE",
                   help="release bundle files, or names of releases / imported bundles in the vault")
    s.add_argument("--query", required=True,
                   help="e.g. \"mean Billing Amount by Medical Condition where Gender = Female\"")
    s.add_argument("-o", "--output", type=Path, required=True, help="request bundle to write")
    s.add_argument("--to", help="key holder contact (default: the contact whose card has the key)")
    s.add_argument("--accept-unverified", action="store_true",
                   help="accept bundles from and send to unverified contacts")
    s.add_argument("--allow-identifiers", action="store_true",
                   help="seal your own release for the key holder even though it still has "
                        "direct identifiers (names, SSNs...) as they are")
    s.add_argument("--accept-risk", action="store_true",
                   help="seal your own release for the key holder even though it can still "
                        "identify people (recorded in the vault's audit log)")
    s.set_defaults(func=cmd_compute)

    s = sub.add_parser("answer", help="as key holder: decrypt a request's cells and write the "
                                      "result bundle for the requester")
    add_vault_option(s)
    s.add_argument("request", type=Path, help="request bundle")
    s.add_argument("-o", "--output", type=Path, help="result bundle to write")
    s.add_argument("--min-records", type=int, default=choices.DEFAULT_MIN_RECORDS,
                   help=f"refuse cells with fewer records from sites other than the requester, "
                        f"and exact cells that differ from an earlier exact answer by fewer "
                        f"records (default {choices.DEFAULT_MIN_RECORDS})")
    s.add_argument("--epsilon", type=float, default=choices.DEFAULT_EPSILON,
                   help=f"noise is on by default: discrete-Laplace noise spending this ε from "
                        f"--budget-dataset (default {choices.DEFAULT_EPSILON:g}; smaller = more noise)")
    s.add_argument("--budget-dataset", help="dataset whose privacy budget the noise spends")
    s.add_argument("--exact", action="store_true",
                   help="answer without noise (then cells that would isolate a few records of "
                        "an earlier exact answer are refused)")
    s.add_argument("--dry-run", action="store_true", help="only show what would be decrypted")
    s.add_argument("--accept-unverified", action="store_true",
                   help="accept a bundle from a contact whose fingerprint is not verified")
    s.set_defaults(func=cmd_answer)

    s = sub.add_parser("show", help="show a result bundle: table, provenance, optional chart")
    add_vault_option(s)
    s.add_argument("result", type=Path, help="result bundle")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--chart", type=Path, help="also write the chart as SVG to this file")
    s.add_argument("--accept-unverified", action="store_true",
                   help="accept a bundle from a contact whose fingerprint is not verified")
    s.set_defaults(func=cmd_show)


def _warn() -> None:
    from ..services import he

    print(f"Note: {he.SINGLE_KEY_WARNING}", file=sys.stderr)


def cmd_keygen(args) -> int:
    from ..services import he

    with open_vault(args) as vault:
        info = he.create_key(vault, args.name, bits=args.bits, publish=not args.no_publish,
                             replace=args.replace)
    print(f"Paillier key {info.name!r}: {info.bits} bits, fingerprint {info.fingerprint}")
    print("published on your identity card (export it again for your peers)"
          if info.published else "not published on an identity card")
    _warn()
    return 0


def cmd_keys(args) -> int:
    from ..services import he

    with open_vault(args) as vault:
        keys = he.list_keys(vault)
    if not keys:
        print("No Paillier keys in this vault yet: the key holder creates one with "
              "'ppds he keygen'.")
    for k in keys:
        print(f"{k.name}\t{k.bits} bits\t{k.fingerprint}\t"
              f"{'on card' if k.published else 'not on card'}")
    return 0


def _contribution(vault, ref: str, accept_unverified: bool):
    from ..services import he

    path = Path(ref)
    if path.is_file():
        return he.contribution_from_bundle(vault, path, accept_unverified=accept_unverified,
                                           task=progress_task(f"open {path.name}"))
    try:
        return he.contribution_from_release(vault, ref)
    except NotFound:
        pass
    try:
        return he.contribution_from_dataset(vault, ref)
    except NotFound:
        raise InputError(f"{ref!r} is neither a bundle file nor a release or dataset in the "
                         f"vault.") from None


def cmd_compute(args) -> int:
    from ..services import he
    from ..services import sharing

    check_destinations(args.output, what="decryption request")
    with open_vault(args) as vault:
        contribs = [_contribution(vault, ref, args.accept_unverified) for ref in args.sources]
        to = sharing.get_contact(vault, args.to) if args.to else None
        request = he.compute_request(vault, contribs, args.query, key_holder=to,
                                     allow_unverified=args.accept_unverified,
                                     allow_identifiers=args.allow_identifiers,
                                     accept_risk=args.accept_risk,
                                     task=progress_task("combining"))
        he.send_request(vault, request, args.output, to=to,
                        allow_unverified=args.accept_unverified)
    print("\n".join(request.describe()))
    print(f"wrote decryption request {args.output}")
    _warn()
    return 0


def cmd_answer(args) -> int:
    from ..services import he

    if not args.dry_run and args.output is None:
        raise InputError("Give -o RESULT (or --dry-run to only look).")
    if args.min_records < 1:
        raise InputError(f"--min-records must be at least 1, got {args.min_records}")
    epsilon = None if args.exact else args.epsilon
    if epsilon is not None:
        if not epsilon > 0 or epsilon == float("inf"):
            raise InputError(f"--epsilon must be a positive number, got {epsilon:g}")
        if not args.budget_dataset and not args.dry_run:
            raise InputError(f"answers get noise by default (ε = {epsilon:g}): give "
                             f"--budget-dataset, the dataset whose privacy budget the noise "
                             f"spends, or --exact to answer without noise")
    if not args.dry_run:
        check_destinations(args.output, what="result bundle")
    with open_vault(args) as vault:
        request, sender = he.open_request(vault, args.request,
                                          accept_unverified=args.accept_unverified)
        print("\n".join(request.describe()))
        if args.dry_run:
            return 0
        result = he.answer_and_send(vault, request, sender, args.output,
                                    min_records=args.min_records, epsilon=epsilon,
                                    budget_dataset=args.budget_dataset,
                                    allow_unverified=args.accept_unverified,
                                    task=progress_task("decrypting"))
    refused = sum(1 for r in result.rows if r["refused"])
    print(f"answered {len(result.rows) - refused} cell(s), refused {refused}; "
          + (f"noise spent ε = {epsilon:g} from {args.budget_dataset}; " if epsilon else
             "exact (no noise); ")
          + f"wrote {args.output} for {sender.name}")
    for row in result.rows:
        if row["refused"]:
            group = ", ".join(f"{k}={v}" for k, v in row["group"].items()) or "(all)"
            print(f"  cell {group}: {row['refused']}")
    _warn()
    return 0


def cmd_show(args) -> int:
    from ..services import he

    with open_vault(args) as vault:
        result = he.open_result(vault, args.result, accept_unverified=args.accept_unverified)
    if args.chart:
        he.write_result_chart(result, args.chart)
    if args.json:
        print(json.dumps({"query": result.query.to_dict(), "rows": result.rows,
                          "provenance": he.provenance_lines(result), "dp": result.dp},
                         indent=1, ensure_ascii=False))
        return 0
    print(_table(result.frame()))
    print()
    print("\n".join(he.provenance_lines(result)))
    return 0


def _table(frame) -> str:
    """The result as text: amounts to the cent, and no empty "note" column to misread."""
    if "note" in frame and not frame["note"].astype(bool).any():
        frame = frame.drop(columns="note")
    return frame.to_string(index=False, float_format=lambda v: f"{v:,.2f}")
