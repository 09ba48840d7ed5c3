"""The text analyzer shared by indexing and querying."""

from __future__ import annotations

from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

# Words joined by dots stay one token ("U.S.", "3.5"); the fork's default pattern would keep "*" in tokens.
TOKEN_PATTERN = r"\w+(\.?\w+)*"


def text_analyzer() -> Analyzer:
    """Return the analyzer for prose: tokenize, lowercase, drop stop words, fold accents, stem."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter()
        | CharsetFilter(accent_map)
        | StemFilter(cachesize=50000)
    )


def display_analyzer() -> Analyzer:
    """Return the analyzer that shows a query in the user's words: like the prose one, without stemming."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter()
