"""Parse a saved HTML news page into an Article: trafilatura for the body, BeautifulSoup for the metadata.

The page is parsed once, by lxml, and trafilatura extracts the body from that tree. BeautifulSoup reads
the page's structure and metadata (JSON-LD, Open Graph and other <meta>, the canonical <link>, <title>,
<h1>, <time>, bylines, datelines, the declared language) from skeletons of the page: the elements the
readers may select, each whole, inside copies of the containers that give them their meaning (<html>,
<head>, <body>, <article>, <svg>). One holds the elements read by their tag; the other, those marked by
a class, id, itemprop or rel, is built only when the structured data leaves the date or authors unnamed.
A SoupStrainer would keep the same elements but lose their containers, and it still sends every tag of
the page through Python: in CPU time on ../shared/data/news_html, against trafilatura.extract's,
BeautifulSoup takes 1.08x on the whole page, 0.49x with a SoupStrainer, and about 0.1x for the skeletons.
Each field is looked for in the cheap, structured places first (JSON-LD, <meta>), and the page's
markup is searched only when those name nothing.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import lxml.html
import soupsieve
import trafilatura
from bs4 import BeautifulSoup, Tag
from lxml.etree import Element, LxmlError, ParserError, SubElement, XPath

from archive import dates
from archive.bylines import split_names
from archive.categories import CategoryClues
from archive.encoding import decode_bytes
from archive.model import Article, ParseError, join_paragraphs, make_article

SNIFF_BYTES = 4096
MIN_BODY_WORDS = 25
MAX_TAGS = 20
MIN_SITE_KEY = 3
# Datelines are short; a longer element is a container that merely mentions a name or a date.
MAX_LINE_CHARS = 200

ARTICLE_TYPE_SUFFIXES = ("article", "blogposting", "report")
# Meta keys (property, name or itemprop, lowercased) that hold the publication date, surest first.
DATE_META_KEYS = (
    "article:published_time", "article:publicationdate", "article:publication_date", "article:published",
    "og:published_time", "og:article:published_time", "published_time", "publication_date", "publicationdate",
    "datepublished", "date", "pubdate", "publishdate", "publish_date", "publish-date", "date_published",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "article.published", "originalpublicationdate", "cxenseparse:recs:publishtime",
)
AUTHOR_META_KEYS = ("author", "article:author", "byl", "dc.creator", "dcterms.creator", "sailthru.author", "parsely-author")

# BeautifulSoup's CSS selectors, compiled on import: compiling them (and importing soupsieve) on a page
# worker's first page took 0.7 s of its time limit.
# Semantic markup first; class names last and only their first hit, since they also match bios and teasers.
BYLINE_SELECTORS = tuple(
    (soupsieve.compile(selector), limit)
    for selector, limit in (
        ('[itemprop~="author"] [itemprop~="name"]', None),
        ('[itemprop~="author"]', None),
        ('a[rel~="author"]', None),
        ('[class*="byline"]', 1),
        ('a[class*="author"]', 1),
        ('[class*="author"]', 1),
    )
)
DATE_PUBLISHED_SELECTOR = soupsieve.compile('[itemprop~="datePublished"]')
DATELINE_SELECTOR = soupsieve.compile('[class*="date"], [class*="time"], [class*="byline"], [class*="publish"], [class*="posted"], [id*="date"]')

# The metadata skeletons (see metadata_skeleton): the containers kept around metadata elements for what
# they tell (the first <article>'s <time> is the article's, an <svg>'s <title> is an image's); the tags
# the readers look for by name; those they look for by the attributes the selectors above name.
CONTAINER_TAGS = frozenset(("html", "head", "body", "article", "svg"))
METADATA_TAGS = frozenset(("meta", "title", "h1", "time"))
TAGGED_CANDIDATES = (*METADATA_TAGS, "script", "link", "article")
# The attribute values the selectors above look for, loosely (any case where a selector ignores case).
_MARKED_CLASS = re.compile("byline|author|date|time|publish|posted")
_MARKED_ITEMPROP = re.compile("author|datepublished", re.IGNORECASE)
_ARTICLE_BODY = XPath('//*[contains(concat(" ", normalize-space(@itemprop), " "), " articleBody ")]')

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_JSON_LD_TYPE = re.compile(r"^\s*application/ld\+json\s*$", re.IGNORECASE)
# Markers that hide a script from old browsers or XML parsers: CDATA, HTML comments, /* */ and // comments.
_SCRIPT_WRAPPERS = re.compile(r"<!\[CDATA\[|\]\]>|<!--|-->|/\*.*?\*/|^\s*//", re.MULTILINE | re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TITLE_SEPARATOR = re.compile(r"\s+[-|–—:·»]\s+|\s*[|_]\s*|\s+(?=\[)")
_HOST_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)+/?$")
_HTTP_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_TAG_SEPARATOR = re.compile(r"[,;，；、]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_ANY_TAG = re.compile(r"<[A-Za-z!/?]")
# Every tag but those that hold the title, metadata, headings and paragraphs (which cannot nest).
_CONTAINER_TAG = re.compile(r"</?(?!(?:html|head|body|title|meta|link|script|style|p|h[1-6]|br|time)\b)[A-Za-z][^>]*>")
# trafilatura writes a table row as '| cell | cell |' and a header rule as '|---|---|'.
_TABLE_ROW = re.compile(r"^\|(.*)\|$")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")


@dataclass(frozen=True)
class Page:
    """A parsed page: lxml's tree for the body, soups of its metadata elements, <meta> contents by key, JSON-LD objects."""

    root: lxml.html.HtmlElement
    is_document: bool  # False for a fragment or text that trafilatura does not take for a page
    soup: BeautifulSoup  # the elements read by their tag: <meta>, <title>, <h1>, <time>, JSON-LD, canonical <link>
    # The elements marked by class, id, itemprop or rel (bylines, datelines), built on the first call:
    # on most pages the structured data names the date and authors, and they are never read.
    marked_soup: Callable[[], BeautifulSoup]
    metas: dict[str, list[str]]
    nodes: list[dict]
    article: dict  # the JSON-LD object describing the article, or {}

    def meta(self, *keys: str) -> str:
        """Return the first non-empty content of a <meta> named by any of keys (in the keys' order)."""
        return next(iter(self.meta_all(*keys)), "")

    def meta_all(self, *keys: str) -> list[str]:
        """Return the contents of the <meta> elements named by keys, key by key, in page order."""
        return [content for key in keys for content in self.metas.get(key, ())]


