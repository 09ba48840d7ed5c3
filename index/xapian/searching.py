"""One search over the shards, from request to result: the same SearchResult as the Whoosh backend.

The plan: the parsed clauses become two Xapian queries, the matches (every required clause and at
least one optional one) and the matches holding every word; results with every word come first
(ranked by Xapian's BM25), then the others. Facet counts come from Xapian's value-count match spies,
which each shard fills for its own matches and the client adds up.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import xapian

from index.analysis import analysis_family
from index.deadline import Deadline
from index.facets import Facet, FacetValue
from index.highlight import snippet
from index.querying import ParsedQuery
from index.ranking import RankingSettings
from index.schema import FACETS, FILTERS, SEPARATOR
from index.searching import (
    FACET_LIMIT,
    MATCH_MODES,
    MAX_PER_PAGE,
    SORTS,
    Hit,
    SearchRequest,
    SearchResult,
    _combine_dates,
    hit_from_fields,
    merge_filters,
    resolve_values,
)
from index.spelling import suggest_spelling
from index.xapian.cluster import ClusterSnapshot
from index.xapian.documents import (
    FACET_SLOTS,
    FILTER_PREFIXES,
    KEY_PREFIX,
    NEWEST_SLOT,
    OLDEST_SLOT,
    PUBLISHED_SLOT,
    SEQUENCE_SLOT,
    encode_moment,
    stored_fields,
)
from index.xapian.querying import all_of, any_of, clause_query, highlighted_terms, values_filter
from index.xapian.ranking import feedback_query

Query = xapian.Query
# Each shard sums a document's term weights in the order its own query plan chose, so two layouts can give scores a
# unit in the last place apart: scores are rounded to this many decimals, and equal ones keep the indexing order.
SCORE_DIGITS = 9


@dataclass(frozen=True)
class XapianRanking:
    """Xapian's BM25 parameters (its BM25 scores one term space; the title's weight is set when indexing), and feedback's."""

    k1: float = 2.0  # as the Whoosh backend's; measured best of 1.2, 1.6 and 2.0 on the judged questions
    b: float = 0.75
    feedback: RankingSettings = RankingSettings()  # its feedback_* settings, the Whoosh backend's

    def asks_feedback(self, parsed: ParsedQuery) -> bool:
        """Tell whether a query is a question long enough for pseudo-relevance feedback."""
        return bool(self.feedback.feedback_weight) and len(parsed.wanted) >= self.feedback.feedback_min_words

    def weight(self) -> xapian.Weight:
        """Return the weighting scheme."""
        return xapian.BM25Weight(self.k1, 0.0, 1.0, self.b, 0.5)


@dataclass(frozen=True)
class Plan:
    """A parsed query as Xapian queries: the matches, those holding every typed word, and each optional clause."""

    matched: Query  # the words, exclusions and date range, before facet selections
    every_word: Query
    optional: tuple[Query, ...]


def search(snapshot: ClusterSnapshot, request: SearchRequest, ranking: XapianRanking = XapianRanking()) -> SearchResult:
    """Run a search request against the shards of a snapshot."""
    started = time.perf_counter()
    with snapshot.lock:
        return _search(snapshot, request, ranking, started, Deadline(request.time_limit))


