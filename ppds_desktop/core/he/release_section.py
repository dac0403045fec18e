"""The recipe's ``encryption`` section as a step of the release pipeline.

``core.recipe.sections`` calls :func:`run_recipe_section`: it encrypts the
declared columns under the named public key and removes them from the released table, which
then carries them only as the ciphertext file ``he_columns.bin`` (one ciphertext per row, in
row order). The bundle made from the release carries both.
"""

from __future__ import annotations

import pandas as pd

from ..section_types import SectionContext, SectionOutcome
from . import serial
from .columns import encrypt_columns
from .keyring import SINGLE_KEY_WARNING, resolve_public_key
from .keys import key_bits

ENCRYPTED_FILE = "he_columns.bin"


def run_recipe_section(df: pd.DataFrame, section: dict, ctx: SectionContext) -> SectionOutcome:
    """Encrypt the section's columns under its public key; the outcome's table no longer has
    them, its files carry them as ``ENCRYPTED_FILE``."""
    public = resolve_public_key(ctx.vault, section.get("public_key"))
    array = encrypt_columns(df, section, public, ctx.task)
    report = {"encrypted_columns": array.meta["columns"], "key_fingerprint": array.fingerprint,
              "key_bits": key_bits(public), "rows": len(array),
              "layout": array.layout.to_dict(), "file": ENCRYPTED_FILE,
              "warning": SINGLE_KEY_WARNING}
    return SectionOutcome(df.drop(columns=array.meta["columns"]), report,
                          {ENCRYPTED_FILE: serial.dumps(array)})