def parse_html(
    data: bytes,
    *,
    relative_path: str,
    url: str = "",
    folders: tuple[str, ...] = (),
    article_id: str = "",
    published: datetime | None = None,
) -> Article:
    """Parse one HTML page into an Article; raise ParseError if it has neither a title nor article text.

    `url`, `article_id` and `published` are what is known from outside the page (a crawl record's URL,
    a feed entry's id and date): the page's own canonical URL and date win over them.
    """
    page = load_page(data)
    page_url = find_url(page, url)
    title = find_title(page, site_names(page, page_url))
    body = without_title(find_body(page, page_url), title)
    if not title and not body:
        raise ParseError("no title and no article text found")
    return make_article(
        title=title,
        body=body,
        relative_path=relative_path,
        explicit_id=article_id,
        url=page_url,
        clues=find_category(page, folders, page_url),
        published=find_published(page, page_url) or published,
        authors=find_authors(page),
        source=find_source(page, page_url),
        language=find_language(page),
        tags=find_tags(page),
        summary=find_summary(page),
    )


def load_page(data: bytes) -> Page:
    """Decode and parse a page's bytes and gather its metadata; raise ParseError if nothing can be parsed.

    Tables that only lay out the page become <div>s here, so every reader of the tree sees blocks of text.
    """
    text = decode_bytes(data, sniff_charset(data))
    document = trafilatura.load_html(text)
    root = document if document is not None else load_fragment(text)
    unwrap_layout_tables(root)
    soup = metadata_soup(root, root.iter(*TAGGED_CANDIDATES), is_tagged_metadata)
    marked_soup = functools.cache(lambda: metadata_soup(root, filter(is_marked, root.iter(Element)), is_marked))
    return read_page(root, document is not None, soup, marked_soup)


