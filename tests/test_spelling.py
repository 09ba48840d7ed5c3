"""Spelling suggestions: close frequent words, at a bounded cost however long the query."""

from __future__ import annotations

from collections import Counter

from index.querying import ParsedQuery
from index.spelling import MAX_WORDS_TO_CORRECT, Vocabulary, suggest_spelling

VOCABULARY = Vocabulary.from_counts(Counter({"penguins": 5, "pelicans": 2, "herons": 1}))


def _count_lookups(monkeypatch) -> list[str]:
    """Record every word Vocabulary.closest is asked about."""
    asked: list[str] = []
    original = Vocabulary.closest

    def closest(self, word):
        asked.append(word)
        return original(self, word)

    monkeypatch.setattr(Vocabulary, "closest", closest)
    return asked


def test_suggestion_replaces_unknown_words_with_close_known_ones():
    parsed = ParsedQuery(words=("pengiuns", "and", "herons"))
    assert suggest_spelling(VOCABULARY, parsed) == "penguins and herons"


def test_a_long_query_of_made_up_words_looks_up_only_a_few(monkeypatch):
    asked = _count_lookups(monkeypatch)
    made_up = tuple(f"pengiuns{number}" for number in range(200))
    suggest_spelling(VOCABULARY, ParsedQuery(words=("pelicanz",) + made_up))
    assert len(asked) == MAX_WORDS_TO_CORRECT and asked[0] == "pelicanz"


def test_a_repeated_misspelling_is_looked_up_once_and_corrected_everywhere(monkeypatch):
    asked = _count_lookups(monkeypatch)
    parsed = ParsedQuery(words=("pengiuns", "Pengiuns", "pengiuns"))
    assert suggest_spelling(VOCABULARY, parsed) == "penguins penguins penguins"
    assert asked == ["pengiuns"]