def _search(snapshot: ClusterSnapshot, request: SearchRequest, ranking: XapianRanking, started: float, deadline: Deadline) -> SearchResult:
    """Search while holding the snapshot's lock."""
    mode = request.match if request.match in MATCH_MODES else "best"
    parsed = snapshot.parser().parse(request.query)
    if mode == "all":
        parsed = parsed.strict()
    filters = merge_filters(request.filters, parsed.filters, _stored_values(snapshot))
    selections = {name: values_filter(name, values) for name, values in filters.items()}
    date_range = _combine_dates(request, parsed)
    restriction = _restriction(snapshot, parsed, date_range)

    plan = _plan(snapshot, parsed, restriction)
    final = _narrowed(plan.matched, selections.values())
    unselected = [facet.field for facet in FACETS if facet.field not in selections]
    total, spies = _count(snapshot, final, deadline, unselected if request.with_facets else ())
    if mode == "best" and parsed.required and not total:
        # No dead ends: what was typed as required finds nothing together, so it counts like the other words.
        parsed = snapshot.parser().relaxed(parsed)
        plan = _plan(snapshot, parsed, restriction)
        final = _narrowed(plan.matched, selections.values())
        total, spies = _count(snapshot, final, deadline, unselected if request.with_facets else ())
    every_final = _narrowed(plan.every_word, selections.values())
    every_word = _count(snapshot, every_final, deadline)[0] if plan.optional else total

    per_page = min(max(request.per_page, 1), MAX_PER_PAGE)
    page_count = max(1, math.ceil(total / per_page))
    page = min(max(request.page, 1), page_count)
    sort = request.sort if request.sort in SORTS else "relevance"
    if sort == "relevance" and not parsed.wanted:
        sort = "newest"  # with no wanted words (nothing typed, or only -words) there is nothing to rank by
    hits = ()
    if total:
        hits = _page_of_hits(snapshot, parsed, plan, final, every_final, every_word, sort, page, per_page, request.with_snippets, ranking, deadline)
    facets = ()
    if request.with_facets:
        counts = {name: _values(spy) for name, spy in spies.items()}
        for name in selections:
            others = [query for other, query in selections.items() if other != name]
            counts[name] = _values(_count(snapshot, _narrowed(plan.matched, others), deadline, [name])[1][name])
        facets = tuple(_facet(facet.field, counts[facet.field], filters.get(facet.field, ()), facet.chronological) for facet in FACETS)

    return SearchResult(
        total=total,
        hits=hits,
        facets=facets,
        page=page,
        per_page=per_page,
        page_count=page_count,
        sort=sort,
        match=mode,
        every_word=every_word,
        relaxed=_relaxed(snapshot, parsed, plan, final) if every_word < total else (),
        suggestion=suggest_spelling(snapshot.vocabulary(), parsed, snapshot.indexed_terms),
        understood=parsed.understood,
        notes=parsed.notes,
        filters=filters,
        date_range=date_range,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        partial=deadline.cut,
    )


def _plan(snapshot: ClusterSnapshot, parsed: ParsedQuery, restriction: list[tuple[int, Query]]) -> Plan:
    """Turn the parsed clauses into the matches' query and the every-word query, both restricted alike."""
    required = [clause_query(clause, snapshot.words) for clause in parsed.required]
    optional = [clause_query(clause, snapshot.words) for clause in parsed.optional]
    excluded = [clause_query(clause, snapshot.words) for clause in parsed.excluded]
    if required:
        matched = all_of(required)
        if optional:
            matched = Query(Query.OP_AND_MAYBE, matched, any_of(optional))
    else:
        matched = any_of(optional) if optional else Query.MatchAll
    every_word = all_of(required + optional)
    if excluded:
        # What is excluded is found in full, whatever the time limit (a cut-short exclusion would let excluded articles through).
        matched = Query(Query.OP_AND_NOT, matched, any_of(excluded))
        every_word = Query(Query.OP_AND_NOT, every_word, any_of(excluded))
    for operator, query in restriction:
        matched = Query(operator, matched, query)
        every_word = Query(operator, every_word, query)
    return Plan(matched, every_word, tuple(optional))


def _restriction(snapshot: ClusterSnapshot, parsed: ParsedQuery, date_range) -> list[tuple[int, Query]]:
    """Return the (operator, query) pairs that narrow every match: excluded facet values and the date range."""
    narrowing = []
    for name, values in parsed.exclusions.items():
        narrowing.append((Query.OP_AND_NOT, values_filter(name, resolve_values(name, values, _stored_values(snapshot)))))
    if date_range:
        start, end = date_range.bounds()
        low = encode_moment(start) if start is not None else None
        high = (int.from_bytes(encode_moment(end), "big") - 1).to_bytes(8, "big") if end is not None else None
        if low is not None and high is not None:
            narrowing.append((Query.OP_FILTER, Query(Query.OP_VALUE_RANGE, PUBLISHED_SLOT, low, high)))
        elif low is not None:
            narrowing.append((Query.OP_FILTER, Query(Query.OP_VALUE_GE, PUBLISHED_SLOT, low)))
        elif high is not None:
            narrowing.append((Query.OP_FILTER, Query(Query.OP_VALUE_LE, PUBLISHED_SLOT, high)))
        else:
            narrowing.append((Query.OP_FILTER, Query(Query.OP_VALUE_GE, PUBLISHED_SLOT, b"")))
    return narrowing


