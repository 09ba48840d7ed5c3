"""Read Whoosh posting lists a block at a time.

Whoosh's matchers step through postings one document at a time in Python. Decoding a whole block of
ids (and weights) at once and skipping blocks that cannot hold a wanted document is several times
faster. This reaches into the block attributes of whoosh-reloaded 2.7.5's W3 codec, which is why that
version is pinned exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from whoosh.matching.wrappers import WrappingMatcher
from whoosh.reading import IndexReader


def term_documents(reader: IndexReader, fieldname: str, text: str) -> list[int]:
    """Return the numbers of the documents holding a term, in every segment."""
    found: list[int] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = segment_postings(leaf, fieldname, text)
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            found.extend(map(offset.__add__, matcher._ids) if offset else matcher._ids)
            matcher._next_block()
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


def candidate_postings(matcher, ordered: list[int], offset: int) -> Iterator[tuple[int, float]]:
    """Yield (docnum, weight) for the candidates in one segment's posting list, skipping other blocks."""
    previous_max = -1
    while matcher.is_active():
        # Blocks whose id range holds no candidate are passed over without being decoded (the header
        # gives the block's largest id; the one before it bounds the smallest).
        low = bisect.bisect_left(ordered, previous_max + 1 + offset)
        previous_max = matcher.block_max_id()
        high = bisect.bisect_right(ordered, previous_max + offset)
        if low < high:
            wanted = set(ordered[low:high])
            for docnum, weight in zip(*_block_ids_and_weights(matcher)):
                if docnum + offset in wanted:
                    yield docnum + offset, weight
        matcher._next_block()


def _block_ids_and_weights(matcher) -> tuple:
    """Return the current block's document ids and weights, decoding them if needed."""
    if matcher._ids is None:
        matcher._read_ids()
    if matcher._weights is None:
        matcher._read_weights()
    return matcher._ids, matcher._weights
