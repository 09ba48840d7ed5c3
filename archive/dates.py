"""Parse the many ways articles write their publication date."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_HAS_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")
# dateutil reads US zone names such as "EST" as UTC; the email parser knows them, so RFC 2822 dates go there.
_RFC_2822 = re.compile(r"^\s*(?:[a-z]{3},?\s+)?\d{1,2}\s+[a-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", re.IGNORECASE)


def parse_date(text: str | None) -> datetime | None:
    """Return a timezone-aware datetime for a date string, or None when it names no date."""
    if not text or not _HAS_YEAR.search(text):
        return None
    text = text.strip()
    if _RFC_2822.match(text):
        return _parse_rfc2822(text)
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


def _parse_rfc2822(text: str) -> datetime | None:
    """Parse an RFC 2822 date such as 'Fri, 13 Aug 2010 16:08:00 EST', reading a naive one as UTC."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
