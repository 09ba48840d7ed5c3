"""The hostile corpus in a real browser: the real `archive serve` on it, driven by Chromium.

No payload may run (no dialog, `window.__xss` never set, the title never changed), the Content-
Security-Policy must stop inline script even if some slipped through (proven on a page with injected
script, against the same page without the policy), the one http(s) original link must lead where it
says, raw traversal requests over HTTP are refused, and the server listens on the loopback only.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import urlopen

import pytest

from index.storage import IndexLocation
from index.writing import rebuild
from tests.conftest import running_archive
from tests.hostile import (
    ARTICLES,
    HOSTILE_QUERIES,
    IMG,
    LINKED_URL,
    SCRIPT,
    TRAVERSAL_ROUTES,
    TRAVERSALS,
    WORD,
    assert_no_file_leaked,
    write_corpus,
)

SETTLE_MS = 100  # long enough for an SVG animation's onbegin or an autofocus handler to fire
UNSAFE_PAGE = f"""<!doctype html><title>probe</title>
<script>window.__xss = "inline"; alert("inline")</script>{IMG}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """Index the hostile corpus, run `archive serve` on it with no --host, and yield its base URL."""
    root = tmp_path_factory.mktemp("hostile-browser")
    index_path = root / "index"
    rebuild(IndexLocation(index_path), [write_corpus(root / "sources")])
    with running_archive(index_path, "--threads", "2") as archive:
        yield archive.url


@pytest.fixture(scope="module")
def hits(server) -> list[dict]:
    """Return every hostile article as the API lists it."""
    with urlopen(f"{server}/api/search?q={WORD}&per_page=50") as response:
        found = json.load(response)["hits"]
    assert len(found) == ARTICLES
    return found


@pytest.fixture(scope="module")
def keys(hits) -> list[str]:
    """Return the keys of every hostile article."""
    return [hit["key"] for hit in hits]


@dataclass
class Watched:
    """A page and the dialogs, console errors and page errors seen on it."""

    page: object
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_nothing_ran(self) -> None:
        """Assert no payload ran: no dialog, no sentinel, no changed title, no console error."""
        url = self.page.url
        assert self.dialogs == [], f"a dialog opened on {url}: {self.dialogs}"
        assert self.page.evaluate("window.__xss") is None, f"a payload ran on {url}"
        assert self.page.title() != "pwned", url
        assert self.errors == [], f"console errors on {url}: {self.errors}"


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    """Return a fresh page that records dialogs (and dismisses them), console errors and page errors."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    # The original links point outside: answer them here so that no test reaches the internet.
    context.route("https://example.com/**", lambda route: route.fulfill(body="outside", content_type="text/plain"))
    page = context.new_page()
    seen = Watched(page)
    page.on("dialog", lambda dialog: (seen.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    yield seen
    context.close()


# Markup the browser itself parsed into live elements: handlers, foreign scripts, script URLs.
LIVE_ELEMENTS = """() => {
    const found = [];
    for (const element of document.querySelectorAll("*")) {
        for (const attribute of element.attributes) {
            const scriptUrl = /^(javascript|data|vbscript):/i.test(attribute.value.replace(/[\\x00-\\x20]/g, ""));
            const urlAttribute = ["href", "src", "action", "formaction"].includes(attribute.name);
            if (attribute.name.startsWith("on") || (urlAttribute && scriptUrl)) {
                found.push(`<${element.localName} ${attribute.name}="${attribute.value}">`);
            }
        }
    }
    for (const script of document.scripts) {
        const ours = script.src && new URL(script.src).pathname === "/static/app.js" && !script.text.trim();
        if (!ours) found.push(script.outerHTML);
    }
    for (const element of document.querySelectorAll("iframe, object, embed, base, svg")) {
        found.push(element.outerHTML);
    }
    return found;
}"""
# Fire the events the payloads listen for on every element, as a person pointing and tabbing would.
POKE = """() => {
    for (const element of document.querySelectorAll("*")) {
        for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
            if (type === "click" && element.closest("a, button, form")) continue;  // stay on the page
            element.dispatchEvent(new Event(type));
        }
    }
}"""


def _visit(watched: Watched, url: str, status: int = 200) -> None:
    """Open a URL, check the browser's DOM for live markup, poke every element and let handlers run."""
    response = watched.page.goto(url)
    assert response.status == status, url
    assert watched.page.evaluate(LIVE_ELEMENTS) == [], url
    watched.page.evaluate(POKE)
    watched.page.wait_for_timeout(SETTLE_MS)


