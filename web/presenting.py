"""Turn search results into what the page shows: facet links, removable chips, pagination, relaxed queries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup, escape

from archive.categories import category_label, same_category
from archive.languages import language_label
from index import FILTER_NAMES, FILTER_TOKEN, FILTERS, Marked, SearchRequest, SearchResult
from web.params import FIELD_PARAMETERS, request_arguments

PAGE_WINDOW = 2  # page links shown on each side of the current page


@dataclass(frozen=True)
class FacetLink:
    """One facet value as a link that selects or deselects it."""

    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass(frozen=True)
class FacetView:
    """A facet in the sidebar."""

    name: str
    label: str
    values: tuple[FacetLink, ...]
    more: int
    largest: int  # the highest count, to scale the year histogram


@dataclass(frozen=True)
class Chip:
    """An active filter with a link that removes it."""

    label: str
    remove_url: str


@dataclass(frozen=True)
class PredictedLink:
    """A link that counts in, leaves out or shows only the articles whose category was predicted."""

    label: str
    url: str


@dataclass(frozen=True)
class PageLink:
    """A numbered page link."""

    number: int
    url: str
    current: bool


@dataclass(frozen=True)
class Alternative:
    """A different search to offer when nothing was found."""

    label: str
    url: str


def render_marked(marked: Marked) -> Markup:
    """Return a text escaped, with its matched words in <mark>."""
    pieces, position = [], 0
    for start, end in marked.spans:
        pieces += [escape(marked.text[position:start]), Markup("<mark>"), escape(marked.text[start:end]), Markup("</mark>")]
        position = end
    pieces.append(escape(marked.text[position:]))
    return Markup("").join(pieces)


def search_url(request: SearchRequest, endpoint: str = "views.search", **changes) -> str:
    """Return the URL of a search, with some arguments changed."""
    return url_for(endpoint, **request_arguments(request, **changes))


# The language the pages are written in: hits in other languages say which language they are in.
INTERFACE_LANGUAGE = "en"
# How the values of some facets read on a page (the others read as they are stored).
VALUE_LABELS = {"category": category_label, "language": language_label}


def value_label(field: str, value: str) -> str:
    """Return how a facet value reads: a category's or a language's name, else the value itself."""
    return VALUE_LABELS.get(field, str)(value)


def facet_views(result: SearchResult, request: SearchRequest) -> tuple[FacetView, ...]:
    """Return each facet with a toggle link per value (page reset to 1)."""
    views = []
    for facet in result.facets:
        parameter = FIELD_PARAMETERS[facet.name]
        chosen = tuple(request.filters.get(facet.name, ()))
        links = []
        for value in facet.values:
            if value.selected and not _is_chosen(facet.name, value.value, chosen):
                url = search_url(request, q=remove_typed_filter(request.query, facet.name, value.value), page=None)
            else:
                toggled = [v for v in chosen if not _same(facet.name, v, value.value)] if value.selected else [*chosen, value.value]
                url = search_url(request, **{parameter: toggled, "page": None})
            links.append(FacetLink(value.value, value_label(facet.name, value.value), value.count, value.selected, url))
        largest = max((v.count for v in facet.values), default=0)
        views.append(FacetView(facet.name, FILTERS[facet.name].label, tuple(links), facet.more, largest))
    return tuple(views)


def chips(result: SearchResult, request: SearchRequest) -> tuple[Chip, ...]:
    """Return a removable chip for every active filter and the date range."""
    found = []
    for name, values in result.filters.items():
        chosen = tuple(request.filters.get(name, ()))
        parameter = FIELD_PARAMETERS.get(name)
        for value in values:
            label = f"{FILTERS[name].label}: {value_label(name, value)}"
            if parameter and _is_chosen(name, value, chosen):
                remaining = [v for v in chosen if not _same(name, v, value)]
                found.append(Chip(label, search_url(request, **{parameter: remaining, "page": None})))
            else:
                found.append(Chip(label, search_url(request, q=remove_typed_filter(request.query, name, value), page=None)))
    if request.predicted != "include":
        label = "Without predicted categories" if request.predicted == "exclude" else "Only predicted categories"
        found.append(Chip(label, search_url(request, predicted=None, page=None)))
    if request.date_from or request.date_to:
        span = f"{request.date_from or '…'} – {request.date_to or '…'}"
        found.append(Chip(f"Date: {span}", search_url(request, **{"from": None, "to": None, "page": None})))
    elif result.date_range:
        found.append(Chip(f"Date: {result.date_range.describe()}", search_url(request, q=remove_typed_filter(request.query, "date", ""), page=None)))
    return tuple(found)


def predicted_links(result: SearchResult, request: SearchRequest) -> tuple[PredictedLink, ...]:
    """Return the links that leave out or show only the predicted categories, or count them in again."""
    if request.predicted != "include":
        return (PredictedLink("Include predicted categories", search_url(request, predicted=None, page=None)),)
    if not result.predicted_matches:
        return ()
    count = f"{result.predicted_matches:,}"
    return (
        PredictedLink(f"Leave out the {count} with a predicted category", search_url(request, predicted="exclude", page=None)),
        PredictedLink(f"Only those {count}", search_url(request, predicted="only", page=None)),
    )


def page_links(result: SearchResult, request: SearchRequest) -> tuple[PageLink, ...]:
    """Return links to the first, last and nearby pages."""
    numbers = {1, result.page_count} | set(range(result.page - PAGE_WINDOW, result.page + PAGE_WINDOW + 1))
    return tuple(
        PageLink(number, search_url(request, page=number if number > 1 else None), number == result.page)
        for number in sorted(n for n in numbers if 1 <= n <= result.page_count)
    )


def alternatives(result: SearchResult, request: SearchRequest) -> tuple[Alternative, ...]:
    """Return relaxed searches to offer when a search found nothing."""
    if result.total:
        return ()
    offers = []
    if result.suggestion:
        offers.append(Alternative(f"Search for {result.suggestion}", search_url(request, q=result.suggestion, page=None)))
    if request.match == "all":
        offers.append(Alternative("Show articles with some of the words", search_url(request, match=None, page=None)))
    if result.filters or result.date_range or request.date_from or request.date_to or request.predicted != "include":
        bare = remove_typed_filter(request.query, "", "")
        offers.append(Alternative("Search without filters", url_for("views.search", q=bare or None)))
    return tuple(offers)


def remove_typed_filter(query: str, field: str, value: str) -> str:
    """Return the query without the filters typed for a field and value (all typed filters if field is empty)."""

    def drop(match: re.Match) -> str:
        key = match["key"].lower()
        typed = match["quoted"] if match["quoted"] is not None else match["bare"]
        if key not in FILTER_NAMES and key != "date":
            return match.group(0)
        matches_field = not field or FILTER_NAMES.get(key, key) == field
        if matches_field and (not value or _same(field, typed, value)):
            return ""
        return match.group(0)

    return " ".join(FILTER_TOKEN.sub(drop, query).split())


def _is_chosen(field: str, value: str, chosen: tuple[str, ...]) -> bool:
    """Tell whether a value was selected through the form (not typed in the query)."""
    return any(_same(field, candidate, value) for candidate in chosen)


def _same(field: str, typed: str, stored: str) -> bool:
    """Tell whether a typed value names a stored facet value."""
    if field == "category":
        return same_category(typed, stored)
    return typed.casefold() == stored.casefold()
