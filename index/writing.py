"""Build the index from sources: a full rebuild into a new generation, or an in-place update."""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from whoosh.writing import IndexWriter

from archive.categories import CategoryRules
from archive.model import Article, Duplicate, Skipped
from archive.page_workers import DEFAULT_TIME_LIMIT, PageJob, PagePart, PagePool, is_page
from archive.sources import (
    DEFAULT_MAX_BYTES, SourceFile, drop_duplicates, file_kind, find_files, holds_pages, page_parts, read_articles,
    resolve_source,
)
from archive.tables import TableSettings
from index.categorizing import Categorizer, load_model
from index.engine.codec import ArchiveCodec
from index.engine.writers import open_writer
from index.schema import article_to_document, build_schema, path_term, url_key
from index.space import bytes_needed, require_space, write_failures_reported
from index.spelling import VOCABULARY_FILE, Vocabulary, article_words, count_words
from index.storage import GenerationStorage, IndexLocation

Progress = Callable[[int, int], None]  # (bytes read, bytes in all)

# Below this much input, starting writer processes costs more than it saves.
MULTIPROCESS_THRESHOLD_BYTES = 4 * 1024 * 1024
# The writers' sorting buffer, shared among the writer processes. Postings that overflow it are
# pickled to disk and merged back one by one: at 256 MB the 113,614-article benchmark took 100 s
# instead of 70 s. The rebuild's peak RSS was 515 MB at this setting.
WRITER_MEMORY_MB = 1024


@dataclass(frozen=True)
class BuildSummary:
    """What a rebuild or update did, for the command line and for tests."""

    mode: str
    files: int
    indexed: int
    unchanged: int = 0
    deleted: int = 0
    duplicates: int = 0
    skipped: tuple[Skipped, ...] = ()
    elapsed: float = 0.0
    documents_in_index: int = 0
    index_path: str = ""
    published: bool = True
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    predicted: int = 0  # articles given a predicted category
    unsure: int = 0  # articles the model was not sure enough about, left uncategorized
    categorizing_seconds: float = 0.0  # spent learning and predicting categories
    category_note: str = ""  # why articles without a category got none predicted, when that happened
    files_by_kind: dict[str, int] = field(default_factory=dict)  # kinds as in archive.sources.KIND_LABELS
    indexed_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def parsed(self) -> int:
        """Return how many articles were read in this run (indexed or found to be duplicates)."""
        return self.indexed + self.duplicates

    @property
    def documents_per_second(self) -> float:
        """Return the indexing rate over the whole run."""
        return self.indexed / self.elapsed if self.elapsed > 0 else 0.0


