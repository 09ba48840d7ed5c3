"""Spelling suggestions from the words of the archive itself."""

from __future__ import annotations

from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from index.querying import ParsedQuery

SPELLING_FIELD = "spelling"
MAX_EDITS = 2
# Longer "words" are not typos of real words, and the edit-distance search grows with their length.
MAX_WORD_LENGTH = 30
OPERATORS = frozenset({"OR", "AND", "NOT"})


def suggest_spelling(reader: IndexReader, parsed: ParsedQuery) -> str | None:
    """Return the query with words the archive lacks replaced by close, frequent ones; None if none."""
    corrected, replaced = [], False
    for word in parsed.words:
        lowered = word.lower()
        if word in OPERATORS or not 3 <= len(lowered) <= MAX_WORD_LENGTH or lowered.isdigit():
            corrected.append(word)
        elif reader.doc_frequency(SPELLING_FIELD, lowered):
            corrected.append(word)
        else:
            better = closest_word(reader, lowered)
            corrected.append(better or word)
            replaced = replaced or better is not None
    return " ".join(corrected) if replaced else None


def closest_word(reader: IndexReader, word: str) -> str | None:
    """Return the indexed word fewest edits away (the most frequent among equals), or None."""
    candidates = set()
    # Each segment answers with its automaton; the multi-segment reader's own method scans every term.
    for leaf, _ in reader.leaf_readers():
        candidates.update(leaf.terms_within(SPELLING_FIELD, word, MAX_EDITS, prefix=1))
    candidates.discard(word)
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: (distance(word, candidate), -reader.doc_frequency(SPELLING_FIELD, candidate), candidate))
