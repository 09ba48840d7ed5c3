"""File names as text: a name whose bytes are not UTF-8 is kept, written with its odd bytes escaped."""

from __future__ import annotations

import re

# Python reads a byte that is not UTF-8 in a file name as a lone surrogate (U+DC80-U+DCFF, PEP 383); text
# holding one cannot be encoded, so it cannot be indexed, hashed, shown or put in a URL as it is.
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_undecodable(text: str) -> str:
    """Return text with each byte that was not UTF-8 written as \\xNN (other lone surrogates as \\uNNNN)."""
    return _SURROGATE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    """Return the escape of one lone surrogate: the byte it stands for, else its code point."""
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
