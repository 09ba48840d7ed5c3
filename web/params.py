"""Read search parameters from a query string: clamp what can be clamped, refuse what cannot."""

from __future__ import annotations

import re
from datetime import date

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from index import (
    FACETS,
    MATCH_MODES,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    PREDICTED_CHOICES,
    SORTS,
    TIME_LIMIT_SECONDS,
    SearchRequest,
    parse_date_range,
)

# URL parameter for each facet field, singular as people write them.
FACET_PARAMETERS = {facet.parameter: facet.field for facet in FACETS}
FIELD_PARAMETERS = {field: parameter for parameter, field in FACET_PARAMETERS.items()}
DEFAULT_PER_PAGE = 10
MAX_VALUES_PER_FACET = 50
# Control characters, surrogates and non-characters: invalid in XML (the Atom feed), noise elsewhere.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def search_request(args: MultiDict, time_limit: float = TIME_LIMIT_SECONDS) -> SearchRequest:
    """Return the SearchRequest a query string asks for; raise BadRequest with a reason if it cannot."""
    sort = args.get("sort", "relevance") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}.")
    match = args.get("match", "best") or "best"
    if match not in MATCH_MODES:
        raise BadRequest(f"match must be one of {', '.join(MATCH_MODES)}, not {match[:40]!r}.")
    predicted = args.get("predicted", "include") or "include"
    if predicted not in PREDICTED_CHOICES:
        raise BadRequest(f"predicted must be one of {', '.join(PREDICTED_CHOICES)}, not {predicted[:40]!r}.")
    return SearchRequest(
        query=clean_query(args.get("q", "")),
        filters={
            field: tuple(dict.fromkeys(value[:200] for value in args.getlist(parameter) if value.strip()))[:MAX_VALUES_PER_FACET]
            for parameter, field in FACET_PARAMETERS.items()
            if any(value.strip() for value in args.getlist(parameter))
        },
        date_from=_date(args, "from", first=True),
        date_to=_date(args, "to", first=False),
        sort=sort,
        match=match,
        page=_whole_number(args, "page", 1, minimum=1, maximum=10**9),
        per_page=_whole_number(args, "per_page", DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE),
        time_limit=time_limit,
        predicted=predicted,
    )


def clean_query(text: str) -> str:
    """Return a query capped in length and without characters XML and terminals cannot carry."""
    return _UNPRINTABLE.sub("", text[:MAX_QUERY_LENGTH])


def request_arguments(request: SearchRequest, **changes) -> dict:
    """Return the query-string arguments that reproduce a request, with some changed."""
    arguments = {
        "q": request.query or None,
        "sort": request.sort if request.sort != "relevance" else None,
        "match": request.match if request.match != "best" else None,
        "from": request.date_from.isoformat() if request.date_from else None,
        "to": request.date_to.isoformat() if request.date_to else None,
        "per_page": request.per_page if request.per_page != DEFAULT_PER_PAGE else None,
        "page": request.page if request.page > 1 else None,
        "predicted": request.predicted if request.predicted != "include" else None,
    }
    for field, values in request.filters.items():
        arguments[FIELD_PARAMETERS[field]] = list(values)
    arguments.update(changes)
    return {name: value for name, value in arguments.items() if value not in (None, "", [])}


def _whole_number(args: MultiDict, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """Return an integer parameter clamped to its range; refuse text that is not a number."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw[:40]!r}.") from None
    return min(max(value, minimum), maximum)


def _date(args: MultiDict, name: str, *, first: bool) -> date | None:
    """Return a date parameter (2024, 2024-03 or 2024-03-05); refuse anything else."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    parsed = parse_date_range(raw) if ".." not in raw else None
    if parsed is None:
        raise BadRequest(f"{name} must be a date like 2024-03-05 (or 2024-03, or 2024), not {raw[:40]!r}.")
    return parsed.start if first else parsed.end
