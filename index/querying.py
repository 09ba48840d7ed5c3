"""Read the user's query language: words, phrases, +word, AND, OR, NOT, -word, word*, field:value, date ranges.

A query is read into clauses. The words typed are optional clauses: results hold as many of them as
they can (those with every word first), so a question with a word no article uses still finds
articles. Quoted phrases, `+word` and words joined by an explicit AND are required clauses; `-word`
and `NOT word` are excluded ones.

Each word is analysed the way each language's articles were (see index/analysis.py), so a clause looks
for "journaux" in English articles and for its French stem "journal" in French ones. A word one
language drops as a stop word (the English "the") counts as held by every article of that language,
as it would in an archive of that language alone.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from whoosh import query as wq
from whoosh.analysis import Analyzer
from whoosh.fields import Schema
from whoosh.reading import IndexReader
from whoosh.qparser import AndGroup, FieldsPlugin, MultifieldParser, PhrasePlugin, PlusMinusPlugin, RangePlugin, syntax

from index.schema import ANALYSIS_FIELD, FILTER_NAMES, field_family, is_search_field, search_field, search_fields

MAX_QUERY_LENGTH = 4000  # a long question pasted in whole is still read whole
# field:value or field:"quoted value", negated by a leading - or NOT.
FILTER_TOKEN = re.compile(
    r'(?<!\S)(?P<negate>-|NOT\s+)?(?P<key>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))'
)
_DATE_PART = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
_DATE_RANGE = re.compile(rf"^(?P<start>{_DATE_PART})?(?:\.\.(?P<end>{_DATE_PART})?)?$")
_WORD = re.compile(r"\w+", re.UNICODE)
# A question mark ends a question; as a one-letter wildcard it would turn "titles?" into a pattern.
_QUESTION_MARK = re.compile(r"\?")
MIN_WILDCARD_PREFIX = 2
_TRAILING = ".,;:!"  # punctuation that ends a sentence, not a word people would search for
# What Whoosh's parser reads as syntax: quotes, brackets, wildcards, boosts, a + - or ' opening a word, operators.
_SYNTAX = re.compile(r"""["()\[\]{}*^~\\]|(?<!\S)[-+']|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b""")


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
class Clause:
    """One unit of what was typed (a word, a "phrase", a word*, a group), matched in the title and body."""

    query: wq.Query
    typed: str  # as the person wrote it, for saying which words a result lacks


@dataclass(frozen=True)
class ParsedQuery:
    """A query string read as clauses for matching and ranking, and structured filters."""

    required: tuple[Clause, ...] = ()  # every result matches these
    optional: tuple[Clause, ...] = ()  # results match as many as they can
    excluded: tuple[Clause, ...] = ()  # no result matches any of these
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclusions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_range: DateRange | None = None
    notes: tuple[str, ...] = ()  # plain sentences on how the query was read
    words: tuple[str, ...] = ()  # the plain words typed, for spelling suggestions
    understood: str = ""  # the words part as searched, in the user's words (stop words dropped)

    @property
    def wanted(self) -> tuple[Clause, ...]:
        """Return the clauses a result is ranked by (required, then optional)."""
        return self.required + self.optional

    @property
    def has_words(self) -> bool:
        """Tell whether any words, phrases or groups were typed (not only filters or exclusions)."""
        return bool(self.required or self.optional or self.excluded)

    def strict(self) -> ParsedQuery:
        """Return the query with every typed word required (the "all words" switch)."""
        required = self.required + self.optional
        return replace(self, required=required, optional=(), understood=_describe_clauses(required, (), self.excluded))



