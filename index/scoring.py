"""Ranking: BM25F with the standard Robertson idf."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from math import log
from typing import TYPE_CHECKING

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from index.postings import TermPostings

if TYPE_CHECKING:  # the snapshot imports this module for its ranking model
    from index.deadline import Deadline
    from index.snapshot import Snapshot


# A word in the title says more about what an article is about than the same word in the body. Title and
# body are scored separately and added, so a title match already counts on top of the body; 1.5 rather than
# 2.0 was chosen by cross-validation on CISI (python -m tests.benchmarks.ranking --tune).
FIELD_BOOSTS = {"title": 1.5, "body": 1.0}


class RobertsonBM25F(BM25F):
    """BM25F whose idf is Robertson–Spärck Jones' (as in Lucene), not Whoosh's log(N/(n+1))+1."""

    def idf(self, searcher, fieldname, text):
        """Return log(1 + (N - n + 0.5) / (n + 0.5)) over the whole index."""
        parent = searcher.get_parent()
        documents = parent.doc_count_all()
        frequency = parent.doc_frequency(fieldname, text)
        return log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def ranking_model() -> RobertsonBM25F:
    """Return the weighting model the archive ranks with (K1 and B cross-validated on CISI, kept in the usual range)."""
    return RobertsonBM25F(B=0.9, K1=1.2)


def field_lengths(reader: IndexReader, fieldname: str) -> list[int]:
    """Return every document's length in a field, as the ranking sees it, indexed by document number."""
    table = [byte_to_length(value) for value in range(256)]
    lengths: list[int] = []
    for leaf, _offset in reader.leaf_readers():
        # whoosh-reloaded is pinned at 2.7.5: its per-document reader keeps lengths in one byte column.
        column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        count = leaf.doc_count_all()
        values = list(column.load()) if column is not None else []
        # The column may stop early when the last documents lack the field.
        lengths.extend(table[value] for value in values[:count])
        lengths.extend([0] * (count - len(values)))
    return lengths


@dataclass(frozen=True)
class ScoredTerm:
    """A term whose score counts towards a document's, only where its phrase (if any) matches."""

    term: wq.Term
    phrase: wq.Phrase | None = None


def scored_terms(query: wq.Query) -> list[ScoredTerm] | None:
    """Return the terms whose scores add up to a document's score, or None if other kinds of query take part."""
    if isinstance(query, wq.Term):
        return [ScoredTerm(query)]
    if isinstance(query, wq.Phrase):
        # Whoosh scores a phrase match as the sum of its words' scores in that field.
        return [ScoredTerm(wq.Term(query.fieldname, word, boost=query.boost), query) for word in query.words]
    if isinstance(query, wq.AndNot):
        return scored_terms(query.a)
    if isinstance(query, wq.Not):
        return []
    if isinstance(query, (wq.And, wq.Or)):
        terms: list[ScoredTerm] = []
        for sub in query.subqueries:
            found = scored_terms(sub)
            if found is None:
                return None
            terms.extend(found)
        return terms
    return None


def top_candidates(
    snapshot: Snapshot, terms: list[ScoredTerm], candidates: frozenset[int], limit: int, deadline: Deadline | None = None
) -> list[tuple[float, int]]:
    """Score only the documents already known to match and return the best (score, docnum) pairs.

    Terms not reached by the deadline add nothing to the scores.

    Equal to Whoosh's BM25F sum over the matching terms, from the snapshot's cached postings: Whoosh's
    matchers walk the union of every term's postings in Python, which cost 85 ms for a three-word query
    matching 154 of 113,614 documents.
    """
    searcher = snapshot.searcher
    weighting = searcher.weighting
    scores: dict[int, float] = dict.fromkeys(candidates, 0.0)
    ordered = sorted(candidates)
    reader = searcher.reader()
    for scored in terms:
        term = scored.term
        if deadline is not None and deadline.stop_here():
            break
        if (term.fieldname, term.text) not in reader:
            continue
        idf = searcher.idf(term.fieldname, term.text)
        average = searcher.avg_field_length(term.fieldname) or 1
        b = weighting._field_B.get(term.fieldname, weighting.B)
        k1 = weighting.K1
        field_length = snapshot.field_lengths(term.fieldname, len(candidates))
        where = ordered if scored.phrase is None else sorted(candidates & snapshot.documents_matching(scored.phrase, deadline))
        boost = term.boost
        for docnum, tf in _candidate_weights(snapshot.term_postings(term.fieldname, term.text), where):
            # whoosh.scoring.bm25 written out in its order of operations (equal to Whoosh's to about 1e-14).
            scores[docnum] += boost * (idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * field_length[docnum] / average))))
    return heapq.nsmallest(limit, ((-score, docnum) for docnum, score in scores.items()))


def _candidate_weights(found: TermPostings, ordered: list[int]) -> Iterator[tuple[int, float]]:
    """Yield (docnum, weight) for the candidates holding the term: by binary search when they are few."""
    documents, weights = found.ordered, found.weights
    if len(ordered) * 16 < len(documents):
        for docnum in ordered:
            position = bisect.bisect_left(documents, docnum)
            if position < len(documents) and documents[position] == docnum:
                yield docnum, weights[position]
    else:
        wanted = set(ordered)
        for docnum, weight in zip(documents, weights):
            if docnum in wanted:
                yield docnum, weight
