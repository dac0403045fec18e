"""Helpers shared by the ``ppds`` sub-commands: vault option, passphrase, output files,
progress line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from ..core.errors import InputError, PPDSError
from ..core.progress import TaskState
from ..paths import default_vault_path

PASSPHRASE_ENV = "PPDS_PASSPHRASE"
# The options through which commands write files (``-o``, ``--report``...): ``cli.main`` removes
# the ones a failed command created, so a reported failure never leaves a file behind.
OUTPUT_OPTIONS = ("output", "report", "html", "save_recipe", "chart")


def add_vault_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", type=Path, default=None,
                        help=f"vault file (default: {default_vault_path()})")


def vault_path(args: argparse.Namespace) -> Path:
    return args.vault if getattr(args, "vault", None) else default_vault_path()


def read_passphrase(prompt: str = "Vault passphrase: ", *, env: str = PASSPHRASE_ENV,
                    confirm: bool = False) -> str:
    """From the environment variable (for scripts) or a no-echo prompt."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise PPDSError(f"No passphrase: set {env} or run in a terminal to be prompted.")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != first:
        raise PPDSError("The two passphrases differ.")
    return first


def open_vault(args: argparse.Namespace, passphrase: str | None = None):
    """Unlock the vault named by ``--vault`` (or the default one) through the same use case as
    the GUI; the passphrase is asked for only once the vault is known to exist."""
    from ..services import vault_ops

    path = vault_path(args)
    vault_ops.require_vault(path)
    vault = vault_ops.unlock(path, passphrase or read_passphrase())
    warn_about_location(path)
    return vault


def warn_about_location(path: Path) -> None:
    """One warning line on stderr when the vault is on a network share or a synced folder."""
    from ..services import vault_ops

    warning = vault_ops.storage_warning(path)
    if warning:
        print(f"ppds: warning: {warning}", file=sys.stderr)


def check_destinations(*paths: Path | None, what: str | None = None) -> None:
    """Fail before the work (and before any budget is spent), not after it, when a file cannot
    be written where asked: its folder must exist. ``what`` names the file in the message."""
    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise InputError(f"cannot write the {what}: the folder does not exist" if what
                             else "the destination folder does not exist", path=str(path.parent))


def new_output_files(args: argparse.Namespace) -> list[Path]:
    """The files the command line asks to write that do not exist yet."""
    paths = (getattr(args, name, None) for name in OUTPUT_OPTIONS)
    return [p for p in paths if isinstance(p, Path) and not p.exists()]


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        if path.is_file():
            path.unlink(missing_ok=True)


def progress_task(label: str) -> TaskState:
    """A TaskState that draws a one-line progress indicator on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return TaskState()

    def draw(fraction: float, message: str) -> None:
        sys.stderr.write(f"\r{label}: {fraction:4.0%} {message[:60]:<60}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return TaskState(draw)


def parse_pairs(values: list[str] | None, flag: str, *, key: str = "COL", value: str = "VALUE",
                split_at_first: bool = False) -> list[tuple[str, str]]:
    """``--flag KEY=VALUE`` options as (key, value) pairs, stripped, both sides required.

    The split is at the last ``=`` (column names may contain one), or at the first where the
    value is a file path that may contain one."""
    out = []
    for item in values or []:
        left, sep, right = item.partition("=") if split_at_first else item.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            raise InputError(f"--{flag} expects {key}={value}, got {item!r}")
        out.append((left.strip(), right.strip()))
    return out
