"""``ppds study``: multi-site studies with a split decryption key, every step by file.

Coordinator: ``create`` (a draft), ``invite`` (key ceremony, one invitation file per
participant), ``round`` (open the next round). Participant: ``join`` (an invitation or a round
opening). Site: ``contribute`` (``--preview`` shows what would leave the site). Anyone:
``combine`` the contributions into a decryption request. Key-share holder: ``answer``
(``--dry-run`` shows the re-computed review). Anyone with enough answers: ``finish``. Everyone:
``show`` a result file (checked completely) or a study's status; ``list``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.errors import InputError
from .common import add_vault_option, check_destinations, open_vault, parse_pairs, progress_task


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("study", help="multi-site studies with a split decryption key",
                              description=__doc__.replace("``", "'"))
    sub = p.add_subparsers(dest="study_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("create", help="coordinator: create a study (a draft until invited)")
    add_vault_option(s)
    s.add_argument("--title", required=True)
    s.add_argument("--analyses", type=Path, required=True,
                   help="the statistics: variables, analyses, minimum sites, DP settings (JSON, "
                        "docs/studies-statistics.md)")
    s.add_argument("--site", action="append", default=[], metavar="CONTACT",
                   help="a verified contact that contributes data (repeat)")
    s.add_argument("--holder", action="append", default=[], metavar="CONTACT",
                   help="a verified contact that holds a key share (repeat)")
    s.add_argument("--threshold", type=int, required=True,
                   help="how many key-share holders must answer to decrypt (at least 2)")
    s.add_argument("--coordinator-site", action="store_true",
                   help="the coordinator contributes data too")
    s.add_argument("--coordinator-not-holder", action="store_true",
                   help="the coordinator holds no key share")
    s.add_argument("--masks", action="store_true",
                   help="pairwise masks between sites: even colluding key-share holders see "
                        "only masked single-site values; every site must then contribute")
    s.set_defaults(func=cmd_create)

    s = sub.add_parser("invite", help="coordinator: run the key ceremony and write one "
                                      "invitation per participant")
    add_vault_option(s)
    s.add_argument("study", help="study id (or a unique prefix) or title")
    s.add_argument("-o", "--output-dir", type=Path, required=True,
                   help="an existing folder for the invitation files")
    s.add_argument("--key-bits", type=int, choices=(2048, 3072), default=2048)
    s.set_defaults(func=cmd_invite)

    s = sub.add_parser("join", help="accept an invitation, or the coordinator's new round")
    add_vault_option(s)
    s.add_argument("bundle", type=Path)
    s.add_argument("--dry-run", action="store_true",
                   help="check and show the invitation without joining")
    s.add_argument("--accept-unverified", action="store_true",
                   help="accept an invitation from a coordinator whose fingerprint is not "
                        "verified")
    s.set_defaults(func=cmd_join)

    s = sub.add_parser("round", help="coordinator: open the next round")
    add_vault_option(s)
    s.add_argument("study")
    s.add_argument("-o", "--output", type=Path, required=True, help="round bundle to write")
    s.set_defaults(func=cmd_round)

    s = sub.add_parser("contribute", help="site: encrypt this site's statistics for the study")
    add_vault_option(s)
    s.add_argument("study")
    s.add_argument("--dataset", required=True)
    s.add_argument("--map", action="append", metavar="VARIABLE=COLUMN",
                   help="which column holds a study variable (default: the column of the same "
                        "name)")
    s.add_argument("--preview", action="store_true",
                   help="only show exactly what would leave the site")
    s.add_argument("-o", "--output", type=Path, help="contribution bundle to write")
    s.set_defaults(func=cmd_contribute)

    s = sub.add_parser("combine", help="combine contributions into a decryption request")
    add_vault_option(s)
    s.add_argument("study")
    s.add_argument("contributions", nargs="+", type=Path, metavar="CONTRIBUTION")
    s.add_argument("-o", "--output", type=Path, required=True, help="request bundle to write")
    s.set_defaults(func=cmd_combine)

    s = sub.add_parser("answer", help="key-share holder: re-compute a request and answer it, "
                                      "or refuse with the reason")
    add_vault_option(s)
    s.add_argument("request", type=Path)
    s.add_argument("-o", "--output", type=Path, help="answer bundle to write")
    s.add_argument("--dry-run", action="store_true", help="only show the review")
    s.set_defaults(func=cmd_answer)

    s = sub.add_parser("finish", help="decrypt a request with the key-share holders' answers "
                                      "and write the result for every participant")
    add_vault_option(s)
    s.add_argument("request", type=Path)
    s.add_argument("answers", nargs="+", type=Path, metavar="ANSWER")
    s.add_argument("-o", "--output", type=Path, required=True, help="result bundle to write")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.set_defaults(func=cmd_finish)

    s = sub.add_parser("show", help="a result file (checked completely) or a study's status")
    add_vault_option(s)
    s.add_argument("what", help="a result bundle file, or a study id / title")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("list", help="the studies this vault takes part in")
    add_vault_option(s)
    s.set_defaults(func=cmd_list)


def _study_line(info) -> str:
    return (f"{info.title} [{info.study_id}] {info.state}, round {info.round}; you: "
            f"{info.my_roles}; {info.threshold} of {info.holders} key-share holders; sites: "
            f"{', '.join(info.sites)} (at least {info.min_sites} per sum)"
            + ("; pairwise masks" if info.pairwise_masks else "")
            + (f"; study fingerprint {info.fingerprint}" if info.fingerprint else ""))


def cmd_create(args) -> int:
    from ..services import study

    try:
        spec = args.analyses.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the analyses ({getattr(exc, 'strerror', None) or exc})",
                         path=str(args.analyses)) from None
    with open_vault(args) as vault:
        info = study.create_study(vault, args.title, sites=args.site, holders=args.holder,
                                  threshold=args.threshold, spec=spec,
                                  self_site=args.coordinator_site,
                                  self_holder=not args.coordinator_not_holder,
                                  pairwise_masks=args.masks)
    print(f"created draft study {info.study_id}")
    print(_study_line(info))
    return 0


def cmd_invite(args) -> int:
    from ..services import study

    with open_vault(args) as vault:
        done = study.invite(vault, args.study, args.output_dir, bits=args.key_bits,
                            task=progress_task("key ceremony"))
    c = done.ceremony
    print(f"key ceremony: {c['key_bits']}-bit key, {c['threshold']} of {c['parties']} "
          f"key-share holders, run by {c['operator']} at {c['created_utc']} in "
          f"{c['seconds']:.1f} s ({c['dealer']})")
    for name, path in done.files:
        print(f"  invitation for {name}: {path}")
    print(f"study fingerprint (compare it with every participant): {done.study.fingerprint}")
    return 0


def cmd_join(args) -> int:
    from ..services import study

    with open_vault(args) as vault:
        if args.dry_run:
            preview = study.preview_invitation(vault, args.bundle,
                                               accept_unverified=args.accept_unverified)
            print(_study_line(preview.study))
            print(f"coordinator: {preview.coordinator}")
            for name, org, roles, known, fingerprint in preview.participants:
                print(f"  {name} ({org or 'no organisation'}): {roles}; {known}; fingerprint "
                      f"{fingerprint}")
            print("analyses: " + "; ".join(preview.statistics))
            for warning in preview.warnings:
                print(f"note: {warning}")
            return 0
        info = study.join(vault, args.bundle, accept_unverified=args.accept_unverified)
    print(f"joined: {_study_line(info)}")
    return 0


def cmd_round(args) -> int:
    from ..services import study

    check_destinations(args.output, what="round bundle")
    with open_vault(args) as vault:
        info = study.new_round(vault, args.study, args.output)
    print(f"opened round {info.round} of {info.title}; wrote {args.output} for every participant")
    return 0


def _mapping(vault, args) -> dict:
    from ..services import study

    mapping = study.suggest_mapping(vault, args.study, args.dataset)
    mapping.update(dict(parse_pairs(args.map, "map", key="VARIABLE", value="COLUMN")))
    return mapping


def cmd_contribute(args) -> int:
    from ..services import study

    if not args.preview and args.output is None:
        raise InputError("Give -o CONTRIBUTION (or --preview to only look).")
    if not args.preview:
        check_destinations(args.output, what="contribution bundle")
    with open_vault(args) as vault:
        mapping = _mapping(vault, args)
        if args.preview:
            p = study.preview_contribution(vault, args.study, args.dataset, mapping,
                                           task=progress_task("adding up"))
            print(f"What would leave this site for round {p.round} of {p.study.title} "
                  f"({p.rows:,} records of {p.dataset}), encrypted in {p.ciphertexts} "
                  f"ciphertext(s) for {', '.join(p.recipients)}:")
            for label, value, records in p.statistics:
                print(f"  {label} = {value:,} (over {records:,} records)")
            print(f"privacy: {p.noise}")
            for note in p.notes:
                print(f"stays here: {note}")
            return 0
        sent = study.contribute(vault, args.study, args.dataset, mapping, args.output,
                                task=progress_task("encrypting"))
    print(f"wrote contribution {sent.path} for round {sent.round} ({sent.bytes:,} bytes)"
          + (f"; ε = {sent.epsilon:g} charged to {args.dataset}" if sent.epsilon else ""))
    clipped = {k: v for k, v in sent.clipped.items() if v}
    if clipped:
        print("clipped to the study's bounds (not sent): "
              + ", ".join(f"{k} {v:,}" for k, v in clipped.items()))
    return 0


def cmd_combine(args) -> int:
    from ..services import study

    check_destinations(args.output, what="decryption request")
    with open_vault(args) as vault:
        sent = study.combine(vault, args.study, args.contributions, args.output,
                             task=progress_task("combining"))
    print(f"wrote decryption request {sent.request_id[:12]} ({sent.ciphertexts} ciphertexts, "
          f"round {sent.round}) over {len(sent.sites)} sites: {', '.join(sent.sites)}; "
          f"send {sent.path} to the key-share holders")
    return 0


def cmd_answer(args) -> int:
    from ..services import study

    if not args.dry_run and args.output is None:
        raise InputError("Give -o ANSWER (or --dry-run to only look).")
    if not args.dry_run:
        check_destinations(args.output, what="answer bundle")
    with open_vault(args) as vault:
        if args.dry_run:
            r = study.review_request(vault, args.request, task=progress_task("re-computing"))
            print(f"request {r.request_id[:12]} from {r.aggregator}, round {r.round} of "
                  f"{r.study.title}: sums over {len(r.sites)} sites ({', '.join(r.sites)})")
            for check in r.checks:
                print(f"  checked: {check}")
            print(f"{len(r.statistics)} statistics would be decrypted: "
                  + "; ".join(r.statistics[:5]) + (" …" if len(r.statistics) > 5 else ""))
            print(f"verdict: refused: {r.refusal}" if r.refusal else "verdict: would answer")
            return 0
        sent = study.answer(vault, args.request, args.output,
                            task=progress_task("partial decryption"))
    print(f"answered request {sent.request_id[:12]} as key-share holder {sent.holder} "
          f"({sent.ciphertexts} partial decryptions with their proof); wrote {sent.path}")
    return 0


def _print_result(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"study_id": result.study.study_id, "request_id": result.request_id,
                          "round": result.round, "sites": result.sites,
                          "decrypted_by": [name for _i, name in result.decrypted_by],
                          "left_out": [why for _i, why in result.left_out],
                          "privacy": result.privacy, "figures": result.figures},
                         indent=1, ensure_ascii=False))
        return
    print("\n".join(result.lines))


def cmd_finish(args) -> int:
    from ..services import study

    check_destinations(args.output, what="result bundle")
    with open_vault(args) as vault:
        result = study.finish(vault, args.request, args.answers, args.output,
                              task=progress_task("decrypting"))
    _print_result(result, args.json)
    if not args.json:
        print(f"wrote {result.path} for every participant")
    return 0


def cmd_show(args) -> int:
    from ..services import study

    with open_vault(args) as vault:
        if Path(args.what).is_file():
            _print_result(study.open_result(vault, args.what), args.json)
            return 0
        status = study.study_status(vault, args.what)
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(status), indent=1, ensure_ascii=False, default=str))
        return 0
    print(_study_line(status.study))
    for name, roles in status.participants:
        print(f"  {name}: {roles}")
    if status.invited:
        print(f"invitations written for: {', '.join(status.invited)}")
    for rnd, site, direction in status.contributed:
        print(f"round {rnd}: contribution {'sent by' if direction == 'sent' else 'received from'}"
              f" {site}")
    for rnd, rid, who, sites in status.requests:
        print(f"round {rnd}: request {rid[:12]} by {who} over {', '.join(sites)}")
    for rid, who in status.answered:
        print(f"request {rid[:12]}: answered by {who}")
    for rnd, rid, who, holders in status.results:
        print(f"round {rnd}: result of request {rid[:12]}, decrypted by {', '.join(holders)}, "
              f"finished by {who}")
    print("this vault holds a key share" if status.holds_share else "this vault holds no key share")
    return 0


def cmd_list(args) -> int:
    from ..services import study

    with open_vault(args) as vault:
        infos = study.list_studies(vault)
    if not infos:
        print("This vault takes part in no study yet ('ppds study create' or 'ppds study join').")
    for info in infos:
        print(_study_line(info))
    return 0
