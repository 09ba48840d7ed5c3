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


# --- dates written in URLs and in running text ------------------------------------------------

_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=[/._-]|$)")
MONTHS = {
    number: names.split()
    for number, names in enumerate(
        [
            "january jan janvier janv enero ene janeiro januar jänner",
            "february feb février févr fevrier febrero fevereiro fev februar",
            "march mar mars marzo março marco märz maerz",
            "april apr avril avr abril abr",
            "may mai mayo maio",
            "june jun juin junio junho juni",
            "july jul juillet juil julio julho juli",
            "august aug août aout agosto ago",
            "september sep sept septembre septiembre setiembre setembro set",
            "october oct octobre octubre outubro out oktober okt",
            "november nov novembre noviembre novembro",
            "december dec décembre déc decembre diciembre dic dezembro dez dezember",
        ],
        start=1,
    )
}
_MONTH_NUMBERS = {name: number for number, names in MONTHS.items() for name in names}
_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, _MONTH_NUMBERS), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|º|\.)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_TIME = r"(?:(?:\s*(?:,|at|à|a las|às|um|-|–))*\s*(?P<hour>[01]?\d|2[0-3])(?::|h)(?P<minute>[0-5]\d)\s*(?P<ampm>[ap]\.?m\.?)?)?"
# 'March 18, 2015 3:46 PM', '18 March 2015', '18. März 2015', '18 de marzo de 2015', '30 avril 2015 à 07h19'.
_TEXT_DATES = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}{_TIME}", re.IGNORECASE),
    re.compile(rf"\b{_YEAR}-(?P<month>0[1-9]|1[0-2])-{_DAY}{_TIME}(?!\d)"),
)


def date_in_url(url: str) -> datetime | None:
    """Return the day a URL path names, as in /2015/03/18/ or /2015-03-18-, at midnight UTC."""
    match = _URL_DATE.search(url)
    return _checked(int(match[1]), int(match[2]), int(match[3])) if match else None


def date_in_text(text: str) -> datetime | None:
    """Return the first full date (day, month, year; the time if given) written in a line of text."""
    found = [match for pattern in _TEXT_DATES if (match := pattern.search(text))]
    if not found:
        return None
    match = min(found, key=lambda m: m.start())
    month = match["month"]
    number = int(month) if month.isdigit() else _MONTH_NUMBERS[month.lower()]
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    if match["ampm"] and hour <= 12:
        hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    return _checked(int(match["year"]), number, int(match["day"]), hour, minute)


def _checked(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime | None:
    """Return the moment in UTC, or None for an impossible date such as 31 February."""
    try:
        return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
    except ValueError:
        return None
