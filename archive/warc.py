"""Read web archives (WARC): each HTML page captured with status 200 becomes a page to parse; write captures.

Reading streams record by record with warcio, so memory stays bounded however large the archive: only
one page's bytes (at most the per-file limit) are held at a time.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from datetime import datetime, timezone
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.dates import parse_date
from archive.model import Duplicate, ParseError, Skipped
from archive.page_workers import PageBytes, PagePart

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Records that describe the crawl (warcinfo, request, metadata) or are not web captures (dns:, metadata://)
# are passed over silently: they never hold an article.
PAGE_RECORD_TYPES = frozenset({"response", "resource", "revisit"})
_SNIFF_BYTES = 1024
# What warcio and gzip raise on a truncated or garbled archive.
_DAMAGE = (ArchiveLoadFailed, zlib.error, EOFError, ValueError)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response as fetched, to be kept in a WARC file."""

    url: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes  # as sent, before any Content-Encoding is undone
    fetched_at: datetime


@dataclass(frozen=True)
class NewestCapture:
    """The newest capture of one address seen in a WARC file."""

    captured: datetime
    number: int  # its position among the file's records, the same in every pass
    digest: str


def starts_like_warc(head: bytes) -> bool:
    """Tell whether a file's first bytes (gzipped or not) open a WARC record, before warcio reads it.

    warcio reads any other file as an archive of nothing, printing warnings to the terminal.
    """
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error:
            return False
    return head.lstrip(b"\r\n").startswith(b"WARC/")


def newest_captures(stream: BinaryIO) -> dict[str, NewestCapture]:
    """Map each page address to its newest capture in a WARC stream (a first pass over the headers only)."""
    newest: dict[str, NewestCapture] = {}
    try:
        for number, record in enumerate(ArchiveIterator(stream)):
            if _page_problem(record) is None:
                uri = _target(record)
                captured = _capture_date(record) or datetime.min.replace(tzinfo=timezone.utc)
                seen = newest.get(uri)
                if seen is None or captured >= seen.captured:
                    newest[uri] = NewestCapture(captured, number, _digest(record))
    except _DAMAGE:
        pass  # the second pass reports the damage where it starts
    return newest


def warc_captures(
    stream: BinaryIO, newest: dict[str, NewestCapture], *, label: str, path: str, relative_path: str, max_bytes: int
) -> Iterator[PagePart | Skipped | Duplicate]:
    """Yield each HTML page captured with status 200 in a WARC stream, and why each other capture is not one.

    `label` names the stream in a Skipped (the file, or a WARC inside a WACZ); `path` is the file the index names.

    Only the newest capture of an address is read; an older one is a Duplicate when its payload is the same.
    A damaged archive yields a Skipped for the rest of the file and stops, keeping the pages before it.
    """
    number = 0
    try:
        for number, record in enumerate(ArchiveIterator(stream)):
            if record.rec_type not in PAGE_RECORD_TYPES or not _target(record).startswith(("http://", "https://")):
                continue
            uri = _target(record)
            where = f"{label} {uri}"
            problem = _page_problem(record)
            if problem is not None:
                yield Skipped(where, problem)
                continue
            kept = newest.get(uri)
            if kept is not None and kept.number != number:
                same = kept.digest and kept.digest == _digest(record)
                yield Duplicate(where, uri) if same else Skipped(where, "replaced by a later capture of the same address")
                continue
            try:
                data = _content(record, max_bytes)
            except ParseError as error:
                yield Skipped(where, str(error))
                continue
            yield capture_part(data, uri, _capture_date(record), origin=where, path=path, relative_path=relative_path)
    except _DAMAGE:
        # warcio's message quotes the damaged bytes: no use to a person, and unsafe for a terminal.
        yield Skipped(label, f"damaged web archive: what follows record {number + 1:,} could not be read")


def capture_part(
    data: bytes, uri: str, captured: datetime | None, *, origin: str, path: str, relative_path: str
) -> PagePart:
    """Return a captured page for the page parser: its address is its URL and id, its capture date stands in."""
    job = PageBytes(
        data,
        relative_path=f"{relative_path}#{uri}",
        origin=origin,
        url=uri,
        article_id=uri,
        published=captured,
        captured=captured,
        path=path,
    )
    # The captured address stays the article's URL even when the page names another (canonical) one.
    return PagePart(job, partial(replace, url=uri))