def _pages(server: str, keys: list[str]) -> list[str]:
    """Return every page that shows the hostile fields."""
    searches = [f"{server}/?{urlencode(arguments, doseq=True)}" for arguments in HOSTILE_QUERIES]
    articles = [f"{server}/articles/{key}?{urlencode({'q': f'{WORD} {SCRIPT}', 'back': f'/?q={SCRIPT}'})}" for key in keys]
    api = [f"{server}/api/search?{urlencode({'q': f'{WORD} {SCRIPT}'})}", f"{server}/api/articles/{keys[0]}"]
    return searches + articles + api


def test_no_payload_runs_on_any_page(server, keys, watched):
    for url in _pages(server, keys):
        _visit(watched, url)
        watched.assert_nothing_ran()
    _visit(watched, f"{server}/no/such/{SCRIPT}", status=404)
    assert all("status of 404" in error for error in watched.errors)  # Chromium logs the page's own status
    watched.errors.clear()
    watched.assert_nothing_ran()


def test_the_policy_blocks_inline_script_that_slipped_through(server, watched):
    """Serve injected script with the app's real headers: it must not run; without them it does (the control)."""
    page = watched.page

    def with_real_headers(route):
        headers = {name: value for name, value in route.fetch(url=server + "/").headers.items() if name != "content-length"}
        assert "content-security-policy" in headers
        route.fulfill(status=200, headers=headers, body=UNSAFE_PAGE)

    page.route(server + "/probe", with_real_headers)
    page.route(server + "/probe-without-policy", lambda route: route.fulfill(body=UNSAFE_PAGE, content_type="text/html"))
    page.goto(server + "/probe")
    page.wait_for_timeout(SETTLE_MS)
    assert page.evaluate("window.__xss") is None and watched.dialogs == []
    assert any("Content Security Policy" in error for error in watched.errors), watched.errors

    page.goto(server + "/probe-without-policy")
    page.wait_for_timeout(SETTLE_MS)
    assert page.evaluate("window.__xss") is not None and watched.dialogs, "the control page should have run its script"


def test_only_the_http_original_is_a_link_and_it_leads_there(server, hits, watched):
    """The javascript: and data: URLs were dropped (no page links them: see above); the https one is a working link."""
    page = watched.page
    [linked] = [hit for hit in hits if hit["url"]]
    assert linked["url"] == LINKED_URL
    page.goto(f"{server}/articles/{linked['key']}")
    original = page.locator(".article-meta a[rel~=noopener]")
    assert original.get_attribute("href") == LINKED_URL
    with page.expect_navigation():
        original.click()
    assert page.url == LINKED_URL.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")
    assert "outside" in page.content()
    watched.assert_nothing_ran()


def test_raw_traversal_over_http_is_refused(server):
    """Send the paths byte for byte (no client-side normalizing), to the server and the app behind it."""
    address = urlsplit(server)
    for route in TRAVERSAL_ROUTES:
        for attack in TRAVERSALS:
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            connection.putrequest("GET", route + attack, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            connection.close()
            assert response.status in (308, 400, 404), (route + attack, response.status)
            assert response.getheader("Content-Security-Policy"), "the refusal came from outside the app"
            if response.status == 308:
                assert urlsplit(response.getheader("Location")).path.startswith(route)
            assert_no_file_leaked(body)


def test_server_listens_on_the_loopback_only(server):
    """`archive serve` without --host: every listening socket on its port is bound to 127.0.0.1."""
    port = urlsplit(server).port
    bound = _listening_addresses(port)
    assert bound == {"127.0.0.1"}, bound


def _listening_addresses(port: int) -> set[str]:
    """Return the local addresses of the sockets listening on a TCP port (Linux's /proc/net)."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("no /proc/net/tcp on this system")
    listening = "0A"
    addresses = set()
    for table in (table for table in tables if table.exists()):
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, local_port = local.split(":")
            if state == listening and int(local_port, 16) == port:
                addresses.add(_address(address))
    return addresses


def _address(hexadecimal: str) -> str:
    """Return the dotted (IPv4) or hexadecimal (IPv6) form of a /proc/net address."""
    if len(hexadecimal) == 8:
        return ".".join(str(byte) for byte in reversed(bytes.fromhex(hexadecimal)))
    return hexadecimal
