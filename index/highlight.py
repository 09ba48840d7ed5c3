"""Find matched words in texts: snippets for result lists and whole texts for article pages.

The engine returns plain text with the positions of the matched words (`Marked`); the web pages wrap
them in <mark> and the command line prints them in bold. Words are found with the index's own token
pattern and normalized by the analyzer of the article's language (one word at a time, memoized), so
exactly the words the search matched are marked. Whoosh's highlighter re-runs the whole analyzer over
every stored body, which cost 2 ms a hit; storing character offsets to avoid that made every posting
list slower to read. Text analysed language-neutrally (CJK as character pairs) is read by its analyzer
with character offsets, since a matched pair of characters is no whole word.

A hit whose body holds none of the matched words shows its summary's best passage if that holds one, else
its opening, and says when only its title holds them (`Passage.title_only`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query as wq
from whoosh.reading import IndexReader

from index.analysis import NEUTRAL, TOKEN_PATTERN, text_analyzer
from index.matching import clause_terms
from index.querying import ParsedQuery
from index.schema import field_family, is_search_field

# The analysed words a query looks for, by analysis family ("fr": {"journal"}).
QueryTerms = dict[str, frozenset[str]]

SNIPPET_CHARACTERS = 240
SNIPPET_FRAGMENTS = 2
CONTEXT_CHARACTERS = 60
GAP = " … "
# Distinct words (as written: "Talks" and "talks" are two) whose analyzed form is remembered, about 150 bytes each.
WORD_MEMO_SIZE = 100_000
_WORD = re.compile(TOKEN_PATTERN)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Marked:
    """A text and the (start, end) character spans in it that matched the query, in order."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Passage:
    """What a hit shows of its text: a passage with the matched words' spans, and whether only its title holds them."""

    marked: Marked | None  # None: none of the texts holds a matched word (show the article's opening)
    title_only: bool = False


@dataclass(frozen=True)
class _Match:
    """A matched word: where it is in the text and the term it matched."""

    start: int
    end: int
    term: str


def query_terms(parsed: ParsedQuery, reader: IndexReader) -> QueryTerms:
    """Return the analyzed words a query looks for in the text (not the ones it excludes), wildcards expanded, by family."""
    terms: dict[str, set[str]] = {}
    for clause in parsed.wanted:
        for leaf in clause_terms(clause):
            if isinstance(leaf, wq.Phrase):
                terms.setdefault(field_family(leaf.fieldname), set()).update(leaf.words)
            elif isinstance(leaf, (wq.Prefix, wq.Wildcard)):
                for fieldname, term in leaf.existing_terms(reader, expand=True):
                    if is_search_field(fieldname):
                        terms.setdefault(field_family(fieldname), set()).add(term.decode("utf-8") if isinstance(term, bytes) else term)
            elif isinstance(leaf, wq.Term) and is_search_field(leaf.fieldname):
                terms.setdefault(field_family(leaf.fieldname), set()).add(leaf.text)
    return {family: frozenset(found) for family, found in terms.items()}


def snippet(text: str, terms: frozenset[str], family: str = "en") -> Marked:
    """Return up to two short fragments around the best clusters of matches (terms of the text's family), with the matches' spans."""
    matches = _find(text, terms, family)
    return _snippet(text, matches) if matches else opening(text)


def best_passage(title: str, texts: Iterable[str], terms: frozenset[str], family: str = "en") -> Passage:
    """Return the snippet of the first of the texts (body, summary) holding a matched word, or say the title alone holds one."""
    for text in texts:
        matches = _find(text, terms, family) if text else []
        if matches:
            return Passage(_snippet(text, matches))
    return Passage(None, title_only=bool(_find(title, terms, family)))


def _snippet(text: str, matches: list[_Match]) -> Marked:
    """Return up to two short fragments of a text around the best clusters of its matches."""
    windows = _best_windows(matches, len(text))
    pieces: list[str] = ["… "] if windows[0][0] > 0 else []
    spans: list[tuple[int, int]] = []
    for number, (start, end) in enumerate(windows):
        if number:
            pieces.append(GAP)
        inside = [match for match in matches if match.start >= start and match.end <= end]
        _add_fragment(pieces, spans, text, *_whole_words(text, start, end, inside), inside)
    if windows[-1][1] < len(text):
        pieces.append(" …")
    return _merged(Marked("".join(pieces), tuple(spans)))


def mark_text(text: str, terms: frozenset[str], family: str = "en") -> Marked:
    """Return the whole text with every matched word's span (terms of the text's family)."""
    return _merged(Marked(text, tuple((match.start, match.end) for match in _find(text, terms, family))))


