"""Read the user's query language: words, phrases, OR, NOT, -word, word*, field:value and date ranges."""

from __future__ import annotations

import calendar
import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.qparser import AndGroup, FieldsPlugin, MultifieldParser, PlusMinusPlugin, RangePlugin
from whoosh.fields import Schema

from index.scoring import FIELD_BOOSTS

MAX_QUERY_LENGTH = 1000
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
# What people type before a colon, mapped to the facet field it filters.
FILTER_ALIASES = {
    "category": "category",
    "section": "category",
    "source": "source",
    "site": "source",
    "author": "authors",
    "authors": "authors",
    "by": "authors",
    "tag": "tags",
    "tags": "tags",
    "year": "year",
    "lang": "language",
    "language": "language",
}
# field:value or field:"quoted value", negated by a leading - or NOT.
FILTER_TOKEN = re.compile(
    r'(?<!\S)(?P<negate>-|NOT\s+)?(?P<key>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
)
_NEGATED_WORD = re.compile(r"^(?:-|NOT\s+)", re.UNICODE)
_DATE_PART = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
_DATE_RANGE = re.compile(rf"^(?P<start>{_DATE_PART})?(?:\.\.(?P<end>{_DATE_PART})?)?$")
_WORD = re.compile(r"\w+", re.UNICODE)
MIN_WILDCARD_PREFIX = 2


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of days; either end may be open."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """Return the range as naive UTC datetimes, the end exclusive."""
        start = datetime.combine(self.start, datetime.min.time()) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), datetime.min.time()) if self.end and self.end < date.max else None
        return start, end

    def describe(self) -> str:
        """Return the range as people write it."""
        return f"{self.start or ''}..{self.end or ''}"


@dataclass(frozen=True)
class QueryParsers:
    """The parser a query goes through; building one compiles dozens of patterns, so a snapshot keeps it."""

    parser: MultifieldParser
    analyzer: Analyzer

    @classmethod
    def for_schema(cls, schema: Schema) -> QueryParsers:
        """Build the parser for an index's schema."""
        return cls(_parser(schema), schema[SEARCH_FIELDS[-1]].analyzer)


@dataclass(frozen=True)
class ParsedQuery:
    """A query string split into a text query for ranking and structured filters."""

    text_query: wq.Query | None  # None matches every document
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclusions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_range: DateRange | None = None
    notes: tuple[str, ...] = ()  # plain sentences on how the query was read
    words: tuple[str, ...] = ()  # the plain words typed, for spelling suggestions
    display: str = ""  # the words part as searched, in the user's words (unstemmed, stop words dropped)


def parse_query(text: str, schema: Schema, parsers: QueryParsers | None = None) -> ParsedQuery:
    """Parse a user's query; never raises, degrading to a keyword search when the syntax is broken."""
    parsers = parsers or QueryParsers.for_schema(schema)
    text = _clean(text)
    filters: dict[str, list[str]] = {}
    exclusions: dict[str, list[str]] = {}
    notes: list[str] = []
    date_range: DateRange | None = None

    def take_filter(match: re.Match) -> str:
        nonlocal date_range
        key = match["key"].lower()
        value = (match["quoted"] if match["quoted"] is not None else match["bare"]).strip()
        if key == "date" and not match["negate"]:
            parsed = parse_date_range(value)
            if parsed is None:
                notes.append(f"date:{value} is not a date range like 2024-01..2024-03, so it was ignored")
                return " "
            date_range = parsed
            notes.append(f"date:{value} was read as a date filter")
            return " "
        if key not in FILTER_ALIASES or not value:
            return match.group(0)
        target = exclusions if match["negate"] else filters
        target.setdefault(FILTER_ALIASES[key], []).append(value)
        notes.append(f"{match.group(0)} was read as a filter")
        return " "

    remaining = FILTER_TOKEN.sub(take_filter, text).strip()
    text_query, text_note = _parse_text(remaining, parsers.parser, parsers.analyzer)
    if text_note:
        notes.append(text_note)
    return ParsedQuery(
        text_query=text_query,
        filters={key: tuple(values) for key, values in filters.items()},
        exclusions={key: tuple(values) for key, values in exclusions.items()},
        date_range=date_range,
        notes=tuple(notes),
        words=tuple(_WORD.findall(remaining)),
        display=describe_query(text_query, remaining) if text_query is not None else "",
    )


def parse_date_range(text: str) -> DateRange | None:
    """Parse `2024`, `2024-01..2024-03`, `2024-01-05..` or `..2023`; None if it is not a range."""
    match = _DATE_RANGE.match(text.strip())
    if not match or not (match["start"] or match["end"]):
        return None
    first, last = match["start"], match["end"] if ".." in text else match["start"]
    try:
        if first and last and _first_day(last) < _first_day(first):
            first, last = last, first  # people type ranges backwards; they mean the span between
        return DateRange(_first_day(first) if first else None, _last_day(last) if last else None)
    except ValueError:
        return None


