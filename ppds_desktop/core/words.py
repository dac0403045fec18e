"""Small plain-English helpers shared by every part that writes sentences (pure Python)."""

from __future__ import annotations

from typing import Iterable


def and_list(names: Iterable) -> str:
    """["A", "B", "C"] -> "A, B and C"; one name alone, "" for none."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
