"""Errors of identities and contacts (user-facing, like every ``PPDSError``)."""

from __future__ import annotations

from ..errors import PPDSError


class IdentityError(PPDSError):
    """An identity card is malformed or forged, or the vault has no identity yet."""


class KeyChanged(IdentityError):
    """A known contact's card carries different keys. Refused unless explicitly accepted,
    because this is exactly what an impostor's card looks like."""

    def __init__(self, name: str, old_fp: str, new_fp: str):
        super().__init__(
            f"KEY CHANGE: the card for contact '{name}' carries NEW keys. Old fingerprint "
            f"{old_fp}; new fingerprint {new_fp}. This is what an impostor's card looks like.",
            hint="confirm the new fingerprint with the sender by phone or in person, then "
                 "re-import with the key change accepted")
        self.name, self.old_fp, self.new_fp = name, old_fp, new_fp
