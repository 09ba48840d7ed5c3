"""The on-disk format of the archive's segments: Whoosh's own, minus per-block length statistics.

Whoosh pickles each segment's codec into the index's table of contents under its module path
(`index.engine.codec.ArchiveCodec`): moving or renaming it makes existing indexes unreadable, so change
it together with `FORMAT` in `index/storage.py`.
"""

from __future__ import annotations

from whoosh.codec.whoosh3 import W3Codec


class ArchiveCodec(W3Codec):
    """Whoosh's W3 format, written without the shortest and longest document of each posting block.

    Whoosh looks up the length of every posting's document while it writes postings (a third of the
    commit, measured at 20,000 documents), only to record those two figures for its block-skipping
    top-k search. Without them its upper bound on a block's score assumes the shortest document,
    which is still an upper bound, so its results stay exact; the archive ranks candidates itself.
    """

    length_stats = False
