"""``ppds demo``: run every capability end to end on the sample data and say what happened."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run every capability end to end on the sample data",
                              description="Run every capability end to end on the bundled "
                                          "synthetic sample, in a temporary folder that is "
                                          "removed afterwards, and print what each step did.")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    run_demo()
    return 0
