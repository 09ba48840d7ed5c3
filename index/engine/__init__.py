"""Where the archive reaches inside Whoosh: every private name it uses is used here and listed below.

whoosh-reloaded is pinned at 2.7.5 because of these. `tests/test_engine.py` checks that each listed name
exists in the installed Whoosh and that no module outside this package uses a private Whoosh name.

- postings.py: the W3 codec's block-level posting reader, its block layout (a compressed pickle of ids,
  weights and values) and the per-document length column;
- analysis.py: the stages of an analysis chain, to index prose in one pass;
- writers.py: the multiprocess writer's task handling, so writer processes die with the rebuild;
- codec.py: the W3 codec without per-block length statistics.
"""

from __future__ import annotations

import importlib

# Attributes each Whoosh class must have (looked up on the class).
PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "whoosh.codec.whoosh3.W3LeafMatcher": ("_read_ids", "_read_weights", "_read_values", "_next_block", "block_max_id"),
    "whoosh.codec.whoosh3.W3PerDocReader": ("_cached_reader",),
    "whoosh.codec.whoosh3.W3Codec": ("length_stats",),
    "whoosh.multiproc.MpWriter": ("_new_task", "commit", "cancel"),
    "whoosh.multiproc.SubWriterTask": ("run",),
}
# Module-level names.
PRIVATE_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "whoosh.codec.whoosh3": ("_lenfield", "LENGTHS_COLUMN"),
}
# Attributes set on instances: a matcher's decoded block, a segment reader's per-document reader, the
# stages' settings and the multiprocess writer's state (checked on real objects by the test).
INSTANCE_NAMES: dict[str, tuple[str, ...]] = {
    "whoosh.codec.whoosh3.W3LeafMatcher": (
        "_ids", "_weights", "_values", "_postfile", "_dataoffset", "_nextoffset", "_compression", "_blocklength",
    ),
    "whoosh.reading.SegmentReader": ("_perdoc",),
    "whoosh.analysis.CompositeAnalyzer": ("items",),
    "whoosh.analysis.RegexTokenizer": ("expression",),
    "whoosh.analysis.StopFilter": ("stops", "min"),
    "whoosh.analysis.CharsetFilter": ("charmap",),
    "whoosh.analysis.StemFilter": ("stemfn", "lang"),
    "whoosh.multiproc.MpWriter": ("tasks", "storage", "indexname", "jobqueue", "resultqueue", "subargs", "multisegment", "is_closed"),
}


def missing_private_names() -> list[str]:
    """Return the listed class and module names that the installed Whoosh lacks (empty when all are there)."""
    missing = []
    for dotted, names in PRIVATE_NAMES.items():
        module, _, class_name = dotted.rpartition(".")
        owner = getattr(importlib.import_module(module), class_name, None)
        missing += [f"{dotted}.{name}" for name in names if owner is None or not hasattr(owner, name)]
    for module, names in PRIVATE_FUNCTIONS.items():
        loaded = importlib.import_module(module)
        missing += [f"{module}.{name}" for name in names if not hasattr(loaded, name)]
    return missing