def read_page(root: lxml.html.HtmlElement, is_document: bool, soup: BeautifulSoup, marked_soup: Callable[[], BeautifulSoup]) -> Page:
    """Return the Page of a parsed tree, its structured metadata gathered from the soup of its tagged metadata."""
    nodes = json_ld_nodes(soup)
    return Page(
        root=root, is_document=is_document, soup=soup, marked_soup=marked_soup, metas=meta_index(soup), nodes=nodes,
        article=article_node(nodes),
    )


def sniff_charset(data: bytes) -> str | None:
    """Return the charset a page declares in its first few kilobytes, if any."""
    match = _CHARSET.search(data[:SNIFF_BYTES])
    return match.group(1).decode("ascii") if match else None


def load_fragment(text: str) -> lxml.html.HtmlElement:
    """Parse text that trafilatura does not take for a page: a fragment, or markup nested too deep for it."""
    if not _ANY_TAG.search(text):
        raise ParseError("no title and no article text found")
    root, too_deep = parse_markup(text)
    # libxml2 stops at 256 levels of nesting and loses what lies deeper: read such a page without its
    # containers, keeping the title, metadata, headings and paragraphs.
    return parse_markup(_CONTAINER_TAG.sub("\n", text))[0] if too_deep else root


def parse_markup(text: str) -> tuple[lxml.html.HtmlElement, bool]:
    """Parse markup with lxml; return the tree and whether it was nested deeper than libxml2 reads."""
    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (ParserError, LxmlError, ValueError) as error:
        raise ParseError("no title and no article text found") from error
    return root, any("Excessive depth" in entry.message for entry in parser.error_log)


# --- metadata skeleton -----------------------------------------------------------------------


def metadata_soup(
    root: lxml.html.HtmlElement, candidates: Iterable[lxml.html.HtmlElement], keeps: Callable[[lxml.html.HtmlElement], bool]
) -> BeautifulSoup:
    """Return BeautifulSoup's tree of a metadata skeleton of the page, attribute values kept as written."""
    markup = lxml.html.tostring(metadata_skeleton(root, candidates, keeps), encoding="unicode")
    # multi_valued_attributes=None keeps class="a b" one string, so [class*=...] sees what the page wrote.
    return BeautifulSoup(markup, "lxml", multi_valued_attributes=None)


def metadata_skeleton(
    root: lxml.html.HtmlElement, candidates: Iterable[lxml.html.HtmlElement], keeps: Callable[[lxml.html.HtmlElement], bool]
) -> lxml.html.HtmlElement:
    """Return a copy of the page holding the candidates `keeps` accepts, each whole, inside copies of their containers.

    Like a SoupStrainer, `keeps` decides on an element's tag and attributes alone, and an element it
    keeps is kept with everything inside it; unlike one, the skeleton keeps the containers the readers
    need, and every <article> (the first one is read) even when empty. Candidates come in page order.
    """
    skeleton = root.makeelement(root.tag, root.attrib)
    copies = {root: skeleton}
    kept: set[lxml.html.HtmlElement] = set()
    for element in candidates:
        ancestors = ancestors_below(root, element)
        if element is root or element.tag in ("html", "head", "body") or kept.intersection(ancestors):
            continue  # the page's parts are only containers; an element inside a kept one came with it
        parent = container_copy(root, [a for a in reversed(ancestors) if a.tag in CONTAINER_TAGS], copies)
        if keeps(element):
            whole = copy.deepcopy(element)
            whole.tail = None
            parent.append(whole)
            kept.add(element)
        elif element.tag == "article":
            copies[element] = SubElement(parent, element.tag, element.attrib)
    return skeleton


