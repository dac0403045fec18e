"""``ppds identity|contact|bundle``: your keys, your peers' verified keys, and share bundles."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.errors import NotFound
from ..services import choices
from .common import add_vault_option, open_vault, progress_task


def register(subparsers: argparse._SubParsersAction) -> None:
    _register_identity(subparsers)
    _register_contact(subparsers)
    _register_bundle(subparsers)


def _sub(parent, name: str, help_: str, func, *, vault: bool = True):
    s = parent.add_parser(name, help=help_, description=help_)
    if vault:
        add_vault_option(s)
    s.set_defaults(func=func)
    return s


def _register_identity(subparsers) -> None:
    p = subparsers.add_parser("identity", help="this vault's identity (keys) and identity card")
    sub = p.add_subparsers(dest="identity_command", metavar="ACTION")
    sub.required = True
    s = _sub(sub, "init", "create this vault's identity (Ed25519 + X25519 keys)", cmd_identity_init)
    s.add_argument("--name", required=True, help="your display name, e.g. 'Dr A. Smith'")
    s.add_argument("--org", default="", help="your organisation, e.g. 'St Mary Hospital'")
    s.add_argument("--force", action="store_true",
                   help="replace an existing identity (every contact will see a key change)")
    s = _sub(sub, "show", "show your identity and the fingerprint to read out to peers",
             cmd_identity_show)
    s.add_argument("--json", action="store_true", help="print JSON")
    s = _sub(sub, "export", "write your identity card (public keys only) to a file",
             cmd_identity_export)
    s.add_argument("-o", "--output", type=Path, required=True,
                   help=f"card file to write (e.g. me{choices.CARD_SUFFIX})")


def _register_contact(subparsers) -> None:
    p = subparsers.add_parser("contact", help="your peers: import, verify, rename, remove")
    sub = p.add_subparsers(dest="contact_command", metavar="ACTION")
    sub.required = True
    s = _sub(sub, "add", "import a peer's identity card as an unverified contact", cmd_contact_add)
    s.add_argument("card", type=Path, help="identity card file")
    s.add_argument("--name", help="name to use for the contact (default: the card's name)")
    s.add_argument("--accept-key-change", action="store_true",
                   help="accept NEW keys for a known contact (only after checking by phone)")
    s = _sub(sub, "list", "list contacts with their verification state", cmd_contact_list)
    s.add_argument("--json", action="store_true", help="print JSON")
    s = _sub(sub, "verify", "mark a contact verified after comparing fingerprints",
             cmd_contact_verify)
    s.add_argument("contact", help="contact name")
    s.add_argument("--fingerprint", help="the fingerprint the peer read out; must match")
    s = _sub(sub, "rename", "rename a contact", cmd_contact_rename)
    s.add_argument("contact")
    s.add_argument("new_name")
    s = _sub(sub, "remove", "remove a contact", cmd_contact_remove)
    s.add_argument("contact")


def _register_bundle(subparsers) -> None:
    p = subparsers.add_parser("bundle", help="seal, inspect and open signed, encrypted bundles")
    sub = p.add_subparsers(dest="bundle_command", metavar="ACTION")
    sub.required = True
    s = _sub(sub, "seal", "seal a release or dataset for contacts", cmd_bundle_seal)
    s.add_argument("release", help="release or dataset in the vault (name or id)")
    s.add_argument("--to", action="append", required=True, metavar="CONTACT",
                   help="recipient contact (repeat for several)")
    s.add_argument("-o", "--output", type=Path, required=True,
                   help=f"bundle file to write (e.g. share{choices.BUNDLE_SUFFIX})")
    s.add_argument("--allow-unverified", action="store_true",
                   help="seal even for contacts whose fingerprint was not verified")
    s.add_argument("--allow-identifiers", action="store_true",
                   help="seal data that still has direct identifiers (names, SSNs...) as they are")
    s.add_argument("--accept-risk", action="store_true",
                   help="seal a release that can still identify people (recorded in the "
                        "vault's audit log)")
    s = _sub(sub, "inspect", "show what a bundle claims, without decrypting", cmd_bundle_inspect)
    s.add_argument("file", type=Path, help="bundle file (.ppdsb)")
    s.add_argument("--json", action="store_true", help="print JSON")
    s = _sub(sub, "open", "verify a bundle fully and import its data as a dataset",
             cmd_bundle_open)
    s.add_argument("file", type=Path, help="bundle file (.ppdsb)")
    s.add_argument("--name", help="name of the new dataset")
    s.add_argument("--yes", action="store_true",
                   help="confirm importing a bundle that was imported before (replay), or "
                        "into the demo vault, whose passphrase is public")
    s.add_argument("--trust-unverified", action="store_true",
                   help="accept a sender whose fingerprint you have not verified")


# -- identity -----------------------------------------------------------------------------------

def cmd_identity_init(args) -> int:
    from ..services import sharing
    from ..services.sharing import fingerprint_lines

    with open_vault(args) as vault:
        ident = sharing.init_identity(vault, args.name, args.org, replace=args.force)
        print(f"Identity created for {ident.display_name}.")
        print("Fingerprint (read it to your peers):")
        print(fingerprint_lines(ident.fingerprint))
    return 0


def cmd_identity_show(args) -> int:
    from ..services import sharing
    from ..services.sharing import fingerprint_lines

    with open_vault(args) as vault:
        ident = sharing.identity_or_none(vault)
        if ident is None:
            raise NotFound("This vault has no identity yet.",
                           hint="create one: ppds identity init --name NAME")
        if args.json:
            print(json.dumps({"display_name": ident.display_name,
                              "organisation": ident.organisation,
                              "identity_id": ident.identity_id, "created_at": ident.created_at,
                              "fingerprint": ident.fingerprint}))
            return 0
        print(f"Name:         {ident.display_name}")
        print(f"Organisation: {ident.organisation or '-'}")
        print(f"Created:      {ident.created_at}")
        print("Fingerprint:")
        print(fingerprint_lines(ident.fingerprint))
    return 0


def cmd_identity_export(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        path = sharing.export_identity_card(vault, args.output)
        print(f"Identity card written to {path}. Give it to your peers and read them your "
              "fingerprint ('ppds identity show') over another channel.")
    return 0


# -- contacts -------------------------------------------------------------------------------------

def cmd_contact_add(args) -> int:
    from ..services import sharing
    from ..services.sharing import fingerprint_lines

    with open_vault(args) as vault:
        c = sharing.import_contact_card(vault, args.card, name=args.name,
                                        accept_key_change=args.accept_key_change)
        print(f"Contact '{c.name}' ({c.organisation or 'no organisation'}) is {c.state}.")
        print("Compare this fingerprint with the one they read to you, then run "
              f"'ppds contact verify \"{c.name}\"':")
        print(fingerprint_lines(c.fingerprint))
    return 0


def cmd_contact_list(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        contacts = sharing.list_contacts(vault)
        if args.json:
            print(json.dumps([{"name": c.name, "organisation": c.organisation,
                               "verified": c.verified, "fingerprint": c.fingerprint,
                               "key_changes": len(c.previous)} for c in contacts]))
            return 0
        if not contacts:
            print("No contacts yet: import a card with 'ppds contact add CARD'.")
        for c in contacts:
            flag = "verified  " if c.verified else "UNVERIFIED"
            print(f"{flag}  {c.name:<24} {c.organisation:<24} {c.fingerprint[:23]}…")
    return 0


def cmd_contact_verify(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        c = sharing.verify_contact(vault, args.contact, args.fingerprint)
        print(f"Contact '{c.name}' is now verified.")
    return 0


def cmd_contact_rename(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        c = sharing.rename_contact(vault, args.contact, args.new_name)
        print(f"Contact renamed to '{c.name}'.")
    return 0


def cmd_contact_remove(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        sharing.remove_contact(vault, args.contact)
        print(f"Contact '{args.contact}' removed.")
    return 0


# -- bundles --------------------------------------------------------------------------------------

def cmd_bundle_seal(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        result = sharing.seal_for_contacts(vault, args.release, args.to, args.output,
                                           allow_unverified=args.allow_unverified,
                                           allow_identifiers=args.allow_identifiers,
                                           accept_risk=args.accept_risk,
                                           task=progress_task("Sealing"))
        print(f"Sealed bundle {result.bundle_id} for {', '.join(args.to)}: {result.path} "
              f"({result.size:,} bytes).")
    return 0


def cmd_bundle_inspect(args) -> int:
    from ..services import sharing
    from ..services.sharing import fingerprint_lines

    with open_vault(args) as vault:
        p = sharing.preview_bundle(vault, args.file)
        s = p.summary
        info = {"file": str(args.file), "bytes": s.size, "format_version": s.version,
                "suite": s.suite, "bundle_id": s.bundle_id, "kind": s.kind,
                "created_at": s.created_at, "sender": p.sender.name if p.sender else None,
                "sender_state": p.sender_state, "sender_fingerprint": p.sender_fingerprint,
                "recipients": p.recipients, "for_me": p.for_me, "chunks": s.n_chunks,
                "complete": s.complete, "previously_imported": p.previously_imported}
        if args.json:
            print(json.dumps(info))
            return 0
        print("Not yet verified: these are the bundle's claims (open it to verify).")
        for key, value in info.items():
            if key == "sender_fingerprint":
                value = "\n    " + fingerprint_lines(value).replace("\n", "\n    ")
            elif key == "recipients":
                value = ", ".join(value)
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            elif value is None:
                value = "no" if key == "previously_imported" else "-"
            print(f"  {key.replace('_', ' '):<20} {value}")
    return 0


def cmd_bundle_open(args) -> int:
    from ..services import sharing

    with open_vault(args) as vault:
        result = sharing.open_into_vault(vault, args.file, name=args.name,
                                         accept_unverified=args.trust_unverified,
                                         accept_replay=args.yes, demo_confirmed=args.yes,
                                         task=progress_task("Opening"))
        info = result.dataset
        print(f"Verified bundle {result.bundle_id} from {result.sender}"
              f"{' (imported again)' if result.replayed else ''}.")
        print(f"Imported dataset '{info.name}': {info.n_rows:,} rows, {info.n_cols} columns.")
        head = info.source.get("sender_audit_head")
        if head:
            print(f"{result.sender}'s audit log when sealing: entry {head['seq']}, head "
                  f"{head['hash']} (kept with the dataset's provenance).")
    return 0
