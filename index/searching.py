"""Search the archive: ranked hits with match positions and facet counts, as plain frozen dataclasses."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

import numpy as np

from archive.categories import PREDICTED, normalize_category
from index.analysis import analysis_family
from index.deadline import Deadline
from index.facets import Facet, count_facets
from index.highlight import Marked, Passage, best_passage, opening, query_terms
from index.matching import Matches, match
from index.querying import DateRange, ParsedQuery
from index.ranking import RankingSettings, bm25f_scores, feedback_scores, newest_first, top_ranked
from index.schema import FILTERS, split_values, url_key
from index.snapshot import NO_DATE, Snapshot
from index.spelling import suggest_spelling

SORTS = ("relevance", "newest", "oldest")
# "best": results with every word first, then those missing one, two...; "all": every word required.
MATCH_MODES = ("best", "all")
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
    match: str = "best"  # one of MATCH_MODES
    with_facets: bool = True  # count every facet (the page's sidebar)
    with_snippets: bool = True  # find the matched words in the body (otherwise show the article's opening)
    time_limit: float = TIME_LIMIT_SECONDS  # past it, the search stops and answers with what it has
    predicted: str = "include"  # one of PREDICTED_CHOICES


@dataclass(frozen=True)
class Hit:
    """One article in a result list."""

    id: str
    key: str  # short, URL-safe stand-in for the id
    title: str
    snippet: Marked  # a passage of the body with the matched words' positions
    category: str
    category_origin: str | None  # given, folder, section, url or predicted; None when uncategorized
    category_confidence: float | None  # a predicted category's probability
    published: datetime | None
    source: str
    url: str
    authors: tuple[str, ...]
    score: float
    missing: tuple[str, ...] = ()  # the typed words this article lacks
    language: str = ""  # a primary language subtag ("fr"), or "" when unknown
    title_only: bool = False  # only the title holds the matched words (the snippet is the article's opening)


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
    match: str
    every_word: int  # how many of the results hold every typed word (all of them when match is "all")
    relaxed: tuple[str, ...]  # the typed words some results lack
    suggestion: str | None  # a better-spelled query, when there is one
    understood: str  # the words part of the query as the archive read it
    notes: tuple[str, ...]  # how filters and odd syntax in the query were read
    filters: Mapping[str, tuple[str, ...]]  # every active facet selection, from the form and the query
    date_range: DateRange | None
    elapsed_ms: float
    partial: bool = False  # the time limit cut the search short: counts and ranking cover part of the matches
    predicted_matches: int = 0  # results whose category was predicted


def search(snapshot: Snapshot, request: SearchRequest, settings: RankingSettings = RankingSettings()) -> SearchResult:
    """Run a search request against a snapshot of the index."""
    started = time.perf_counter()
    with snapshot.lock:
        return _search(snapshot, request, settings, started, Deadline(request.time_limit))


def _search(snapshot: Snapshot, request: SearchRequest, settings: RankingSettings, started: float, deadline: Deadline) -> SearchResult:
    """Search while holding the snapshot's lock."""
    mode = request.match if request.match in MATCH_MODES else "best"
    parsed = snapshot.parser().parse(request.query)
    if mode == "all":
        parsed = parsed.strict()
    stored = _stored_values(snapshot)
    filters = merge_filters(request.filters, parsed.filters, stored)
    selections = {name: _selection(snapshot, name, values) for name, values in filters.items()}
    allowed = snapshot.live().copy()
    for name, values in parsed.exclusions.items():
        allowed &= ~_selection(snapshot, name, resolve_values(name, values, stored))
    date_range = _combine_dates(request, parsed)
    if date_range:
        allowed &= _published_between(snapshot, *date_range.bounds())
    guessed = _selection(snapshot, "category_origin", (PREDICTED,))
    if request.predicted == "exclude":
        allowed &= ~guessed
    elif request.predicted == "only":
        allowed &= guessed

    matches, matched, final = _evaluate(snapshot, parsed, allowed, selections, deadline)
    if mode == "best" and parsed.required and not final.any():
        # No dead ends: what was typed as required finds nothing together, so it counts like the other words.
        parsed = snapshot.parser().relaxed(parsed)
        matches, matched, final = _evaluate(snapshot, parsed, allowed, selections, deadline)
    total = int(np.count_nonzero(final))
    every_word = int(np.count_nonzero(final & matches.every_word()))

    per_page = min(max(request.per_page, 1), MAX_PER_PAGE)
    page_count = max(1, math.ceil(total / per_page))
    page = min(max(request.page, 1), page_count)
    sort = request.sort if request.sort in SORTS else "relevance"
    if sort == "relevance" and not parsed.wanted:
        sort = "newest"  # with no wanted words (nothing typed, or only -words) there is nothing to rank by
    hits = _page_of_hits(snapshot, parsed, matches, final, sort, page, per_page, request.with_snippets, settings) if total else ()

    return SearchResult(
        total=total,
        hits=hits,
        facets=count_facets(snapshot, matched, selections, filters, FACET_LIMIT) if request.with_facets else (),
        page=page,
        per_page=per_page,
        page_count=page_count,
        sort=sort,
        match=mode,
        every_word=every_word,
        relaxed=_relaxed(parsed, matches, final) if every_word < total else (),
        suggestion=suggest_spelling(snapshot.vocabulary(), parsed, snapshot.parser().indexed_terms(snapshot.reader)),
        understood=parsed.understood,
        notes=parsed.notes,
        filters=filters,
        date_range=date_range,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        partial=deadline.cut,
        predicted_matches=int(np.count_nonzero(final & guessed)),
    )


