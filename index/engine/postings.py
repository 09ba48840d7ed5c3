"""Read Whoosh posting lists and per-document columns a block at a time, into NumPy arrays.

Whoosh's matchers step through postings one document at a time in Python. Decoding a whole block of
ids (and weights) at once, and skipping blocks that cannot hold a wanted document, is several times
faster. This reaches into the block attributes of whoosh-reloaded 2.7.5's W3 codec, which is why that
version is pinned exactly.

A W3 block is a zlib-compressed pickle of (ids, weights, values). The values (each posting's word
positions) come last and cost nearly all of the unpickling: pickle protocol 2 writes each one as a call
of `_codecs.encode`, 230 µs a block of 128 against 8 µs for the rest. Reading a word's documents and
frequencies, which is what a first search of a word waits for, decompresses only the start of the block
and unpickles it up to the values.
"""

from __future__ import annotations

import bisect
import pickle
import zlib
from collections.abc import Iterator, Sequence

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

DOCUMENT_NUMBER = np.uint32
# byte_to_length for every byte: Whoosh stores each document's field length in one byte.
_LENGTH_OF_BYTE = np.array([byte_to_length(value) for value in range(256)], dtype=np.float32)
# Where a block's values start in its pickle: MARK, then the first value's call of _codecs.encode. No
# byte of this appears among the opcodes of ids and weights, and it is longer than any of their arguments.
_VALUES_START = b"(c_codecs\nencode\n"
# Decompressed bytes that hold a block's ids and weights (128 of each, at most 5 and 9 bytes each) and
# the start of its values; a block that needs more is decompressed whole.
_HEAD_BYTES = 2048
_TUPLE2_STOP = b"\x86."  # pickle opcodes: make a pair of the two objects read, and stop


def term_postings(reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the documents holding a term in every segment, in order, and the term's frequency in each."""
    documents: list[np.ndarray] = []
    frequencies: list[np.ndarray] = []
    for leaf, offset in reader.leaf_readers():
        if (fieldname, text) not in leaf:
            continue
        matcher = _segment_postings(leaf, fieldname, text)
        while matcher.is_active():
            ids, weights = _block_ids_and_weights(matcher)
            documents.append(ids + DOCUMENT_NUMBER(offset))
            frequencies.append(weights)
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


def _block_ids_and_weights(matcher) -> tuple[np.ndarray, np.ndarray]:
    """Return the document numbers and weights of the matcher's current block, without unpickling its values."""
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    if matcher._compression:
        head = zlib.decompressobj().decompress(data, _HEAD_BYTES)
        cut = head.find(_VALUES_START)
        if cut < 0:
            head = zlib.decompress(data)
            cut = head.find(_VALUES_START)
    else:
        head = bytes(data)
        cut = head.find(_VALUES_START)
    ids, weights = pickle.loads(head[:cut] + _TUPLE2_STOP) if cut >= 0 else pickle.loads(head)[:2]
    count = matcher._blocklength
    documents = np.cumsum(np.array(ids, dtype=np.int64)).astype(DOCUMENT_NUMBER)  # ids are stored as gaps
    if weights is None:
        return documents, np.ones(count, np.float32)
    if isinstance(weights, float):
        return documents, np.full(count, weights, np.float32)
    return documents, np.array(weights, dtype=np.float32)


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
