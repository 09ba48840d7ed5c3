"""A hostile corpus (XSS payloads in every field, in every input format), hostile requests, and a detector.

Shared by tests/test_security.py (the HTML as served) and tests/test_browser_security.py (a real
browser). Every script payload sets `window.__xss` or `document.title` (and one opens a dialog), so a
browser can tell whether any of them ran.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import html5lib

SCRIPT = "<script>window.__xss=1;alert(1)</script>"
IMG = '<img src=x onerror="window.__xss=2">'
SVG = '"><svg onload="window.__xss=3">'
TITLE_BREAK = "</title><script>window.__xss=4</script>"
QUOTES = "' onmouseover='window.__xss=5' autofocus onfocus='window.__xss=5' x='"
IFRAME = '<iframe src="javascript:window.__xss=6"></iframe>'
RETITLE = "<svg><animate onbegin=\"document.title='pwned'\" attributeName=x dur=1s>"
TEMPLATE = "{{7*7}}"
PAYLOADS = (SCRIPT, IMG, SVG, TITLE_BREAK, QUOTES, IFRAME, RETITLE, TEMPLATE)
SCRIPT_URLS = (
    "javascript:window.__xss=7",
    " JaVaScRiPt:window.__xss=7",
    "java\tscript:window.__xss=7",
    "&#106;avascript:window.__xss=7",
    "data:text/html,<script>window.__xss=7</script>",
)
LINKED_URL = 'https://example.com/news?a="><script>window.__xss=11</script>'  # http(s), so kept and linked
WORD = "zebra"  # every hostile article holds it, so one search finds them all
ARTICLES = 9
ALL_PAYLOADS = " ".join(PAYLOADS)

# Searches that show the payloads in results, facets, chips, "searched for", "did you mean" and relaxed queries.
HOSTILE_QUERIES = [
    {"q": WORD},
    {"q": SCRIPT},
    {"q": f"{WORD} {IMG}"},
    {"q": f"{WORD} {SVG}"},
    {"q": f"{WORD} {TITLE_BREAK}"},
    {"q": f"{WORD} {QUOTES}"},
    {"q": f"{WORD} {TEMPLATE}"},
    {"q": f"zebre {SCRIPT}"},  # a misspelling: "Did you mean" beside the payload
    {"q": f"nothingmatches {IMG} {SVG}"},  # no result: relaxed searches offered
    {"q": f'{WORD} source:"{TITLE_BREAK}"'},  # a typed filter: chip and "searched for"
    {"q": f'{WORD} author:"{IMG}" tag:"{TEMPLATE}"'},
    {"q": f"{WORD} category:{SCRIPT}"},
    {"q": WORD, "source": TITLE_BREAK, "author": [IMG, SVG], "tag": [TEMPLATE, RETITLE]},
    {"q": WORD, "category": [SCRIPT, SVG], "source": "javascript:window.__xss=7"},
    {"q": "", "tag": f"tag0{QUOTES}"},
    {"q": f"{WORD} {SCRIPT}", "sort": "newest", "per_page": "2", "page": "2"},
]
PASSWD = Path("/etc/passwd")
TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%5c..%5c..%5c..%5cetc%5cpasswd",
    "..\\..\\..\\..\\etc\\passwd",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "etc/passwd%00",
    "%00",
    "..",
    "%2e%2e",
    "app.js%00.css",
    "../__init__.py",
    "..%2f__init__.py",
]
TRAVERSAL_ROUTES = ["/articles/", "/api/articles/", "/static/"]

APP_SCRIPT = "/static/app.js"
_ACTIVE_ELEMENTS = {"script", "iframe", "frame", "object", "embed", "base", "style", "svg", "math", "template"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "srcdoc", "xlink:href", "background"}
_SCHEME_NOISE = re.compile(r"[\x00-\x20]")


def write_corpus(root: Path) -> Path:
    """Write hostile articles as JSON Lines, saved HTML and plain text (one in a hostile category folder)."""
    root.mkdir(parents=True, exist_ok=True)
    records = [_record(number, url) for number, url in enumerate((*SCRIPT_URLS, LINKED_URL))]
    (root / "hostile.jsonl").write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    (root / "hostile.html").write_text(_saved_page(), encoding="utf-8")
    (root / "hostile.txt").write_text(_text_article(), encoding="utf-8")
    folder = root / SVG.replace("/", "")
    folder.mkdir()
    foldered = f"Foldered {SCRIPT} title\n\nA {WORD} filed under a hostile folder. {IMG}\n"
    (folder / "foldered.txt").write_text(foldered, encoding="utf-8")
    return root


def _record(number: int, url: str) -> dict:
    """Return one hostile JSON Lines record."""
    return {
        "id": f"{TITLE_BREAK} record {number}",
        "title": f"{SCRIPT} {IMG} record {number} {TEMPLATE}",
        "body": [f"The {WORD} number {number} says {ALL_PAYLOADS}.", f"Second paragraph {number}: {QUOTES} {IFRAME}"],
        "category": f"{SCRIPT}{number}",
        "published": f"2024-0{number + 1}-05T10:00:00Z",
        "authors": [IMG, SVG, f"{QUOTES}{number}"],
        "source": TITLE_BREAK,
        "url": url,
        "tags": [TEMPLATE, RETITLE, f"tag{number}{QUOTES}"],
        "summary": ALL_PAYLOADS,
    }


def _saved_page() -> str:
    """Return a saved web page whose JSON-LD, Open Graph and meta tags carry payloads."""
    # In JSON-LD, "<" is written \u003c so that the payloads' "</script>" does not end the block.
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": f"Saved page {SCRIPT} {SVG}",
            "datePublished": "2023-11-02T08:00:00Z",
            "author": [{"@type": "Person", "name": f"Ann {IMG}"}],
            "articleSection": RETITLE,
            "keywords": [TEMPLATE, "hostile page"],
            "publisher": {"@type": "Organization", "name": f"Press {QUOTES}"},
            "url": "javascript:window.__xss=8",
        }
    ).replace("<", "\\u003c")
    escaped = ALL_PAYLOADS.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paragraphs = "\n".join(
        f"<p>The {WORD} of the saved page, paragraph {n}, quotes these strings as text: {escaped}. "
        "Reporters kept writing long sentences so that the extractor sees a real article here.</p>"
        for n in range(4)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Saved page &lt;/title&gt;&lt;script&gt;window.__xss=4&lt;/script&gt;</title>
<link rel="canonical" href="javascript:window.__xss=9">
<meta property="og:url" content=" JaVaScRiPt:window.__xss=9">
<meta property="og:title" content="Saved page &lt;script&gt;window.__xss=1&lt;/script&gt;">
<meta property="og:site_name" content="Site &quot;&gt;&lt;svg onload=&quot;window.__xss=3&quot;&gt;">
<meta name="author" content="Bob &lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;">
<meta name="keywords" content="{{{{7*7}}}}, &lt;b onmouseover=x&gt;">
<script type="application/ld+json">{json_ld}</script>
</head><body><article><h1>Saved page</h1>{paragraphs}</article></body></html>
"""


