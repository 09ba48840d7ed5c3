"""An open view of the live index, with the caches that make faceted search fast.

Document sets are NumPy boolean masks indexed by document number, so set algebra, scoring and facet
counts are vectorised instead of walking Python sets.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.index import Index
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from index.analysis import FAMILIES
from index.caching import ENTRY_BYTES, BoundedCache, array_bytes
from index.engine import postings
from index.querying import QueryParser
from index.schema import ANALYSIS_FIELD, FACET_FIELDS, field_part, search_fields
from index.spelling import Vocabulary
from index.storage import IndexLocation, IndexUnavailable

# What one process keeps in its caches by default (see CacheBudget); the arrays read at open come on top.
DEFAULT_CACHE_MB = 128
# A replaced snapshot is closed this long after the switch, when no request can still be using it.
RETIRE_AFTER_SECONDS = 120
# How often a serving process looks for a new generation (LiveIndex.follow).
FOLLOW_SECONDS = 0.2
# Warming a new snapshot: the analysis of the archive's most frequent words (0.3 s for 20,000), then the
# postings of the most frequent ones, for at most so many seconds and this share of the postings cache.
WARM_WORDS = 20_000
WARM_POSTINGS = 1_000
WARM_SECONDS = 2.0
WARM_SHARE = 0.5
# Stored in the date column of an article without a date (Whoosh's "no value" for a numeric column).
NO_DATE = np.iinfo(np.uint64).max

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheBudget:
    """The bytes each of a snapshot's caches may hold: shares of one budget per process.

    Postings and each word's score contributions are what a repeated word saves (a score entry takes 16
    bytes a document, a posting 12), so they share most of it; phrases and word rarities are small.
    """

    postings: int
    term_scores: int
    phrases: int
    frequencies: int

    @classmethod
    def of_megabytes(cls, megabytes: float) -> CacheBudget:
        """Split a budget in MB between the caches."""
        total = int(megabytes * 1024 * 1024)
        return cls(postings=total * 40 // 100, term_scores=total * 50 // 100, phrases=total * 7 // 100, frequencies=total * 3 // 100)


@dataclass(frozen=True)
class TermPostings:
    """A term's documents in one field, in order, with the term's frequency in each."""

    documents: np.ndarray  # uint32 document numbers
    frequencies: np.ndarray  # float32


@dataclass(frozen=True)
class FacetTable:
    """Every (document, value) pair of a facet field, for counting values over any set of documents at once."""

    values: tuple[str, ...]  # the field's values; a value's ordinal is its place here
    pair_documents: np.ndarray  # uint32, one entry per (document, value) pair, grouped by value
    pair_values: np.ndarray  # int32 ordinals, beside pair_documents
    starts: np.ndarray  # where each value's pairs start, and one past the last
    ordinals: dict[str, int]
    document_values: np.ndarray  # the same pairs' ordinals grouped by document
    document_starts: np.ndarray  # where each document's values start in document_values, and one past the last

    @classmethod
    def from_values(cls, size: int, values: list[str], documents: list[np.ndarray]) -> FacetTable:
        """Build the table from each value's documents, for document numbers below size."""
        sizes = np.array([len(found) for found in documents], dtype=np.int64)
        pair_documents = np.concatenate(documents) if documents else np.empty(0, np.uint32)
        pair_values = np.repeat(np.arange(len(values), dtype=np.int32), sizes)
        by_document = np.argsort(pair_documents, kind="stable")
        return cls(
            values=tuple(values),
            pair_documents=pair_documents,
            pair_values=pair_values,
            starts=np.concatenate([[0], np.cumsum(sizes)]),
            ordinals={value: number for number, value in enumerate(values)},
            document_values=pair_values[by_document],
            document_starts=np.concatenate([[0], np.cumsum(np.bincount(pair_documents, minlength=size))]),
        )

    def documents(self, value: str) -> np.ndarray:
        """Return the documents holding a value (none for an unknown value)."""
        ordinal = self.ordinals.get(value)
        if ordinal is None:
            return self.pair_documents[:0]
        return self.pair_documents[self.starts[ordinal] : self.starts[ordinal + 1]]

    def counts(self, documents: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Return how many of the documents (a mask, and its document numbers) hold each value, by ordinal."""
        if len(chosen) * 4 < len(self.pair_documents):
            # Few documents: gather their own values rather than test every pair.
            starts = self.document_starts[chosen]
            lengths = self.document_starts[chosen + 1] - starts
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
            found = self.document_values[offsets]
        else:
            found = self.pair_values[documents[self.pair_documents]]
        return np.bincount(found, minlength=len(self.values))


class Snapshot:
    """One Whoosh searcher and what is computed from it once: postings, lengths, facet tables, live documents.

    Whoosh rebuilds a `filter=` set on every query; keeping these for as long as this searcher lives is
    what keeps faceted search fast on large archives.
    """

    def __init__(self, index: Index, version: str, folder: Path, budget: CacheBudget = CacheBudget.of_megabytes(DEFAULT_CACHE_MB)):
        self.version = version
        self.folder = folder
        self.searcher: Searcher = index.searcher()
        self.reader: IndexReader = self.searcher.reader()
        self.size = self.reader.doc_count_all()  # document numbers run from 0 to size - 1, deleted ones included
        self.lock = threading.Lock()  # Whoosh searchers are not safe to share between threads
        self._parser: QueryParser | None = None
        self._live: np.ndarray | None = None
        self._postings: BoundedCache[TermPostings] = BoundedCache(
            budget.postings, lambda found: array_bytes(found.documents, found.frequencies)
        )
        self._frequencies: BoundedCache[int] = BoundedCache(budget.frequencies, lambda found: ENTRY_BYTES)
        self._phrases: BoundedCache[np.ndarray] = BoundedCache(budget.phrases, array_bytes)
        # A word's BM25F contribution to every document holding it, under given ranking settings (see index.ranking).
        self.term_scores: BoundedCache[tuple[np.ndarray, np.ndarray]] = BoundedCache(budget.term_scores, lambda found: array_bytes(*found))
        self._facet_tables: dict[str, FacetTable] = {}
        self._lengths: dict[str, np.ndarray] = {}
        self._published: np.ndarray | None = None
        self._vocabulary: Vocabulary | None = None
        self._families: tuple[str, ...] | None = None
        self._family_sizes: dict[str, int] = {}
        self._average_lengths: dict[str, float] = {}

    @property
    def schema(self):
        """Return the schema of the index."""
        return self.searcher.schema

    def parser(self) -> QueryParser:
        """Return the query parser for this index, built on first use."""
        if self._parser is None:
            self._parser = QueryParser(self.schema, self.families())
        return self._parser

    def families(self) -> tuple[str, ...]:
        """Return the analysis families the indexed articles' text went through (a query is analysed in each)."""
        if self._families is None:
            present = set(self.reader.field_terms(ANALYSIS_FIELD))
            self._families = tuple(family for family in FAMILIES if family in present)
        return self._families

    def family_size(self, family: str) -> int:
        """Return how many documents of an analysis family there are, deleted ones included (as field lengths count them)."""
        if family not in self._family_sizes:
            self._family_sizes[family] = len(self.postings(ANALYSIS_FIELD, family).documents)
        return self._family_sizes[family]

    def mask(self, documents: np.ndarray | None = None) -> np.ndarray:
        """Return a document mask holding the given document numbers (none when not given)."""
        found = np.zeros(self.size, dtype=bool)
        if documents is not None:
            found[documents] = True
        return found

    def live(self) -> np.ndarray:
        """Return the mask of live (not deleted) documents; do not modify it."""
        if self._live is None:
            live = np.ones(self.size, dtype=bool)
            for leaf, offset in self.reader.leaf_readers():
                if leaf.has_deletions():
                    live[np.fromiter(leaf.deleted_docs_set, dtype=np.int64) + offset] = False
            live.flags.writeable = False
            self._live = live
        return self._live

    def live_count(self) -> int:
        """Return how many documents are live."""
        return self.reader.doc_count()

    def postings(self, fieldname: str, text: str) -> TermPostings:
        """Return a term's postings in one field, from a bounded cache shared by this searcher's queries."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is None:
            if key not in self.reader:
                return _NO_POSTINGS  # not cached: made-up words would otherwise fill the cache for free
            documents, frequencies = postings.term_postings(self.reader, fieldname, text)
            # Indexing arrays with platform integers is about twice as fast as with uint32.
            found = self._postings.put(key, TermPostings(documents.astype(np.intp), frequencies))
        return found

    def uncached_postings(self, fieldname: str, text: str) -> TermPostings:
        """Return a term's postings without caching them (for the many words a wildcard expands to)."""
        found = self._postings.get((fieldname, text))
        return found if found is not None else TermPostings(*postings.term_postings(self.reader, fieldname, text))

    def document_frequency(self, texts: tuple[str, ...], fieldnames: tuple[str, ...]) -> int:
        """Return how many live documents hold any of the terms in any of the fields (a term's rarity over whole articles)."""
        key = (texts, fieldnames)
        found = self._frequencies.get(key)
        if found is None:
            holding = self.mask()
            for fieldname in fieldnames:
                for text in texts:
                    holding[self.postings(fieldname, text).documents] = True
            found = self._frequencies.put(key, int(np.count_nonzero(holding & self.live())))
        return found

    def field_lengths(self, fieldname: str) -> np.ndarray:
        """Return every document's length in a field (as Whoosh stores it, to within a few percent), by document number."""
        if fieldname not in self._lengths:
            self._lengths[fieldname] = postings.field_lengths(self.reader, fieldname)
        return self._lengths[fieldname]

    def average_length(self, fieldname: str) -> float:
        """Return the average length of a search field's part (title or body) over every document, whatever its language (deleted ones included, as Whoosh counts).

        One average for every family, as when one field held every language: averaged within each family, a
        short Portuguese wire item and a long Spanish feature each counted as of ordinary length, and the
        feature outranked the item for the words both hold.
        """
        part = field_part(fieldname)
        if part not in self._average_lengths:
            total = sum(self.reader.field_length(name) for name in search_fields(FAMILIES) if field_part(name) == part)
            self._average_lengths[part] = total / self.size if self.size and total else 1.0
        return self._average_lengths[part]

    def facet_table(self, fieldname: str) -> FacetTable:
        """Return every (document, value) pair of a facet field, read once per searcher."""
        if fieldname not in self._facet_tables:
            values, documents = [], []
            for value in self.reader.field_terms(fieldname):
                found = postings.term_postings(self.reader, fieldname, value)[0]
                found = found[self.live()[found]]
                if len(found):
                    values.append(value)
                    documents.append(found)
            self._facet_tables[fieldname] = FacetTable.from_values(self.size, values, documents)
        return self._facet_tables[fieldname]

    def published(self) -> np.ndarray:
        """Return each document's publication time as a number that sorts in time order (NO_DATE when it has none)."""
        if self._published is None:
            parts = [np.fromiter(leaf.column_reader("published", translate=False), dtype=np.uint64, count=leaf.doc_count_all())
                     for leaf, _offset in self.reader.leaf_readers()]
            self._published = np.concatenate(parts) if parts else np.empty(0, np.uint64)
        return self._published

    def cached_phrase(self, key: tuple) -> np.ndarray | None:
        """Return the documents found earlier for a phrase, or None."""
        return self._phrases.get(key)

    def remember_phrase(self, key: tuple, documents: np.ndarray) -> None:
        """Keep the documents holding a phrase, for the next query with it."""
        self._phrases.put(key, documents)

    def vocabulary(self) -> Vocabulary:
        """Return the archive's words for spelling suggestions and completions."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.load(self.folder)
        return self._vocabulary

    def prepare(self) -> None:
        """Read what every search needs (live documents, lengths, facet tables, dates, words), so no visitor waits for it."""
        _read_ahead(self.folder)
        with self.lock:
            self.live()
            self.published()
            self.vocabulary()
            self.parser()
            for family in self.families():
                self.family_size(family)
            for fieldname in search_fields(self.families()):
                self.field_lengths(fieldname)
            for fieldname in FACET_FIELDS:
                self.facet_table(fieldname)

    def warm(self, seconds: float = WARM_SECONDS) -> int:
        """Analyze the archive's most frequent words and read the postings of the commonest, within a time and a share of the cache.

        These are the words a visitor's search most likely holds, and the longest postings to decode. The
        lock is taken for one word at a time, so searches go on meanwhile. Return how many words' postings were read.
        """
        from index.highlight import analyzed, remember_words  # highlight reaches this module through matching

        deadline = time.monotonic() + seconds
        counts = self.vocabulary().counts
        frequent = sorted(counts, key=counts.__getitem__, reverse=True)[:WARM_WORDS]
        with self.lock:
            families = sorted(self.families(), key=self.family_size, reverse=True)
        if families:
            remember_words(frequent, families[0])  # the archive's main language, which most of its words are in
        read = 0
        for word in frequent[:WARM_POSTINGS]:
            if time.monotonic() > deadline or self._postings.size > WARM_SHARE * self._postings.capacity:
                break
            for family in families:
                term = analyzed(word, family)
                if term is not None:
                    with self.lock:
                        for fieldname in search_fields((family,)):
                            self.postings(fieldname, term)
            read += 1
        return read

    def close(self) -> None:
        """Release the searcher's files."""
        self.searcher.close()


def _read_ahead(folder: Path) -> None:
    """Ask the system to bring a generation's files into the page cache, which every process reads them from."""
    if not hasattr(os, "posix_fadvise"):
        return
    for path in folder.iterdir():
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # a folder, or a file gone with its generation
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(descriptor)


_NO_POSTINGS = TermPostings(np.empty(0, np.uint32), np.empty(0, np.float32))


class LiveIndex:
    """Hands out a Snapshot of the newest published index, reopening after a rebuild or update.

    By default each request looks at the `CURRENT` pointer and opens a new generation itself. A serving
    process calls `follow()` instead: a thread opens and prepares each new generation while requests go
    on with the previous one, then switches, so no visitor waits for the files or a cold cache.
    """

    def __init__(self, location: IndexLocation, budget: CacheBudget = CacheBudget.of_megabytes(DEFAULT_CACHE_MB)) -> None:
        self.location = location
        self.budget = budget
        self._snapshot: Snapshot | None = None
        self._retired: list[tuple[float, Snapshot]] = []
        self._lock = threading.Lock()
        self._following = False
        self._failed: tuple[str, IndexUnavailable] | None = None  # the generation the follower could not open, and why

    def snapshot(self) -> Snapshot:
        """Return a snapshot of the live index; raise IndexUnavailable when there is none to read."""
        with self._lock:
            self._close_retired()
            current = self._snapshot
            if self._following and self._failed is not None:
                raise self._failed[1]
            if self._following and current is not None:
                return current
            generation = self.location.current_generation()  # read once: a switch may happen meanwhile
            version = generation.name if generation else ""
            if current is not None and current.version == version and current.searcher.up_to_date():
                return current
            self._serve(self._open(generation, version))
            return self._snapshot

    def follow(self, every: float = FOLLOW_SECONDS) -> threading.Thread:
        """Serve the live generation, prepared, then switch to each new one from a thread looking every so many seconds.

        For a serving process: the first snapshot is opened and prepared before this returns (before the
        process takes requests), and warmed by the thread while requests are served.
        """
        self._following = True
        first = self.refresh()
        follower = threading.Thread(target=self._follow, args=(first, every), name="follow-index", daemon=True)
        follower.start()
        return follower

    def refresh(self) -> Snapshot | None:
        """Open and serve the live generation if it is not the one served, then prepare it; return it (None if unchanged).

        A new generation is served as soon as it is open: preparing it takes its lock, so the first
        searches on it wait for the arrays they would otherwise read themselves.
        """
        generation = self.location.current_generation()
        version = generation.name if generation else ""
        current = self._snapshot
        if (current is not None and current.version == version) or (self._failed is not None and self._failed[0] == version):
            return None
        try:
            fresh = self._open(generation, version)
        except IndexUnavailable as error:
            self._failed = (version, error)
            return None
        with self._lock:
            self._failed = None
            self._serve(fresh)
        try:
            fresh.prepare()
        except Exception:  # a damaged segment: the searches that read it say so themselves
            log.exception("could not prepare the index generation %s", version)
        return fresh

    def close(self) -> None:
        """Close every snapshot opened here (a process that forks servers closes its own first)."""
        with self._lock:
            for _, snapshot in self._retired:
                snapshot.close()
            if self._snapshot is not None:
                self._snapshot.close()
            self._retired, self._snapshot = [], None

    def _open(self, generation: Path | None, version: str) -> Snapshot:
        """Open a generation as a snapshot; raise IndexUnavailable with the command that fixes it."""
        index = self.location.open(generation)
        try:
            return Snapshot(index, version, generation, self.budget)
        except Exception as error:  # a damaged segment fails here, when its files are first read
            raise self.location.unreadable(error) from error

    def _serve(self, fresh: Snapshot) -> None:
        """Make a snapshot the one handed out, retiring the previous one (the lock is held)."""
        if self._snapshot is not None:
            self._retired.append((time.monotonic(), self._snapshot))
        self._snapshot = fresh

    def _follow(self, first: Snapshot | None, every: float) -> None:
        """Warm the first snapshot, then refresh and warm each new one for as long as the process lives."""
        fresh = first
        while True:
            try:
                if fresh is not None:
                    fresh.warm()
                time.sleep(every)
                fresh = self.refresh()
            except Exception:  # never let the follower die: requests would stay on an old generation
                log.exception("could not switch to the new index generation")
                fresh = None

    def _close_retired(self) -> None:
        """Close replaced snapshots once no request can still be reading them."""
        now = time.monotonic()
        while self._retired and now - self._retired[0][0] > RETIRE_AFTER_SECONDS:
            self._retired.pop(0)[1].close()
