"""Fetch a page or a feed by its address with httpx: time limits, a size cap, redirects followed, the raw answer kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urlsplit

import httpx

from archive.sources import DEFAULT_MAX_BYTES
from archive.warc import HTML_TYPES, Exchange

PAGE_TYPES = HTML_TYPES
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json",
    "application/xml", "text/xml", "application/json", "text/plain",
})


@dataclass(frozen=True)
class FetchLimits:
    """How long to wait and how much to take when fetching one address."""

    connect_seconds: float = 10.0
    read_seconds: float = 30.0  # the longest silence from the server
    total_seconds: float = 120.0  # the whole download, so a server dripping bytes cannot hold us forever
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = 10


class FetchError(Exception):
    """An address that could not be fetched as wanted; the message says why, in words for the user."""


def user_agent() -> str:
    """Return the User-Agent sent with every request: what the archive is, and its version."""
    try:
        release = version("news-archive")
    except PackageNotFoundError:
        release = "dev"
    return f"news-archive/{release} (self-hosted news archive; saves pages its user asks for) python-httpx/{httpx.__version__}"


def fetch(url: str, limits: FetchLimits, accepted_types: frozenset[str] = PAGE_TYPES, *, decoded: bool = False) -> Exchange:
    """Fetch an address and return the request and answer as an Exchange; raise FetchError saying why not.

    The body is kept as sent, still compressed if it was, so that a WARC file holds the true answer;
    `decoded` undoes the compression instead, for a body read at once and not kept (a feed).
    """
    address = urlsplit(url.strip())
    if address.scheme.lower() not in ("http", "https") or not address.hostname:
        raise FetchError("not a web address (it must start with http:// or https://)")
    timeout = httpx.Timeout(limits.read_seconds, connect=limits.connect_seconds)
    headers = {
        "User-Agent": user_agent(),
        "Accept": ", ".join(sorted(accepted_types)) + ";q=1, */*;q=0.1",
        # Only what the WARC reader can undo later.
        "Accept-Encoding": "gzip, deflate",
    }
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=limits.max_redirects, headers=headers) as client:
            with client.stream("GET", url.strip()) as response:
                _check_answer(response, limits, accepted_types)
                body = _read_body(response.iter_bytes() if decoded else response.iter_raw(), limits, started)
                headers = _texts(response.headers.raw)
                return Exchange(
                    url=str(response.url),
                    request_headers=tuple(_texts(response.request.headers.raw)),
                    status=response.status_code,
                    reason=response.reason_phrase,
                    http_version=response.http_version,
                    headers=tuple((k, v) for k, v in headers if not (decoded and k.lower() == "content-encoding")),
                    body=body,
                    fetched_at=datetime.now(timezone.utc),
                )
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {limits.max_redirects} redirects (a redirect loop?)") from None
    except httpx.ConnectTimeout:
        raise FetchError(f"no connection within {limits.connect_seconds:g} s") from None
    except httpx.ReadTimeout:
        raise FetchError(f"the server sent nothing for {limits.read_seconds:g} s") from None
    except httpx.ConnectError as error:
        raise FetchError(f"could not connect ({_reason(error)})") from None
    except httpx.HTTPError as error:
        raise FetchError(f"the download failed ({type(error).__name__}: {_reason(error)})") from None


def _check_answer(response: httpx.Response, limits: FetchLimits, accepted_types: frozenset[str]) -> None:
    """Refuse an answer that is not a success, not of an accepted type, or announced as too large."""
    if response.status_code != 200:
        raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".strip())
    mime = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if mime and mime not in accepted_types:
        raise FetchError(f"not a {'web page' if accepted_types == PAGE_TYPES else 'feed'} but {mime}")
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limits.max_bytes:
        raise FetchError(_too_large(limits))


def _read_body(stream: Iterator[bytes], limits: FetchLimits, started: float) -> bytes:
    """Read a body within the size cap and the whole-download time limit."""
    chunks: list[bytes] = []
    size = 0
    for chunk in stream:
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchError(_too_large(limits))
        if time.monotonic() - started > limits.total_seconds:
            raise FetchError(f"took longer than {limits.total_seconds:g} s to download")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limits: FetchLimits) -> str:
    """Return the reason given for an answer over the size cap."""
    return f"larger than the {limits.max_bytes / 1024 / 1024:g} MB limit"


def _texts(pairs: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Return raw header pairs as text, as they were sent."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in pairs]


def _reason(error: Exception) -> str:
    """Return the innermost one-line reason of an httpx error, such as '[Errno 111] Connection refused'."""
    message = str(error).strip() or type(error).__name__
    return message.splitlines()[0][:200]
