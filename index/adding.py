"""Add pages by their address: fetch, keep the raw answer in a WARC file of the captures folder, index at once.

Nothing is half-written: a page that cannot be fetched or holds no article text leaves no file, and a
capture is moved into place (replacing an older capture of the same address) only once it parsed; if
the index then cannot be updated, the captures folder is put back as it was.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from archive.feeds import entry_links
from archive.fetching import FEED_TYPES, FetchError, FetchLimits, fetch
from archive.html import word_count
from archive.model import Article, ParseError, Skipped
from archive.page_workers import DEFAULT_TIME_LIMIT, PagePool
from archive.sources import resolve_source
from archive.tables import TableSettings
from archive.warc import read_capture, write_capture
from index.schema import path_term, url_key
from index.space import write_failures_reported
from index.storage import IndexLocation, IndexMissing, IndexUnavailable
from index.writing import BuildSummary, rebuild, update

_UNSAFE = re.compile(r"[^a-z0-9.-]+")
# A page showing only a menu, a consent wall or 'Please enable JavaScript' yields a few words; a news brief has more.
MIN_ARTICLE_WORDS = 10


@dataclass(frozen=True)
class Added:
    """A page now in the archive (or found there already, with the same text)."""

    url: str  # as asked for
    key: str  # the article's key: its page is /articles/<key>
    title: str
    already: bool = False  # the same text was archived before, from another file


@dataclass(frozen=True)
class NotAdded:
    """An address that could not be added, and why, in one line."""

    url: str
    reason: str


@dataclass(frozen=True)
class _Candidate:
    """A fetched page that parsed into an article, with its capture ready to be written."""

    url: str
    article: Article
    warc: bytes
    path: Path


Outcome = Added | NotAdded


def add_pages(
    location: IndexLocation,
    captures: Path,
    urls: Sequence[str],
    *,
    limits: FetchLimits = FetchLimits(),
    time_limit: float = DEFAULT_TIME_LIMIT,
    first_build_sources: Sequence[Path] = (),
    tables: TableSettings = TableSettings(),
    report: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Fetch each address, keep the good pages as WARC captures and index them; report each outcome as known.

    With no index yet, a rebuild of first_build_sources (which should include the captures folder) makes one.
    """
    outcomes: list[Outcome] = []

    def tell(outcome: Outcome) -> None:
        outcomes.append(outcome)
        report(outcome)

    captures = resolve_source(captures)
    candidates: dict[str, _Candidate] = {}
    with PagePool(1, time_limit, limits.max_bytes) as pool:
        for url in urls:
            try:
                candidate = _capture(url, captures, limits, pool)
            except FetchError as error:
                tell(NotAdded(url, str(error)))
                continue
            candidates[candidate.article.id] = candidate  # the same page asked for twice: the later capture
    candidates = {key: candidate for key, candidate in candidates.items() if _still_new(location, candidate, tell)}
    if not candidates:
        return outcomes
    backups: dict[Path, _Backup] = {}
    try:
        # A full or read-only captures folder is said in one line, as a full index folder is.
        with write_failures_reported(location, "add", folder=captures):
            for candidate in candidates.values():
                backups[candidate.path] = _save(candidate)
        summary = _index(location, list(backups), list(first_build_sources) or [captures], tables, time_limit, limits.max_bytes)
    except BaseException:
        for backup in backups.values():
            backup.restore()
        raise
    for candidate in candidates.values():
        outcome = _confirm(location, candidate, summary)
        # An article the update turned down (another file took its address meanwhile) leaves no capture behind.
        if isinstance(outcome, Added):
            backups[candidate.path].discard()
        else:
            backups[candidate.path].restore()
        tell(outcome)
    return outcomes


def feed_links(feed_url: str, limits: FetchLimits = FetchLimits()) -> list[str]:
    """Fetch a feed and return the addresses of its articles; raise FetchError when it cannot be had or read."""
    exchange = fetch(feed_url, limits, FEED_TYPES, decoded=True)
    try:
        return entry_links(exchange.body)
    except ParseError as error:
        raise FetchError(str(error)) from None