def _evaluate(
    snapshot: Snapshot, parsed: ParsedQuery, allowed: np.ndarray, selections: Mapping[str, np.ndarray], deadline: Deadline
) -> tuple[Matches, np.ndarray, np.ndarray]:
    """Return the query's matches, those allowed by exclusions and dates, and those also in every facet selection."""
    matches = match(snapshot, parsed, deadline)
    matched = matches.documents & allowed
    final = matched.copy()
    for documents in selections.values():
        final &= documents
    return matches, matched, final


def _page_of_hits(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    matches: Matches,
    documents: np.ndarray,
    sort: str,
    page: int,
    per_page: int,
    with_snippets: bool,
    settings: RankingSettings,
) -> tuple[Hit, ...]:
    """Return one page of hits, ranked or sorted by date, with their snippets."""
    missing = len(matches.optional) - matches.held
    if sort == "relevance":
        masks = matches.required + matches.optional
        scores = bm25f_scores(snapshot, parsed.wanted, masks, settings)
        closeness: dict[int, float] = {}  # how close the query's words stand in a document, worked out once
        if settings.feedback_weight and len(parsed.wanted) >= settings.feedback_min_words:
            first = top_ranked(snapshot, parsed.wanted, documents, scores, missing, settings, settings.feedback_documents, closeness)
            scores += feedback_scores(snapshot, parsed.wanted, first, settings)
        ranked = top_ranked(snapshot, parsed.wanted, documents, scores, missing, settings, page * per_page, closeness)
    else:
        ranked = newest_first(snapshot, documents, missing, page * per_page, newest=sort == "newest")
    terms = query_terms(parsed, snapshot.reader) if with_snippets else {}
    hits = []
    for docnum, score in ranked[(page - 1) * per_page :]:
        fields = snapshot.searcher.stored_fields(docnum)
        family = analysis_family(fields.get("language", ""))
        texts = (fields.get("body", ""), fields.get("summary", ""))
        passage = best_passage(fields.get("title", ""), texts, terms[family], family) if family in terms else Passage(None)
        lacking = tuple(parsed.optional[number].typed for number in matches.missing(docnum))
        hits.append(hit_from_fields(fields, score, passage.marked, lacking, passage.title_only))
    return tuple(hits)


def hit_from_fields(
    fields: Mapping, score: float | None, passage: Marked | None = None, missing: tuple[str, ...] = (), title_only: bool = False
) -> Hit:
    """Build a Hit from stored fields, with the given snippet or else the article's opening."""
    return Hit(
        id=fields["id"],
        key=url_key(fields["id"]),
        title=fields.get("title", ""),
        snippet=passage if passage is not None else opening(fields.get("summary") or fields.get("body", "")),
        category=fields.get("category", ""),
        category_origin=fields.get("category_origin"),
        category_confidence=fields.get("category_confidence"),
        published=aware(fields.get("published")),
        source=fields.get("source", ""),
        url=fields.get("url", ""),
        authors=split_values(fields.get("authors", "")),
        score=float(score or 0.0),
        missing=missing,
        language=fields.get("language", ""),
        title_only=title_only,
    )


def _relaxed(parsed: ParsedQuery, matches: Matches, documents: np.ndarray) -> tuple[str, ...]:
    """Return the typed words that some of the documents lack."""
    return tuple(clause.typed for clause, mask in zip(parsed.optional, matches.optional) if (documents & ~mask).any())


def merge_filters(
    chosen: Mapping[str, tuple[str, ...]], typed: Mapping[str, tuple[str, ...]], stored_values: Callable[[str], Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """Combine the form's selections with typed field:value filters, each value as the index stores it (either backend)."""
    merged: dict[str, tuple[str, ...]] = {}
    for name in FILTERS:
        values = tuple(chosen.get(name, ())) + tuple(typed.get(name, ()))
        if values:
            merged[name] = resolve_values(name, values, stored_values)
    return merged


def _stored_values(snapshot: Snapshot) -> Callable[[str], Iterable[str]]:
    """Return how to list the values the index stores for a filter field."""
    return lambda fieldname: snapshot.facet_table(fieldname).values


def resolve_values(fieldname: str, typed: tuple[str, ...], stored_values: Callable[[str], Iterable[str]]) -> tuple[str, ...]:
    """Map values as the user typed them to the values stored in the index, ignoring case."""
    if fieldname == "category":
        return tuple(dict.fromkeys(normalize_category(value) for value in typed))
    stored = {value.casefold(): value for value in stored_values(fieldname)}
    return tuple(dict.fromkeys(stored.get(value.casefold(), value) for value in typed))


def _selection(snapshot: Snapshot, fieldname: str, values: tuple[str, ...]) -> np.ndarray:
    """Return the mask of documents having any of the values (OR within a facet)."""
    table = snapshot.facet_table(fieldname)
    found = snapshot.mask()
    for value in values:
        found[table.documents(value)] = True
    return found


def _published_between(snapshot: Snapshot, start: datetime | None, end: datetime | None) -> np.ndarray:
    """Return the mask of documents published in [start, end)."""
    published = snapshot.published()
    as_stored = snapshot.schema["published"].to_column_value
    found = published != NO_DATE
    if start is not None:
        found &= published >= np.uint64(as_stored(start))
    if end is not None:
        found &= published < np.uint64(as_stored(end))
    return found


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