def ancestors_below(root: lxml.html.HtmlElement, element: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Return an element's ancestors below the root, nearest first (a fragment's root has ancestors of its own)."""
    ancestors = []
    for ancestor in element.iterancestors():
        if ancestor is root:
            break
        ancestors.append(ancestor)
    return ancestors


def container_copy(root: lxml.html.HtmlElement, containers: list[lxml.html.HtmlElement], copies: dict) -> lxml.html.HtmlElement:
    """Return the copy of the innermost of nested containers in the root (outermost first), copying those not copied yet."""
    parent = copies[root]
    for container in containers:
        if container not in copies:
            copies[container] = SubElement(parent, container.tag, container.attrib)
        parent = copies[container]
    return parent


def is_tagged_metadata(element: lxml.html.HtmlElement) -> bool:
    """Tell whether the readers of the tagged soup may read an element: a superset of what they select."""
    tag = element.tag
    if tag == "script":
        return bool(_JSON_LD_TYPE.match(element.get("type") or ""))
    if tag == "link":
        return "canonical" in (element.get("rel") or "").lower().split()
    return tag in METADATA_TAGS


def is_marked(element: lxml.html.HtmlElement) -> bool:
    """Tell whether the readers of the marked soup may read an element: a superset of what their selectors match."""
    return bool(
        _MARKED_CLASS.search(element.get("class") or "")
        or "date" in (element.get("id") or "")
        or _MARKED_ITEMPROP.search(element.get("itemprop") or "")
        or "author" in (element.get("rel") or "").lower()
    )


# --- structured metadata ---------------------------------------------------------------------


def meta_index(soup: BeautifulSoup) -> dict[str, list[str]]:
    """Return the non-empty contents of every <meta>, by lowercased property, name, itemprop and http-equiv."""
    index: dict[str, list[str]] = {}
    for meta in soup.find_all("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        keys = {(meta.get(attribute) or "").strip().lower() for attribute in ("property", "name", "itemprop")}
        if meta.get("http-equiv"):
            keys.add("http-equiv:" + meta.get("http-equiv").strip().lower())
        for key in keys - {""}:
            index.setdefault(key, []).append(content)
    return index


def json_ld_nodes(soup: BeautifulSoup) -> list[dict]:
    """Return every JSON-LD object on the page, each outer object before those nested in it."""
    nodes: list[dict] = []
    for script in soup.find_all("script", type=_JSON_LD_TYPE):
        nodes.extend(walk_json(load_json(script.get_text())))
    return nodes


def load_json(text: str) -> object:
    """Parse JSON leniently, returning None when it cannot be repaired.

    Wrappers such as `<!-- ... -->`, `<![CDATA[ ... ]]>` or `//<![CDATA[ ... //]]>` are dropped, and only
    the span from the first bracket to the last is read.
    """
    text = _SCRIPT_WRAPPERS.sub("", text)
    starts = [index for index in (text.find("{"), text.find("[")) if index >= 0]
    if not starts:
        return None
    text = text[min(starts): max(text.rfind("}"), text.rfind("]")) + 1]
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


def element_text(element: lxml.html.HtmlElement | None) -> str:
    """Return an lxml element's text with whitespace collapsed."""
    return " ".join(element.text_content().split()) if element is not None else ""


def tag_text(tag: Tag | None) -> str:
    """Return a BeautifulSoup tag's text with whitespace collapsed."""
    return " ".join(tag.get_text().split()) if tag is not None else ""


def is_http_url(value: str) -> bool:
    """Tell whether a value is an absolute http(s) URL."""
    return bool(_HTTP_URL.match(value.strip()))


def url_host(url: str) -> str:
    """Return a URL's host without a leading 'www.'."""
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def name_key(text: str) -> str:
    """Return text reduced to lowercase letters and digits, accents dropped, for loose comparison."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if ch.isalnum())


# --- title -----------------------------------------------------------------------------------


def find_title(page: Page, sites: list[str]) -> str:
    """Return the headline: JSON-LD, then og:title, then the <h1> or <title>, without a site-name affix."""
    page_title = strip_site_name(tag_text(document_title(page.soup)), sites)
    if is_site_name(page_title, sites):
        page_title = ""
    return (
        ld_text(page.article.get("headline"))
        or strip_site_name(page.meta("og:title"), sites)
        or headline_h1(page.soup, page_title)
        or page_title
    )


def document_title(soup: BeautifulSoup) -> Tag | None:
    """Return the page's <title> element, ignoring the <title> of inline SVG images."""
    return next((tag for tag in soup.find_all("title") if tag.find_parent("svg") is None), None)


