"""Parse a saved HTML news page into an Article: trafilatura for the body, page metadata for the rest."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

import trafilatura
from bs4 import BeautifulSoup, Tag
from lxml.etree import LxmlError

from archive import dates
from archive.encoding import decode_bytes
from archive.categories import CategoryClues
from archive.model import Article, ParseError, join_paragraphs, make_article

SNIFF_BYTES = 4096
MIN_BODY_WORDS = 25
MAX_TAGS = 20
MAX_NAME_WORDS = 5
MIN_SITE_KEY = 3

ARTICLE_TYPE_SUFFIXES = ("article", "blogposting")
DATE_META_KEYS = (
    "date", "pubdate", "publishdate", "publish_date", "dc.date.issued", "dc.date", "dcterms.issued",
    "sailthru.date", "parsely-pub-date", "datepublished",
)
# Semantic markup first; class names last and only their first hit, since they also match bios and teasers.
BYLINE_SELECTORS = (
    ('[itemprop~="author"] [itemprop~="name"]', None),
    ('[itemprop~="author"]', None),
    ('a[rel~="author"]', None),
    ('[class*="byline"]', 1),
    ('a[class*="author"]', 1),
    ('[class*="author"]', 1),
)

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_JSON_LD_TYPE = re.compile(r"^\s*application/ld\+json\s*$", re.IGNORECASE)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_COMMENT_WRAPPER = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[)|(?://\s*\]\]>|-->)\s*$")
_TITLE_SEPARATOR = re.compile(r"\s+[-|–—:·»]\s+|\s*[|_]\s*|\s+(?=\[)")
_BY_PREFIX = re.compile(r"^\s*(?:by|par|por|von)\b[\s:]*", re.IGNORECASE)
# A byline often runs on into a handle, a date or a role: cut the name at the first of these.
_NAME_TAIL = re.compile(
    r"(?:@|\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\s[-|–—]\s).*$",
    re.IGNORECASE | re.DOTALL,
)
_NAME_SEPARATOR = re.compile(r"\s*(?:[,;&\n]|\band\b)\s*", re.IGNORECASE)
_HOST_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)+/?$")
_HTTP_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_TAG_SEPARATOR = re.compile(r"[,;，；、]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def parse_html(data: bytes, *, relative_path: str, url: str = "", folders: tuple[str, ...] = ()) -> Article:
    """Parse one saved HTML page; raise ParseError if it has neither a title nor article text."""
    text = decode_bytes(data, sniff_charset(data))
    soup = BeautifulSoup(text, "lxml")
    nodes = json_ld_nodes(soup)
    article = article_node(nodes)
    page_url = find_url(soup, url)
    title = find_title(soup, article, site_names(soup, article, page_url))
    body = find_body(text, soup, page_url)
    if not title and not body:
        raise ParseError("no title and no article text found")
    return make_article(
        title=title,
        body=body,
        relative_path=relative_path,
        url=page_url,
        clues=find_category(soup, article, folders, page_url),
        published=find_published(soup, article),
        authors=find_authors(soup, article, nodes),
        source=find_source(soup, article, page_url),
        language=find_language(soup, article),
        tags=find_tags(soup, article),
        summary=find_summary(soup, article),
    )


def sniff_charset(data: bytes) -> str | None:
    """Return the charset a page declares in its first few kilobytes, if any."""
    match = _CHARSET.search(data[:SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


# --- JSON-LD ---------------------------------------------------------------------------------


def json_ld_nodes(soup: BeautifulSoup) -> list[dict]:
    """Return every JSON-LD object on the page, each outer object before those nested in it."""
    nodes: list[dict] = []
    for script in soup.find_all("script", type=_JSON_LD_TYPE):
        nodes.extend(walk_json(load_json(script.get_text())))
    return nodes


def load_json(text: str) -> object:
    """Parse JSON leniently, returning None when it cannot be repaired."""
    text = _COMMENT_WRAPPER.sub("", text.strip())
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", _CONTROL_CHARS.sub(" ", text))):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def walk_json(value: object) -> Iterator[dict]:
    """Yield every dict inside a JSON value, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from walk_json(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk_json(child)


def node_types(node: dict) -> list[str]:
    """Return a JSON-LD node's @type values in lowercase."""
    types = node.get("@type", [])
    return [t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]


def article_node(nodes: list[dict]) -> dict:
    """Return the first node typed as an article (NewsArticle, BlogPosting, ...), or an empty dict."""
    for node in nodes:
        if any(t.endswith(ARTICLE_TYPE_SUFFIXES) for t in node_types(node)):
            return node
    return {}


def ld_text(value: object) -> str:
    """Return a JSON-LD value as text: a string, the first of a list, or an object's name."""
    if isinstance(value, list):
        return next((text for text in map(ld_text, value) if text), "")
    if isinstance(value, dict):
        return ld_text(value.get("name", ""))
    return value.strip() if isinstance(value, str) else ""


def ld_strings(value: object) -> list[str]:
    """Return the strings of a JSON-LD value that is a string or a list of strings."""
    if isinstance(value, list):
        return [item.strip() for item in value if isinstance(item, str)]
    return [value.strip()] if isinstance(value, str) else []


# --- page helpers ----------------------------------------------------------------------------


def meta_contents(soup: BeautifulSoup, *keys: str) -> list[str]:
    """Return the non-empty contents of every <meta> whose property, name or itemprop is one of keys."""
    wanted = {key.lower() for key in keys}
    contents = []
    for meta in soup.find_all("meta", content=True):
        names = {str(meta.get(attr, "")).strip().lower() for attr in ("property", "name", "itemprop")}
        content = str(meta["content"]).strip()
        if content and names & wanted:
            contents.append(content)
    return contents


def meta_content(soup: BeautifulSoup, *keys: str) -> str:
    """Return the content of the first non-empty <meta> matching any of keys, or ''."""
    return next(iter(meta_contents(soup, *keys)), "")


def element_text(element: Tag | None) -> str:
    """Return an element's text with whitespace collapsed."""
    return " ".join(element.get_text(" ").split()) if element else ""


def is_http_url(value: str) -> bool:
    """Tell whether a value is an absolute http(s) URL."""
    return bool(_HTTP_URL.match(value.strip()))


def url_host(url: str) -> str:
    """Return a URL's host without a leading 'www.'."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def name_key(text: str) -> str:
    """Return text reduced to lowercase letters and digits, accents dropped, for loose comparison."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if ch.isalnum())


# --- title -----------------------------------------------------------------------------------


def find_title(soup: BeautifulSoup, article: dict, sites: list[str]) -> str:
    """Return the headline: JSON-LD, then og:title, then the <h1> or <title>, without a site-name affix."""
    page_title = strip_site_name(element_text(document_title(soup)), sites)
    if is_site_name(page_title, sites):
        page_title = ""
    return (
        ld_text(article.get("headline"))
        or strip_site_name(meta_content(soup, "og:title"), sites)
        or headline_h1(soup, page_title)
        or page_title
    )


def document_title(soup: BeautifulSoup) -> Tag | None:
    """Return the page's <title> element, ignoring the <title> of inline SVG images."""
    return next((tag for tag in soup.find_all("title") if not tag.find_parent("svg")), None)


def headline_h1(soup: BeautifulSoup, page_title: str) -> str:
    """Return the first <h1> that <title> repeats, or the first <h1> when there is no usable <title>."""
    headings = [text for text in map(element_text, soup.find_all("h1")) if name_key(text)]
    if not page_title:
        return next(iter(headings), "")
    # Measured: the first <h1> is often a site or section banner; the headline is the one <title> repeats.
    return next((text for text in headings if name_key(text) in name_key(page_title)), "")


def strip_site_name(title: str, sites: list[str]) -> str:
    """Remove a trailing or leading site-name segment such as ' - BBC News' or 'TechCrunch | '."""
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    head, tail = title[: separators[-1].start()].strip(), title[separators[-1].end():]
    if head and is_site_name(tail, sites):
        return head
    head, tail = title[: separators[0].start()], title[separators[0].end():].strip()
    return tail if tail and is_site_name(head, sites) else title


def is_site_name(text: str, sites: list[str]) -> bool:
    """Tell whether text names the site, allowing for a domain ending or a longer tagline."""
    key = name_key(text)
    site_keys = [site for site in map(name_key, sites) if len(site) >= MIN_SITE_KEY]
    return len(key) >= MIN_SITE_KEY and any(key.startswith(site) or site.startswith(key) for site in site_keys)


def site_names(soup: BeautifulSoup, article: dict, url: str) -> list[str]:
    """Return the names a page may put around its titles: og:site_name, publisher, host and domain label."""
    host = url_host(url)
    domain_label = host.split(".")[-2] if "." in host else host
    return [meta_content(soup, "og:site_name"), ld_text(article.get("publisher")), host, domain_label]


# --- other fields ----------------------------------------------------------------------------


def find_url(soup: BeautifulSoup, url: str) -> str:
    """Return the canonical link, then og:url, then the given URL, keeping only absolute http(s) URLs."""
    canonical = soup.find("link", rel="canonical", href=True)
    candidates = (str(canonical["href"]) if canonical else "", meta_content(soup, "og:url"), url)
    return next((c.strip() for c in candidates if is_http_url(c)), "")


def find_published(soup: BeautifulSoup, article: dict) -> datetime | None:
    """Return the publication time from JSON-LD, date metas or a <time> element."""
    candidates = [
        ld_text(article.get("datePublished")),
        meta_content(soup, "article:published_time"),
        *meta_contents(soup, *DATE_META_KEYS),
        *(str(tag["datetime"]) for tag in soup.find_all(itemprop="datePublished", datetime=True)),
        *(str(tag["datetime"]) for tag in publication_time_elements(soup)),
    ]
    return next(filter(None, map(dates.parse_date, candidates)), None)


def publication_time_elements(soup: BeautifulSoup) -> list[Tag]:
    """Return <time datetime> elements, the likeliest publication stamps first."""
    times = soup.find_all("time", datetime=True)
    container = soup.find("article")
    inside = container.find_all("time", datetime=True) if container else []
    return [t for t in times if t.has_attr("pubdate")] + inside + times[:1]


def find_authors(soup: BeautifulSoup, article: dict, nodes: list[dict]) -> list[str]:
    """Return author names from JSON-LD, then author metas, then byline markup."""
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    sources = [
        ld_author_names(article.get("author"), by_id),
        meta_contents(soup, "author", "article:author"),
        *(marked_texts(soup, selector, limit) for selector, limit in BYLINE_SELECTORS),
    ]
    for values in sources:
        names = [name for value in values if not is_link_like(value) for name in split_names(value)]
        if names:
            return names
    return []


def marked_texts(soup: BeautifulSoup, selector: str, limit: int | None) -> list[str]:
    """Return the first `limit` non-empty texts of the elements matching a CSS selector (all if None)."""
    return [text for text in map(element_text, soup.select(selector)) if text][:limit]


def ld_author_names(value: object, by_id: dict[str, dict]) -> list[str]:
    """Return the names in a JSON-LD author value, following @id references into the graph."""
    if isinstance(value, list):
        return [name for item in value for name in ld_author_names(item, by_id)]
    if isinstance(value, dict):
        node = value if "name" in value else by_id.get(str(value.get("@id")), {})
        return [ld_text(node.get("name"))]
    return [value] if isinstance(value, str) else []


def is_link_like(value: str) -> bool:
    """Tell whether an author value is a URL or a bare domain rather than a name."""
    return is_http_url(value) or bool(_HOST_LIKE.match(value.strip()))


def split_names(byline: str) -> list[str]:
    """Split a byline such as 'By A and B, March 3, 2015' into names, dropping dates and handles."""
    pieces = _NAME_SEPARATOR.split(_NAME_TAIL.sub("", _BY_PREFIX.sub("", byline)))
    names = [" ".join(piece.strip(" .:|-–—").split()) for piece in pieces]
    names = [name for name in names if any(ch.isalpha() for ch in name) and len(name.split()) <= MAX_NAME_WORDS]
    # In 'Jane Doe, MA' or 'Ed Hornick, CNN' a lone one-word piece is a credential or an employer.
    if any(len(name.split()) > 1 for name in names):
        names = [name for name in names if len(name.split()) > 1 or _CJK.search(name)]
    return names


def find_category(soup: BeautifulSoup, article: dict, folders: tuple[str, ...], url: str) -> CategoryClues:
    """Return what the page says about its category: JSON-LD and meta sections, its folders and its URL."""
    sections = ld_strings(article.get("articleSection")) + meta_contents(soup, "article:section")
    return CategoryClues(sections=tuple(section for section in sections if section), folders=folders, url=url)


def find_source(soup: BeautifulSoup, article: dict, url: str) -> str:
    """Return the publication name: og:site_name, then the JSON-LD publisher, then the URL host."""
    site_name = meta_content(soup, "og:site_name")
    publisher = article.get("publisher")
    candidates = (site_name, ld_text(publisher) if isinstance(publisher, dict) else "", url_host(url))
    return next((c for c in candidates if c and not is_http_url(c)), "")


def find_language(soup: BeautifulSoup, article: dict) -> str:
    """Return the page language from <html lang>, JSON-LD, og:locale or a language meta."""
    html = soup.find("html")
    lang = (
        (str(html.get("lang") or html.get("xml:lang") or "").strip() if html else "")
        or ld_text(article.get("inLanguage"))
        or meta_content(soup, "og:locale", "language", "lang", "dc.language")
        or http_equiv(soup, "content-language")
    )
    return lang.strip().replace("_", "-")


def http_equiv(soup: BeautifulSoup, header: str) -> str:
    """Return the content of a <meta http-equiv> header."""
    for meta in soup.find_all("meta", attrs={"http-equiv": True}, content=True):
        if str(meta["http-equiv"]).strip().lower() == header:
            return str(meta["content"]).strip()
    return ""


def find_tags(soup: BeautifulSoup, article: dict) -> list[str]:
    """Return up to MAX_TAGS keywords from meta keywords, article:tag or JSON-LD keywords, split on commas."""
    sources = (meta_contents(soup, "keywords"), meta_contents(soup, "article:tag"), ld_strings(article.get("keywords")))
    for values in sources:
        tags = [tag.strip() for value in values for tag in _TAG_SEPARATOR.split(value) if tag.strip()]
        if tags:
            return tags[:MAX_TAGS]
    return []


def find_summary(soup: BeautifulSoup, article: dict) -> str:
    """Return the page's description from og:description, the description meta or JSON-LD."""
    return (
        meta_content(soup, "og:description")
        or meta_content(soup, "description")
        or ld_text(article.get("description"))
    )


# --- body ------------------------------------------------------------------------------------


def find_body(text: str, soup: BeautifulSoup, url: str) -> str:
    """Return the article text as paragraphs: trafilatura's, or the page's <p> blocks if it finds too little."""
    extracted = trafilatura_body(text, url)
    if word_count(extracted) >= MIN_BODY_WORDS:
        return extracted
    return max(extracted, fallback_body(soup), key=word_count)


def trafilatura_body(text: str, url: str) -> str:
    """Return trafilatura's main-text extraction as joined paragraphs, or '' if it finds nothing."""
    try:
        document = trafilatura.bare_extraction(
            text, url=url or None, include_comments=False, include_tables=False, with_metadata=False
        )
    except (ValueError, LxmlError):
        # Broken markup may cost the body, never the whole page.
        return ""
    return join_paragraphs(document.text.split("\n")) if document and document.text else ""


def fallback_body(soup: BeautifulSoup) -> str:
    """Return the paragraphs of articleBody or <article>, else of the element holding the most <p> text."""
    for container in (soup.find(itemprop="articleBody"), soup.find("article")):
        paragraphs = paragraph_texts(container)
        if paragraphs:
            return join_paragraphs(paragraphs)
    return join_paragraphs(paragraph_texts(densest_block(soup)))


def densest_block(soup: BeautifulSoup) -> Tag | None:
    """Return the element whose direct <p> children hold the most text."""
    totals: dict[int, int] = {}
    parents: dict[int, Tag] = {}
    for paragraph in soup.find_all("p"):
        if paragraph.parent is not None:
            key = id(paragraph.parent)
            parents[key] = paragraph.parent
            totals[key] = totals.get(key, 0) + len(element_text(paragraph))
    return parents[max(totals, key=totals.__getitem__)] if totals else None


def paragraph_texts(container: Tag | None) -> list[str]:
    """Return the text of each <p> inside a container."""
    return [element_text(p) for p in container.find_all("p")] if container else []


def word_count(text: str) -> int:
    """Return the number of words, counting each CJK character as one since those scripts use no spaces."""
    return len(_CJK.sub(" ", text).split()) + len(_CJK.findall(text))
