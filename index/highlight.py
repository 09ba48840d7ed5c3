"""Mark matched words in escaped text: snippets for result lists and whole texts for article pages.

Words are found with the index's own token pattern and normalized by the index's own analyzer (one
word at a time, memoized), so exactly the words the search matched are marked. Whoosh's highlighter
re-runs the whole analyzer over every stored body, which cost 2 ms a hit; storing character offsets
to avoid that made every posting list slower to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape
from whoosh import query as wq
from whoosh.reading import IndexReader

from index.analysis import TOKEN_PATTERN, text_analyzer

SNIPPET_CHARACTERS = 240
SNIPPET_FRAGMENTS = 2
CONTEXT_CHARACTERS = 60
_WORD = re.compile(TOKEN_PATTERN)
_ADJACENT_MARKS = re.compile(r"</mark>(\s+)<mark>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Match:
    """A matched word: where it is in the text and the term it matched."""

    start: int
    end: int
    term: str


def query_terms(query: wq.Query | None, reader: IndexReader) -> frozenset[str]:
    """Return the analyzed words a query looks for in the text (not the ones it excludes), wildcards expanded."""
    if query is None:
        return frozenset()
    return frozenset(term for fieldname, term in _positive_terms(query, reader) if fieldname in ("title", "body"))


def snippet(text: str, terms: frozenset[str]) -> Markup:
    """Return up to two short fragments around the best clusters of matches, escaped and marked."""
    matches = _find(text, terms)
    if not matches:
        return opening(text)
    windows = _best_windows(matches, len(text))
    parts = []
    for start, end in windows:
        inside = [match for match in matches if match.start >= start and match.end <= end]
        prefix = "… " if start > 0 and not parts else ""
        parts.append(prefix + _render(text, start, end, inside))
    suffix = " …" if windows[-1][1] < len(text) else ""
    return join_marks(_SPACES.sub(" ", " … ".join(parts) + suffix).strip())


def mark_text(text: str, terms: frozenset[str]) -> Markup:
    """Return the whole text escaped, with every matched word marked."""
    return join_marks(_render(text, 0, len(text), _find(text, terms)))


def join_marks(html: str) -> Markup:
    """Merge marks of neighbouring words so a matched phrase reads as one mark."""
    return Markup(_ADJACENT_MARKS.sub(r"\1", html))


def opening(text: str) -> Markup:
    """Return the start of a text, escaped, for hits without a highlighted match."""
    text = " ".join(text.split())
    if len(text) > SNIPPET_CHARACTERS:
        text = text[:SNIPPET_CHARACTERS].rsplit(" ", 1)[0] + " …"
    return escape(text)


@lru_cache(maxsize=200_000)
def analyzed(word: str) -> str | None:
    """Return what the index's analyzer makes of one word (None for a stop word)."""
    tokens = [token.text for token in text_analyzer()(word)]
    return tokens[0] if tokens else None


def _find(text: str, terms: frozenset[str]) -> list[_Match]:
    """Return every word of the text whose analyzed form is one of the terms."""
    if not terms:
        return []
    found = []
    for word in _WORD.finditer(text):
        term = analyzed(word.group(0))
        if term in terms:
            found.append(_Match(word.start(), word.end(), term))
    return found


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


def _render(text: str, start: int, end: int, matches: list[_Match]) -> str:
    """Return text[start:end] escaped with the matches marked, its ends moved to whole words."""
    if start > 0:
        space = text.find(" ", start, start + 20)
        start = space + 1 if space != -1 and all(m.start >= space + 1 for m in matches) else start
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space != -1 and all(m.end <= space for m in matches) else end
    pieces, position = [], start
    for match in matches:
        pieces.append(str(escape(text[position:match.start])))
        pieces.append(f"<mark>{escape(text[match.start:match.end])}</mark>")
        position = match.end
    pieces.append(str(escape(text[position:end])))
    return "".join(pieces)


def _positive_terms(query: wq.Query, reader: IndexReader) -> Iterable[tuple[str, str]]:
    """Yield (field, text) of the terms a query wants, skipping negated parts."""
    if isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from _positive_terms(query.a, reader)
        return
    if isinstance(query, wq.Phrase):
        for word in query.words:
            yield query.fieldname, word
    elif isinstance(query, (wq.Prefix, wq.Wildcard)):
        for fieldname, term in query.existing_terms(reader, expand=True):
            yield fieldname, term.decode("utf-8") if isinstance(term, bytes) else term
    elif isinstance(query, wq.Term):
        yield query.fieldname, query.text
    elif not query.is_leaf():
        for child in query.children():
            yield from _positive_terms(child, reader)
