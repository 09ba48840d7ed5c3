"""Web archives (WARC, WACZ): written with warcio from the shared pages, and by wget from a local web site."""

from __future__ import annotations

import dataclasses
import gzip
import os
import shutil
import subprocess
import time
import tracemalloc
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

import archive.html
from archive.model import Article, Duplicate, Skipped
from archive.sources import read_sources
from index.articles import article_from_fields
from index.schema import url_key
from index.storage import IndexLocation
from index.writing import rebuild, update
from tests.conftest import shared_data
from tests.local_site import LocalSite
from tests.warcs import Record, page_address, shared_pages, story, write_warc

CAPTURED = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


def stored(location: IndexLocation, article_id: str) -> Article | None:
    """Return the article the index holds under an id."""
    with location.open().searcher() as searcher:
        fields = searcher.document(key=url_key(article_id))
    return article_from_fields(fields) if fields else None


@pytest.mark.slow
def test_every_shared_page_in_a_warc_is_indexed_as_its_loose_file_is(tmp_path):
    pages = shared_pages(shared_data("news_html"))
    warc = write_warc(tmp_path / "crawl.warc.gz", [Record(page_address(page), page.read_bytes()) for page in pages])
    loose = tmp_path / "loose"
    loose.mkdir()
    for number, page in enumerate(pages):
        shutil.copy(page, loose / f"{number:02d}.html")
    from_warc = rebuild(IndexLocation(tmp_path / "warc-index"), [warc])
    from_files = rebuild(IndexLocation(tmp_path / "file-index"), [loose])
    assert (from_warc.indexed, from_warc.skipped) == (from_files.indexed, from_files.skipped) == (len(pages), ())
    assert from_warc.files_by_kind == {"warc": 1} and from_warc.indexed_by_kind == {"warc": len(pages)}
    for page in pages:
        article = stored(IndexLocation(tmp_path / "warc-index"), page_address(page))
        assert article is not None, page
        assert article.url == page_address(page) and article.path == str(warc)
        assert article.captured == CAPTURED
        assert article.published is not None  # the page's own date, or the capture date standing in


def test_the_capture_date_stands_in_only_for_a_page_without_its_own_date(tmp_path):
    warc = write_warc(tmp_path / "two.warc.gz", [
        Record("https://news.example/undated", story("Undated ferry story", "undated"), date="2024-05-06T07:08:09Z"),
        Record("https://news.example/dated", story("Dated ferry story", "dated", date="2020-01-02T03:04:05Z")),
    ])
    location = IndexLocation(tmp_path / "index")
    assert rebuild(location, [warc]).indexed == 2
    undated, dated = stored(location, "https://news.example/undated"), stored(location, "https://news.example/dated")
    assert undated.published == undated.captured == datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert dated.published == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert dated.captured == CAPTURED


def test_records_that_are_not_pages_are_skipped_and_counted_by_reason(tmp_path):
    page = story("Harbour terminal opens", "terminal")
    warc = write_warc(tmp_path / "mixed.warc.gz", [
        Record("https://news.example/story", b"", record_type="request", content_type="application/http; msgtype=request"),
        Record("https://news.example/story", page),
        Record("https://news.example/logo.png", b"\x89PNG\r\n" + bytes(500), content_type="image/png"),
        Record("https://news.example/photo.jpg", bytes(500), content_type="image/jpeg"),
        Record("https://news.example/style.css", b"body{}", content_type="text/css"),
        Record("https://news.example/gone", b"<html><p>Not here</p></html>", status="404 Not Found"),
        Record("https://news.example/old", b"", status="301 Moved Permanently"),
        Record("https://news.example/story", b"", record_type="revisit", date="2024-04-01T00:00:00Z"),
        Record("https://news.example/empty", b""),
        Record("metadata://crawler/log.txt", b"crawl log", record_type="resource", content_type="text/plain"),
        Record("dns:news.example", b"news.example 300 IN A 127.0.0.1", record_type="response", content_type="text/dns"),
    ])
    summary = rebuild(IndexLocation(tmp_path / "index"), [warc])
    assert summary.indexed == 1
    assert summary.skipped_by_reason == {
        "not an HTML page (image/png)": 1,
        "not an HTML page (image/jpeg)": 1,
        "not an HTML page (text/css)": 1,
        "HTTP status 404, not 200": 1,
        "HTTP status 301, not 200": 1,
        "revisit record: the page was unchanged since an earlier capture": 1,
        "empty response": 1,
    }
    assert Skipped(f"{warc} https://news.example/logo.png", "not an HTML page (image/png)") in summary.skipped


