"""The text analysis shared by indexing, querying and highlighting."""

from __future__ import annotations

from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from index.engine.analysis import OnePassAnalyzer

# Numbers with decimal points ("3.5") and initials ("U.S.", "e.g.") stay one token; longer words joined by
# dots are words of their own, so the Reuters ticker "<ESB.ST>" is found by "esb" and "bbc.co.uk" by "bbc".
# (The fork's default pattern would keep "*" in tokens.) Changing it changes what an index holds: see FORMAT.
TOKEN_PATTERN = r"\d+(?:\.\d+)+|\w(?:\.\w)+(?!\w)|\w+"


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