def rebuild(
    location: IndexLocation,
    sources: Sequence[Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    processes: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    force: bool = False,
    page_workers: int | None = None,
    categories: CategoryRules = CategoryRules(),
    tables: TableSettings = TableSettings(),
) -> BuildSummary:
    """Index every article under the sources into a new generation and switch to it atomically.

    Web pages are parsed by `page_workers` processes (one per core by default).

    Raise IndexWriteFailed, with the live index untouched, when the disk refuses a write, or at once when
    its free space is clearly below what the rebuild needs (unless forced).
    """
    started = time.perf_counter()
    with write_failures_reported(location, "rebuild"), location.writer_lock():
        location.remove_generations(keep=location.readable_generations())
        found = list(find_files(sources))
        files = [item for item in found if isinstance(item, SourceFile)]
        needed = bytes_needed(files)
        if not force:
            require_space(location, "rebuild", needed)
        options = _writer_options(sum(item.size for item in files), processes)
        with _generation_writer(location, "rebuild", needed, **options) as (generation, writer):
            words: Counter = Counter()
            categorizer = Categorizer(categories, scratch=generation)
            counts, skipped = _add_all(
                writer.add_document, found, _nothing_known, words, max_bytes, progress,
                time_limit=time_limit, page_workers=page_workers, tables=tables, categorizer=categorizer,
            )
            categorizer.save(generation)
            writer.commit()
            published = counts["indexed"] > 0
            if published:
                Vocabulary.from_counts(words).save(generation)
                location.publish(generation)
        return _summary("rebuild", location, found, counts, skipped, started, published, categorizer)


def update(
    location: IndexLocation,
    sources: Sequence[Path],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    page_workers: int | None = None,
    categories: CategoryRules = CategoryRules(),
    tables: TableSettings = TableSettings(),
) -> BuildSummary:
    """Index new and changed files under the sources and drop documents whose files are gone.

    The changes are written into a copy of the live generation (see IndexLocation.new_generation), which
    is published with its vocabulary in one step: a failed update leaves the live generation as it was.
    """
    started = time.perf_counter()
    with write_failures_reported(location, "update"), location.writer_lock():
        index = location.open()
        live = location.current_generation()
        found = list(find_files(sources))
        terms = {item.path: path_term(str(item.path)) for item in found if isinstance(item, SourceFile)}
        with location.open_searcher(index) as searcher:
            indexed_mtimes = _indexed_mtimes(searcher, terms.values())
            changed = [
                item for item in found if not (isinstance(item, SourceFile) and item.mtime_ns == indexed_mtimes.get(terms[item.path]))
            ]
            present = set(terms.values())
            # A source that is missing (say, an unmounted disk) deletes nothing: only files seen gone do.
            reachable = [source for source in sources if resolve_source(source).exists()]
            gone = [path for path in _indexed_paths(searcher, reachable) if path not in present]
            # Articles of replaced and deleted files go first, so their new versions are not duplicates of them.
            removed = set(gone) | ({terms[item.path] for item in changed if isinstance(item, SourceFile)} & indexed_mtimes.keys())
            words = Counter(Vocabulary.load(live).counts)
            words.subtract(count_words(_stored_texts(searcher, removed)))

            def existing(content_hash: str) -> str | None:
                for fields in searcher.documents(content_hash=content_hash):
                    if fields["path"] not in removed:
                        return fields["id"]
                return None

            def id_taken(article_id: str) -> bool:
                fields = searcher.document(key=url_key(article_id))
                return fields is not None and fields["path"] not in removed

            changed_files = [item for item in changed if isinstance(item, SourceFile)]
            # The model the last rebuild learned predicts the new articles' categories; an update does not retrain.
            categorizer = Categorizer(categories, scratch=location.root, saved_model=lambda: load_model(live))
            counts: Counter = Counter()
            skipped = [item for item in changed if isinstance(item, Skipped)]
            if changed_files or removed:
                needed = bytes_needed(changed_files) + _size(live / VOCABULARY_FILE)
                with _generation_writer(location, "update", needed, copy_of=live, codec=ArchiveCodec()) as (generation, writer):
                    for path in removed:
                        writer.delete_by_term("path", path)
                    counts, skipped = _add_all(
                        writer.add_document, changed, existing, words, max_bytes, progress, id_taken,
                        time_limit=time_limit, page_workers=page_workers, tables=tables, categorizer=categorizer,
                    )
                    writer.commit()
                    if counts["indexed"] or removed:  # else every new file was skipped: the live index stays
                        Vocabulary.from_counts(words).save(generation)
                        location.publish(generation)
        counts["unchanged"] = len(found) - len(changed)
        counts["deleted"] = len(gone)
        return _summary("update", location, found, counts, skipped, started, True, categorizer)


@contextmanager
def _generation_writer(
    location: IndexLocation, command: str, needed: int, copy_of: Path | None = None, **options
) -> Iterator[tuple[Path, IndexWriter]]:
    """Yield a new generation (a copy of copy_of, or empty) and a writer on it; publishing it is the block's job.

    If the block fails, the writer is cancelled (its writer processes stopped, its files closed) and the
    generation removed; a write the disk refused becomes IndexWriteFailed.
    """
    with write_failures_reported(location, command, needed), location.new_generation(copy_of) as generation:
        storage = GenerationStorage(generation)
        writer = open_writer(storage.open_index() if copy_of else storage.create_index(build_schema()), **options)
        try:
            yield generation, writer
        except BaseException:
            try:
                if not writer.is_closed:  # the failure may come after the commit (the vocabulary, the pointer)
                    writer.cancel()
            except OSError:
                pass  # a full disk fails the cancel too, which leaves files open: they are closed below
            finally:
                storage.close_files()
            raise


def _size(path: Path) -> int:
    """Return a file's size, or 0 when it is missing."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _indexed_mtimes(searcher, terms: Iterable[str]) -> dict[str, int]:
    """Return the modification time recorded in the index for each of the path terms that is indexed."""
    mtimes = {}
    for term in terms:
        fields = searcher.document(path=term)
        if fields is not None:
            mtimes[term] = fields["mtime_ns"]
    return mtimes


def _indexed_paths(searcher, sources: Sequence[Path]) -> set[str]:
    """Return the path terms of the indexed files at or under the sources."""
    paths = set()
    reader = searcher.reader()
    for source in sources:
        root = path_term(str(resolve_source(source)))
        for term in reader.expand_prefix("path", root):
            path = term.decode("utf-8") if isinstance(term, bytes) else term
            # Terms of deleted documents stay in the lexicon until segments merge.
            if (path == root or path.startswith(root + os.sep)) and searcher.document_number(path=path) is not None:
                paths.add(path)
    return paths


def _stored_texts(searcher, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield (title, body) of every indexed article from the files with the given path terms."""
    for path in paths:
        for fields in searcher.documents(path=path):
            yield fields.get("title", ""), fields.get("body", "")


def _nothing_known(content_hash: str) -> None:
    """Know of no indexed article (a rebuild starts empty)."""
    return None


def _add_all(
    add: Callable[..., None],
    found: Sequence[SourceFile | Skipped],
    existing: Callable[[str], str | None],
    words: Counter,
    max_bytes: int,
    progress: Progress | None,
    id_taken: Callable[[str], bool] = lambda article_id: False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    page_workers: int | None = None,
    tables: TableSettings = TableSettings(),
    *,
    categorizer: Categorizer,
) -> tuple[Counter, list[Skipped]]:
    """Parse the found files, hand each new article to the writer (those without a category last), count its words and its kind."""
    counts: Counter = Counter()
    skipped: list[Skipped] = []
    mtimes = {str(item.path): item.mtime_ns for item in found if isinstance(item, SourceFile)}
    for item in drop_duplicates(_read_all(found, max_bytes, progress, time_limit, page_workers, tables), existing, id_taken):
        if isinstance(item, Article):
            words.update(article_words(item.title, item.body))
            counts["indexed"] += 1
            counts[f"kind:{file_kind(Path(item.path))}"] += 1
            ready = categorizer.route(item)
            if ready is not None:
                add(**article_to_document(ready, mtimes.get(ready.path, 0)))
        elif isinstance(item, Duplicate):
            counts["duplicates"] += 1
        else:
            skipped.append(item)
    for article in categorizer.finish():
        add(**article_to_document(article, mtimes.get(article.path, 0)))
    return counts, skipped


# What _read_all hands on, in the order found: a file to read in this process, a page the pool parses,
# an outcome known already (a record skipped), or a number of bytes read (for the progress bar).
_Step = SourceFile | PagePart | Article | Skipped | Duplicate | int


def _read_all(
    found: Sequence[SourceFile | Skipped],
    max_bytes: int,
    progress: Progress | None,
    time_limit: float,
    page_workers: int | None,
    tables: TableSettings,
) -> Iterator[Article | Skipped | Duplicate]:
    """Read each found file, turning every failure into a Skipped so one bad or slow file never stops a run."""
    total = sum(item.size for item in found if isinstance(item, SourceFile))
    done = 0

    def consumed(size: int) -> None:
        nonlocal done
        done += size
        if progress:
            progress(min(done, total), total)

    steps: deque[_Step] = deque()
    with PagePool(page_workers, time_limit, max_bytes) as pool:
        # The pool parses pages ahead, on every worker; their articles come back in the order found.
        for step in _in_order(steps, pool.parse(_page_jobs(found, steps, max_bytes))):
            if isinstance(step, int):
                consumed(step)
            elif isinstance(step, SourceFile):
                try:
                    yield from read_articles(step, max_bytes, consumed, tables=tables)
                except Exception as error:  # a parser bug on one odd file must not cost the whole run
                    yield Skipped(str(step.path), f"could not be parsed ({type(error).__name__})")
            else:
                yield step


def _page_jobs(found: Sequence[SourceFile | Skipped], steps: deque[_Step], max_bytes: int) -> Iterator[PageJob]:
    """Queue the steps of every found file in order, yielding the pages among them to the pool as it asks.

    Files of cheap text are queued whole, to be read when their turn comes; pages (saved pages, and the
    records and entries inside web archives and feeds) go to the pool at once, so every worker stays busy.
    """
    for item in found:
        if isinstance(item, Skipped):
            steps.append(item)
        elif is_page(item):
            steps += (PagePart(item), item.size)
            yield item
        elif holds_pages(item):
            try:
                for part in page_parts(item, max_bytes, steps.append):
                    steps.append(part)
                    if isinstance(part, PagePart):
                        yield part.job
            except Exception as error:  # a reader bug on one odd file must not cost the whole run
                steps.append(Skipped(str(item.path), f"could not be parsed ({type(error).__name__})"))
        else:
            steps.append(item)


def _in_order(steps: deque[_Step], outcomes: Iterator[Article | Skipped]) -> Iterator[_Step]:
    """Yield the queued steps in order, each page replaced by its outcome from the pool."""
    arrived: Article | Skipped | None = None  # an outcome the pool gave before its page was reached
    while True:
        if not steps:
            # Asking the pool for an outcome makes it queue the steps up to that page (and cheap files past it).
            arrived = next(outcomes, None)
            if not steps:
                return
        step = steps.popleft()
        if isinstance(step, PagePart):
            yield step.article(next(outcomes) if arrived is None else arrived)
            arrived = None
        else:
            yield step


def _writer_options(input_bytes: int, processes: int | None) -> dict:
    """Choose Whoosh writer options: several processes with one segment each for large runs."""
    processes = processes or min(os.cpu_count() or 1, 4)
    if input_bytes < MULTIPROCESS_THRESHOLD_BYTES or processes < 2:
        return {"limitmb": WRITER_MEMORY_MB, "codec": ArchiveCodec()}
    return {"procs": processes, "multisegment": True, "limitmb": WRITER_MEMORY_MB // processes, "codec": ArchiveCodec()}


def _summary(
    mode: str,
    location: IndexLocation,
    found: Sequence[SourceFile | Skipped],
    counts: Counter,
    skipped: list[Skipped],
    started: float,
    published: bool,
    categorizer: Categorizer,
) -> BuildSummary:
    """Collect the figures of a finished run."""
    documents = 0
    if location.current_generation() is not None:
        with location.open().searcher() as searcher:
            documents = searcher.doc_count()
    summary = run_summary(mode, str(location.root), documents, found, counts, skipped, started, published)
    return replace(
        summary,
        predicted=categorizer.predicted,
        unsure=categorizer.unsure,
        categorizing_seconds=categorizer.seconds,
        category_note=categorizer.note,
    )


def run_summary(
    mode: str,
    index_path: str,
    documents: int,
    found: Sequence[SourceFile | Skipped],
    counts: Counter,
    skipped: list[Skipped],
    started: float,
    published: bool,
) -> BuildSummary:
    """Return the summary of a finished run from what it counted (either backend's)."""
    return BuildSummary(
        mode=mode,
        files=sum(isinstance(item, SourceFile) for item in found),
        indexed=counts["indexed"],
        unchanged=counts["unchanged"],
        deleted=counts["deleted"],
        duplicates=counts["duplicates"],
        skipped=tuple(skipped),
        elapsed=time.perf_counter() - started,
        documents_in_index=documents,
        index_path=index_path,
        published=published,
        skipped_by_reason=dict(Counter(item.reason for item in skipped)),
        files_by_kind=dict(Counter(file_kind(item.path) for item in found if isinstance(item, SourceFile))),
        indexed_by_kind={name.removeprefix("kind:"): count for name, count in counts.items() if name.startswith("kind:")},
    )