def test_only_the_newest_capture_of_an_address_is_indexed_and_exact_repeats_are_duplicates(tmp_path):
    first, second = story("Ferry terminal delayed", "delayed"), story("Ferry terminal opens", "opens")
    warc = write_warc(tmp_path / "captures.warc.gz", [
        Record("https://news.example/ferry", first, date="2024-01-01T00:00:00Z"),
        Record("https://news.example/ferry", second, date="2024-02-01T00:00:00Z"),
        Record("https://news.example/ferry", second, date="2024-03-01T00:00:00Z"),
        Record("https://news.example/ferry?utm_source=feed", second, date="2024-03-02T00:00:00Z"),
    ])
    items = list(read_sources([warc]))
    articles = [item for item in items if isinstance(item, Article)]
    assert [(a.id, a.title, a.captured.month) for a in articles] == [
        ("https://news.example/ferry", "Ferry terminal opens", 3),
        ("https://news.example/ferry?utm_source=feed", "Ferry terminal opens", 3),
    ]
    assert Skipped(f"{warc} https://news.example/ferry", "replaced by a later capture of the same address") in items
    assert Duplicate(f"{warc} https://news.example/ferry", "https://news.example/ferry") in items
    summary = rebuild(IndexLocation(tmp_path / "index"), [warc])
    # The same text under another address is a duplicate too, as for any two files.
    assert (summary.indexed, summary.duplicates, len(summary.skipped)) == (1, 2, 1)


def test_a_damaged_archive_keeps_the_pages_before_the_damage(tmp_path):
    records = [Record(f"https://news.example/{n}", story(f"Story number {n}", f"word{n}")) for n in range(6)]
    whole = write_warc(tmp_path / "whole.warc.gz", records).read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    summary = rebuild(IndexLocation(tmp_path / "index"), [cut])
    assert 2 <= summary.indexed < 6
    assert [item.reason for item in summary.skipped] == ["damaged web archive: the file ends inside this record"]
    scrambled = bytearray(whole)
    scrambled[len(whole) // 2 : len(whole) // 2 + 40] = bytes(40)
    cut.write_bytes(bytes(scrambled))
    items = list(read_sources([cut]))
    assert [type(item) for item in items[:2]] == [Article, Article]
    assert items[-1].reason.startswith("damaged web archive: what follows record")
    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"this is not a web archive at all\n" * 10)
    [skipped] = read_sources([garbage])
    assert skipped == Skipped(str(garbage), "not a web archive (it does not start with a WARC record)")


def test_uncompressed_warc_and_wacz_bundles_are_read(tmp_path):
    plain = write_warc(tmp_path / "plain.warc", [Record("https://news.example/plain", story("Plain archive story", "plain"))], gzip=False)
    inner = write_warc(tmp_path / "inner.warc.gz", [Record("https://news.example/bundled", story("Bundled archive story", "bundled"))])
    bundle = tmp_path / "sources" / "crawl.wacz"
    bundle.parent.mkdir()
    with zipfile.ZipFile(bundle, "w") as wacz:
        wacz.write(inner, "archive/data.warc.gz")
        wacz.writestr("datapackage.json", '{"profile": "data-package"}')
        wacz.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n')
    shutil.move(plain, bundle.parent / plain.name)
    location = IndexLocation(tmp_path / "index")
    summary = rebuild(location, [bundle.parent])
    assert (summary.indexed, summary.skipped, summary.files_by_kind) == (2, (), {"warc": 2})
    assert stored(location, "https://news.example/bundled").title == "Bundled archive story"
    assert stored(location, "https://news.example/plain").title == "Plain archive story"