def headline_h1(soup: BeautifulSoup, page_title: str) -> str:
    """Return the first <h1> that <title> repeats, or the first <h1> when there is no usable <title>."""
    headings = [text for text in map(tag_text, soup.find_all("h1")) if name_key(text)]
    if not page_title:
        return next(iter(headings), "")
    # Measured: the first <h1> is often a site or section banner; the headline is the one <title> repeats.
    return next((text for text in headings if name_key(text) in name_key(page_title)), "")


def strip_site_name(title: str, sites: list[str]) -> str:
    """Remove a trailing or leading segment that is the site's name, such as ' - BBC News' or 'TechCrunch | '."""
    separators = list(_TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    head, tail = title[: separators[-1].start()].strip(), title[separators[-1].end():]
    if head and is_site_name(tail, sites):
        return head
    head, tail = title[: separators[0].start()], title[separators[0].end():].strip()
    return tail if tail and is_site_name(head, sites) else title


def is_site_name(text: str, sites: list[str]) -> bool:
    """Tell whether text is the site's own name, give or take a leading 'The' or a bracket ('[LWN.net]')."""
    key = name_key(text).removeprefix("the")
    return len(key) >= MIN_SITE_KEY and any(key == name_key(site).removeprefix("the") for site in sites)


def site_names(page: Page, url: str) -> list[str]:
    """Return the names a page may put around its titles: og:site_name, publisher, host and domain label."""
    labels = url_host(url).split(".")
    # 'sport.aktualne.cz' is also 'aktualne.cz' and 'aktualne'.
    domains = [".".join(labels[start:]) for start in range(len(labels) - 1)] + labels[-2:-1]
    names = [page.meta("og:site_name"), ld_text(page.article.get("publisher")), page.meta("application-name"), *domains]
    return [name for name in names if len(name_key(name)) >= MIN_SITE_KEY]


# --- dates -----------------------------------------------------------------------------------


def find_published(page: Page, url: str) -> datetime | None:
    """Return the publication time: structured data first, then the URL path, then a dateline's text."""
    return next(filter(None, published_candidates(page, url)), None)


def published_candidates(page: Page, url: str) -> Iterator[datetime | None]:
    """Yield publication times from the surest source to the least sure, each computed only when asked for."""
    # The article's own node, then the web page's: other nodes may describe related articles.
    pages = [node for node in page.nodes if any(t.endswith("page") for t in node_types(node))]
    yield from (dates.parse_date(ld_text(node.get("datePublished"))) for node in [page.article, *pages])
    yield from map(dates.parse_date, page.meta_all(*DATE_META_KEYS))
    marked = DATE_PUBLISHED_SELECTOR.select(page.marked_soup())
    yield from (dates.parse_date(tag.get("content") or tag.get("datetime")) for tag in marked)
    yield from (dates.date_in_text(tag_text(tag)) for tag in marked)
    yield from (dates.parse_date(tag.get("datetime")) for tag in publication_time_elements(page.soup))
    yield dates.date_in_url(url)
    yield from map(dates.date_in_text, dateline_texts(page.marked_soup()))


def publication_time_elements(soup: BeautifulSoup) -> Iterator[Tag]:
    """Yield <time datetime> elements marked as the publication time, then those inside the <article>."""
    times = [tag for tag in soup.find_all("time") if tag.get("datetime")]
    yield from (tag for tag in times if tag.has_attr("pubdate"))
    container = soup.find("article")
    if container is not None:
        yield from (tag for tag in container.find_all("time") if tag.get("datetime"))
    yield from times[:1]


def dateline_texts(soup: BeautifulSoup) -> Iterator[str]:
    """Yield the short texts of elements whose class names a date, a time or a byline."""
    lines = (tag_text(tag) for tag in DATELINE_SELECTOR.select(soup))
    yield from (line for line in lines if line and len(line) <= MAX_LINE_CHARS)


# --- authors ---------------------------------------------------------------------------------


def find_authors(page: Page) -> list[str]:
    """Return author names from JSON-LD, then author metas, then byline markup, stopping at the first found."""
    for values in author_candidates(page):
        names = [name for value in values if not is_link_like(value) for name in split_names(value)]
        if names:
            return names
    return []


def author_candidates(page: Page) -> Iterator[list[str]]:
    """Yield lists of author texts from the surest source to the least sure, each searched only when asked for."""
    by_id = {node["@id"]: node for node in page.nodes if isinstance(node.get("@id"), str)}
    yield ld_author_names(page.article.get("author"), by_id)
    yield page.meta_all(*AUTHOR_META_KEYS)
    for selector, limit in BYLINE_SELECTORS:
        yield marked_texts(selector.select(page.marked_soup()), limit)


def marked_texts(tags: Iterable[Tag], limit: int | None) -> list[str]:
    """Return the first `limit` non-empty texts of the tags (all if None)."""
    return [text for text in map(tag_text, tags) if text][:limit]


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


# --- other fields ----------------------------------------------------------------------------


def find_url(page: Page, url: str) -> str:
    """Return the canonical link, then og:url, then the given URL, keeping only absolute http(s) URLs."""
    canonical = next((link.get("href", "") for link in page.soup.find_all("link") if "canonical" in (link.get("rel") or "").lower().split()), "")
    candidates = (canonical, page.meta("og:url"), url)
    return next((c.strip() for c in candidates if is_http_url(c)), "")


def find_category(page: Page, folders: tuple[str, ...], url: str) -> CategoryClues:
    """Return what the page says about its category: JSON-LD and meta sections, its folders and its URL."""
    sections = ld_strings(page.article.get("articleSection")) + page.meta_all("article:section")
    return CategoryClues(sections=tuple(section for section in sections if section), folders=folders, url=url)


def find_source(page: Page, url: str) -> str:
    """Return the publication name: og:site_name, then the JSON-LD publisher, then the URL host."""
    publisher = page.article.get("publisher")
    candidates = (page.meta("og:site_name"), ld_text(publisher) if isinstance(publisher, dict) else "", url_host(url))
    return next((c for c in candidates if c and not is_http_url(c)), "")


def find_language(page: Page) -> str:
    """Return the page language from <html lang>, JSON-LD, og:locale or a language meta."""
    html = page.soup.html  # the skeleton's root is a copy of the page's <html>
    lang = (
        (html.get("lang") or html.get("xml:lang") or "").strip()
        or ld_text(page.article.get("inLanguage"))
        or page.meta("og:locale", "language", "lang", "dc.language", "http-equiv:content-language")
    )
    return lang.strip().replace("_", "-")


def find_tags(page: Page) -> list[str]:
    """Return up to MAX_TAGS keywords from meta keywords, article:tag or JSON-LD keywords, split on commas."""
    sources = (page.meta_all("keywords"), page.meta_all("article:tag"), ld_strings(page.article.get("keywords")))
    for values in sources:
        tags = [tag.strip() for value in values for tag in _TAG_SEPARATOR.split(value) if tag.strip()]
        if tags:
            return tags[:MAX_TAGS]
    return []


def find_summary(page: Page) -> str:
    """Return the page's description from og:description, the description meta or JSON-LD."""
    return page.meta("og:description", "description") or ld_text(page.article.get("description"))


# --- body ------------------------------------------------------------------------------------


def find_body(page: Page, url: str) -> str:
    """Return the article text as paragraphs: trafilatura's, or the page's <p> blocks if it finds too little.

    trafilatura's balanced mode (2.3 and later) already falls back when its text is implausibly short:
    under 20% of the page's text it retries in recall mode and with justext, and it compares its text
    with its own port of readability-lxml. Scored alone on news_html (`python -m tests.benchmarks.pages
    --fallbacks`), neither recall mode nor readability-lxml beat it by more than the bias of references
    made by Readability, so no second extractor is added: only the <p> blocks, for pages where every
    stage of trafilatura finds next to nothing.
    """
    extracted = trafilatura_body(page.root, url) if page.is_document else ""
    if word_count(extracted) >= MIN_BODY_WORDS:
        return extracted
    return max(extracted, fallback_body(page.root), key=word_count)


def trafilatura_body(root: lxml.html.HtmlElement, url: str) -> str:
    """Return trafilatura's main-text extraction, data tables as rows of cells, or '' if it finds nothing."""
    try:
        # trafilatura works on a copy of the tree it is given, so the metadata is read from the original.
        document = trafilatura.bare_extraction(root, url=url or None, include_comments=False, include_tables=True)
    except (ValueError, LxmlError):
        # Broken markup may cost the body, never the whole page.
        return ""
    if not document or not document.text:
        return ""
    return join_paragraphs([table_row_text(line) for line in document.text.split("\n")])


def unwrap_layout_tables(root: lxml.html.HtmlElement) -> None:
    """Turn tables that lay out a page into plain blocks, so their text reads as paragraphs, not one long row."""
    renames = [
        (element, "div")
        for table in root.iter("table")
        if not is_data_table(table)
        for element in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th")
        if owning_table(element) is table
    ]
    for element, tag in renames:
        element.tag = tag


def is_data_table(table: lxml.html.HtmlElement) -> bool:
    """Tell a table of data from a layout table, by the rules of Mozilla Readability's _markDataTables.

    One change: a table holding another table is layout whatever it holds, since the header cells it
    seems to have may belong to the inner table (LWN lays out its whole page in one).
    """
    if table.get("role") == "presentation" or table.get("datatable") == "0":
        return False
    if any(element is not table for element in table.iter("table")):
        return False
    if table.get("summary") or element_text(table.find(".//caption")):
        return True
    if any(True for _ in table.iter("col", "colgroup", "tfoot", "thead", "th")):
        return True
    rows = list(table.iter("tr"))
    columns = max((sum(int_or_one(cell.get("colspan")) for cell in row if cell.tag in ("td", "th")) for row in rows), default=0)
    if len(rows) <= 1 or columns <= 1:
        return False
    return len(rows) >= 10 or columns > 4 or len(rows) * columns > 10


def owning_table(element: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the table an element belongs to: itself if it is one, else its nearest table ancestor."""
    return element if element.tag == "table" else next(element.iterancestors("table"), None)


def int_or_one(value: str | None) -> int:
    """Return a colspan as a number, 1 when absent or not a number."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def table_row_text(line: str) -> str:
    """Return a line of trafilatura's text with a table row written as cells between ' | ', a header rule as ''."""
    stripped = line.strip()
    if _TABLE_RULE.match(stripped):
        return ""
    row = _TABLE_ROW.match(stripped)
    return " | ".join(cell.strip() for cell in row[1].split(" | ")) if row else line


def without_title(body: str, title: str) -> str:
    """Drop the body's first paragraph when it only repeats the title."""
    first, _, rest = body.partition("\n\n")
    return rest if title and name_key(first) == name_key(title) else body


def fallback_body(root: lxml.html.HtmlElement) -> str:
    """Return the paragraphs of articleBody or <article>, else of the element holding the most <p> text."""
    containers = (
        next(iter(_ARTICLE_BODY(root)), None),
        next(root.iter("article"), None),
    )
    for container in containers:
        paragraphs = paragraph_texts(container)
        if paragraphs:
            return join_paragraphs(paragraphs)
    return join_paragraphs(paragraph_texts(densest_block(root)))


def densest_block(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """Return the element whose direct <p> children hold the most text."""
    totals: dict[lxml.html.HtmlElement, int] = {}
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            totals[parent] = totals.get(parent, 0) + len(element_text(paragraph))
    return max(totals, key=totals.__getitem__) if totals else None


def paragraph_texts(container: lxml.html.HtmlElement | None) -> list[str]:
    """Return the text of each <p> inside a container."""
    return [element_text(p) for p in container.iter("p")] if container is not None else []


def word_count(text: str) -> int:
    """Return the number of words, counting each CJK character as one since those scripts use no spaces."""
    return len(_CJK.sub(" ", text).split()) + len(_CJK.findall(text))
