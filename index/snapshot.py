"""An open view of the live index, with the caches that make faceted search fast."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.index import Index
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from index import postings
from index.deadline import Deadline
from index.postings import NO_POSTINGS, TermPostings
from index.querying import QueryParsers
from index.scoring import field_lengths, ranking_model
from index.spelling import Vocabulary
from index.storage import IndexLocation

# Postings kept in the per-term cache (about 80 bytes each: a set and two arrays), so frequent words are read once.
TERM_CACHE_POSTINGS = 1_000_000
DATE_CACHE_RANGES = 32
PHRASE_CACHE_DOCUMENTS = 200_000
# Phrase candidates are checked this many at a time, so a phrase of common words stops at the deadline.
PHRASE_CHECK_SLICE = 16384
LENGTH_LOOKUPS_BEFORE_LOADING = 2000
# A replaced snapshot is closed this long after the switch, when no request can still be using it.
RETIRE_AFTER_SECONDS = 120


class Snapshot:
    """One Whoosh searcher and the per-value document sets computed from it.

    Whoosh rebuilds a `filter=` set on every query; caching the sets here, for as long as this
    searcher lives, is what keeps faceted search fast on large archives.
    """

    def __init__(self, index: Index, version: str, folder: Path):
        self.version = version
        self.folder = folder
        self.searcher: Searcher = index.searcher(weighting=ranking_model())
        self.lock = threading.Lock()  # Whoosh searchers are not safe to share between threads
        self._all_documents: frozenset[int] | None = None
        self._value_documents: dict[str, dict[str, frozenset[int]]] = {}
        self._date_documents: OrderedDict[tuple, frozenset[int]] = OrderedDict()
        self._vocabulary: Vocabulary | None = None
        self._parsers: QueryParsers | None = None
        self._field_lengths: dict[str, list[int]] = {}
        self._phrases: OrderedDict[tuple[str, tuple[str, ...]], frozenset[int]] = OrderedDict()
        self._cached_phrase_documents = 0
        self._term_postings: OrderedDict[tuple[str, str], TermPostings] = OrderedDict()
        self._cached_postings = 0

    @property
    def schema(self):
        """Return the schema of the index."""
        return self.searcher.schema

    def parsers(self) -> QueryParsers:
        """Return the query parsers for this index, built on first use."""
        if self._parsers is None:
            self._parsers = QueryParsers.for_schema(self.schema)
        return self._parsers

    def all_documents(self) -> frozenset[int]:
        """Return the numbers of all live (not deleted) documents."""
        if self._all_documents is None:
            live: set[int] = set()
            for leaf, offset in self.searcher.reader().leaf_readers():
                segment = range(offset, offset + leaf.doc_count_all())
                # Asking each document whether it is deleted took half a second at 110k documents.
                deleted = {offset + docnum for docnum in leaf.deleted_docs_set} if leaf.has_deletions() else set()
                live.update(segment if not deleted else (docnum for docnum in segment if docnum not in deleted))
            self._all_documents = frozenset(live)
        return self._all_documents

    def value_documents(self, fieldname: str) -> dict[str, frozenset[int]]:
        """Return, for each value of a facet field, the documents holding it."""
        if fieldname not in self._value_documents:
            reader = self.searcher.reader()
            live = self.all_documents()
            table = {}
            for value in reader.field_terms(fieldname):
                documents = frozenset(postings.term_documents(reader, fieldname, value)) & live
                if documents:
                    table[value] = documents
            self._value_documents[fieldname] = table
        return self._value_documents[fieldname]

    def documents_matching(self, query: wq.Query | None, deadline: Deadline | None = None) -> frozenset[int]:
        """Return the live documents a query matches (all of them for None), as many as time allows."""
        if query is None:
            return self.all_documents()
        found = self._matching(query, deadline or Deadline(float("inf")))
        return found & self.all_documents() if self.searcher.reader().has_deletions() else found

    def _matching(self, query: wq.Query, deadline: Deadline) -> frozenset[int]:
        """Evaluate a query as set algebra over cached per-term document sets."""
        if isinstance(query, wq.Term):
            return self.term_documents(query.fieldname, query.text)
        if isinstance(query, wq.And):
            parts = sorted((self._matching(sub, deadline) for sub in query.subqueries), key=len)
            return frozenset.intersection(*parts) if parts else frozenset()
        if isinstance(query, wq.Or):
            lookups = [lambda sub=sub: self._matching(sub, deadline) for sub in query.subqueries]
            return frozenset().union(*self._each_until(deadline, lookups))
        # What is excluded is found in full: a cut-short exclusion would let excluded articles through.
        if isinstance(query, wq.AndNot):
            return self._matching(query.a, deadline) - self._matching(query.b, Deadline(float("inf")))
        if isinstance(query, wq.Not):
            return self.all_documents() - self._matching(query.query, Deadline(float("inf")))
        if query is wq.NullQuery:
            return frozenset()
        if isinstance(query, wq.Phrase) and query.slop == 1 and query.words and self._has_positions(query.fieldname):
            return self._phrase_documents(query, deadline)
        if isinstance(query, (wq.Prefix, wq.Wildcard)):
            return self._expansion_documents(query, deadline)
        return frozenset(self.searcher.docs_for_query(query))  # ranges and the like: Whoosh's own matching

    def _expansion_documents(self, query: wq.Query, deadline: Deadline) -> frozenset[int]:
        """Return the documents holding any word a wildcard expands to (not cached: expansions are many and rare)."""
        reader = self.searcher.reader()
        lookups = [
            lambda fieldname=fieldname, text=text: postings.term_documents(reader, fieldname, text)
            for fieldname, text in query.expanded_terms(reader)
        ]
        return frozenset().union(*self._each_until(deadline, lookups))

    @staticmethod
    def _each_until(deadline: Deadline, lookups: list) -> list:
        """Run lookups in turn until the deadline passes; return the results gathered."""
        results = []
        for lookup in lookups:
            if deadline.stop_here():
                break
            results.append(lookup())
        return results

    def _has_positions(self, fieldname: str) -> bool:
        """Tell whether a field records word positions (so phrases can be matched in it)."""
        return fieldname in self.schema and self.schema[fieldname].format.supports("positions")

    def term_documents(self, fieldname: str, text: str) -> frozenset[int]:
        """Return the documents holding a term."""
        return self.term_postings(fieldname, text).documents

    def term_postings(self, fieldname: str, text: str) -> TermPostings:
        """Return a term's postings, from a bounded cache shared by this searcher's queries."""
        key = (fieldname, text)
        found = self._term_postings.pop(key, None)
        if found is None:
            if key not in self.searcher.reader():
                return NO_POSTINGS  # not cached: made-up words would otherwise fill the cache for free
            ordered, weights = postings.term_postings(self.searcher.reader(), fieldname, text)
            found = TermPostings(frozenset(ordered), ordered, weights)
            self._cached_postings += len(ordered)
        self._term_postings[key] = found  # most recently used last
        while self._cached_postings > TERM_CACHE_POSTINGS and len(self._term_postings) > 1:
            _, evicted = self._term_postings.popitem(last=False)
            self._cached_postings -= len(evicted.ordered)
        return found

    def _phrase_documents(self, phrase: wq.Phrase, deadline: Deadline) -> frozenset[int]:
        """Return the documents holding the phrase's words next to each other, in order (cached)."""
        key = (phrase.fieldname, tuple(phrase.words))
        documents = self._phrases.pop(key, None)
        if documents is not None:
            self._cached_phrase_documents -= len(documents)
        else:
            documents, complete = self._find_phrase(phrase, deadline)
            if not complete:
                return documents
        self._phrases[key] = documents  # most recently used last; ranking asks again for each word
        self._cached_phrase_documents += len(documents)
        while self._cached_phrase_documents > PHRASE_CACHE_DOCUMENTS and len(self._phrases) > 1:
            _, evicted = self._phrases.popitem(last=False)
            self._cached_phrase_documents -= len(evicted)
        return documents

    def _find_phrase(self, phrase: wq.Phrase, deadline: Deadline) -> tuple[frozenset[int], bool]:
        """Return the documents with the phrase, from word positions, and whether every candidate was checked."""
        field = phrase.fieldname
        containing = sorted((self.term_documents(field, word) for word in phrase.words), key=len)
        candidates = frozenset.intersection(*containing)
        if len(phrase.words) == 1 or not candidates:
            return candidates, True
        ordered = sorted(candidates)
        reader = self.searcher.reader()
        found: set[int] = set()
        for start in range(0, len(ordered), PHRASE_CHECK_SLICE):
            if deadline.stop_here():
                return frozenset(found), False
            part = ordered[start : start + PHRASE_CHECK_SLICE]
            positions = [postings.candidate_positions(reader, field, word, part) for word in phrase.words]
            found.update(docnum for docnum in part if _starts_run(docnum, positions))
        return frozenset(found), True

    def field_lengths(self, fieldname: str, wanted: int) -> Sequence[int]:
        """Return documents' lengths in a field (for scoring), indexable by document number.

        The whole column is read once per searcher when many lengths are wanted; a few are looked up
        one by one, so the first search after an update does not pay for reading every length.
        """
        if fieldname in self._field_lengths:
            return self._field_lengths[fieldname]
        if wanted < LENGTH_LOOKUPS_BEFORE_LOADING:
            return _LengthLookup(self.searcher.reader(), fieldname)
        self._field_lengths[fieldname] = field_lengths(self.searcher.reader(), fieldname)
        return self._field_lengths[fieldname]

    def documents_between(self, start: datetime | None, end: datetime | None) -> frozenset[int]:
        """Return the documents published in [start, end)."""
        key = (start, end)
        documents = self._date_documents.pop(key, None)
        if documents is None:
            found = self.searcher.docs_for_query(wq.DateRange("published", start, end, endexcl=True))
            documents = frozenset(found) & self.all_documents()
        self._date_documents[key] = documents  # most recently used last; ranges come from users, so few are kept
        if len(self._date_documents) > DATE_CACHE_RANGES:
            self._date_documents.popitem(last=False)
        return documents

    def vocabulary(self) -> Vocabulary:
        """Return the archive's words for spelling suggestions and completions."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.load(self.folder)
        return self._vocabulary

    def close(self) -> None:
        """Release the searcher's files."""
        self.searcher.close()


