"""Parse saved web pages in a worker process, so a page that takes too long can be abandoned."""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from archive.model import Article, PageJob, ParseError, Skipped
from archive.sources import DEFAULT_MAX_BYTES, HTML_EXTENSIONS, SourceFile, parse_page, read_article

# Real news pages take well under a second; a page taking this long is pathological (or hostile).
DEFAULT_TIME_LIMIT = 30.0


def is_page(source: SourceFile) -> bool:
    """Tell whether a file may be an HTML page (an extension-less file is sniffed when read)."""
    suffix = source.path.suffix.lower()
    return suffix in HTML_EXTENSIONS or not suffix


class PageWorker:
    """Read pages one at a time in a worker process, replacing the worker when a page overruns the time limit.

    A signal-based timeout cannot interrupt lxml's C code and works only in the main thread; killing a
    process always works. Plain text and JSON Lines are cheap to parse and never need this.
    """

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    def __enter__(self) -> PageWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def read(self, source: SourceFile) -> Article | Skipped:
        """Return the page's article, or a Skipped saying why there is none (too slow, crashed, not an article)."""
        return self._run(source, str(source.path))

    def parse(self, job: PageJob) -> Article | Skipped:
        """Return the article of a page given as bytes (a WARC record, a feed entry), or why there is none."""
        return self._run(job, job.label)

    def _run(self, job: SourceFile | PageJob, label: str) -> Article | Skipped:
        """Send one job to the worker and wait for its answer, at most the time limit."""
        connection = self._connect()
        connection.send(job)
        if not connection.poll(self.time_limit):
            self.close()
            return Skipped(label, f"took longer than {self.time_limit:g} s to extract")
        try:
            return connection.recv()
        except EOFError:
            # The worker died: a crash inside a C parser, or the system killed it for memory.
            self.close()
            return Skipped(label, "the page parser crashed on it")

    def close(self) -> None:
        """Stop the worker, if one is running."""
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._connection.close()
            self._process = self._connection = None

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
            self._connection = ours
        return self._connection


def _serve(connection: Connection, max_bytes: int) -> None:
    """Read each file or page sent over the connection and send back its Article or Skipped, until it closes."""
    # Ctrl-C reaches the whole process group: the parent stops this worker, which must not print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        connection.send(parse_page(job) if isinstance(job, PageJob) else read_page(job, max_bytes))


def read_page(source: SourceFile, max_bytes: int) -> Article | Skipped:
    """Read one page file into an Article, or a Skipped with the reason it is not one."""
    try:
        return read_article(source, max_bytes)
    except ParseError as error:
        return Skipped(str(source.path), str(error))
    except Exception as error:  # a parser bug on one odd page must not cost the whole run
        return Skipped(str(source.path), f"could not be parsed ({type(error).__name__})")