class QueryParser:
    """The archive's query parser for one schema (building it compiles dozens of patterns, so a snapshot keeps one).

    Words are analysed in each of the analysis families the index holds articles of (English when it holds none).
    """

    def __init__(self, schema: Schema, families: tuple[str, ...] = ()) -> None:
        self.families = families or ("en",)
        self.whoosh = _whoosh_parser(schema, search_fields(self.families))
        self.analyzers: dict[str, Analyzer] = {family: schema[search_field("body", family)].analyzer for family in self.families}
        self._as_phrase = {family: schema[search_field("body", family)].multitoken_query == "phrase" for family in self.families}

    def parse(self, text: str) -> ParsedQuery:
        """Parse a user's query; never raises, degrading to plain words when the syntax is broken."""
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
            if key not in FILTER_NAMES or not value:
                return match.group(0)
            target = exclusions if match["negate"] else filters
            target.setdefault(FILTER_NAMES[key], []).append(value)
            notes.append(f"{match.group(0)} was read as a filter")
            return " "

        remaining = _QUESTION_MARK.sub(" ", FILTER_TOKEN.sub(take_filter, text)).strip()
        required, optional, excluded, note = self._clauses(remaining)
        if note:
            notes.append(note)
        return ParsedQuery(
            required=required,
            optional=optional,
            excluded=excluded,
            filters={key: tuple(values) for key, values in filters.items()},
            exclusions={key: tuple(values) for key, values in exclusions.items()},
            date_range=date_range,
            notes=tuple(notes),
            words=tuple(_WORD.findall(remaining)),
            understood=_describe_clauses(required, optional, excluded),
        )

    def _clauses(self, text: str) -> tuple[tuple[Clause, ...], tuple[Clause, ...], tuple[Clause, ...], str]:
        """Read the words part into required, optional and excluded clauses, and a note on how it was read."""
        if not text.strip("* "):
            return (), (), (), ""
        try:
            clauses = self.syntax_clauses(text) if has_syntax(text) else [[], self.word_clauses(text), []]
        except Exception:  # Whoosh's parser has corner cases that raise; the user still gets a search
            clauses = None
        if clauses is not None and any(clauses) and not _has_broad_wildcard(clauses):
            return tuple(clauses[0]), tuple(clauses[1]), tuple(clauses[2]), ""
        words = tuple(self.word_clauses(" ".join(dict.fromkeys(_WORD.findall(text)))))
        if not words:
            return (), (), (), "no searchable words were left in the query (only very common words or symbols)"
        return (), words, (), "the query syntax was unclear, so it was searched as plain words"

    def relaxed(self, parsed: ParsedQuery) -> ParsedQuery:
        """Return the query with its required parts (phrases too) read as plain optional words, saying so.

        For when they find nothing together: a query with a word the archive holds never ends in no results.
        """
        freed = self.word_clauses(" ".join(clause.typed.replace('"', " ") for clause in parsed.required))
        known = {describe_query(clause.query) for clause in parsed.optional}
        optional = parsed.optional + tuple(clause for clause in freed if describe_query(clause.query) not in known)
        named = ", ".join(clause.typed for clause in parsed.required)
        note = f"no article matches {named} as required, so results hold as many of the words as they can"
        return replace(
            parsed, required=(), optional=optional, notes=parsed.notes + (note,), understood=_describe_clauses((), optional, parsed.excluded)
        )

    def syntax_clauses(self, text: str) -> list[list[Clause]]:
        """Return the required, optional and excluded clauses of a query, read by Whoosh's parser."""
        groups = _read_tree(self.whoosh, self.whoosh.process(text), text, self._held_by_stopping)
        required, optional, excluded = (self._weight_repeats(group, text) for group in groups)
        needed = {describe_query(clause.query) for clause in required}  # a word typed twice, once with +, is required
        return [required, [clause for clause in optional if describe_query(clause.query) not in needed], excluded]

    def word_clauses(self, text: str) -> list[Clause]:
        """Return the optional clauses of text without query syntax, as Whoosh's parser reads it, but many times faster.

        A long question spent most of its search time in the parser's tagging and query building.
        """
        clauses = []
        for chunk in text.split():
            queries = []
            for family in self.families:
                terms = [token.text for token in self.analyzers[family](chunk)]
                if len(terms) == 1:
                    queries += [wq.Term(name, terms[0]) for name in search_fields((family,))]
                elif terms and self._as_phrase[family]:
                    queries += [wq.Phrase(name, terms) for name in search_fields((family,))]
                elif terms:
                    queries += [wq.And([wq.Term(name, term) for term in terms]) for name in search_fields((family,))]
            if queries:
                clauses.append(Clause(self._held_by_stopping(wq.Or(queries), chunk), chunk.strip(_TRAILING) or chunk))
        return self._weight_repeats(clauses, text)

    def indexed_terms(self, reader: IndexReader) -> Callable[[str], frozenset[tuple[str, str]]]:
        """Return what tells the (family, term) pairs a word is searched by that the index holds."""

        def found(word: str) -> frozenset[tuple[str, str]]:
            return frozenset(
                (family, token.text)
                for family, analyzer in self.analyzers.items()
                for token in analyzer(word)
                if any((name, token.text) in reader for name in search_fields((family,)))
            )

        return found

    def _held_by_stopping(self, query: wq.Query, word: str) -> wq.Query:
        """Return a word's query, also matching every article of the families that drop the word as a stop word."""
        stopping = [family for family in self.families if not any(True for _ in self.analyzers[family](word))]
        return wq.Or([query, *(wq.Term(ANALYSIS_FIELD, family) for family in stopping)]) if stopping else query

    def _weight_repeats(self, clauses: list[Clause], text: str) -> list[Clause]:
        """Weight each term by how often it was typed, as BM25 weighs repeated query terms; keep one clause per term."""
        counts = {family: Counter(token.text for token in analyzer(text)) for family, analyzer in self.analyzers.items()}
        seen: set[str] = set()
        kept = []
        for clause in clauses:
            key = describe_query(clause.query)
            if key in seen:
                continue
            seen.add(key)

            def weigh(node: wq.Query) -> wq.Query:
                repeats = counts[field_family(node.fieldname)][node.text] if isinstance(node, wq.Term) and is_search_field(node.fieldname) else 1
                return node.with_boost(node.boost * repeats) if repeats > 1 else node

            kept.append(Clause(clause.query.accept(weigh), clause.typed))
        return kept


