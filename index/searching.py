"""Search the archive: ranked, highlighted hits with facet counts, as plain frozen dataclasses."""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from markupsafe import Markup
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector

from archive.categories import PREDICTED
from index.deadline import Deadline
from index.highlight import opening, query_terms, snippet
from index.scoring import scored_terms, top_candidates
from index.facets import Facet, count_facets, resolve_values, selection_documents
from index.querying import DateRange, ParsedQuery, parse_query
from index.schema import FACET_FIELDS, split_values, url_key
from index.snapshot import Snapshot
from index.spelling import suggest_spelling

SORTS = ("relevance", "newest", "oldest")
# Articles whose category was predicted: counted in (the default), left out, or the only ones shown.
PREDICTED_CHOICES = ("include", "exclude", "only")
MAX_PER_PAGE = 100
FACET_LIMIT = 10
TIME_LIMIT_SECONDS = 2.0


@dataclass(frozen=True)
class SearchRequest:
    """What the user asked for: a query string, facet selections, a date range, a sort and a page."""

    query: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    with_facets: bool = True  # count every facet (the page's sidebar)
    with_snippets: bool = True  # highlight matches in the body (otherwise the article's opening)
    time_limit: float = TIME_LIMIT_SECONDS  # past it, the search stops and answers with what it has
    predicted: str = "include"  # one of PREDICTED_CHOICES


@dataclass(frozen=True)
class Hit:
    """One article in a result list."""

    id: str
    key: str  # short, URL-safe stand-in for the id
    title: str
    snippet: Markup  # escaped text with <mark> around the matched words
    category: str
    category_origin: str | None  # given, folder, section, url or predicted; None when uncategorized
    category_confidence: float | None  # a predicted category's probability
    published: datetime | None
    source: str
    url: str
    authors: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class SearchResult:
    """One page of results, with everything a results page shows."""

    total: int
    hits: tuple[Hit, ...]
    facets: tuple[Facet, ...]
    page: int
    per_page: int
    page_count: int
    sort: str
    suggestion: str | None  # a better-spelled query, when there is one
    understood: str  # the words part of the query as the archive read it
    notes: tuple[str, ...]  # how filters and odd syntax in the query were read
    filters: Mapping[str, tuple[str, ...]]  # every active facet selection, from the form and the query
    date_range: DateRange | None
    elapsed_ms: float
    partial: bool = False  # the time limit cut the search short: counts and ranking cover part of the matches
    predicted_matches: int = 0  # matches whose category was predicted, before the `predicted` choice is applied


def search(snapshot: Snapshot, request: SearchRequest) -> SearchResult:
    """Run a search request against a snapshot of the index."""
    started = time.perf_counter()
    with snapshot.lock:
        result = _search(snapshot, request, started, Deadline(request.time_limit))
    return result


def _search(snapshot: Snapshot, request: SearchRequest, started: float, deadline: Deadline) -> SearchResult:
    """Search while holding the snapshot's lock."""
    parsed = parse_query(request.query, snapshot.schema, snapshot.parsers())
    filters = _merge_filters(snapshot, request.filters, parsed.filters)
    selections = {name: selection_documents(snapshot, name, values) for name, values in filters.items()}
    allowed: frozenset[int] | None = None  # None: no exclusion or date range narrows the search
    for name, values in parsed.exclusions.items():
        excluded = selection_documents(snapshot, name, resolve_values(snapshot, name, values))
        allowed = (allowed if allowed is not None else snapshot.all_documents()) - excluded
    date_range = _combine_dates(request, parsed)
    if date_range:
        dated = snapshot.documents_between(*date_range.bounds())
        allowed = dated if allowed is None else allowed & dated

    matches = snapshot.documents_matching(parsed.text_query, deadline)
    if allowed is not None:
        matches = matches & allowed
    final = matches
    for documents in selections.values():
        final = final & documents
    guessed = snapshot.value_documents("category_origin").get(PREDICTED, frozenset())
    predicted_matches = len(final & guessed)
    if request.predicted == "exclude":
        matches, final = matches - guessed, final - guessed
    elif request.predicted == "only":
        matches, final = matches & guessed, final & guessed
    total = len(final)
    restricted = allowed is not None or bool(selections) or request.predicted in ("exclude", "only")

    per_page = min(max(request.per_page, 1), MAX_PER_PAGE)
    page_count = max(1, math.ceil(total / per_page))
    page = min(max(request.page, 1), page_count)
    sort = request.sort if request.sort in SORTS else "relevance"
    if sort == "relevance" and (parsed.text_query is None or scored_terms(parsed.text_query) == []):
        sort = "newest"  # with no wanted words (nothing typed, or only -words) there is nothing to rank by
    highlight = request.with_snippets and parsed.text_query is not None
    hits = _page_of_hits(snapshot, parsed.text_query, final, restricted, sort, page, per_page, highlight, deadline) if total else ()

    return SearchResult(
        total=total,
        hits=hits,
        facets=count_facets(snapshot, matches, selections, filters, FACET_LIMIT) if request.with_facets else (),
        page=page,
        per_page=per_page,
        page_count=page_count,
        sort=sort,
        suggestion=suggest_spelling(snapshot.vocabulary(), parsed),
        understood=parsed.display,
        notes=parsed.notes,
        filters=filters,
        date_range=date_range,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        partial=deadline.cut,
        predicted_matches=predicted_matches,
    )