def read_capture(data: bytes, *, label: str, path: str, max_bytes: int) -> PagePart | Skipped:
    """Return the page of a WARC holding one fetched page (as `archive add` writes), or why there is none."""
    for item in warc_captures(io.BytesIO(data), {}, label=label, path=path, relative_path=label, max_bytes=max_bytes):
        if isinstance(item, PagePart):
            return item
        if isinstance(item, Skipped):
            return Skipped(label, item.reason)
    return Skipped(label, "no page in the capture")


def write_capture(stream: BinaryIO, exchange: Exchange) -> None:
    """Write a fetched page to a stream as a gzipped WARC file: warcinfo, request and response records."""
    writer = WARCWriter(stream, gzip=True)
    writer.write_record(writer.create_warcinfo_record("", {"software": "news-archive (archive add)", "format": "WARC/1.1"}))
    date = {"WARC-Date": exchange.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    address = urlsplit(exchange.url)
    path = (address.path or "/") + (f"?{address.query}" if address.query else "")
    request = writer.create_warc_record(
        exchange.url,
        "request",
        warc_headers_dict=date,
        http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", list(exchange.request_headers), is_http_request=True),
    )
    # The body is stored as it came, so a Transfer-Encoding (undone while reading) would misdescribe it.
    headers = [(name, value) for name, value in exchange.headers if name.lower() != "transfer-encoding"]
    response = writer.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        warc_headers_dict=date,
        http_headers=StatusAndHeaders(f"{exchange.status} {exchange.reason}", headers, protocol=exchange.http_version),
    )
    writer.write_request_response_pair(request, response)


def _page_problem(record) -> str | None:
    """Return why a record is not an HTML page captured with status 200, or None when it is one."""
    if record.rec_type == "revisit":
        return "revisit record: the page was unchanged since an earlier capture"
    if record.rec_type not in ("response", "resource") or not _target(record).startswith(("http://", "https://")):
        return "not a captured page"
    if record.rec_type == "response":
        if record.http_headers is None:
            return "response without HTTP headers"
        status = record.http_headers.get_statuscode()
        if status != "200":
            return f"HTTP status {status}, not 200"
        content_type = record.http_headers.get_header("Content-Type") or ""
    else:
        content_type = record.rec_headers.get_header("Content-Type") or ""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return f"not an HTML page ({mime})"
    return None


def _content(record, max_bytes: int) -> bytes:
    """Return a page record's payload, undoing any chunking and compression; raise ParseError if unusable."""
    try:
        data = record.content_stream().read(max_bytes + 1)
    except (OSError, zlib.error, EOFError, ValueError) as error:
        raise ParseError(f"payload could not be decompressed ({_first_line(error)})") from error
    if len(data) > max_bytes:
        raise ParseError(f"larger than the {max_bytes // 1024 // 1024} MB limit")
    if getattr(record.raw_stream, "limit", 0) > 0:
        # warcio hands over what there is of a record cut short; a page cut anywhere is not indexed.
        raise ParseError("damaged web archive: the file ends inside this record")
    if not data.strip():
        raise ParseError("empty response")
    content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""
    if not content_type.strip() and not _looks_like_html(data[:_SNIFF_BYTES]):
        raise ParseError("not an HTML page (no content type, and not HTML markup)")
    return data


def _looks_like_html(head: bytes) -> bool:
    """Tell whether the first bytes of an untyped payload are HTML markup."""
    lowered = head.lstrip().lower()
    return lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<body" in lowered


def _target(record) -> str:
    """Return the address a record captured."""
    return (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")


def _capture_date(record) -> datetime | None:
    """Return when a record was captured, timezone-aware."""
    return parse_date(record.rec_headers.get_header("WARC-Date"))


def _digest(record) -> str:
    """Return a record's payload digest, as the crawler wrote it ('' when it wrote none)."""
    return record.rec_headers.get_header("WARC-Payload-Digest") or ""


def _first_line(error: Exception) -> str:
    """Return the first line of an error's message, for a one-line reason."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