def has_syntax(text: str) -> bool:
    """Tell whether text uses any of the query language (quotes, brackets, +, -, *, AND, OR, NOT...), not only words."""
    return bool(_SYNTAX.search(text))


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


class _TypedWords(AndGroup):
    """The parser's grouping of words side by side (and in brackets), told apart from an explicit AND."""


def _whoosh_parser(schema: Schema, fieldnames: tuple[str, ...]) -> MultifieldParser:
    """Return a parser over the search fields where field:value is text, not a field (filters are ours)."""
    parser = MultifieldParser(list(fieldnames), schema, group=_TypedWords)
    parser.remove_plugin_class(FieldsPlugin)
    parser.remove_plugin_class(RangePlugin)
    # A minus only negates at the start of a word: "anti-war" means the words anti and war, not "anti NOT war".
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<!\S)\+", minusexpr=r"(?<!\S)-"))
    return parser


def _read_tree(
    parser: MultifieldParser, tree: syntax.GroupNode, text: str, held_by_stopping: Callable[[wq.Query, str], wq.Query]
) -> tuple[list[Clause], list[Clause], list[Clause]]:
    """Sort the parsed syntax tree's top level into required, optional and excluded clauses, each in the order typed.

    A wanted word is widened by held_by_stopping (to the articles of languages that drop it as a stop word).
    """
    required: list[tuple[int, Clause]] = []
    optional: list[tuple[int, Clause]] = []
    excluded: list[tuple[int, Clause]] = []

    def add(target: list[tuple[int, Clause]], node: syntax.SyntaxNode) -> None:
        query = node.query(parser)
        if query is not None and query is not wq.NullQuery:
            query = query.normalize()
        if query is not None and query is not wq.NullQuery:
            word = _plain_word(node)
            if target is not excluded and word is not None:
                query = held_by_stopping(query, word)
            target.append((getattr(node, "startchar", None) or 0, Clause(query, _typed(node, query, text))))

    def top(node: syntax.SyntaxNode) -> None:
        if isinstance(node, syntax.AndNotGroup):  # made by -word: [what is wanted, the banned words]
            top(node[0])
            for banned in node[1]:
                add(excluded, banned)
        elif isinstance(node, syntax.AndMaybeGroup):  # made by +word: [the required words, the rest]
            for needed in node[0]:
                item(needed, required)
            top(node[1])
        else:
            for child in node:
                item(child, optional)

    def item(node: syntax.SyntaxNode, wanted: list[Clause]) -> None:
        if isinstance(node, syntax.NotGroup):
            for banned in node:
                add(excluded, banned)
        elif isinstance(node, _TypedWords):  # words in brackets count one by one
            for child in node:
                item(child, wanted)
        elif type(node) is AndGroup:  # an explicit AND: each side is required
            for child in node:
                item(child, required)
        elif _is_phrase(node):
            add(required, node)
        else:
            add(wanted, node)

    top(tree)
    return tuple([clause for _, clause in sorted(group, key=lambda item: item[0])] for group in (required, optional, excluded))


