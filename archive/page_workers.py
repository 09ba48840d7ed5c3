"""Parse web pages in worker processes, one per core, so a page that takes too long can be abandoned.

A job is a page file found under a source folder, or a page already in memory (a web archive record, a
feed entry's HTML) with what is known of it from outside. Either way the page becomes an Article through
`archive.html.parse_html`, in a worker process that is killed and replaced when the page overruns the
time limit or crashes it. A PagePart pairs a job with what its file adds to the article (a feed entry's
title and tags), applied in the parent once the page is parsed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from archive.model import Article, ParseError, Skipped
from archive.sources import DEFAULT_MAX_BYTES, HTML_EXTENSIONS, SourceFile, read_article

# Real news pages take well under a second; a page taking this long is pathological (or hostile).
DEFAULT_TIME_LIMIT = 30.0
# How many pages may be parsed ahead of the oldest one not yet handed out, per worker: enough to keep
# every worker busy behind a slow page, few enough that the finished articles held back stay small.
AHEAD_PER_WORKER = 16


@dataclass(frozen=True)
class PageBytes:
    """A page already in memory, with what is known of it from outside the page."""

    data: bytes
    relative_path: str  # the article's id when the page names no URL
    origin: str  # where it came from, as a Skipped names it: a file, or an archive and a record
    url: str = ""  # the URL it was fetched from; the page's canonical URL wins
    article_id: str = ""  # an id given from outside (a feed entry's id), used before the URL
    published: datetime | None = None  # a date from outside (a feed entry's), used when the page names none
    folders: tuple[str, ...] = ()  # the folders it was found in, which may name its category
    captured: datetime | None = None  # when a crawler or `archive add` fetched it, kept on the article
    path: str = ""  # the file holding it, as the index names the article's file (origin when empty)


PageJob = SourceFile | PageBytes


def _as_parsed(article: Article) -> Article:
    """Return the article as the page parser made it."""
    return article


@dataclass(frozen=True)
class PagePart:
    """A page for the workers to parse, and how the file it came from completes its article."""

    job: PageJob
    # A feed adds its entry's title, authors and tags; a web archive keeps the captured address as the URL.
    complete: Callable[[Article], Article] = _as_parsed

    def article(self, outcome: Article | Skipped) -> Article | Skipped:
        """Return the parsed page's article completed by its file, or the Skipped as it is."""
        return outcome if isinstance(outcome, Skipped) else self.complete(outcome)


def is_page(source: SourceFile) -> bool:
    """Tell whether a file may be an HTML page (an extension-less file is sniffed when read)."""
    suffix = source.path.suffix.lower()
    return suffix in HTML_EXTENSIONS or not suffix


def available_cores() -> int:
    """Return how many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class PagePool:
    """Parse pages in worker processes, handing the results back in the order of the jobs.

    A signal-based timeout cannot interrupt lxml's C code and works only in the main thread; killing a
    process always works. Plain text and JSON Lines are cheap to parse and never need this.
    """

    def __init__(self, workers: int | None = None, time_limit: float = DEFAULT_TIME_LIMIT, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.time_limit = time_limit
        # Workers start on their first page, so a run with few pages starts few processes.
        self._workers = [PageWorker(max_bytes) for _ in range(max(1, workers or available_cores()))]

    def __enter__(self) -> PagePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._workers:
            worker.close()

    def parse(self, jobs: Iterable[PageJob]) -> Iterator[Article | Skipped]:
        """Yield each job's Article, or a Skipped saying why there is none (too slow, crashed, not an article)."""
        jobs = iter(jobs)
        idle = list(self._workers)
        running: dict[PageWorker, tuple[int, PageJob, float]] = {}  # worker -> (job number, job, deadline)
        finished: dict[int, Article | Skipped] = {}
        sent = handed_out = 0
        more = True
        while True:
            while more and idle and sent - handed_out < AHEAD_PER_WORKER * len(self._workers):
                job = next(jobs, None)
                if job is None:
                    more = False
                    break
                worker = idle.pop()
                worker.send(job)
                running[worker] = (sent, job, time.monotonic() + self.time_limit)
                sent += 1
            while handed_out in finished:
                yield finished.pop(handed_out)
                handed_out += 1
            if not running:  # every worker idle after filling: no job is left
                return
            for worker, outcome in self._wait(running):
                number = running.pop(worker)[0]
                finished[number] = outcome
                idle.append(worker)

    def _wait(self, running: dict[PageWorker, tuple[int, PageJob, float]]) -> list[tuple[PageWorker, Article | Skipped]]:
        """Wait for a worker to finish or overrun; return each finished or stopped worker with its outcome."""
        first_deadline = min(deadline for _, _, deadline in running.values())
        by_connection = {worker.connection: worker for worker in running}
        ready = wait(list(by_connection), timeout=max(0.0, first_deadline - time.monotonic()))
        outcomes = []
        for connection in ready:
            worker = by_connection[connection]
            outcomes.append((worker, worker.receive(running[worker][1])))
        now = time.monotonic()
        for worker, (_, job, deadline) in running.items():
            if worker.connection not in ready and deadline <= now:
                worker.close()
                outcomes.append((worker, Skipped(job_origin(job), f"took longer than {self.time_limit:g} s to extract")))
        return outcomes


