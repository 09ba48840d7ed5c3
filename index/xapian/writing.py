"""Build the shards: a rebuild writes a new generation of every shard, an update changes the live ones.

Files are found, read and de-duplicated exactly as the Whoosh backend does (the same functions);
each article goes to the shard its id hashes to.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import xapian
from whoosh.analysis import Analyzer

from archive.categories import CategoryRules
from archive.page_workers import DEFAULT_TIME_LIMIT
from archive.sources import DEFAULT_MAX_BYTES, SourceFile, find_files, resolve_source
from archive.tables import TableSettings
from index.analysis import text_analyzer
from index.categorizing import Categorizer
from index.schema import ANALYSIS_FIELD, path_term, url_key
from index.space import NO_ROOM, NOT_WRITABLE, IndexWriteFailed, bytes_needed, free_bytes, require_space, write_failure_message, write_failures_reported
from index.spelling import count_words
from index.storage import IndexUnavailable, IndexUnreadable
from index.writing import BuildSummary, Progress, _add_all, run_summary  # the reading pipeline both backends share
from index.xapian.documents import HASH_PREFIX, KEY_PREFIX, PATH_PREFIX, bounded, path_filter_term, shard_of, stored_fields, to_document
from index.xapian.storage import (
    GENERATION_KEY,
    NEXT_SEQUENCE_KEY,
    SHARD_KEY,
    ShardStore,
    load_vocabulary,
    mark,
    metadata,
    save_vocabulary,
)

def rebuild(
    store: ShardStore,
    shards: int,
    sources: Sequence[Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    processes: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    force: bool = False,
    page_workers: int | None = None,
    tables: TableSettings = TableSettings(),
    categories: CategoryRules = CategoryRules(),
) -> BuildSummary:
    """Index every article under the sources into a new generation of every shard, then switch the shards to it.

    `processes` is accepted for the Whoosh backend's signature; Xapian writes each shard in this process.
    """
    started = time.perf_counter()
    location = store.location
    with write_failures_reported(location, "rebuild"), location.writer_lock():
        store.remove_old(shards)
        found = list(find_files(sources))
        files = [item for item in found if isinstance(item, SourceFile)]
        needed = bytes_needed(files)
        if not force:
            require_space(location, "rebuild", needed)
        with (
            write_failures_reported(location, "rebuild", needed),
            _xapian_failures_reported(store, "rebuild", needed),
            store.new_generation(shards) as (generation, folders),
            ExitStack() as stack,
        ):
            writers = [stack.enter_context(_writable(folder, xapian.DB_CREATE)) for folder in folders]
            words: Counter = Counter()
            added = _Adder(writers, 0)
            counts, skipped = _add_all(
                added, found, _nothing_known, words, max_bytes, progress, time_limit=time_limit, page_workers=page_workers, tables=tables,
                categorizer=_categorizer(categories, location.root),
            )
            published = counts["indexed"] > 0
            if published:
                _finish(writers, generation, words, added.sequence)
                stack.close()
                store.publish(folders)
        return _summary("rebuild", store, shards, found, counts, skipped, started, published)


def update(
    store: ShardStore,
    shards: int,
    sources: Sequence[Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    page_workers: int | None = None,
    tables: TableSettings = TableSettings(),
    categories: CategoryRules = CategoryRules(),
) -> BuildSummary:
    """Index new and changed files under the sources into the live shards and drop articles whose files are gone.

    Each shard is changed in a transaction, and the transactions are committed together at the end with
    the generation's new name: a failed update leaves every shard as it was.
    """
    started = time.perf_counter()
    location = store.location
    with write_failures_reported(location, "update"), location.writer_lock(), ExitStack() as stack:
        stubs = store.live_databases(shards)
        readers = [xapian.Database(str(stub)) for stub in stubs]
        generation = _common_generation(store, readers, shards)
        combined = xapian.Database()
        for reader in readers:
            combined.add_database(reader)
        found = list(find_files(sources))
        terms = {item.path: path_term(str(item.path)) for item in found if isinstance(item, SourceFile)}
        indexed_mtimes = _indexed_mtimes(combined, terms.values())
        changed = [item for item in found if not (isinstance(item, SourceFile) and item.mtime_ns == indexed_mtimes.get(terms[item.path]))]
        present = set(terms.values())
        reachable = [source for source in sources if resolve_source(source).exists()]
        gone = [path for path in _indexed_paths(combined, reachable) if path not in present]
        removed = set(gone) | ({terms[item.path] for item in changed if isinstance(item, SourceFile)} & indexed_mtimes.keys())
        words = Counter(load_vocabulary(readers[0]).counts)
        words.subtract(count_words(_stored_texts(combined, removed)))

        def existing(content_hash: str) -> str | None:
            for fields in _documents(combined, HASH_PREFIX + content_hash):
                if fields.get("path") not in removed:
                    return fields["id"]
            return None

        def id_taken(article_id: str) -> bool:
            return any(fields.get("path") not in removed for fields in _documents(combined, KEY_PREFIX + url_key(article_id)))

        changed_files = [item for item in changed if isinstance(item, SourceFile)]
        counts: Counter = Counter()
        skipped = [item for item in changed if not isinstance(item, SourceFile)]
        if changed_files or removed:
            needed = bytes_needed(changed_files)
            with write_failures_reported(location, "update", needed), _xapian_failures_reported(store, "update", needed):
                writers = [stack.enter_context(_writable(folder, xapian.DB_OPEN)) for folder in store.live_folders(shards)]
                for writer in writers:
                    writer.begin_transaction()
                for path in removed:
                    for writer in writers:
                        writer.delete_document(path_filter_term(path))
                added = _Adder(writers, int(metadata(readers[0], NEXT_SEQUENCE_KEY) or 0))
                counts, skipped = _add_all(
                    added, changed, existing, words, max_bytes, progress, id_taken, time_limit=time_limit, page_workers=page_workers, tables=tables,
                    categorizer=_categorizer(categories, location.root),
                )
                if counts["indexed"] or removed:  # else every new file was skipped: the shards stay as they were
                    _finish(writers, f"{generation.split('.')[0]}.{time.time_ns()}", words, added.sequence, transaction=True)
                else:
                    for writer in writers:
                        writer.cancel_transaction()
        counts["unchanged"] = len(found) - len(changed)
        counts["deleted"] = len(gone)
        for reader in readers:
            reader.close()
        stack.close()
        return _summary("update", store, shards, found, counts, skipped, started, True)


@contextmanager
def _xapian_failures_reported(store: ShardStore, command: str, needed: int | None = None) -> Iterator[None]:
    """Turn Xapian's own write errors (it reports a full or read-only disk as a DatabaseError) into the archive's messages."""
    try:
        yield
    except xapian.Error as error:
        detail = error.get_error_string()
        message = f"{error.get_msg()} ({detail.decode('utf-8', 'replace') if isinstance(detail, bytes) else detail})" if detail else error.get_msg()
        live = store.has_generations()
        for code in (*NO_ROOM, *NOT_WRITABLE):
            if os.strerror(code) in message:
                reason = NO_ROOM.get(code) or NOT_WRITABLE[code]
                raise IndexWriteFailed(write_failure_message(command, store.root, reason, free_bytes(store.root), needed, live)) from None
        raise IndexUnreadable(f"archive {command} failed: Xapian says {message}. The previous index is still live. Rebuild it with: archive rebuild") from None


class _Adder:
    """Adds each article's fields to the shard its id hashes to, numbering articles in the order they come."""

    def __init__(self, writers: list[xapian.WritableDatabase], sequence: int) -> None:
        self.writers = writers
        self.sequence = sequence
        self.analyzers: dict[str, Analyzer] = {}  # one per analysis family for the whole run: they memoize stems

    def __call__(self, **fields) -> None:
        family = fields[ANALYSIS_FIELD]
        if family not in self.analyzers:
            self.analyzers[family] = text_analyzer(family)
        self.writers[shard_of(fields["id"], len(self.writers))].add_document(to_document(fields, self.sequence, self.analyzers[family]))
        self.sequence += 1


