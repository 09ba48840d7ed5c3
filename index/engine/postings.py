"""Read Whoosh posting lists and per-document columns a block at a time, into NumPy arrays.

Whoosh's matchers step through postings one document at a time in Python. Decoding a whole block of
ids (and weights) at once, and skipping blocks that cannot hold a wanted document, is several times
faster. This reaches into the block attributes of whoosh-reloaded 2.7.5's W3 codec, which is why that
version is pinned exactly.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

DOCUMENT_NUMBER = np.uint32
# byte_to_length for every byte: Whoosh stores each document's field length in one byte.
_LENGTH_OF_BYTE = np.array([byte_to_length(value) for value in range(256)], dtype=np.float32)


def term_postings(reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the documents holding a term in every segment, in order, and the term's frequency in each."""
    documents: list[np.ndarray] = []
    frequencies: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = _segment_postings(leaf, fieldname, text)
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            documents.append(np.array(matcher._ids, dtype=DOCUMENT_NUMBER) + DOCUMENT_NUMBER(offset))
            frequencies.append(np.array(matcher._weights, dtype=np.float32))
            matcher._next_block()
    if not documents:
        return np.empty(0, DOCUMENT_NUMBER), np.empty(0, np.float32)
    return np.concatenate(documents), np.concatenate(frequencies)


def candidate_positions(reader: IndexReader, fieldname: str, text: str, ordered: Sequence[int]) -> dict[int, list[int]]:
    """Return the positions of a term in each of the candidates (sorted document numbers) holding it."""
    found: dict[int, list[int]] = {}
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = _segment_postings(leaf, fieldname, text)
        decode = matcher.format.decode_positions
        for docnum, value in _candidate_values(matcher, ordered, offset):
            found[docnum] = decode(value)
    return found


def field_lengths(reader: IndexReader, fieldname: str) -> np.ndarray:
    """Return every document's length in a field, as scoring sees it, indexed by document number."""
    parts = []
    for leaf, _offset in reader.leaf_readers():
        count = leaf.doc_count_all()
        column = leaf._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        stored = np.frombuffer(bytes(column.load()), dtype=np.uint8)[:count] if column is not None else np.empty(0, np.uint8)
        # The column may stop early when the last documents lack the field.
        parts.append(np.concatenate([stored, np.zeros(count - len(stored), np.uint8)]))
    return _LENGTH_OF_BYTE[np.concatenate(parts)] if parts else np.empty(0, np.float32)


def _segment_postings(leaf: IndexReader, fieldname: str, text: str):
    """Return a segment's block-level posting matcher for a term, deleted documents included.

    A segment with deletions wraps its matcher in a filter that lacks the block methods; callers
    intersect with the live documents themselves.
    """
    matcher = leaf.postings(fieldname, text)
    while isinstance(matcher, WrappingMatcher):
        matcher = matcher.child
    return matcher


def _candidate_values(matcher, ordered: Sequence[int], offset: int) -> Iterator[tuple[int, bytes]]:
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
