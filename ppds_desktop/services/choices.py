"""The fixed choices and defaults the front ends show before any work is done (``ppds --help``,
combo boxes). It loads nothing heavy, so that building the command line's parser stays fast."""

from __future__ import annotations

from ..core.he.limits import DEFAULT_MIN_RECORDS, KEY_SIZES
from ..core.schema.roles import ROLES

__all__ = ["BUNDLE_SUFFIX", "CARD_SUFFIX", "DEFAULT_EPSILON", "DEFAULT_MIN_RECORDS", "KEY_SIZES",
           "ROLES"]

BUNDLE_SUFFIX = ".ppdsb"          # a share bundle
CARD_SUFFIX = ".ppdsid"           # an identity card
DEFAULT_EPSILON = 1.0             # the noise a homomorphic answer adds by default
