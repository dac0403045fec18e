"""JSON from outside (bundle manifests, decryption requests and results, identity cards) parsed
with its nesting bounded.

Python's parser recurses once per level: a few thousand nested ``[`` end in ``RecursionError``
inside the parser, and a document just under that limit can still break any later code that
walks or re-serialises it. The depth is therefore measured *before* parsing, in one linear pass
(strings blanked out, then a running count of brackets), and a deeper document is refused with
the caller's error type; ``RecursionError`` is caught as well, as a second line. ``NaN`` and
``Infinity``, which Python's parser accepts but JSON does not define, are refused too, and so
is a number too large for a float (``1e999``, which Python reads as infinity): an infinite count
or width would otherwise surface later as ``OverflowError``.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

#: Far deeper than anything the app writes (a bundle manifest with its recipe and report is
#: under 10 levels), far shallower than what breaks the interpreter.
MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting of ``raw`` (brackets inside strings do not count)."""
    codes = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    step = ((codes == ord("[")) | (codes == ord("{"))).astype(np.int64)
    step -= ((codes == ord("]")) | (codes == ord("}")))
    return int(np.cumsum(step).max(initial=0))


def loads(raw: bytes | str, *, what: str, error: type[Exception], max_depth: int = MAX_DEPTH):
    """Parse ``raw``; raise ``error(message)`` naming ``what`` if it is not JSON or too deep."""
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if nesting_depth(data) > max_depth:
        raise error(f"{what} nests more than {max_depth} levels deep; refused without reading it.")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant,
                          parse_float=_finite_float)
    except RecursionError:
        raise error(f"{what} nests too deeply to be read.") from None
    except ValueError:        # includes UnicodeDecodeError
        raise error(f"{what} is not valid UTF-8 JSON.") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value
