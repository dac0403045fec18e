"""``ppds vault``: create, re-key, back up, restore, recover and inspect the encrypted vault."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import (PASSPHRASE_ENV, add_vault_option, open_vault, progress_task,
                     read_passphrase, vault_path, warn_about_location)

NEW_PASSPHRASE_ENV = "PPDS_NEW_PASSPHRASE"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("vault", help="create and manage the encrypted vault",
                              description="Create, re-key, back up, restore, recover and "
                                          "inspect the encrypted vault.")
    sub = p.add_subparsers(dest="vault_command", metavar="ACTION")
    sub.required = True

    s = sub.add_parser("init", help="create a new vault (prints its recovery key once)")
    add_vault_option(s)
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("passwd", help=f"change the passphrase (old from {PASSPHRASE_ENV}, "
                                      f"new from {NEW_PASSPHRASE_ENV}, else prompted)")
    add_vault_option(s)
    s.set_defaults(func=cmd_passwd)

    s = sub.add_parser("backup", help="write an encrypted backup of the vault to a file")
    add_vault_option(s)
    s.add_argument("-o", "--output", type=Path, required=True, help="backup file to write")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="recreate a vault from a backup file")
    s.add_argument("file", type=Path, help="backup file made by 'ppds vault backup'")
    add_vault_option(s)
    s.add_argument("--force", action="store_true", help="replace an existing vault at --vault")
    s.add_argument("--recovery-key",
                   help="unlock the backup with its recovery key instead (then the new "
                        f"passphrase comes from {NEW_PASSPHRASE_ENV})")
    s.set_defaults(func=cmd_restore)

    s = sub.add_parser("recover", help="unlock with the recovery key and set a new passphrase")
    add_vault_option(s)
    s.add_argument("--recovery-key", required=True, help="the key shown when the vault was made")
    s.set_defaults(func=cmd_recover)

    s = sub.add_parser("audit", help="show the audit log")
    add_vault_option(s)
    s.add_argument("--verify", action="store_true", help="check the hash chain first")
    s.add_argument("--expect-head", metavar="HASH",
                   help="also check that a head noted earlier (printed by --verify, or shown "
                        "with a bundle this vault sealed) is still in the chain: catches a "
                        "rewritten history")
    s.add_argument("--json", action="store_true", help="print JSON lines")
    s.add_argument("--raw", action="store_true",
                   help="print action codes and details instead of sentences")
    s.add_argument("--limit", type=int, default=None, help="only the newest N entries")
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("info", help="show where the vault is and how it is protected")
    add_vault_option(s)
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--check", action="store_true",
                   help="also run the database integrity check and verify the audit log")
    s.set_defaults(func=cmd_info)


def _new_passphrase() -> str:
    from ..services import vault_ops

    return vault_ops.check_new_passphrase(
        read_passphrase("New passphrase: ", env=NEW_PASSPHRASE_ENV, confirm=True))


def cmd_init(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    path = vault_path(args)
    passphrase = vault_ops.check_new_passphrase(   # from $PPDS_PASSPHRASE or the terminal
        read_passphrase("New vault passphrase: ", confirm=True))
    vault, recovery_key = vault_ops.create_vault(path, passphrase)
    info = vault.info()
    vault.lock()
    print(f"Created vault {path} (schema version {info['schema_version']}, {info['kdf']}).")
    warn_about_location(path)
    print()
    print(f"RECOVERY KEY: {recovery_key}")
    print()
    print(vault_ops.RECOVERY_WARNING)
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    old = read_passphrase("Current passphrase: ")
    with open_vault(args, old) as vault:
        vault_ops.change_passphrase(vault, old, _new_passphrase())
    print(f"Passphrase changed for {vault.path}.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    with open_vault(args) as vault:
        dest = vault_ops.backup(vault, args.output, task=progress_task("Backup"))
    print(f"Wrote encrypted backup {dest} ({dest.stat().st_size:,} bytes).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    dest = vault_path(args)
    if args.recovery_key:
        vault = vault_ops.restore(args.file, dest, recovery_key=args.recovery_key,
                                  new_passphrase=_new_passphrase(), overwrite=args.force)
    else:
        vault = vault_ops.restore(args.file, dest, read_passphrase(), overwrite=args.force)
    n = len(vault.list_datasets())
    vault.lock()
    print(f"Restored vault {dest} from {args.file} ({n} datasets).")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    vault_ops.require_vault(vault_path(args))       # before prompting for a new passphrase
    vault = vault_ops.recover(vault_path(args), args.recovery_key, _new_passphrase())
    vault.lock()
    print(f"Vault {vault.path} unlocked with the recovery key; the new passphrase is set.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from ..services import plain, vault_ops

    with open_vault(args) as vault:
        entries = vault_ops.audit_log(vault, args.limit, verify=args.verify,
                                      expect_head=args.expect_head)
        head = vault_ops.audit_head(vault)
    for e in entries:
        if args.json:
            print(json.dumps({"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action,
                              "details": e.details, "hash": e.hash}, ensure_ascii=False))
        elif args.raw:
            details = " ".join(f"{k}={v}" for k, v in sorted(e.details.items()))
            print(f"{e.seq:5d}  {e.ts}  {e.actor}  {e.action}  {details}")
        else:
            print(f"{e.seq:5d}  {e.ts}  {e.actor}  {plain.audit_sentence(e.action, e.details)}")
    if args.expect_head is not None:
        print(f"Audit log verified: hash chain intact up to entry #{head.seq}, and the recorded "
              "head is in it (history up to that point is unchanged).", file=sys.stderr)
    elif args.verify:
        print(f"Audit log verified: hash chain intact up to entry #{head.seq}.", file=sys.stderr)
    if args.verify or args.expect_head is not None:
        print(f"Head: {head.hash} (entry #{head.seq}); note it down outside the vault to detect "
              "a rewritten log later (--expect-head).", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from ..services import vault_ops

    with open_vault(args) as vault:
        info = vault_ops.vault_info(vault, check=args.check)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        width = max(map(len, info))
        for key, value in info.items():
            print(f"{key:>{width}}: {value}")
    return 0