def _narrowed(query: Query, selections) -> Query:
    """Return the query kept to the documents in every selection (facets AND together)."""
    selections = list(selections)
    return Query(Query.OP_FILTER, query, all_of(selections)) if selections else query


def _count(snapshot: ClusterSnapshot, query: Query, deadline: Deadline, facets=()) -> tuple[int, dict[str, xapian.ValueCountMatchSpy]]:
    """Return how many documents match exactly (unless the time limit cuts it short), and each facet's value counts."""
    enquire = _enquire(snapshot, query, deadline, xapian.BoolWeight())
    spies = {name: xapian.ValueCountMatchSpy(FACET_SLOTS[name]) for name in facets}
    for spy in spies.values():
        enquire.add_matchspy(spy)
    found = enquire.get_mset(0, 0, snapshot.size)
    _note_cut(found, deadline)
    return found.get_matches_estimated(), spies


def _enquire(snapshot: ClusterSnapshot, query: Query, deadline: Deadline, weight: xapian.Weight) -> xapian.Enquire:
    """Return an Enquire for a query with the time left."""
    enquire = xapian.Enquire(snapshot.database)
    enquire.set_query(query)
    enquire.set_weighting_scheme(weight)
    enquire.set_time_limit(max(deadline.seconds - (time.monotonic() - deadline.started), 0.001))
    return enquire


def _note_cut(found: xapian.MSet, deadline: Deadline) -> None:
    """Record that the time limit stopped a match before it had counted everything."""
    if found.get_matches_lower_bound() != found.get_matches_upper_bound():
        deadline.cut = True


def _values(spy: xapian.ValueCountMatchSpy) -> Counter:
    """Return each facet value's count from the counted strings (a multi-valued field's values joined by SEPARATOR)."""
    counts: Counter = Counter()
    for item in spy.values():
        for value in item.term.decode("utf-8", "surrogatepass").split(SEPARATOR):
            if value:
                counts[value] += item.termfreq
    return counts


def _facet(name: str, counts: Counter, selected: tuple[str, ...], chronological: bool) -> Facet:
    """Order one facet's values by count (or newest first) and keep the first few, as the Whoosh backend does."""
    shown_counts = dict(counts)
    for value in selected:
        shown_counts.setdefault(value, 0)
    if chronological:
        ordered = sorted(shown_counts, reverse=True)
    else:
        ordered = sorted(shown_counts, key=lambda value: (-shown_counts[value], value.casefold()))
    shown = ordered[:FACET_LIMIT] + [value for value in ordered[FACET_LIMIT:] if value in selected]
    with_matches = len(counts) + sum(1 for value in selected if not shown_counts[value])
    return Facet(name, tuple(FacetValue(value, shown_counts[value], value in selected) for value in shown), with_matches - len(shown))