def _text_article() -> str:
    """Return a plain-text article whose header block carries payloads."""
    return (
        f"Title: Plain {TITLE_BREAK} {QUOTES}\n"
        f"Author: {IMG}, {SVG}\n"
        f"Source: {SCRIPT}\n"
        "URL: javascript:window.__xss=10\n"
        f"Tags: {TEMPLATE}; {RETITLE}\n"
        f"Category: {SVG}\n"
        f"Summary: {ALL_PAYLOADS}\n"
        "\n"
        f"The plain {WORD} article quotes {ALL_PAYLOADS} in its text.\n"
        "\n"
        f"It ends with {IFRAME} and {TEMPLATE}.\n"
    )


def live_markup(page: str) -> list[str]:
    """Return every piece of markup in an HTML page that could run script, parsed as a browser would."""
    document = html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)
    problems = []
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        name = _local(element.tag)
        if name == "script":
            if element.get("src") != APP_SCRIPT or (element.text or "").strip():
                problems.append(f"<script> {element.attrib} {element.text!r}")
        elif name in _ACTIVE_ELEMENTS:
            problems.append(f"<{name}> {element.attrib}")
        if name == "meta" and element.get("http-equiv", "").lower() == "refresh":
            problems.append(f"<meta http-equiv=refresh> {element.attrib}")
        for attribute, value in element.attrib.items():
            attribute = _local(attribute)
            if attribute.lower().startswith("on") or attribute.lower() in ("style", "srcdoc"):
                problems.append(f"<{name} {attribute}={value!r}>")
            elif attribute.lower() in _URL_ATTRIBUTES and is_script_url(value):
                problems.append(f"<{name} {attribute}={value!r}>")
    return problems


def is_script_url(url: str) -> bool:
    """Tell whether a URL (as a browser reads it, ignoring spaces and control characters) runs script."""
    return _SCHEME_NOISE.sub("", url).lower().startswith(("javascript:", "data:", "vbscript:"))


def _local(name: str) -> str:
    """Return a tag or attribute name without its namespace."""
    return name.rsplit("}", 1)[-1]


def assert_no_file_leaked(body: bytes) -> None:
    """Assert a response holds no line of /etc/passwd and no Python source of the app."""
    if PASSWD.exists():
        assert not any(line and line in body for line in PASSWD.read_bytes().splitlines()[:3])
    assert b"SECURITY_HEADERS" not in body and b"from __future__" not in body