def _starts_run(docnum: int, positions: list[dict[int, list[int]]]) -> bool:
    """Tell whether the document has the words at consecutive positions (word i at start + i)."""
    starts = set(positions[0][docnum])
    for distance, word_positions in enumerate(positions[1:], start=1):
        starts.intersection_update(position - distance for position in word_positions[docnum])
        if not starts:
            return False
    return True


@dataclass(frozen=True)
class _LengthLookup:
    """One field's document lengths, read from the index one document at a time."""

    reader: IndexReader
    fieldname: str

    def __getitem__(self, docnum: int) -> int:
        """Return the length of the field in one document."""
        return self.reader.doc_field_length(docnum, self.fieldname) or 0


@dataclass
class LiveIndex:
    """Hands out a Snapshot of the newest published index, reopening after a rebuild or update."""

    location: IndexLocation

    def __post_init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._retired: list[tuple[float, Snapshot]] = []
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """Return a snapshot of the live index; raise IndexMissing when there is none."""
        with self._lock:
            self._close_retired()
            current = self._snapshot
            generation = self.location.current_generation()  # read once: a switch may happen meanwhile
            version = generation.name if generation else ""
            if current is not None and current.version == version and current.searcher.up_to_date():
                return current
            index = self.location.open(generation)
            try:
                self._snapshot = Snapshot(index, version, generation)
            except Exception as error:  # a damaged segment fails here, when its files are first read
                raise self.location.unreadable(error) from error
            if current is not None:
                self._retired.append((time.monotonic(), current))
            return self._snapshot

    def _close_retired(self) -> None:
        """Close replaced snapshots once no request can still be reading them."""
        now = time.monotonic()
        while self._retired and now - self._retired[0][0] > RETIRE_AFTER_SECONDS:
            self._retired.pop(0)[1].close()