def opening(text: str) -> Marked:
    """Return the start of a text, for hits without a matched word in it."""
    text = " ".join(text.split())
    if len(text) > SNIPPET_CHARACTERS:
        text = text[:SNIPPET_CHARACTERS].rsplit(" ", 1)[0] + " …"
    return Marked(text)


@lru_cache(maxsize=WORD_MEMO_SIZE)
def analyzed(word: str, family: str = "en") -> str | None:
    """Return what a family's analyzer makes of one word (None for a stop word)."""
    # The analyzer's one-pass loop makes the same term as its chain, at a tenth of the cost of running the
    # chain for each word: a fresh server meets thousands of words it has not seen yet.
    terms = _analyzer(family).index_terms(word)
    return terms[0][0] if terms else None


def remember_words(words: Iterable[str], family: str) -> None:
    """Analyze words ahead of the searches that will meet them (the archive's most frequent words, at start)."""
    for word in words:
        analyzed(word, family)
        analyzed(word.capitalize(), family)


@lru_cache(maxsize=None)
def _analyzer(family: str):
    """Return the analyzer of a family, made once (building one compiles its pattern and loads its stop words)."""
    return text_analyzer(family)


def _find(text: str, terms: frozenset[str], family: str) -> list[_Match]:
    """Return every word of the text whose analyzed form is one of the terms."""
    if not terms:
        return []
    if family == NEUTRAL:
        return [_Match(token.startchar, token.endchar, token.text) for token in _analyzer(family)(text, chars=True) if token.text in terms]
    # Each distinct word is analyzed once; the text is walked again only when one of them matched.
    matching = {word: term for word in set(_WORD.findall(text)) if (term := analyzed(word, family)) in terms}
    if not matching:
        return []
    return [_Match(word.start(), word.end(), matching[word.group(0)]) for word in _WORD.finditer(text) if word.group(0) in matching]


def _best_windows(matches: list[_Match], length: int) -> list[tuple[int, int]]:
    """Choose up to two text windows holding the most distinct matched terms, in text order."""
    candidates = []
    for first in range(len(matches)):
        start = max(0, matches[first].start - CONTEXT_CHARACTERS)
        end = min(length, start + SNIPPET_CHARACTERS)
        inside = [match for match in matches[first:] if match.end <= end]
        candidates.append(((len({m.term for m in inside}), len(inside), -first), start, end, {m.term for m in inside}))
    chosen: list[tuple[int, int]] = []
    covered: set[str] = set()
    for _ in range(SNIPPET_FRAGMENTS):
        remaining = [c for c in candidates if all(c[2] <= s or c[1] >= e for s, e in chosen)]
        if not remaining:
            break
        best = max(remaining, key=lambda c: (len(c[3] - covered), c[0]))
        if chosen and not best[3] - covered:
            break
        chosen.append((best[1], best[2]))
        covered |= best[3]
    return sorted(chosen)


def _whole_words(text: str, start: int, end: int, matches: list[_Match]) -> tuple[int, int]:
    """Move a window's ends to the nearest spaces inside it, so no word is cut (matches stay inside)."""
    if start > 0:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space != -1 and all(m.start >= space + 1 for m in matches) else start
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space != -1 and all(m.end <= space for m in matches) else end
    return start, end


def _add_fragment(pieces: list[str], spans: list[tuple[int, int]], text: str, start: int, end: int, matches: list[_Match]) -> None:
    """Append text[start:end], runs of spaces made one, to pieces, and the spans of its matches to spans.

    Matches may overlap (pairs of CJK characters): each adds only what the one before did not cover.
    """
    length = sum(len(piece) for piece in pieces)
    position = start
    for found in matches:
        if found.end <= position:
            continue
        between = _SPACES.sub(" ", text[position : found.start])
        pieces.append(between)
        length += len(between)
        begin = max(found.start, position)
        spans.append((length, length + found.end - begin))
        pieces.append(text[begin : found.end])
        length += found.end - begin
        position = found.end
    pieces.append(_SPACES.sub(" ", text[position:end]))


def _merged(marked: Marked) -> Marked:
    """Merge spans that overlap (pairs of CJK characters) or are separated only by spaces, so a matched phrase reads as one mark."""
    spans: list[tuple[int, int]] = []
    for start, end in marked.spans:
        if spans and (start <= spans[-1][1] or not marked.text[spans[-1][1] : start].strip()):
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return Marked(marked.text, tuple(spans))
