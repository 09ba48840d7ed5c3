"""Indexing prose in one pass over its words, from the stages of a Whoosh analysis chain.

The classes here are pickled into every index's schema under their module paths
(`index.engine.analysis.OnePassAnalyzer`, `index.engine.analysis.OnePassPositions`): moving or renaming
them makes existing indexes unreadable, so change them together with `FORMAT` in `index/storage.py`.
"""

from __future__ import annotations

from collections import defaultdict

import Stemmer
from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, PyStemmerFilter, RegexTokenizer, StemFilter, StopFilter, Token
from whoosh.formats import Positions

# A bounded memo: an archive's vocabulary runs to hundreds of thousands of words.
STEM_MEMO_SIZE = 200_000
CHAIN_STAGES = (RegexTokenizer, LowercaseFilter, StopFilter, CharsetFilter, StemFilter)


class OnePassAnalyzer(Analyzer):
    """A Whoosh chain (tokenize, lowercase, drop stop words, fold accents, stem), indexed in one loop.

    Indexing spent a third of its time passing tokens through the chain's five generators. When
    indexing, this makes the same tokens in one loop from the chain's own pattern, stop list,
    character map and stemmer; every other use (queries, highlighting) goes through the chain itself.
    """

    def __init__(self, chain: Analyzer) -> None:
        if len(chain.items) != len(CHAIN_STAGES) or not all(isinstance(stage, kind) for stage, kind in zip(chain.items, CHAIN_STAGES)):
            raise TypeError(f"a one-pass analyzer needs the stages {[stage.__name__ for stage in CHAIN_STAGES]}")
        self.chain = chain
        self._stems: dict[str, str] = {}
        self._stem = _stem_function(chain.items[-1])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OnePassAnalyzer) and _signature(other.chain) == _signature(self.chain)

    def __getstate__(self) -> dict:
        return {"chain": self.chain}

    def __setstate__(self, state: dict) -> None:
        self.chain = state["chain"]
        self._stems = {}
        self._stem = _stem_function(self.chain.items[-1])

    def __call__(self, value: str, **kwargs):
        """Yield the tokens of a text, as the chain would."""
        if kwargs.get("mode") == "index" and not kwargs.get("chars") and kwargs.get("removestops", True):
            return self._index_tokens(value, kwargs.get("positions", False), kwargs.get("start_pos", 0))
        return self.chain(value, **kwargs)

    def index_terms(self, value: str, start_pos: int = 0) -> list[tuple[str, int]]:
        """Return each indexed term of a text with its position, numbered as the chain numbers them."""
        tokenizer, _, stop_filter, charset_filter, _ = self.chain.items
        stops, min_length, charmap, stem = stop_filter.stops, stop_filter.min, charset_filter.charmap, self._stem
        stems = self._stems
        if len(stems) > STEM_MEMO_SIZE:
            stems.clear()
        terms = []
        first_kept = None
        for position, word in enumerate(tokenizer.expression.findall(value), start_pos):
            word = word.lower()
            if len(word) < min_length or word in stops:
                continue
            term = stems.get(word)
            if term is None:
                term = stems[word] = stem(word.translate(charmap))
            # StopFilter renumbers: the first kept word keeps its position, the rest follow it.
            if first_kept is None:
                first_kept = position
            terms.append((term, first_kept + len(terms)))
        return terms

    def _index_tokens(self, value: str, positions: bool, start_pos: int):
        """Yield one reused token per indexed term, as Whoosh's tokenizers do."""
        token = Token(positions=positions, chars=False, removestops=True, mode="index")
        token.boost = 1.0
        token.stopped = False
        for term, position in self.index_terms(value, start_pos):
            token.text = term
            if positions:
                token.pos = position
            yield token


class OnePassPositions(Positions):
    """Whoosh's positions format, taking a prose text's terms straight from the analyzer when indexing.

    Whoosh wraps the analyzer's tokens in two more generators to collect them; the postings written
    are the same. Any analyzer with an `index_terms(text, start_pos)` method (OnePassAnalyzer, and the
    language-neutral one in index/analysis.py) is read this way.
    """

    def word_values(self, value, analyzer, **kwargs):
        """Yield (term, frequency, weight, encoded positions) for each term of the text."""
        if not (hasattr(analyzer, "index_terms") and kwargs.get("mode") == "index"):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        positions: defaultdict[str, list[int]] = defaultdict(list)
        for term, position in analyzer.index_terms(value, kwargs.get("start_pos", 0)):
            positions[term].append(position)
        for term, term_positions in positions.items():
            yield term, len(term_positions), float(len(term_positions)) * self.field_boost, self.encode(term_positions)


def _signature(chain: Analyzer) -> tuple:
    """Return what makes two chains analyze alike: the word pattern, stop words, folding and stemmer."""
    tokenizer, _, stop_filter, charset_filter, stem_filter = chain.items
    stemmer = (type(stem_filter), stem_filter.lang) if isinstance(stem_filter, PyStemmerFilter) else stem_filter.stemfn
    return tokenizer.expression.pattern, frozenset(stop_filter.stops), stop_filter.min, charset_filter.charmap, stemmer


def _stem_function(stem_filter: StemFilter):
    """Return the function a stem filter stems with: PyStemmer's Snowball stemmer for its language, or its own function."""
    if isinstance(stem_filter, PyStemmerFilter):
        return Stemmer.Stemmer(stem_filter.lang).stemWord
    return stem_filter.stemfn
