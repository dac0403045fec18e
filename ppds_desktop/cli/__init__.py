"""The ``ppds`` command line: every GUI action, scriptable.

Each area registers its sub-commands from its own module (``cli/cmd_<area>.py`` with a
``register(subparsers)`` function). Exit codes: 0 ok, 1 error (one line on stderr), 2 usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .. import __version__
from ..core.errors import PPDSError
from . import console
from .common import new_output_files, remove_files

# Areas in the order they appear in ``ppds --help``.
COMMAND_MODULES = [
    "cmd_vault",
    "cmd_data",
    "cmd_anonymize",
    "cmd_bundle",
    "cmd_dp",
    "cmd_he",
    "cmd_study",
    "cmd_demo",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ppds",
        description="PPDS Desktop command line: encrypted vault, de-identification, "
                    "differential privacy, homomorphic aggregation and share bundles.")
    parser.add_argument("--version", action="version", version=f"ppds {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    console.prepare_streams()
    try:
        try:
            return _run(argv)
        finally:
            console.flush_stdout()
    except BrokenPipeError:  # the reader went away (``ppds … | head``): stop quietly
        console.silence_stdout()
        return console.BROKEN_PIPE_STATUS


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    fresh = new_output_files(args)
    failed = True
    try:
        code = int(args.func(args) or 0)
        failed = code != 0
        return code
    except PPDSError as exc:
        print(f"ppds: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ppds: interrupted; nothing was changed.", file=sys.stderr)
        return 1
    except BrokenPipeError:  # not a failure of the command: main() stops quietly
        failed = False
        raise
    except OSError as exc:  # a file or folder the user named: say which, without a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"ppds: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, details on request
        if os.environ.get("PPDS_DEBUG"):
            raise
        print(f"ppds: internal error: {type(exc).__name__}: {exc} "
              f"(set PPDS_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return 1
    finally:
        if failed:  # a command that reports failure leaves no output file behind
            remove_files(fresh)


if __name__ == "__main__":
    sys.exit(main())
