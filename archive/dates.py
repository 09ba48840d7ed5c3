"""Parse the many ways articles write their publication date."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from dateutil import parser as dateutil_parser

_HAS_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")


def parse_date(text: str | None) -> datetime | None:
    """Return a timezone-aware datetime for a date string, or None when it names no date."""
    if not text or not _HAS_YEAR.search(text):
        return None
    text = text.strip()
    try:
        parsed = dateutil_parser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            parsed = dateutil_parser.parse(text, fuzzy=False)
        except (ValueError, OverflowError, TypeError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed
