"""A passphrase strength estimate (no external library): the GUI's meter and the rule every new
vault passphrase must pass, in the GUI and the CLI alike (``services.vault_ops``).

The estimate is deliberately conservative and explainable, not a cracking simulation:
a passphrase made of several words is costed per word (about 12 bits each, a Diceware-sized
vocabulary), anything else per character from the character classes it uses, and known weak
patterns (common passwords, repeated characters, keyboard or alphabet runs) are charged as if
they were a single guess. The lower of the two readings wins. The vault's Argon2id derivation
makes each guess slow, so 50 bits is "good" here.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass, field

MIN_LENGTH = 10
MIN_BITS = 45            # new passphrases weaker than this are refused
BITS_PER_WORD = 12.0
_LEVELS = [(0, "Very weak"), (28, "Weak"), (MIN_BITS, "Fair"), (60, "Good"), (80, "Strong")]

_COMMON = (
    "password", "passwort", "motdepasse", "qwerty", "azerty", "letmein", "welcome", "admin",
    "iloveyou", "monkey", "dragon", "master", "sunshine", "princess", "football", "baseball",
    "secret", "hospital", "patient", "doctor", "nurse", "clinic", "health", "changeme",
    "trustno1", "abc123", "123456", "654321", "111111", "000000", "zaq12wsx", "1q2w3e",
)
_LEET = str.maketrans("0134@$57!", "oieaasstl")
_RUNS = (string.ascii_lowercase, "qwertyuiop", "asdfghjkl", "zxcvbnm",
         "qwertzuiop", "azertyuiop", "01234567890")
_RUNS_BOTH_WAYS = tuple(s for run in _RUNS for s in (run, run[::-1]))
_MIN_RUN = 4


@dataclass
class Strength:
    bits: float
    label: str
    acceptable: bool
    hints: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        """0..1 for a progress-bar meter (100 bits fills it)."""
        return min(self.bits / 100.0, 1.0)


def _pool_size(text: str) -> int:
    pool = 0
    if any(c.islower() for c in text):
        pool += 26
    if any(c.isupper() for c in text):
        pool += 26
    if any(c.isdigit() for c in text):
        pool += 10
    if any(c in string.punctuation or c == " " for c in text):
        pool += 33
    if any(ord(c) > 127 for c in text):
        pool += 100
    return max(pool, 1)


def _weak_spans(text: str) -> list[tuple[int, int]]:
    """Index ranges covered by common words, repeats (aaa) or runs (abcd, 4321, qwer)."""
    # Lower-cased character by character, keeping one character per character ("İ".lower()
    # is two), so the spans index ``text`` itself.
    low = "".join(c.lower()[:1] for c in text)
    unleet = low.translate(_LEET)  # same length, so spans line up with ``text``
    spans = []
    for word in _COMMON:
        for haystack in (low, unleet):
            for m in re.finditer(re.escape(word), haystack):
                spans.append((m.start(), m.end()))
    for m in re.finditer(r"(.)\1{2,}", low):
        spans.append((m.start(), m.end()))
    # From each position, the longest stretch (4 or more) that reads along a run: it covers
    # every shorter piece of the run found there. (This runs on every keystroke; searching for
    # each of the runs' ~900 pieces with its own regex took 15-20 ms.)
    for seq in _RUNS_BOTH_WAYS:
        for start in range(len(low) - _MIN_RUN + 1):
            end = start + _MIN_RUN
            if low[start:end] in seq:
                while end < len(low) and low[start:end + 1] in seq:
                    end += 1
                spans.append((start, end))
    return spans


def _char_bits(text: str) -> tuple[float, bool]:
    covered = [False] * len(text)
    spans = _weak_spans(text)
    for a, b in spans:
        for i in range(a, b):
            covered[i] = True
    free = sum(1 for c in covered if not c)
    # each weak span costs about one guess from a list of ~10,000 (13 bits)
    n_spans = len(_merge(spans))
    return free * math.log2(_pool_size(text)) + 13.0 * n_spans, bool(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _word_bits(text: str) -> float | None:
    tokens = [t for t in re.split(r"[\s\-_.,;:]+", text) if t]
    if len(tokens) < 2:
        return None
    bits = 0.0
    for token in tokens:
        if token.isalpha():
            bits += BITS_PER_WORD if token.lower() not in _COMMON else 4.0
        else:
            bits += _char_bits(token)[0]
    return bits


def estimate(passphrase: str) -> Strength:
    if not passphrase:
        return Strength(0.0, "Empty", False, ["Type a passphrase: several unrelated words work well."])
    char_bits, has_patterns = _char_bits(passphrase)
    word_bits = _word_bits(passphrase)
    bits = min(char_bits, word_bits) if word_bits is not None else char_bits
    label = next(name for floor, name in reversed(_LEVELS) if bits >= floor)
    hints = []
    if len(passphrase) < MIN_LENGTH:
        hints.append(f"Use at least {MIN_LENGTH} characters.")
    if has_patterns:
        hints.append("Avoid common passwords, repeated characters and runs like abc, 123 or qwerty.")
    if bits < 60:
        hints.append("Add another unrelated word; four or five random words make a strong, "
                     "memorable passphrase.")
    acceptable = bits >= MIN_BITS and len(passphrase) >= MIN_LENGTH
    return Strength(round(bits, 1), label, acceptable, hints)
