"""Spelling suggestions and word completions from the archive's own vocabulary.

The vocabulary (each unstemmed word with the number of articles holding it) is a sorted JSON file beside
the Whoosh index. A Whoosh field for it would index every word a second time: measured as a third of
the rebuild time.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from index.analysis import TOKEN_PATTERN
from index.querying import ParsedQuery

VOCABULARY_FILE = "vocabulary.json"
MAX_EDITS = 2
MIN_WORD_LENGTH = 3
# Longer "words" are not typos of real words, and the edit-distance search grows with their length.
MAX_WORD_LENGTH = 30
OPERATORS = frozenset({"OR", "AND", "NOT"})
# Each unknown word costs an edit-distance search of the vocabulary (tens of ms on a large archive), so a
# long query of made-up words would take seconds; words beyond this many are kept as typed.
MAX_WORDS_TO_CORRECT = 8
_WORD = re.compile(TOKEN_PATTERN)


def article_words(title: str, body: str) -> set[str]:
    """Return the distinct lowercase words of an article worth suggesting."""
    # Lowercasing the distinct words, not every occurrence, makes this four times faster on news.
    distinct = set(_WORD.findall(title)) | set(_WORD.findall(body))
    return {
        word
        for word in {word.lower() for word in distinct}
        if MIN_WORD_LENGTH <= len(word) <= MAX_WORD_LENGTH and not word.isdigit()
    }


@dataclass(frozen=True)
class Vocabulary:
    """The archive's words in sorted order, each with the number of articles it appears in."""

    words: tuple[str, ...]
    counts: dict[str, int]

    @classmethod
    def from_counts(cls, counts: Counter) -> Vocabulary:
        """Build a vocabulary from word counts, dropping words no article holds any more."""
        kept = {word: count for word, count in counts.items() if count > 0}
        return cls(tuple(sorted(kept)), kept)

    @classmethod
    def load(cls, folder: Path) -> Vocabulary:
        """Read the vocabulary saved in an index generation; empty if there is none."""
        try:
            saved = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
            return cls(tuple(saved["words"]), dict(zip(saved["words"], saved["counts"])))
        except (OSError, ValueError, KeyError, TypeError):
            return cls((), {})

    def save(self, folder: Path) -> None:
        """Write the vocabulary into an index generation atomically (JSON: read back in a few ms)."""
        temporary = folder / f"{VOCABULARY_FILE}.tmp"
        saved = {"words": self.words, "counts": [self.counts[word] for word in self.words]}
        temporary.write_text(json.dumps(saved, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, folder / VOCABULARY_FILE)

    def closest(self, word: str) -> str | None:
        """Return the known word fewest edits away, starting with the same letter (the most frequent among equals), or None.

        rapidfuzz compares in C with an early stop past MAX_EDITS: Whoosh's Levenshtein automaton, walked in
        Python, took a tenth of a second a word on a large archive's vocabulary.
        """
        if not word:
            return None
        start = bisect.bisect_left(self.words, word[0])
        end = bisect.bisect_left(self.words, word[0] + "\uffff", start)
        found = process.extract(word, self.words[start:end], scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=None)
        candidates = [(edits, -self.counts[candidate], candidate) for candidate, edits, _ in found if candidate != word]
        return min(candidates)[2] if candidates else None

    def complete(self, prefix: str, limit: int) -> list[str]:
        """Return the most frequent known words starting with prefix."""
        start = bisect.bisect_left(self.words, prefix)
        end = bisect.bisect_left(self.words, prefix + "\uffff", start)
        return sorted(self.words[start:end], key=lambda word: (-self.counts[word], word))[:limit]


def count_words(texts: Iterable[tuple[str, str]]) -> Counter:
    """Count, for each word, the articles (title, body) holding it."""
    counts: Counter = Counter()
    for title, body in texts:
        counts.update(article_words(title, body))
    return counts


def suggest_spelling(
    vocabulary: Vocabulary, parsed: ParsedQuery, found: Callable[[str], frozenset] = lambda word: frozenset()
) -> str | None:
    """Return the query with words the archive lacks replaced by close, frequent ones; None if none.

    `found` gives the indexed terms a word is searched by. A word that found articles keeps its spelling
    unless the correction finds the same ones ("flamingoes" becomes "flamingos"): the Spanish "leyes",
    found in Spanish articles by its stem "ley", is not "corrected" into an English word.
    """
    corrections: dict[str, str | None] = {}
    corrected = []
    for word in parsed.words:
        lowered = word.lower()
        if word in OPERATORS or not MIN_WORD_LENGTH <= len(lowered) <= MAX_WORD_LENGTH or lowered.isdigit():
            corrected.append(word)
        elif lowered in vocabulary.counts:
            corrected.append(word)
        elif lowered in corrections or len(corrections) < MAX_WORDS_TO_CORRECT:
            if lowered not in corrections:
                closest = vocabulary.closest(lowered)
                searched_by = found(lowered) if closest else frozenset()
                corrections[lowered] = closest if not searched_by or found(closest) == searched_by else None
            corrected.append(corrections[lowered] or word)
        else:
            corrected.append(word)
    return " ".join(corrected) if any(corrections.values()) else None
