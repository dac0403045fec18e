"""The errors of the study protocol: each refusal is one line saying what was refused and why.

``Refused`` marks a message a party declines on purpose (a contribution from a non-participant,
a request that asks for one site, a partial decryption with a bad proof...): the message names
the rule, and nothing was stored. ``StudyError`` is any other problem with a study (a malformed
file, a study that is not in this vault).
"""

from __future__ import annotations

from ..errors import PPDSError


class StudyError(PPDSError):
    """A study file or step cannot be used (malformed, unknown study, wrong state)."""


class Refused(StudyError):
    """A study message broke a rule of the protocol; nothing was stored."""