def _page_of_hits(
    snapshot: Snapshot,
    text_query: wq.Query | None,
    documents: frozenset[int],
    restricted: bool,
    sort: str,
    page: int,
    per_page: int,
    highlight: bool,
    deadline: Deadline,
) -> tuple[Hit, ...]:
    """Return one page of hits, ranked or sorted by date, with highlighted snippets."""
    searcher = snapshot.searcher
    terms = scored_terms(text_query) if text_query is not None and sort == "relevance" else None
    if terms is not None:
        ranked = top_candidates(snapshot, terms, documents, page * per_page, deadline)
        scored = [(docnum, -negated) for negated, docnum in ranked]
    else:
        scored = _whoosh_top(searcher, text_query, documents, restricted, sort, page * per_page, deadline)
    marked_terms = query_terms(text_query, searcher.reader()) if highlight else frozenset()
    hits = []
    for docnum, score in scored[(page - 1) * per_page : page * per_page]:
        fields = searcher.stored_fields(docnum)
        marked = snippet(fields.get("body", ""), marked_terms) if marked_terms else None
        hits.append(hit_from_fields(fields, score, marked))
    return tuple(hits)


def _whoosh_top(
    searcher, text_query: wq.Query | None, documents: frozenset[int], restricted: bool, sort: str, limit: int, deadline: Deadline
) -> list[tuple[int, float]]:
    """Return the top (docnum, score) pairs by Whoosh's own collector, stopped by its time limit if need be."""
    sorting = {"sortedby": "published", "reverse": sort == "newest"} if sort != "relevance" else {}
    # A plain top-N collector: Whoosh's search_page would also count every match, which we already know.
    # A timer thread, not SIGALRM: searches run in the server's worker threads.
    timed = TimeLimitCollector(searcher.collector(limit=limit, **sorting), timelimit=max(deadline.remaining(), 0.001), use_alarm=False)
    # The filter goes outside: TimeLimitCollector hands every match to the collector it wraps, unfiltered.
    collector = FilterCollector(timed, allow=set(documents)) if restricted else timed
    try:
        searcher.search_with_collector(text_query or wq.Every(), collector)
    except TimeLimit:
        deadline.note_cut()
    found = [(hit.docnum, hit.score) for hit in collector.results()]
    if deadline.cut and len(found) < limit:
        # Out of time before ranking: show matches in index order rather than an empty page.
        seen = {docnum for docnum, _ in found}
        found += [(docnum, 0.0) for docnum in heapq.nsmallest(limit, documents - seen)][: limit - len(found)]
    return found


def hit_from_fields(fields: Mapping, score: float | None, marked: Markup | None = None) -> Hit:
    """Build a Hit from stored fields, with the given snippet or else the article's opening."""
    return Hit(
        id=fields["id"],
        key=url_key(fields["id"]),
        title=fields.get("title", ""),
        snippet=marked if marked is not None else opening(fields.get("summary") or fields.get("body", "")),
        category=fields.get("category", ""),
        category_origin=fields.get("category_origin"),
        category_confidence=fields.get("category_confidence"),
        published=aware(fields.get("published")),
        source=fields.get("source", ""),
        url=fields.get("url", ""),
        authors=split_values(fields.get("authors", "")),
        score=float(score or 0.0),
    )


def _merge_filters(
    snapshot: Snapshot, chosen: Mapping[str, tuple[str, ...]], typed: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """Combine selections from the form with field:value filters typed in the query."""
    merged: dict[str, tuple[str, ...]] = {}
    for name in FACET_FIELDS + ("language",):
        values = tuple(chosen.get(name, ())) + tuple(typed.get(name, ()))
        if values:
            merged[name] = resolve_values(snapshot, name, values)
    return merged


def _combine_dates(request: SearchRequest, parsed: ParsedQuery) -> DateRange | None:
    """Return the date range from the form, else from the query."""
    if request.date_from or request.date_to:
        start, end = request.date_from, request.date_to
        if start and end and start > end:
            start, end = end, start
        return DateRange(start, end)
    return parsed.date_range


def aware(value: datetime | None) -> datetime | None:
    """Return a stored naive UTC datetime as timezone-aware."""
    return value.replace(tzinfo=timezone.utc) if value else None