def capture_name(article_id: str) -> str:
    """Return the file name of an address's capture: its host, readable, and a digest of the whole address."""
    host = _UNSAFE.sub("-", (urlsplit(article_id).hostname or "page").lower()).strip("-") or "page"
    return f"{host}-{hashlib.sha256(article_id.encode('utf-8')).hexdigest()[:16]}.warc.gz"


def _capture(url: str, captures: Path, limits: FetchLimits, pool: PagePool) -> _Candidate:
    """Fetch a page and parse its capture; raise FetchError when it cannot be fetched or holds no article text."""
    exchange = fetch(url, limits)
    buffer = io.BytesIO()
    write_capture(buffer, exchange)
    warc = buffer.getvalue()
    path = captures / capture_name(exchange.url)
    page = read_capture(warc, label=url, path=str(path), max_bytes=limits.max_bytes)
    article = page if isinstance(page, Skipped) else page.article(next(pool.parse([page.job])))
    if isinstance(article, Skipped):
        raise FetchError(article.reason)
    if word_count(article.body) < MIN_ARTICLE_WORDS:
        raise FetchError("no article text found on the page")
    return _Candidate(url, article, warc, path)


def _still_new(location: IndexLocation, candidate: _Candidate, tell: Callable[[Outcome], None]) -> bool:
    """Tell whether a page should be saved: not held under its address, or with its text, by another file."""
    try:
        index = location.open()
    except IndexUnavailable:
        return True  # no index yet (or one the update will report as damaged or outdated)
    ours = path_term(str(candidate.path))
    with location.open_searcher(index) as searcher:
        holder = searcher.document(key=url_key(candidate.article.id))
        if holder is not None and holder.get("path") != ours:
            tell(NotAdded(candidate.url, f"another file already holds this address in the archive ({holder.get('path')})"))
            return False
        for fields in searcher.documents(content_hash=candidate.article.content_hash):
            if fields.get("path") != ours:
                tell(Added(candidate.url, fields["key"], fields.get("title", ""), already=True))
                return False
    return True


def _index(
    location: IndexLocation, paths: list[Path], first_build_sources: list[Path], tables: TableSettings, time_limit: float, max_bytes: int
) -> BuildSummary:
    """Index the new captures through the incremental update, or build the first index."""
    try:
        return update(location, paths, time_limit=time_limit, max_bytes=max_bytes)
    except IndexMissing:
        if location.has_generations():
            raise  # a damaged index is reported, never replaced behind the user's back
        return rebuild(location, first_build_sources, time_limit=time_limit, max_bytes=max_bytes, tables=tables)


def _confirm(location: IndexLocation, candidate: _Candidate, summary: BuildSummary) -> Outcome:
    """Return Added when the index now holds the capture's article, else NotAdded with the reason the run gave."""
    key = url_key(candidate.article.id)
    with location.open_searcher(location.open()) as searcher:
        fields = searcher.document(key=key)
    if fields is not None and fields.get("path") == path_term(str(candidate.path)):
        return Added(candidate.url, key, fields.get("title", ""))
    reasons = [item.reason for item in summary.skipped if item.path.startswith(str(candidate.path))]
    return NotAdded(candidate.url, f"not indexed: {reasons[0] if reasons else 'its text is already in the archive'}")


@dataclass(frozen=True)
class _Backup:
    """A capture written into place, and the older capture it replaced (kept aside until the index has the new one)."""

    path: Path
    previous: Path | None

    def restore(self) -> None:
        """Put the captures folder back as it was before this capture."""
        if self.previous is not None:
            os.replace(self.previous, self.path)
        else:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Forget the older capture."""
        if self.previous is not None:
            self.previous.unlink(missing_ok=True)


def _save(candidate: _Candidate) -> _Backup:
    """Write a capture into the captures folder atomically, keeping any older capture aside (hidden files are never read)."""
    folder = candidate.path.parent
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{candidate.path.name}.new"
    try:
        with open(temporary, "wb") as handle:
            handle.write(candidate.warc)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)  # a disk that filled up mid-write leaves no part of a capture
        raise
    previous = None
    if candidate.path.exists():
        previous = folder / f".{candidate.path.name}.previous"
        os.replace(candidate.path, previous)
    os.replace(temporary, candidate.path)
    return _Backup(candidate.path, previous)