class _writable:
    """Opens a shard database for writing and closes it, whatever happened (a failed run leaves no lock held)."""

    def __init__(self, path: Path, flags: int) -> None:
        self.path, self.flags = path, flags
        self.database: xapian.WritableDatabase | None = None

    def __enter__(self) -> xapian.WritableDatabase:
        try:
            self.database = xapian.WritableDatabase(str(self.path), self.flags | xapian.DB_BACKEND_GLASS)
        except xapian.DatabaseError as error:
            raise IndexUnreadable(f"Cannot write the shard database {self.path} ({error.get_msg()}). Rebuild it with: archive rebuild") from None
        return self.database

    def __exit__(self, *failure) -> None:
        if self.database is not None:
            self.database.close()


def _finish(writers: list[xapian.WritableDatabase], generation: str, words: Counter, next_sequence: int, transaction: bool = False) -> None:
    """Name the generation in every shard, keep the vocabulary in shard 0, and commit them all."""
    for number, writer in enumerate(writers):
        mark(writer, generation, number, len(writers), next_sequence)
    save_vocabulary(writers[0], words)
    for writer in writers:
        if transaction:
            writer.commit_transaction()
        else:
            writer.commit()


def _common_generation(store: ShardStore, readers: list[xapian.Database], shards: int) -> str:
    """Return the generation every live shard holds; raise IndexUnreadable when they differ or were built for another count."""
    generations = {metadata(reader, GENERATION_KEY) for reader in readers}
    built_for = {metadata(reader, SHARD_KEY).partition("/")[2] for reader in readers}
    if built_for != {str(shards)}:
        raise IndexUnreadable(f"The index at {store.root} was built for another number of shards than the topology lists. Rebuild it with: archive rebuild")
    if len(generations) != 1:
        raise IndexUnreadable(f"The shards at {store.root} hold different generations (an update was interrupted as it finished). Rebuild it with: archive rebuild")
    return generations.pop()


