"""Read Whoosh posting lists a block at a time.

Whoosh's matchers step through postings one document at a time in Python. Decoding a whole block of
ids (and weights) at once and skipping blocks that cannot hold a wanted document is several times
faster. This reaches into the block attributes of whoosh-reloaded 2.7.5's W3 codec, which is why that
version is pinned exactly.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from whoosh.matching.wrappers import WrappingMatcher
from whoosh.reading import IndexReader


@dataclass(frozen=True)
class TermPostings:
    """A term's documents, as a set and in order, with the term's weight (frequency) in each."""

    documents: frozenset[int]
    ordered: Sequence[int]  # an array("I") in document order
    weights: Sequence[float]


NO_POSTINGS = TermPostings(frozenset(), (), ())


def term_documents(reader: IndexReader, fieldname: str, text: str) -> list[int]:
    """Return the numbers of the documents holding a term, in every segment."""
    found: list[int] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = segment_postings(leaf, fieldname, text)
        while matcher.is_active():
            ids, _ = _block_ids_and_weights(matcher, weights=False)
            found.extend(map(offset.__add__, ids) if offset else ids)
            matcher._next_block()
    return found


def term_postings(reader: IndexReader, fieldname: str, text: str) -> tuple[array, array]:
    """Return the documents holding a term, in order, and the term's weight (frequency) in each."""
    documents, weights = array("I"), array("f")
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = segment_postings(leaf, fieldname, text)
        while matcher.is_active():
            ids, block_weights = _block_ids_and_weights(matcher)
            documents.extend(map(offset.__add__, ids) if offset else ids)
            weights.extend(block_weights)
            matcher._next_block()
    return documents, weights


def candidate_positions(reader: IndexReader, fieldname: str, text: str, ordered: list[int]) -> dict[int, list[int]]:
    """Return the positions of a term in each of the candidates (sorted document numbers) holding it."""
    found: dict[int, list[int]] = {}
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = segment_postings(leaf, fieldname, text)
        decode = matcher.format.decode_positions
        for docnum, value in _candidate_values(matcher, ordered, offset):
            found[docnum] = decode(value)
    return found


def segment_postings(leaf: IndexReader, fieldname: str, text: str):
    """Return a segment's block-level posting matcher for a term, deleted documents included.

    A segment with deletions wraps its matcher in a filter that lacks the block methods; callers
    intersect with the live documents themselves.
    """
    matcher = leaf.postings(fieldname, text)
    while isinstance(matcher, WrappingMatcher):
        matcher = matcher.child
    return matcher


def _candidate_values(matcher, ordered: list[int], offset: int) -> Iterator[tuple[int, bytes]]:
    """Yield (docnum, encoded value) for the candidates in one segment's posting list, skipping other blocks."""
    previous_max = -1
    while matcher.is_active():
        # Blocks whose id range holds no candidate are passed over without being decoded (the header
        # gives the block's largest id; the one before it bounds the smallest).
        low = bisect.bisect_left(ordered, previous_max + 1 + offset)
        previous_max = matcher.block_max_id()
        high = bisect.bisect_right(ordered, previous_max + offset)
        if low < high:
            wanted = set(ordered[low:high])
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._values is None:
                matcher._read_values()
            for docnum, value in zip(matcher._ids, matcher._values):
                if docnum + offset in wanted:
                    yield docnum + offset, value
        matcher._next_block()


def _block_ids_and_weights(matcher, weights: bool = True) -> tuple:
    """Return the current block's document ids and weights, decoding them if needed."""
    if matcher._ids is None:
        matcher._read_ids()
    if weights and matcher._weights is None:
        matcher._read_weights()
    return matcher._ids, matcher._weights
