"""Turn file bytes into text without ever failing on bad bytes."""

from __future__ import annotations

import codecs

FALLBACK_ENCODING = "cp1252"


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode bytes: a BOM, then valid UTF-8, then the declared charset, then cp1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    try:
        # The bytes win over a wrong declaration: valid UTF-8 is almost never an accident.
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        # A file cut off in the middle of a character is still UTF-8: only that last character is lost.
        if error.reason == "unexpected end of data":
            return data[: error.start].decode("utf-8")
    if declared and _known_codec(declared) and _known_codec(declared) != "utf-8":
        return data.decode(_known_codec(declared), errors="replace")
    return data.decode(FALLBACK_ENCODING, errors="replace")


def _known_codec(name: str) -> str | None:
    """Return Python's canonical codec name for a charset label, or None."""
    try:
        return codecs.lookup(name.strip().strip("'\"")).name
    except (LookupError, ValueError):
        return None