def _documents(database: xapian.Database, term: str) -> Iterable[dict]:
    """Yield the stored fields of every document indexed by a term."""
    for posting in database.postlist(term):
        yield stored_fields(database.get_document(posting.docid))


def _indexed_mtimes(database: xapian.Database, terms: Iterable[str]) -> dict[str, int]:
    """Return the modification time recorded for each of the path terms that is indexed."""
    mtimes = {}
    for term in terms:
        for fields in _documents(database, path_filter_term(term)):
            if fields.get("path") == term:
                mtimes[term] = fields.get("mtime_ns", 0)
                break
    return mtimes


def _indexed_paths(database: xapian.Database, sources: Sequence[Path]) -> set[str]:
    """Return the path terms of the indexed files at or under the sources."""
    paths = set()
    for source in sources:
        root = path_term(str(resolve_source(source)))
        prefix = PATH_PREFIX + bounded(root) if bounded(root) == root else PATH_PREFIX + bounded(root).partition("\x00")[0]
        for item in database.allterms(prefix):
            term = item.term.decode("utf-8", "surrogatepass")
            path = term.removeprefix(PATH_PREFIX)
            if "\x00" in path:  # a path too long for a term: its stored fields hold it whole
                path = next(_documents(database, term))["path"]
            if path == root or path.startswith(root + os.sep):
                paths.add(path)
    return paths


def _stored_texts(database: xapian.Database, paths: Iterable[str]) -> Iterable[tuple[str, str]]:
    """Yield (title, body) of every indexed article from the files with the given path terms."""
    for path in paths:
        for fields in _documents(database, path_filter_term(path)):
            if fields.get("path") == path:
                yield fields.get("title", ""), fields.get("body", "")


def _nothing_known(content_hash: str) -> None:
    """Know of no indexed article (a rebuild starts empty)."""
    return None


def _categorizer(categories: CategoryRules, scratch: Path) -> Categorizer:
    """Decide categories by the user's rules; the shards learn no category model (the Whoosh backend does)."""
    return Categorizer(replace(categories, predict=False), scratch)


def _summary(
    mode: str, store: ShardStore, shards: int, found: Sequence, counts: Counter, skipped: list, started: float, published: bool
) -> BuildSummary:
    """Collect the figures of a finished run."""
    documents = 0
    try:
        stubs = store.live_databases(shards)
    except IndexUnavailable:  # nothing was ever published
        stubs = []
    for stub in stubs:
        database = xapian.Database(str(stub))
        documents += database.get_doccount()
        database.close()
    return run_summary(mode, str(store.root), documents, found, counts, skipped, started, published)
