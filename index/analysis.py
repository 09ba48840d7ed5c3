"""The text analysis shared by indexing, querying and highlighting: one analysis per family of languages.

An article's text is analysed the way its language is: English, French, German, Spanish and the other
languages of Whoosh's language analyzers each get Whoosh's stop words for the language and its Snowball
stemmer (accents folded first, so a word typed without its accents finds it); every other language gets a language-neutral
analysis: Unicode words, lowercased and folded, with Chinese, Japanese and Korean split into overlapping
pairs of characters (bigrams, as Lucene's CJK analyzer does), since they are written without spaces
between words. Text whose language is unknown (too short to tell) is analysed as English, as every
article was before languages were told apart.

`NeutralAnalyzer` is pickled into every index's schema under its module path: moving or renaming it
makes existing indexes unreadable, so change it together with `FORMAT` in `index/storage.py`.
"""

from __future__ import annotations

import re

from whoosh import lang
from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, PyStemmerFilter, RegexTokenizer, StemFilter, StopFilter, Token
from whoosh.support.charset import accent_map

from index.engine.analysis import OnePassAnalyzer

# Numbers with decimal points ("3.5") and initials ("U.S.", "e.g.") stay one token; longer words joined by
# dots are words of their own, so the Reuters ticker "<ESB.ST>" is found by "esb" and "bbc.co.uk" by "bbc".
# (The fork's default pattern would keep "*" in tokens.) Changing it changes what an index holds: see FORMAT.
TOKEN_PATTERN = r"\d+(?:\.\d+)+|\w(?:\.\w)+(?!\w)|\w+"
# The languages of Whoosh's language analyzers besides English, by the name of their Snowball stemmer in
# PyStemmer (Snowball's own C code): Whoosh's Python port took 30 to 110 µs a word, PyStemmer 0.5 to 4.
SNOWBALL_STEMMERS = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "fi": "finnish", "fr": "french", "de": "german", "hu": "hungarian",
    "it": "italian", "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "es": "spanish",
    "sv": "swedish", "tr": "turkish",
}
# Languages analysed on their own (English by Whoosh's Porter stemmer, as it always was).
STEMMED_LANGUAGES = ("en", *SNOWBALL_STEMMERS)
NEUTRAL = "neutral"
UNKNOWN_LANGUAGE_FAMILY = "en"
# Every analysis, by name: a stemmed language's code, or NEUTRAL.
FAMILIES = STEMMED_LANGUAGES + (NEUTRAL,)
# Codes of one language that Whoosh knows under another (Norwegian Bokmål and Nynorsk).
LANGUAGE_ALIASES = {"nb": "no", "nn": "no"}
STEM_CACHE_SIZE = 50000
# Folding for the languages added beside English (whose analysis stays as it was): accents, ß as ss (as
# German's Snowball stemmer spells it), and full-width Latin letters and digits as their ASCII selves.
FOLDING = {**accent_map, ord("ß"): "ss", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}
# Han (with radicals and the iteration marks), kana and Hangul: scripts written without spaces between words.
CJK_CHARACTERS = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3130-\u318f\u31a0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
# Outside CJK, words as TOKEN_PATTERN finds them, letters being word characters outside CJK.
_LETTER = rf"[^\W{CJK_CHARACTERS}]"
_NEUTRAL_TOKEN = re.compile(rf"(?P<cjk>[{CJK_CHARACTERS}]+)|\d+(?:\.\d+)+|{_LETTER}(?:\.{_LETTER})+(?!{_LETTER})|{_LETTER}+")
MIN_WORD_LENGTH = 2  # shorter words (outside CJK) are dropped, as every stemmed analysis drops them


def analysis_family(language: str) -> str:
    """Return how text in a language (a primary subtag, or "" when unknown) is analysed: its own code, or NEUTRAL."""
    if not language:
        return UNKNOWN_LANGUAGE_FAMILY
    language = LANGUAGE_ALIASES.get(language, language)
    return language if language in STEMMED_LANGUAGES else NEUTRAL


def prose_chain(family: str = "en") -> Analyzer:
    """Return a stemmed language's analysis as Whoosh's tokenizer and filters: words, lowercase, no stop words, no accents, stems."""
    if family == "en":  # English as it always was: Whoosh's English stop words and the Porter stemmer
        return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter() | CharsetFilter(accent_map) | StemFilter(cachesize=STEM_CACHE_SIZE)
    stops = lang.stopwords_for_language(family) if lang.has_stopwords(family) else ()
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=stops)  # Whoosh's lang= would add the English stop words to the language's own
        | CharsetFilter(FOLDING)
        | PyStemmerFilter(lang=SNOWBALL_STEMMERS[family], cachesize=STEM_CACHE_SIZE)
    )


def text_analyzer(family: str = "en") -> Analyzer:
    """Return the analyzer of a family of languages, which indexes in one pass over the words."""
    return NeutralAnalyzer() if family == NEUTRAL else OnePassAnalyzer(prose_chain(family))


class NeutralAnalyzer(Analyzer):
    """Unicode words, lowercased and folded, with runs of CJK characters as overlapping bigrams.

    A run of one CJK character stays a one-character token, so a character standing alone is found.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NeutralAnalyzer)

    def __call__(self, value: str, positions=False, chars=False, keeporiginal=False, removestops=True, start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        """Yield the tokens of a text, with positions and character offsets when asked."""
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        if not tokenize:  # a whole value as one term (how Whoosh's parser reads some query parts)
            token.original = token.text = value.lower().translate(FOLDING)
            token.pos, token.startchar, token.endchar = start_pos, start_char, start_char + len(value)
            yield token
            return
        for term, position, start, end in self._terms(value, start_pos):
            token.text = term
            if keeporiginal:
                token.original = value[start:end]
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token

    def index_terms(self, value: str, start_pos: int = 0) -> list[tuple[str, int]]:
        """Return each indexed term of a text with its position (what OnePassPositions indexes)."""
        return [(term, position) for term, position, _, _ in self._terms(value, start_pos)]

    @staticmethod
    def _terms(value: str, start_pos: int) -> list[tuple[str, int, int, int]]:
        """Return (term, position, start, end) for each term of a text."""
        terms: list[tuple[str, int, int, int]] = []
        position = start_pos
        for found in _NEUTRAL_TOKEN.finditer(value):
            start, run = found.start(), found.group(0)
            if found.group("cjk") is None:
                if len(run) >= MIN_WORD_LENGTH:
                    terms.append((run.lower().translate(FOLDING), position, start, found.end()))
                    position += 1
            elif len(run) == 1:
                terms.append((run, position, start, start + 1))
                position += 1
            else:
                for offset in range(len(run) - 1):
                    terms.append((run[offset : offset + 2], position, start + offset, start + offset + 2))
                    position += 1
        return terms
