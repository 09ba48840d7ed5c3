"""How an article is laid out in a Xapian document: its words, filter terms, value slots and stored fields.

Words are analyzed by the archive's own analyzer (index/analysis.py), so the query language reads
the same terms on both backends. Title and body share one term space: a title word counts
`TITLE_WDF` times (Xapian counts whole occurrences; the Whoosh backend weighs a title word 1.5), and body positions start `FIELD_GAP` past the
title's, so a phrase never runs from the title into the body.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import xapian

from whoosh.analysis import Analyzer

from index.schema import ANALYSIS_FIELD, SEPARATOR, is_search_field, split_values, url_key

TITLE_WDF = 2
FIELD_GAP = 100
MAX_TERM_BYTES = 200  # Xapian refuses terms of more than 245 bytes; longer values are cut and hashed

# Boolean terms: a prefix per filterable field (upper case, so they never collide with the lowercase words).
KEY_PREFIX = "Q"  # the unique id term: the article's key
PATH_PREFIX = "XP"
HASH_PREFIX = "XH"
FILTER_PREFIXES = {"category": "XC", "source": "XS", "authors": "XA", "year": "XY", "tags": "XT", "language": "XL"}
ANALYSIS_PREFIX = "XF"  # the analysis family the article's text went through (index.analysis.FAMILIES)
# Value slots. Facets hold the document's values joined by SEPARATOR: Xapian counts one string per
# document, and splitting the counted strings gives each value's exact count (multi-valued ones too).
FACET_SLOTS = {"category": 0, "source": 1, "authors": 2, "year": 3, "tags": 4, "language": 5}
PUBLISHED_SLOT = 10  # fixed-width big-endian moment, for date ranges
NEWEST_SLOT = 11  # sorts newest first (descending): dated before undated, ties in indexing order
OLDEST_SLOT = 12  # sorts oldest first (ascending): dated before undated, ties in indexing order
SEQUENCE_SLOT = 13  # indexing order, the tie-break of equal scores (as the Whoosh backend's document numbers)

DATE_FIELDS = ("published", "captured")  # naive UTC datetimes in index.schema.article_to_document's fields
_MOMENT_OFFSET = 1 << 63
_SEQUENCE_LIMIT = (1 << 64) - 1


def shard_of(article_id: str, shards: int) -> int:
    """Return the shard an article lives in: a hash of its id, so it stays there from one run to the next."""
    return int(url_key(article_id), 16) % shards


def word_term(family: str, word: str) -> str:
    """Return the term of an analysed word in one analysis family: each family keeps its own words and rarities,
    as the Whoosh backend's per-language fields do (its English "chat" is not its French "chat")."""
    return f"{family}:{word}"


def to_document(fields: dict, sequence: int, analyzer: Analyzer) -> xapian.Document:
    """Return the Xapian document of an article's fields (as index.schema.article_to_document gives them),
    its text analysed by its family's analyzer."""
    document = xapian.Document()
    family = fields[ANALYSIS_FIELD]
    title_terms = analyzer.index_terms(fields["title"] or "")
    for term, position in title_terms:
        document.add_posting(word_term(family, term), position + 1, TITLE_WDF)
    body_start = (title_terms[-1][1] + 1 if title_terms else 0) + FIELD_GAP
    for term, position in analyzer.index_terms(fields["body"] or "", body_start):
        document.add_posting(word_term(family, term), position + 1)
    document.add_boolean_term(ANALYSIS_PREFIX + family)
    document.add_boolean_term(KEY_PREFIX + fields["key"])
    document.add_boolean_term(PATH_PREFIX + bounded(fields["path"]))
    if fields["content_hash"]:
        document.add_boolean_term(HASH_PREFIX + fields["content_hash"])
    for name in FILTER_PREFIXES:
        for value in values_of(fields, name):
            document.add_boolean_term(filter_term(name, value))
    for name, slot in FACET_SLOTS.items():
        values = values_of(fields, name)
        if values:
            document.add_value(slot, SEPARATOR.join(values))
    published = fields.get("published")
    document.add_value(SEQUENCE_SLOT, sequence.to_bytes(8, "big"))
    if published is not None:
        moment = encode_moment(published)
        document.add_value(PUBLISHED_SLOT, moment)
        document.add_value(NEWEST_SLOT, b"\x01" + moment + (_SEQUENCE_LIMIT - sequence).to_bytes(8, "big"))
        document.add_value(OLDEST_SLOT, b"\x00" + moment + sequence.to_bytes(8, "big"))
    else:
        document.add_value(NEWEST_SLOT, b"\x00" + (_SEQUENCE_LIMIT - sequence).to_bytes(8, "big"))
        document.add_value(OLDEST_SLOT, b"\x01" + sequence.to_bytes(8, "big"))
    document.set_data(json.dumps(_stored(fields), ensure_ascii=False))
    return document


def values_of(fields: dict, name: str) -> tuple[str, ...]:
    """Return a field's values as the Whoosh backend stores them (multi-valued fields split)."""
    value = fields.get(name) or ""
    values = split_values(value) if name in ("authors", "tags") else ((value,) if value else ())
    return tuple(dict.fromkeys(values))


def filter_term(name: str, value: str) -> str:
    """Return the boolean term a filter on a field's value matches."""
    return FILTER_PREFIXES[name] + bounded(value)


def path_filter_term(path: str) -> str:
    """Return the boolean term of the articles read from a file (a path as path_term writes it)."""
    return PATH_PREFIX + bounded(path)


def bounded(value: str) -> str:
    """Return a value short enough for a term: long ones keep their start (for prefix searches) and a hash of the rest."""
    encoded = value.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_TERM_BYTES:
        return value
    start = encoded[: MAX_TERM_BYTES - 20].decode("utf-8", "ignore")
    return start + "\x00" + hashlib.sha256(encoded).hexdigest()[:16]


def encode_moment(moment: datetime) -> bytes:
    """Return a naive UTC datetime as 8 bytes that sort in time order (microseconds, offset to stay positive)."""
    microseconds = round((moment.replace(tzinfo=timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds() * 1e6)
    return (microseconds + _MOMENT_OFFSET).to_bytes(8, "big")


def _stored(fields: dict) -> dict:
    """Return the fields kept in the document's data, as JSON can hold them (dates as ISO text)."""
    stored = {name: value for name, value in fields.items() if value not in (None, "") and not is_search_field(name) and name != ANALYSIS_FIELD}
    for name in DATE_FIELDS:
        if name in stored:
            stored[name] = fields[name].isoformat()
    return stored


def stored_fields(document: xapian.Document) -> dict:
    """Return the stored fields of a document as the Whoosh backend returns them (dates as naive datetimes)."""
    fields = json.loads(document.get_data())
    for name in DATE_FIELDS:
        if name in fields:
            fields[name] = datetime.fromisoformat(fields[name])
    return fields