def test_a_page_over_the_time_limit_inside_a_warc_is_skipped_and_the_rest_are_read(tmp_path):
    # 500 stacks of 200 nested <div>s: lxml reads it, trafilatura takes about 20 s over it.
    stacks = (b"<div>" * 200 + b"<p>deep text</p>" + b"</div>" * 200) * 500
    nested = b"<html><title>Nested</title><body><article>" + stacks + b"</article></body></html>"
    warc = write_warc(tmp_path / "hostile.warc.gz", [
        Record("https://news.example/before", story("Before the nested page", "before")),
        Record("https://news.example/nested", nested),
        Record("https://news.example/after", story("After the nested page", "after")),
    ])
    summary = rebuild(IndexLocation(tmp_path / "index"), [warc], time_limit=1)
    assert summary.indexed == 2
    assert summary.skipped == (Skipped(f"{warc} https://news.example/nested", "took longer than 1 s to extract"),)


def test_the_pages_of_one_archive_are_parsed_on_every_worker_and_kept_in_record_order(tmp_path, monkeypatch):
    real_parse_html = archive.html.parse_html

    def parse_html(data, **kwargs):
        time.sleep(0.3 if kwargs["article_id"].endswith("/0") else 0.1)  # the first page finishes last
        article = real_parse_html(data, **kwargs)
        return dataclasses.replace(article, title=f"{article.title} by {os.getpid()}")

    monkeypatch.setattr(archive.html, "parse_html", parse_html)  # the workers are forked: they inherit it
    warc = write_warc(tmp_path / "crawl.warc.gz", [
        Record(f"https://news.example/{n}", story(f"Story number {n}", f"word{n}")) for n in range(5)
    ])
    location = IndexLocation(tmp_path / "index")
    assert rebuild(location, [warc], page_workers=2).indexed == 5
    with location.open().searcher() as searcher:
        titles = [fields["title"] for fields in searcher.all_stored_fields()]  # in the order they were written
    assert [title.split(" by ")[0] for title in titles] == [f"Story number {n}" for n in range(5)]
    assert len({title.split(" by ")[1] for title in titles}) == 2


def test_update_reads_a_changed_archive_again(tmp_path):
    folder = tmp_path / "sources"
    folder.mkdir()
    warc = folder / "crawl.warc.gz"
    write_warc(warc, [Record("https://news.example/a", story("First ferry story", "first"))])
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [folder])
    write_warc(warc, [Record("https://news.example/b", story("Second ferry story", "second"))])
    summary = update(location, [folder])
    assert (summary.indexed, summary.unchanged) == (1, 0)
    assert stored(location, "https://news.example/a") is None
    assert stored(location, "https://news.example/b").title == "Second ferry story"


def test_reading_a_large_archive_streams_record_by_record(tmp_path):
    video = bytes(200 * 1024 * 1024)
    warc = write_warc(tmp_path / "big.warc", [
        Record("https://news.example/video.mp4", video, content_type="video/mp4"),
        Record("https://news.example/story", story("Story after the video", "video")),
    ], gzip=False)
    del video
    tracemalloc.start()
    try:
        items = list(read_sources([warc]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(item) for item in items] == [Skipped, Article]
    assert peak < 20 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB held while reading a 200 MB record"


@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed (.ci/run installs it)")
def test_a_warc_written_by_wget_is_indexed(tmp_path):
    pages = shared_pages(shared_data("news_html"))[:6]
    with LocalSite({f"{number}.html": page.read_bytes() for number, page in enumerate(pages)}) as site:
        addresses = [site.url(f"/pages/{number}.html") for number in range(len(pages))] + [site.url("/missing")]
        (tmp_path / "urls.txt").write_text("\n".join(addresses) + "\n", encoding="utf-8")
        crawl = subprocess.run(
            ["wget", "--quiet", "--tries=1", "--timeout=10", "--warc-file=crawl", "--input-file=urls.txt", "--directory-prefix=files"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
    assert crawl.returncode == 8, crawl.stderr  # 8: the server answered an error (the 404), as asked
    warc = tmp_path / "crawl.warc.gz"
    with gzip.open(warc, "rb") as handle:
        assert b"WARC-Type: request" in handle.read()
    location = IndexLocation(tmp_path / "index")
    summary = rebuild(location, [warc])
    assert summary.indexed == len(pages)
    assert summary.skipped_by_reason == {"HTTP status 404, not 200": 1}
    first = stored(location, addresses[0])
    assert first is not None and first.url == addresses[0] and first.captured is not None
