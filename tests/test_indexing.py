"""Rebuild, update, atomic switching and the one-writer lock, on real files."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from archive.sources import Skipped, drop_duplicates, read_sources
from archive.model import Article
from index import writing
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexBusy, IndexLocation
from index.writing import rebuild, update
from tests.conftest import SEEDS, lock_holder


def _ids(location: IndexLocation, query: str = "") -> set[str]:
    result = search(LiveIndex(location).snapshot(), SearchRequest(query=query, per_page=100))
    return {hit.id for hit in result.hits}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_bbc_news_rebuild_counts_and_category_facets(bbc_index, bbc_news):
    result = search(LiveIndex(bbc_index).snapshot(), SearchRequest())
    assert result.total == 2127
    unique = [item for item in drop_duplicates(read_sources([bbc_news])) if isinstance(item, Article)]
    expected = Counter(article.category for article in unique)
    category = next(facet for facet in result.facets if facet.name == "category")
    assert {value.value: value.count for value in category.values} == expected
    assert set(expected) == {"business", "entertainment", "politics", "sport", "tech"}
    assert expected["business"] < 510  # the duplicates really were removed per folder


def test_rebuild_summary_reports_duplicates_and_rate(bbc_build):
    summary = bbc_build[1]
    assert (summary.indexed, summary.duplicates, summary.documents_in_index) == (2127, 98, 2127)
    assert summary.files == 2227  # 2,225 articles plus README.TXT and PROVENANCE.md
    assert summary.skipped_by_reason == {"collection documentation, not an article": 2}
    assert summary.documents_per_second > 0


def test_update_adds_changes_and_deletes(tmp_path):
    sources = tmp_path / "sources"
    keep = _write(sources / "keep.txt", "Keeper\n\nThis stays the same.")
    change = _write(sources / "world" / "change.txt", "Before\n\nThe zebra was here.")
    delete = _write(sources / "delete.txt", "Goner\n\nAn ocelot appears.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    assert _ids(location) == {"keep.txt", "world/change.txt", "delete.txt"}

    _write(sources / "new.txt", "Newcomer\n\nA giraffe arrives.")
    time.sleep(0.01)
    _write(change, "After\n\nThe okapi replaced it.")
    os.utime(change, ns=(time.time_ns(), time.time_ns()))
    delete.unlink()
    summary = update(location, [sources])

    assert (summary.indexed, summary.deleted, summary.unchanged) == (2, 1, 1)
    assert _ids(location) == {"keep.txt", "world/change.txt", "new.txt"}
    assert _ids(location, "giraffe") == {"new.txt"}
    assert _ids(location, "okapi") == {"world/change.txt"}
    assert _ids(location, "zebra") == set()
    assert _ids(location, "ocelot") == set()
    assert keep.read_text(encoding="utf-8") == "Keeper\n\nThis stays the same."

    again = update(location, [sources])
    assert (again.indexed, again.deleted, again.unchanged) == (0, 0, 3)


def test_update_does_not_index_a_copy_of_an_indexed_article(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "a.txt", "Same\n\nSame words.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    _write(sources / "copy.txt", "Same\n\nSame words.")
    summary = update(location, [sources])
    assert (summary.indexed, summary.duplicates) == (0, 1)


def test_interrupted_rebuild_keeps_the_old_index_and_leaves_no_debris(tmp_path, monkeypatch):
    sources = tmp_path / "sources"
    for number in range(5):
        _write(sources / f"{number}.txt", f"Article {number}\n\nAbout aardvarks number {number}.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    live = LiveIndex(location)
    before = location.current_generation()
    original = writing.read_articles
    calls = []

    def failing_read(source, max_bytes, consumed, **options):
        calls.append(source)
        if len(calls) == 3:
            raise KeyboardInterrupt  # what Ctrl-C raises; not caught as a per-file failure
        return original(source, max_bytes, consumed, **options)

    monkeypatch.setattr(writing, "read_articles", failing_read)
    with pytest.raises(KeyboardInterrupt):
        rebuild(location, [sources])
    assert location.current_generation() == before
    assert search(live.snapshot(), SearchRequest(query="aardvarks")).total == 5
    assert sorted(p.name for p in location.root.iterdir() if p.name.startswith("gen-")) == [before.name]

    monkeypatch.setattr(writing, "read_articles", original)
    assert rebuild(location, [sources]).indexed == 5
    assert search(live.snapshot(), SearchRequest(query="aardvarks")).total == 5


def test_a_parser_crash_on_one_file_skips_only_that_file(tmp_path, monkeypatch):
    sources = tmp_path / "sources"
    _write(sources / "good.txt", "Good\n\nFine text.")
    _write(sources / "bad.txt", "Bad\n\nCrashes the parser.")
    original = writing.read_articles

    def crashing_read(source, max_bytes, consumed, **options):
        if source.path.name == "bad.txt":
            raise RecursionError("maximum recursion depth exceeded")
        return original(source, max_bytes, consumed, **options)

    monkeypatch.setattr(writing, "read_articles", crashing_read)
    summary = rebuild(IndexLocation(tmp_path / "index"), [sources])
    assert summary.indexed == 1
    assert summary.skipped == (Skipped(str(sources / "bad.txt"), "could not be parsed (RecursionError)"),)


def test_a_second_writer_gets_a_clear_message(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    with lock_holder(location) as holder:
        with pytest.raises(IndexBusy, match=f"being written by process {holder.pid}"):
            rebuild(location, [SEEDS])
        with pytest.raises(IndexBusy):
            update(location, [SEEDS])
    # The kernel drops the lock of a killed writer, so the next run goes ahead.
    assert rebuild(location, [SEEDS]).indexed == 1


def test_readers_switch_to_a_new_generation_without_reopening(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "a.txt", "First\n\nA walrus.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    live = LiveIndex(location)
    assert search(live.snapshot(), SearchRequest(query="walrus")).total == 1
    _write(sources / "b.txt", "Second\n\nAnother walrus.")
    rebuild(location, [sources])
    assert search(live.snapshot(), SearchRequest(query="walrus")).total == 2
    _write(sources / "c.txt", "Third\n\nA third walrus.")
    update(location, [sources])
    assert search(live.snapshot(), SearchRequest(query="walrus")).total == 3


def test_rebuild_with_nothing_readable_keeps_the_previous_index(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    before = location.current_generation()
    summary = rebuild(location, [tmp_path / "missing"])
    assert not summary.published
    assert location.current_generation() == before


def test_spelling_vocabulary_follows_rebuild_and_update(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "a.txt", "Penguins\n\nPenguins waddle.")
    gone = _write(sources / "b.txt", "Flamingos\n\nFlamingos stand.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    live = LiveIndex(location)
    assert search(live.snapshot(), SearchRequest(query="pengiuns")).suggestion == "penguins"
    assert search(live.snapshot(), SearchRequest(query="flamingoes")).suggestion == "flamingos"
    gone.unlink()
    _write(sources / "c.txt", "Albatross\n\nAlbatrosses glide.")
    update(location, [sources])
    assert search(live.snapshot(), SearchRequest(query="albatros")).suggestion == "albatross"
    assert search(live.snapshot(), SearchRequest(query="flamingoes")).suggestion is None


def test_update_sees_duplicates_of_articles_in_an_unchanged_jsonl_file(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "feed.jsonl", '{"id": "1", "title": "Same", "body": "One."}\n{"id": "2", "title": "Other", "body": "Two."}\n')
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    _write(sources / "copy.txt", "Same\n\nOne.")
    summary = update(location, [sources])
    assert (summary.indexed, summary.duplicates, summary.unchanged) == (0, 1, 1)


def test_search_still_works_for_surviving_articles_after_an_update_deletes(tmp_path):
    sources = tmp_path / "sources"
    for number in range(3):
        _write(sources / f"{number}.txt", f"Keeper {number}\n\nThe heron stays, number {number}.")
    gone = _write(sources / "gone.txt", "Goner\n\nThe heron leaves.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    gone.unlink()
    update(location, [sources])
    result = search(LiveIndex(location).snapshot(), SearchRequest(query="heron"))
    assert result.total == 3
    assert {hit.title for hit in result.hits} == {"Keeper 0", "Keeper 1", "Keeper 2"}


def test_update_does_not_let_a_new_file_take_another_files_id(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "a.txt", "URL: https://example.com/story\n\nFirst\n\nThe original text.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    _write(sources / "b.txt", "URL: https://example.com/story\n\nSecond\n\nA different text.")
    summary = update(location, [sources])
    assert summary.indexed == 0
    assert [skipped.reason for skipped in summary.skipped] == ["another file already has the id 'https://example.com/story'"]
    assert _ids(location, "original") == {"https://example.com/story"}


def test_update_with_a_missing_source_deletes_nothing(tmp_path):
    sources = tmp_path / "sources"
    _write(sources / "a.txt", "Stays\n\nA lynx.")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    moved = tmp_path / "elsewhere"
    sources.rename(moved)
    summary = update(location, [sources])
    assert summary.deleted == 0
    assert _ids(location, "lynx") == {"a.txt"}
