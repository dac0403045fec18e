"""Names that people compare by eye: contact names, card names, bundle titles.

A card can carry a name that prints exactly like a verified contact's — a Cyrillic "А" for a
Latin "A", a zero-width space, a right-to-left override. Names are therefore NFC-normalised,
refused if they hold invisible, control or bidirectional-control characters, and compared by
their Unicode TR39 *skeleton* (two strings with the same skeleton look alike): a new contact
whose name looks like an existing one is refused, so a name on screen always means one key.

The skeleton follows UTS #39, section 4: NFD, drop default-ignorable code points, map each code
point to its prototype from Unicode's ``confusables.txt`` (version 13.0.0, shipped unchanged in
``data/`` with its licence), NFD again. No PyPI library exposes the skeleton itself:
``confusable-homoglyphs`` keeps the data only as undirected pairs, so the prototype direction
that the skeleton needs is lost, and the other candidates bundle a whole ICU build.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

from .errors import IdentityError

#: Characters that draw nothing or reorder what follows, beyond the Cc/Cf/Zl/Zp categories.
_INVISIBLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0,
              *range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)}
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}


def unsafe_characters(text: str) -> list[str]:
    """The control, invisible, bidi-control, private-use or unassigned characters in ``text``,
    as ``U+XXXX`` codes (for the message)."""
    return [f"U+{ord(ch):04X}" for ch in text
            if unicodedata.category(ch) in _UNSAFE_CATEGORIES or ord(ch) in _INVISIBLE]


def clean_name(value: str, what: str) -> str:
    """``value`` NFC-normalised and stripped; refuses characters that hide or reorder text."""
    value = unicodedata.normalize("NFC", value).strip()
    bad = unsafe_characters(value)
    if bad:
        raise IdentityError(f"{what} contains invisible or control characters "
                            f"({', '.join(dict.fromkeys(bad))}), which could make it print like "
                            f"another name; refused.")
    return value


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    text = (resources.files(__package__) / "data" / "confusables.txt").read_text("utf-8-sig")
    table = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue
        source = chr(int(fields[0], 16))
        table[source] = "".join(chr(int(cp, 16)) for cp in fields[1].split())
    return table


def skeleton(text: str) -> str:
    """The UTS #39 skeleton of ``text``: equal skeletons mean the strings look alike."""
    table = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    kept = (ch for ch in decomposed
            if unicodedata.category(ch) != "Cf" and ord(ch) not in _INVISIBLE)
    return unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in kept))


def look_alike(name: str, others) -> str | None:
    """The first of ``others`` that differs from ``name`` but looks like it, or None."""
    target = skeleton(name)
    for other in others:
        if other != name and skeleton(other) == target:
            return other
    return None
