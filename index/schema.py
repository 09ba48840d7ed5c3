"""The Whoosh schema, the facets and filters people name, and the conversion of Articles to documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timezone

from whoosh.analysis import RegexTokenizer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from archive.model import Article
from archive.names import escape_undecodable
from index.analysis import FAMILIES, NEUTRAL, analysis_family, text_analyzer
from index.engine.analysis import OnePassPositions

# The parts of an article a query's words are looked for in (each weighted by the ranking settings). Each is
# indexed in one field per analysis family (`title_en`, `body_fr`, `body_neutral`...): an article's text goes
# into its language's pair, so each family keeps its own term statistics, as Elasticsearch's per-language fields do.
SEARCH_PARTS = ("title", "body")
# The field holding the name of the analysis each article's text went through (see index.analysis.FAMILIES).
ANALYSIS_FIELD = "analysis"
SEPARATOR = "\x1f"  # between values of a multi-valued field; never typed in a name or a tag


@dataclass(frozen=True)
class FilterField:
    """A field people filter on: its name in the index, in URLs and before a colon in a query."""

    field: str
    parameter: str  # singular, as people write it: ?author=... and author:...
    label: str
    aliases: tuple[str, ...] = ()  # other names accepted before a colon
    chronological: bool = False  # values read best in time order (a histogram), not by count


# Facets, in display order; each field holds exact, untokenized values.
FACETS = (
    FilterField("category", "category", "Category", ("section",)),
    FilterField("source", "source", "Source", ("site",)),
    FilterField("language", "language", "Language", ("lang",)),
    FilterField("authors", "author", "Author", ("authors", "by")),
    FilterField("year", "year", "Year", chronological=True),
    FilterField("tags", "tag", "Tag", ("tags",)),
)
FACET_FIELDS = tuple(facet.field for facet in FACETS)
FILTERS = {facet.field: facet for facet in FACETS}
# What people type before a colon, mapped to the field it filters.
FILTER_NAMES = {name: facet.field for facet in FILTERS.values() for name in (facet.parameter, facet.field, *facet.aliases)}


def search_field(part: str, family: str) -> str:
    """Return the field indexing one part of the articles (title or body) of one analysis family."""
    return f"{part}_{family}"


def search_fields(families: tuple[str, ...]) -> tuple[str, ...]:
    """Return the fields a query's words are looked for in, for the given analysis families."""
    return tuple(search_field(part, family) for family in families for part in SEARCH_PARTS)


def is_search_field(fieldname: str) -> bool:
    """Tell whether a field indexes article text (title_en, body_fr...), not a facet or the analysis field."""
    return field_part(fieldname) in SEARCH_PARTS


def field_family(fieldname: str) -> str:
    """Return the analysis family of a search field ("fr" for body_fr)."""
    return fieldname.rpartition("_")[2]


def field_part(fieldname: str) -> str:
    """Return which part of an article a search field indexes ("body" for body_fr)."""
    return fieldname.rpartition("_")[0]


def build_schema() -> Schema:
    """Return the schema of the archive index."""
    whole_values = RegexTokenizer(f"[^{SEPARATOR}]+")
    schema = Schema(
        id=STORED(),
        key=ID(unique=True, stored=True),  # derived from id; unique, so update_document replaces by it
        title=STORED(),
        body=STORED(),
        summary=STORED(),
        category=ID(stored=True),
        category_origin=ID(stored=True),  # given, folder, section, url or predicted; filtered by the `predicted` parameter
        category_confidence=STORED(),  # a predicted category's probability
        source=ID(stored=True),
        authors=KEYWORD(stored=True, analyzer=whole_values),
        tags=KEYWORD(stored=True, analyzer=whole_values),
        published=DATETIME(stored=True, sortable=True),
        year=ID(stored=True),
        language=ID(stored=True),
        url=STORED(),
        path=ID(stored=True),
        mtime_ns=STORED(),
        captured=STORED(),  # when a web archive captured the page, if it came from one
        content_hash=ID(stored=True),  # looked up by update to refuse copies of archived articles
        **{ANALYSIS_FIELD: ID()},
    )
    for family in FAMILIES:
        analyzer = text_analyzer(family)
        for name in search_fields((family,)):
            # A CJK word is a run of character pairs: typed as one word, it is looked for as that run.
            schema.add(name, TEXT(analyzer=analyzer, multitoken_query="phrase" if family == NEUTRAL else "default"))
            schema[name].format = OnePassPositions(field_boost=schema[name].format.field_boost)
    return schema


def article_to_document(article: Article, mtime_ns: int = 0) -> dict:
    """Return the fields Whoosh indexes for an article: its text indexed in its language's fields, and stored."""
    family = analysis_family(article.language)
    document = {
        "id": article.id,
        "key": url_key(article.id),
        "title": article.title,
        "body": article.body,
        search_field("title", family): article.title,
        search_field("body", family): article.body,
        ANALYSIS_FIELD: family,
        "summary": article.summary,
        "category": article.category,
        "authors": SEPARATOR.join(article.authors),
        "tags": SEPARATOR.join(article.tags),
        "url": article.url,
        "path": path_term(article.path),
        "mtime_ns": mtime_ns,
        "content_hash": article.content_hash,
    }
    if article.source:
        document["source"] = article.source
    if article.category_origin:
        document["category_origin"] = article.category_origin
    if article.category_confidence is not None:
        document["category_confidence"] = article.category_confidence
    if article.language:
        document["language"] = article.language
    if article.captured:
        document["captured"] = article.captured.astimezone(timezone.utc).replace(tzinfo=None)
    if article.published:
        # Whoosh stores naive datetimes; ours are all UTC, so dates sort and filter alike and the
        # year facet agrees with date: filters.
        published = article.published.astimezone(timezone.utc).replace(tzinfo=None)
        document["published"] = published
        document["year"] = f"{published.year:04d}"
    return document


def url_key(article_id: str) -> str:
    """Return a short, URL-safe key derived from an article id (ids may be URLs or paths)."""
    # surrogatepass: the same bytes as UTF-8 for every valid id, and a key even for one holding a lone surrogate.
    return hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def path_term(path: str) -> str:
    """Return a file's path as the index holds it: valid text, one per path (backslashes doubled, odd bytes as \\xNN)."""
    return escape_undecodable(path.replace("\\", "\\\\"))


def split_values(stored: str) -> tuple[str, ...]:
    """Split a stored multi-valued field into its values."""
    return tuple(value for value in stored.split(SEPARATOR) if value)
