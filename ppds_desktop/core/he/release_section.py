"""The recipe's ``encryption`` section as a step of the release pipeline.

``core.recipe.sections`` finds :func:`run_recipe_section` on ``core.he``: it encrypts the
declared columns under the named public key and removes them from the released table, which
then carries them only as the ciphertext file ``he_columns.bin`` (one ciphertext per row, in
row order). The bundle made from the release carries both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..progress import TaskState
from . import serial
from .columns import encrypt_columns
from .keyring import SINGLE_KEY_WARNING, resolve_public_key
from .keys import key_bits

ENCRYPTED_FILE = "he_columns.bin"


@dataclass
class EncryptedColumns:
    plaintext: pd.DataFrame           # the release table without the encrypted columns
    files: dict[str, bytes]           # {ENCRYPTED_FILE: ...}
    report: dict                      # for the release report and the bundle manifest


def encrypt_for_release(vault, df: pd.DataFrame, section: dict, task: TaskState | None = None,
                        *, workers: int = 2) -> EncryptedColumns:
    public = resolve_public_key(vault, section.get("public_key"))
    array = encrypt_columns(df, section, public, task, workers=workers)
    report = {"encrypted_columns": array.meta["columns"], "key_fingerprint": array.fingerprint,
              "key_bits": key_bits(public), "rows": len(array),
              "layout": array.layout.to_dict(), "file": ENCRYPTED_FILE,
              "warning": SINGLE_KEY_WARNING}
    return EncryptedColumns(df.drop(columns=array.meta["columns"]),
                            {ENCRYPTED_FILE: serial.dumps(array)}, report)


def run_recipe_section(df: pd.DataFrame, section: dict, ctx):
    from ..recipe.sections import SectionOutcome

    enc = encrypt_for_release(ctx.vault, df, section, ctx.task)
    return SectionOutcome(enc.plaintext, enc.report, enc.files)