def _page_of_hits(
    snapshot: ClusterSnapshot,
    parsed: ParsedQuery,
    plan: Plan,
    final: Query,
    every_final: Query,
    every_word: int,
    sort: str,
    page: int,
    per_page: int,
    with_snippets: bool,
    ranking: XapianRanking,
    deadline: Deadline,
) -> tuple[Hit, ...]:
    """Return one page of hits: those with every word first, each part ranked or sorted by date."""
    start, end = (page - 1) * per_page, page * per_page
    rest = Query(Query.OP_AND_NOT, final, every_final)
    if sort == "relevance" and ranking.asks_feedback(parsed):
        first = ranked(snapshot, every_final, 0, ranking.feedback.feedback_documents, sort, ranking, deadline)
        first += ranked(snapshot, rest, 0, ranking.feedback.feedback_documents - len(first), sort, ranking, deadline)
        extra = feedback_query(snapshot, parsed.wanted, [(score, fields) for _, score, fields in first], ranking.feedback)
        if extra is not None:
            every_final, rest = Query(Query.OP_AND_MAYBE, every_final, extra), Query(Query.OP_AND_MAYBE, rest, extra)
    items = []
    if start < every_word:
        items += ranked(snapshot, every_final, start, min(end, every_word) - start, sort, ranking, deadline)
    lacking = []
    if end > every_word:
        lacking = ranked(snapshot, rest, max(start - every_word, 0), end - max(start, every_word), sort, ranking, deadline)
    missing = _missing_clauses(snapshot, plan, lacking)
    terms = highlighted_terms(parsed, snapshot.words) if with_snippets else {}
    hits = []
    for docid, score, fields in items + lacking:
        family = analysis_family(fields.get("language", ""))
        passage = snippet(fields.get("body", ""), terms[family], family) if family in terms else None
        absent = tuple(parsed.optional[number].typed for number in missing.get(docid, ()))
        hits.append(hit_from_fields(fields, score if sort == "relevance" else 0.0, passage, absent))
    return tuple(hits)


def ranked(
    snapshot: ClusterSnapshot, query: Query, offset: int, count: int, sort: str, ranking: XapianRanking, deadline: Deadline
) -> list[tuple[int, float, dict]]:
    """Return (docid, score, stored fields) of the ranked (or date-sorted) matches from offset on; equal ones in indexing order."""
    if count <= 0:
        return []
    enquire = _enquire(snapshot, query, deadline, ranking.weight() if sort == "relevance" else xapian.BoolWeight())
    if sort == "relevance":
        enquire.set_sort_by_relevance_then_value(SEQUENCE_SLOT, False)
    else:
        enquire.set_sort_by_value_then_relevance(NEWEST_SLOT if sort == "newest" else OLDEST_SLOT, sort == "newest")
    found = enquire.get_mset(offset, count)
    if offset == 0:
        found.fetch()  # all documents in one round trip per shard (the bindings' fetch() crashes on an MSet from a later offset)
    ranked = [(item.docid, round(item.weight, SCORE_DIGITS), stored_fields(item.document), item.document.get_value(SEQUENCE_SLOT)) for item in found]
    if sort == "relevance":
        ranked.sort(key=lambda item: (-item[1], item[3]))
    return [item[:3] for item in ranked]


def _missing_clauses(snapshot: ClusterSnapshot, plan: Plan, lacking: list[tuple[int, float, dict]]) -> dict[int, tuple[int, ...]]:
    """Return, for each hit lacking some words, the positions of the optional clauses it lacks."""
    if not lacking:
        return {}
    docids = {docid for docid, _, _ in lacking}
    among = any_of([Query(KEY_PREFIX + fields["key"]) for _, _, fields in lacking])
    missing: dict[int, list[int]] = {docid: [] for docid in docids}
    for number, clause in enumerate(plan.optional):
        enquire = xapian.Enquire(snapshot.database)
        enquire.set_query(Query(Query.OP_FILTER, clause, among))
        enquire.set_weighting_scheme(xapian.BoolWeight())
        holding = {item.docid for item in enquire.get_mset(0, len(docids))}
        for docid in docids - holding:
            missing[docid].append(number)
    return {docid: tuple(numbers) for docid, numbers in missing.items()}


def _relaxed(snapshot: ClusterSnapshot, parsed: ParsedQuery, plan: Plan, final: Query) -> tuple[str, ...]:
    """Return the typed words that some of the results lack."""
    lacked = []
    for clause, query in zip(parsed.optional, plan.optional):
        enquire = xapian.Enquire(snapshot.database)
        enquire.set_query(Query(Query.OP_AND_NOT, final, query))
        enquire.set_weighting_scheme(xapian.BoolWeight())
        if enquire.get_mset(0, 0, 1).get_matches_lower_bound():
            lacked.append(clause.typed)
    return tuple(lacked)


def _stored_values(snapshot: ClusterSnapshot) -> Callable[[str], Iterable[str]]:
    """Return how to list the values the shards store for a filter field."""
    return lambda name: snapshot.terms(FILTER_PREFIXES[name])