class PageWorker:
    """One worker process parsing one page at a time, started on its first page and after each stop."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._process: BaseProcess | None = None
        self.connection: Connection | None = None

    def send(self, job: PageJob) -> None:
        """Hand a page to the worker, starting the process if there is none (or it died while idle)."""
        try:
            self._connect().send(job)
        except OSError:
            self.close()
            self._connect().send(job)

    def receive(self, job: PageJob) -> Article | Skipped:
        """Return the outcome of the page the worker was given."""
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            # The worker died: a crash inside a C parser, or the system killed it for memory.
            self.close()
            return Skipped(job_origin(job), "the page parser crashed on it")

    def close(self) -> None:
        """Stop the worker, if one is running."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self.connection.close()
            self._process = self.connection = None

    def _connect(self) -> Connection:
        """Return the connection to a running worker, starting one if needed."""
        if self._process is None:
            # Imported here once, so each forked worker starts with the parsers loaded and the clock
            # measures parsing, not importing trafilatura.
            import archive.html  # noqa: F401

            ours, theirs = multiprocessing.Pipe()
            # fork: a replacement worker starts in milliseconds.
            self._process = multiprocessing.get_context("fork").Process(
                target=_serve, args=(theirs, self.max_bytes), name="page-worker", daemon=True
            )
            self._process.start()
            theirs.close()
            self.connection = ours
        return self.connection


def _serve(connection: Connection, max_bytes: int) -> None:
    """Parse each page sent over the connection and send back its Article or Skipped, until it closes."""
    # Ctrl-C reaches the whole process group: the parent stops this worker, which must not print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        connection.send(read_page(job, max_bytes))


def read_page(job: PageJob, max_bytes: int = DEFAULT_MAX_BYTES) -> Article | Skipped:
    """Parse one page into an Article, or a Skipped with the reason it is not one."""
    try:
        return read_article(job, max_bytes) if isinstance(job, SourceFile) else parse_page_bytes(job, max_bytes)
    except ParseError as error:
        return Skipped(job_origin(job), str(error))
    except Exception as error:  # a parser bug on one odd page must not cost the whole run
        return Skipped(job_origin(job), f"could not be parsed ({type(error).__name__})")


def parse_page_bytes(page: PageBytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Parse a page held in memory into an Article; raise ParseError with the reason it is not one."""
    from archive import html  # trafilatura is slow to import; looked up per call so tests can replace parse_html

    if len(page.data) > max_bytes:
        raise ParseError(f"larger than the {max_bytes // 1024 // 1024} MB limit")
    if not page.data.strip():
        raise ParseError("empty page")
    article = html.parse_html(
        page.data,
        relative_path=page.relative_path,
        url=page.url,
        folders=page.folders,
        article_id=page.article_id,
        published=page.published,
    )
    return replace(article, path=page.path or page.origin, captured=page.captured)


def job_origin(job: PageJob) -> str:
    """Return what a Skipped names for a job: the file's path, or where the page in memory came from."""
    return str(job.path) if isinstance(job, SourceFile) else job.origin
