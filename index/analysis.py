"""The text analysis shared by indexing, querying and highlighting."""

from __future__ import annotations

from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from index.engine.analysis import OnePassAnalyzer

# Words joined by dots stay one token ("U.S.", "3.5"); the fork's default pattern would keep "*" in tokens.
TOKEN_PATTERN = r"\w+(?:\.?\w+)*"


def prose_chain() -> Analyzer:
    """Return the prose analysis as Whoosh's tokenizer and filters: words, lowercase, no stop words, no accents, stems."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter()
        | CharsetFilter(accent_map)
        | StemFilter(cachesize=50000)
    )


def text_analyzer() -> Analyzer:
    """Return the analyzer for prose, which indexes in one pass over the words."""
    return OnePassAnalyzer(prose_chain())
