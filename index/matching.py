"""Which documents a query matches: set algebra over document masks, phrases from word positions, tiers.

A parsed query's clauses are each evaluated to a mask. A result must match every required clause and
no excluded one; the optional clauses it matches are counted, so results can be ordered by how many of
the typed words they hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from index.deadline import Deadline
from index.engine.postings import candidate_positions
from index.querying import Clause, ParsedQuery
from index.snapshot import Snapshot

# Phrase candidates are checked this many at a time, so a phrase of common words stops at the deadline.
PHRASE_CHECK_SLICE = 16384


@dataclass(frozen=True)
class Matches:
    """The documents a query's words match, and how many of its optional words each one holds."""

    documents: np.ndarray  # mask: every required clause, at least one optional one, no excluded one
    required: tuple[np.ndarray, ...]  # a mask per required clause
    optional: tuple[np.ndarray, ...]  # a mask per optional clause
    held: np.ndarray  # per document, how many optional clauses it matches

    def every_word(self) -> np.ndarray:
        """Return the mask of documents matching every optional clause too."""
        return self.documents & (self.held == len(self.optional))

    def missing(self, docnum: int) -> tuple[int, ...]:
        """Return the positions of the optional clauses a document lacks."""
        return tuple(number for number, mask in enumerate(self.optional) if not mask[docnum])


def match(snapshot: Snapshot, parsed: ParsedQuery, deadline: Deadline) -> Matches:
    """Return the live documents a parsed query's words match (all live documents when it has none)."""
    documents = snapshot.live().copy()
    required = tuple(clause_documents(snapshot, clause.query, deadline) for clause in parsed.required)
    for mask in required:
        documents &= mask
    optional = tuple(clause_documents(snapshot, clause.query, deadline) for clause in parsed.optional)
    held = np.zeros(snapshot.size, dtype=np.int16)
    for mask in optional:
        held += mask
    if optional and not parsed.required:
        documents &= held > 0
    for clause in parsed.excluded:
        # What is excluded is found in full: a cut-short exclusion would let excluded articles through.
        documents &= ~clause_documents(snapshot, clause.query, Deadline(float("inf")))
    return Matches(documents, required, optional, held)


def clause_documents(snapshot: Snapshot, query: wq.Query, deadline: Deadline) -> np.ndarray:
    """Return the mask of documents a query matches (deleted ones included), as many as time allows."""
    if isinstance(query, wq.Term):
        return snapshot.mask(snapshot.postings(query.fieldname, query.text).documents)
    if isinstance(query, wq.And):
        found = snapshot.live().copy()
        for sub in query.subqueries:
            found &= clause_documents(snapshot, sub, deadline)
        return found
    if isinstance(query, wq.Or):
        found = snapshot.mask()
        for sub in _until(deadline, query.subqueries):
            found |= clause_documents(snapshot, sub, deadline)
        return found
    if isinstance(query, wq.AndNot):
        return clause_documents(snapshot, query.a, deadline) & ~clause_documents(snapshot, query.b, Deadline(float("inf")))
    if isinstance(query, wq.AndMaybe):
        return clause_documents(snapshot, query.a, deadline)
    if isinstance(query, wq.Not):
        return snapshot.live() & ~clause_documents(snapshot, query.query, Deadline(float("inf")))
    if query is wq.NullQuery:
        return snapshot.mask()
    if isinstance(query, wq.Phrase) and query.slop == 1 and _has_positions(snapshot, query.fieldname):
        return snapshot.mask(phrase_documents(snapshot, query.fieldname, tuple(query.words), deadline))
    if isinstance(query, (wq.Prefix, wq.Wildcard)):
        found = snapshot.mask()
        for fieldname, text in _until(deadline, list(query.expanded_terms(snapshot.reader))):
            found[snapshot.uncached_postings(fieldname, text).documents] = True
        return found
    return snapshot.mask(np.fromiter(snapshot.searcher.docs_for_query(query), dtype=np.int64))  # Whoosh's own matching


def phrase_documents(snapshot: Snapshot, fieldname: str, words: tuple[str, ...], deadline: Deadline) -> np.ndarray:
    """Return the documents holding the words next to each other, in order (cached when found in full)."""
    key = (fieldname, words)
    found = snapshot.cached_phrase(key)
    if found is not None:
        return found
    candidates = snapshot.live().copy()
    for word in words:
        candidates &= snapshot.mask(snapshot.postings(fieldname, word).documents)
    ordered = np.flatnonzero(candidates)
    if len(words) == 1 or not len(ordered):
        return ordered
    kept: list[int] = []
    for start in range(0, len(ordered), PHRASE_CHECK_SLICE):
        if deadline.skip():
            return np.array(kept, dtype=np.int64)
        part = ordered[start : start + PHRASE_CHECK_SLICE].tolist()
        positions = [candidate_positions(snapshot.reader, fieldname, word, part) for word in words]
        kept.extend(docnum for docnum in part if _starts_run(docnum, positions))
    found = np.array(kept, dtype=np.int64)
    snapshot.remember_phrase(key, found)
    return found


def clause_terms(clause: Clause) -> Iterator[wq.Query]:
    """Yield the positive leaves of a clause (terms, phrases, wildcards), skipping what it negates.

    Each leaf carries the boosts of the groups above it (`word^2` boosts the group of the word's fields).
    """
    yield from _positive_leaves(clause.query, 1.0)


def _positive_leaves(query: wq.Query, boost: float) -> Iterator[wq.Query]:
    """Yield a query's leaves that say what is wanted, with their boosts multiplied by `boost`."""
    if isinstance(query, wq.Not):
        return
    if isinstance(query, (wq.Term, wq.Phrase, wq.Prefix, wq.Wildcard)):
        yield query if boost == 1.0 else query.with_boost(query.boost * boost)
        return
    boost *= getattr(query, "boost", 1.0)
    if isinstance(query, (wq.AndNot, wq.AndMaybe)):
        yield from _positive_leaves(query.a, boost)
        if isinstance(query, wq.AndMaybe):
            yield from _positive_leaves(query.b, boost)
    elif not query.is_leaf():
        for child in query.children():
            yield from _positive_leaves(child, boost)


def _until(deadline: Deadline, items: list) -> Iterator:
    """Yield items until the deadline passes."""
    for item in items:
        if deadline.skip():
            return
        yield item


def _has_positions(snapshot: Snapshot, fieldname: str) -> bool:
    """Tell whether a field records word positions (so phrases can be matched in it)."""
    return fieldname in snapshot.schema and snapshot.schema[fieldname].format.supports("positions")


def _starts_run(docnum: int, positions: list[dict[int, list[int]]]) -> bool:
    """Tell whether the document has the words at consecutive positions (word i at start + i)."""
    starts = set(positions[0][docnum])
    for distance, word_positions in enumerate(positions[1:], start=1):
        starts.intersection_update(position - distance for position in word_positions[docnum])
        if not starts:
            return False
    return True
