"""The ``ppds`` output streams on any console: never crash on a character, quiet on a closed pipe.

A Windows console redirected to a file or pipe encodes in the ANSI code page (cp1252), which has
no ε, ρ, δ or →. Rather than fail with UnicodeEncodeError half-way through a command (after the
budget is spent or a file written), characters the stream cannot encode are written as readable
ASCII (``ε`` → ``eps``, ``→`` → ``->``); characters it can encode (``é`` in cp1252) are kept.
When the reader of a pipe goes away (``ppds … | head -1``) the command stops quietly, as Unix
tools do.
"""

from __future__ import annotations

import codecs
import os
import sys
import unicodedata

ERROR_HANDLER = "ppds-ascii"
# What the shell reports for a Unix tool stopped by a closed pipe (128 + SIGPIPE).
BROKEN_PIPE_STATUS = 141

_ASCII = {
    "ε": "eps", "ρ": "rho", "δ": "delta", "Δ": "Delta", "α": "alpha", "β": "beta",
    "σ": "sigma", "μ": "mu", "λ": "lambda", "χ": "chi", "π": "pi",
    "→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~",
    "±": "+/-", "×": "x", "÷": "/", "√": "sqrt", "∞": "inf", "−": "-", "–": "-", "—": "-",
    "…": "...", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "•": "*", "·": ".",
    "▸": ">", "✓": "ok", "✔": "ok", "✗": "x", "✘": "x", "²": "^2", "³": "^3", "°": " deg",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
}


def ascii_text(text: str) -> str:
    """``text`` with every non-ASCII character written as readable ASCII (or ``?``)."""
    return "".join(ch if ord(ch) < 128 else _ascii_char(ch) for ch in text)


def _ascii_char(ch: str) -> str:
    if ch in _ASCII:
        return _ASCII[ch]
    # Accented letters lose their accent (é -> e); letters with no ASCII form become "?".
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return bare if bare and bare.isascii() else "?"


def _replace_unencodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return ascii_text(exc.object[exc.start:exc.end]), exc.end


codecs.register_error(ERROR_HANDLER, _replace_unencodable)


def prepare_streams() -> None:
    """Make stdout and stderr write what their encoding cannot hold as ASCII instead of raising.
    Streams that are absent (a windowed app has none) or not text files are left alone."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERROR_HANDLER)
            except (ValueError, OSError):   # closed or detached: nothing will be written to it
                pass


def flush_stdout() -> None:
    """Flush now, so that a closed pipe shows up here and not at interpreter exit."""
    if sys.stdout is not None:
        sys.stdout.flush()


def silence_stdout() -> None:
    """After a broken pipe: point stdout at the null device, so that the interpreter's final
    flush finds nowhere to fail (otherwise it prints "Exception ignored … BrokenPipeError")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file behind stdout
        pass
