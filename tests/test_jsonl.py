"""JSON Lines input: one article per line, unknown fields ignored, bad lines skipped by number."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from archive.model import Article, Skipped
from archive.sources import read_sources
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation
from index.writing import rebuild, update


def _lines(*records) -> str:
    return "\n".join(record if isinstance(record, str) else json.dumps(record) for record in records) + "\n"


def test_good_and_bad_lines(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        _lines(
            {"id": "a-1", "title": "Rates rise", "body": "The bank raised rates.\n\nMarkets fell.", "category": "Business",
             "source": "wire", "published": "2024-03-05T10:00:00Z", "authors": ["Ann Lee"], "tags": "rates, banks",
             "mood": "ignored"},
            "{not json",
            "[1, 2]",
            {"title": "", "body": ""},
            "",
            {"title": "No id", "body": "Body text.", "url": "https://example.com/x"},
            {"title": "Line id", "body": ["First.", "Second."]},
        ),
        encoding="utf-8",
    )
    items = list(read_sources([path]))
    articles = [item for item in items if isinstance(item, Article)]
    skipped = [item for item in items if isinstance(item, Skipped)]
    assert [a.id for a in articles] == ["a-1", "https://example.com/x", "feed.jsonl#7"]
    first = articles[0]
    assert first.category == "business" and first.source == "wire" and first.authors == ("Ann Lee",)
    assert first.tags == ("rates", "banks") and first.paragraphs == ["The bank raised rates.", "Markets fell."]
    assert first.published == datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc)
    assert articles[2].paragraphs == ["First.", "Second."]
    assert all(a.path == str(path) for a in articles)
    assert [(s.path, s.reason) for s in skipped] == [
        (f"{path}:2", "line 2: not valid JSON"),
        (f"{path}:3", "line 3: not a JSON object"),
        (f"{path}:4", "line 4: no title and no body"),
    ]


def test_jsonl_through_rebuild_and_update(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text(_lines({"id": "1", "title": "Otters", "body": "Otters swim."}, {"id": "2", "title": "Seals", "body": "Seals bask."}), encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    summary = rebuild(location, [path])
    assert summary.indexed == 2
    path.write_text(_lines({"id": "1", "title": "Otters", "body": "Otters swim."}, {"id": "3", "title": "Walrus", "body": "Walrus naps."}), encoding="utf-8")
    update(location, [path])
    result = search(LiveIndex(location).snapshot(), SearchRequest(per_page=10))
    assert {hit.id for hit in result.hits} == {"1", "3"}


def test_bench_corpus_first_lines(tmp_path):
    from tests.conftest import shared_data

    corpus = shared_data("bench") / "corpus.jsonl"
    sample = tmp_path / "sample.jsonl"
    with open(corpus, "rb") as source:
        sample.write_bytes(b"".join(next(source) for _ in range(500)))
    articles = [item for item in read_sources([sample]) if isinstance(item, Article)]
    assert len(articles) == 500
    assert {a.category for a in articles} <= {"world", "sport", "business", "tech", "entertainment"}