def describe_query(query: wq.Query | None, typed: str = "") -> str:
    """Render a parsed text query the way a person would write it, in the words typed when they are known."""
    if query is None or query is wq.NullQuery:
        return ""
    if isinstance(query, wq.Or) and len({describe_query(sub, typed) for sub in query.subqueries}) == 1:
        return describe_query(query.subqueries[0], typed)  # one word searched in title and body
    if isinstance(query, (wq.And, wq.Or)):
        joiner = " " if isinstance(query, wq.And) else " OR "
        parts = list(dict.fromkeys(describe_query(sub, typed) for sub in query.subqueries))
        return f"({joiner.join(parts)})" if isinstance(query, wq.Or) else joiner.join(parts)
    if isinstance(query, wq.AndNot):
        return f"{describe_query(query.a, typed)} -{describe_query(query.b, typed)}"
    if isinstance(query, wq.AndMaybe):
        return f"+{describe_query(query.a, typed)} {describe_query(query.b, typed)}"
    if isinstance(query, wq.Not):
        return f"-{describe_query(query.query, typed)}"
    if isinstance(query, wq.Phrase):
        ranges = query.char_ranges if typed and query.char_ranges and len(query.char_ranges) == len(query.words) else None
        words = [typed[start:end].lower() for start, end in ranges] if ranges else query.words
        return '"' + " ".join(words) + '"'
    if isinstance(query, (wq.Prefix, wq.Wildcard)):
        return query.text + ("*" if isinstance(query, wq.Prefix) else "")
    if isinstance(query, wq.Term):
        # The parser notes where in the typed text each term came from: show that word, not its stem.
        start, end = getattr(query, "startchar", None), getattr(query, "endchar", None)
        return typed[start:end].lower() if typed and start is not None and end else str(query.text)
    return str(query)


def _parse_text(text: str, parser: MultifieldParser, analyzer: Analyzer) -> tuple[wq.Query | None, str]:
    """Parse the words part of a query, or fall back to plain words; return the query and a note."""
    if not text or text.strip("* ") == "":
        return None, ""
    try:
        parsed = _weight_repeats(parser.parse(text), text, analyzer)
    except Exception:  # Whoosh's parser has corner cases that raise; the user still gets a search
        parsed = wq.NullQuery
    if parsed is not wq.NullQuery and not _has_broad_wildcard(parsed):
        return parsed, ""
    if _only_negations(text):
        # Whoosh reads "-word" alone as nothing at all; people mean "everything without word".
        # Parsed word by word, so where each word sits in the typed text is unknown: forget the offsets.
        unwanted = [_without_offsets(parser.parse(_NEGATED_WORD.sub("", part))) for part in _negated_parts(text)]
        unwanted = [query for query in unwanted if query is not wq.NullQuery]
        if unwanted:
            return wq.Not(wq.Or(unwanted).normalize()), ""
    fallback = _plain_words_query(text, analyzer)
    if fallback is None:
        return wq.NullQuery, "no searchable words were left in the query (only very common words or symbols)"
    return fallback, "the query syntax was unclear, so it was searched as plain words"


def _without_offsets(query: wq.Query) -> wq.Query:
    """Return the query with no record of where its terms were typed."""

    def forget(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term) and getattr(node, "startchar", None) is not None:
            node = copy.copy(node)
            node.startchar = node.endchar = None
        return node

    return query.accept(forget)


def _negated_parts(text: str) -> list[str]:
    """Split a query into words, keeping NOT with the word it negates."""
    return re.findall(r"NOT\s+\S+|\S+", text)


def _only_negations(text: str) -> bool:
    """Tell whether every word of a query is negated (-word or NOT word)."""
    parts = _negated_parts(text)
    return bool(parts) and all(_NEGATED_WORD.match(part) and len(part) > 1 for part in parts)


def _weight_repeats(query: wq.Query, text: str, analyzer: Analyzer) -> wq.Query:
    """Weight each word by how often it was typed, as BM25 weighs repeated query terms."""
    counts = Counter(token.text for token in analyzer(text))
    if max(counts.values(), default=1) == 1:
        return query

    def weigh(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term) and counts[node.text] > 1:
            return node.with_boost(node.boost * counts[node.text])
        return node

    return query.accept(weigh)


def _parser(schema: Schema) -> MultifieldParser:
    """Return a parser over title and body where field:value is text, not a field (filters are ours)."""
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=AndGroup)
    parser.remove_plugin_class(FieldsPlugin)
    parser.remove_plugin_class(RangePlugin)
    # A minus only negates at the start of a word: "anti-war" means the words anti and war, not "anti NOT war".
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<!\S)\+", minusexpr=r"(?<!\S)-"))
    return parser


def _plain_words_query(text: str, analyzer: Analyzer) -> wq.Query | None:
    """Return an all-words query over title and body from the analyzed words of text."""
    terms = list(dict.fromkeys(token.text for token in analyzer(text)))
    if not terms:
        return None
    return wq.And([wq.Or([wq.Term(name, term, boost=FIELD_BOOSTS[name]) for name in SEARCH_FIELDS]) for term in terms])


def _has_broad_wildcard(query: wq.Query) -> bool:
    """Tell whether a wildcard is so short it would expand to most of the vocabulary."""
    for leaf in query.leaves():
        if isinstance(leaf, (wq.Prefix, wq.Wildcard)):
            if len(re.split(r"[*?]", leaf.text, maxsplit=1)[0]) < MIN_WILDCARD_PREFIX:
                return True
    return False


def _clean(text: str) -> str:
    """Drop control characters and cap the length of a query."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text or ""))
    return text[:MAX_QUERY_LENGTH].strip()


def _first_day(text: str) -> date:
    """Return the first day of a year, month or day written as text."""
    parts = [int(p) for p in text.split("-")]
    return date(parts[0], *(parts[1:] + [1, 1])[:2])


def _last_day(text: str) -> date:
    """Return the last day of a year, month or day written as text."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31)
    if len(parts) == 2:
        return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
    return date(*parts)