def _plain_word(node: syntax.SyntaxNode) -> str | None:
    """Return the word a node stands for when it is a plain word (the same word in each search field), else None."""
    children = list(node) if isinstance(node, syntax.OrGroup) else [node]
    words = {child.text for child in children if type(child) is syntax.WordNode}
    return words.pop() if len(words) == 1 and all(type(child) is syntax.WordNode for child in children) else None


def _is_phrase(node: syntax.SyntaxNode) -> bool:
    """Tell whether a node is a quoted phrase (a group of phrases: the same phrase in each field)."""
    if isinstance(node, PhrasePlugin.PhraseNode):
        return True
    return isinstance(node, syntax.GroupNode) and len(node) > 0 and all(_is_phrase(child) for child in node)


def _typed(node: syntax.SyntaxNode, query: wq.Query, text: str) -> str:
    """Return the part of the typed text a node came from, or the query's own words."""
    start, end = getattr(node, "startchar", None), getattr(node, "endchar", None)
    typed = text[start:end] if start is not None and end is not None and 0 <= start < end <= len(text) else ""
    # Whoosh gives a wildcard node the range of its star alone.
    return " ".join(typed.split()).strip(_TRAILING) if _WORD.search(typed) else describe_query(query)


def _has_broad_wildcard(groups: list[list[Clause]]) -> bool:
    """Tell whether a wildcard is so short it would expand to most of the vocabulary."""
    for clause in (clause for group in groups for clause in group):
        for leaf in clause.query.leaves() if not clause.query.is_leaf() else [clause.query]:
            if isinstance(leaf, (wq.Prefix, wq.Wildcard)) and len(re.split(r"[*?]", leaf.text, maxsplit=1)[0]) < MIN_WILDCARD_PREFIX:
                return True
    return False


def describe_query(query: wq.Query | None) -> str:
    """Render a query the way a person would write it (stemmed words: a fallback when the typed text is unknown)."""
    if query is None or query is wq.NullQuery:
        return ""
    if isinstance(query, wq.Or) and len({describe_query(sub) for sub in query.subqueries}) == 1:
        return describe_query(query.subqueries[0])  # one word searched in title and body
    if isinstance(query, (wq.And, wq.Or)):
        joiner = " " if isinstance(query, wq.And) else " OR "
        parts = list(dict.fromkeys(describe_query(sub) for sub in query.subqueries))
        return f"({joiner.join(parts)})" if isinstance(query, wq.Or) else joiner.join(parts)
    if isinstance(query, wq.AndNot):
        return f"{describe_query(query.a)} -{describe_query(query.b)}"
    if isinstance(query, wq.Not):
        return f"-{describe_query(query.query)}"
    if isinstance(query, wq.Phrase):
        return '"' + " ".join(query.words) + '"'
    if isinstance(query, (wq.Prefix, wq.Wildcard)):
        return query.text + ("*" if isinstance(query, wq.Prefix) else "")
    if isinstance(query, wq.Term):
        return str(query.text)
    return str(query)


def _describe_clauses(required: tuple[Clause, ...] | list[Clause], optional, excluded) -> str:
    """Return the clauses as the query language writes them: +required, optional, -excluded."""
    parts = [clause.typed if clause.typed.startswith(("+", '"')) else f"+{clause.typed}" for clause in required]
    parts += [clause.typed for clause in optional]
    parts += [clause.typed if clause.typed.startswith("-") else f"-{clause.typed}" for clause in excluded]
    return " ".join(parts)


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
