"""A small web site on 127.0.0.1 for the tests that fetch: given pages, and every bad answer a server gives."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

SLOW_SECONDS = 5  # the slow answer's delay: far beyond the time limits the tests set
ENDLESS_LIMIT_BYTES = 64 * 1024 * 1024  # the endless body stops here, so a broken client cannot keep the test running
ENDLESS_LIMIT_SECONDS = 30


class LocalSite:
    """Serve pages at /pages/NAME and the bad cases at fixed paths, on a free port of 127.0.0.1, while in a with block.

    /missing (404), /slow (answers after SLOW_SECONDS), /report.pdf (a PDF), /loop/a (redirects forever),
    /endless (an HTML body that never ends), /moved/NAME (301 to /pages/NAME), /gzip/NAME (the page gzipped),
    /feed.rss (an RSS feed linking to every page). The pages dict may be changed while serving.
    """

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.user_agents: list[str] = []
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """Return the site's address."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        """Return the full address of a path on the site."""
        return self.base + path

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def feed(self) -> bytes:
        """Return an RSS feed with one item per page."""
        items = "".join(
            f"<item><title>{escape(name)}</title><link>{escape(self.url('/pages/' + name))}</link></item>" for name in sorted(self.pages)
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>{items}</channel></rss>'.encode()


class _QuietServer(ThreadingHTTPServer):
    """A server that says nothing when a client hangs up early (the tests' time limits do it on purpose)."""

    def handle_error(self, request, client_address) -> None:
        """Ignore the error: printed, it would land in the output of the command under test."""


def _handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    """Return the request handler class serving the site."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            """Keep the test output clean."""

        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            """Answer one request."""
            site.user_agents.append(self.headers.get("User-Agent", ""))
            path = self.path.split("?", 1)[0]
            name = path.rsplit("/", 1)[-1]
            if path.startswith("/pages/") and name in site.pages:
                self._send(200, "text/html; charset=utf-8", site.pages[name])
            elif path.startswith("/gzip/") and name in site.pages:
                self._send(200, "text/html; charset=utf-8", gzip.compress(site.pages[name]), {"Content-Encoding": "gzip"})
            elif path.startswith("/moved/"):
                self._send(301, "text/plain", b"moved", {"Location": f"/pages/{name}"})
            elif path == "/loop/a":
                self._send(302, "text/plain", b"", {"Location": "/loop/b"})
            elif path == "/loop/b":
                self._send(302, "text/plain", b"", {"Location": "/loop/a"})
            elif path == "/slow":
                time.sleep(SLOW_SECONDS)
                self._send(200, "text/html", b"<html><title>Late</title><p>Too late.</p></html>")
            elif path == "/report.pdf":
                self._send(200, "application/pdf", b"%PDF-1.4\n" + b"0" * 2048)
            elif path == "/endless":
                self._endless()
            elif path == "/feed.rss":
                self._send(200, "application/rss+xml", site.feed())
            else:
                self._send(404, "text/html", b"<html><title>Not found</title><p>No such page.</p></html>")

        def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
            """Send a whole answer."""
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for header, value in (headers or {}).items():
                self.send_header(header, value)
            self.end_headers()
            self.wfile.write(body)

        def _endless(self) -> None:
            """Send an HTML body without a length that goes on until the client hangs up (or the bounds)."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"more " * 13000 + b"</p>\n"
            started, sent = time.monotonic(), 0
            try:
                while sent < ENDLESS_LIMIT_BYTES and time.monotonic() - started < ENDLESS_LIMIT_SECONDS:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler
