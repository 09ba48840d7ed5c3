"""The page workers: a slow or crashing page is skipped, the run goes on; pages are parsed on every core, in order."""

from __future__ import annotations

import dataclasses
import faulthandler
import os
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import archive.html
from archive.model import Skipped
from archive.page_workers import PageBytes, PagePool
from index.storage import IndexLocation
from index.writing import rebuild
from tests.test_html import FILLER, page

SLOW_SECONDS = 60  # far beyond every limit below: only killing the worker ends such a page in time


def _write_pages(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.html").write_text(page(f"<title>Story {name}</title>", f"<h1>Story {name}</h1>"), encoding="utf-8")


@pytest.fixture
def misbehaving_parser(monkeypatch):
    """Make parse_html hang on slow*.html and crash the process on crash*.html (the worker is forked, so it inherits this)."""
    real_parse_html = archive.html.parse_html

    def parse_html(data, *, relative_path, **kwargs):
        if relative_path.startswith("slow"):
            time.sleep(SLOW_SECONDS)
        if relative_path.startswith("crash"):
            faulthandler.disable()  # pytest's dump of the crash would only clutter the output
            os.kill(os.getpid(), signal.SIGSEGV)
        if relative_path.startswith("pause"):
            time.sleep(0.4)
        return real_parse_html(data, relative_path=relative_path, **kwargs)

    monkeypatch.setattr(archive.html, "parse_html", parse_html)


def test_a_page_over_the_time_limit_is_skipped_and_the_next_pages_are_read(tmp_path, misbehaving_parser):
    _write_pages(tmp_path / "pages", ["a", "slow", "z"])
    started = time.monotonic()
    summary = rebuild(IndexLocation(tmp_path / "index"), [tmp_path / "pages"], time_limit=1)
    assert time.monotonic() - started < SLOW_SECONDS / 2
    assert summary.indexed == 2
    assert summary.skipped == (Skipped(str(tmp_path / "pages" / "slow.html"), "took longer than 1 s to extract"),)


def test_a_page_that_crashes_the_parser_process_is_skipped(tmp_path, misbehaving_parser):
    _write_pages(tmp_path / "pages", ["a", "crash", "z"])
    summary = rebuild(IndexLocation(tmp_path / "index"), [tmp_path / "pages"])
    assert summary.indexed == 2
    assert summary.skipped == (Skipped(str(tmp_path / "pages" / "crash.html"), "the page parser crashed on it"),)


def test_the_limit_is_per_file_not_per_run(tmp_path, misbehaving_parser):
    _write_pages(tmp_path / "pages", [f"pause{number}" for number in range(4)])  # 1.6 s in all, 0.4 s each
    summary = rebuild(IndexLocation(tmp_path / "index"), [tmp_path / "pages"], time_limit=1)
    assert (summary.indexed, summary.skipped) == (4, ())


def test_rebuild_and_update_take_the_limit_from_the_command_line(runner, app, tmp_path, misbehaving_parser):
    sources = Path(app.config["SOURCES"][0])
    _write_pages(sources, ["slow"])
    result = runner.invoke(args=["rebuild", "--time-limit", "0.5", "-v"])
    assert result.exit_code == 0, result.output
    assert f"skipped {sources / 'slow.html'}: took longer than 0.5 s to extract" in result.output
    _write_pages(sources, ["slow-too"])
    result = runner.invoke(args=["update", "--time-limit", "0.5", "-v"])
    assert f"skipped {sources / 'slow-too.html'}: took longer than 0.5 s to extract" in result.output


def test_a_time_limit_that_is_not_a_positive_number_is_refused(runner):
    for value in ("0", "-1", "soon"):
        result = runner.invoke(args=["rebuild", "--time-limit", value])
        assert result.exit_code == 2
        assert "--time-limit" in result.output


# --- the pool ----------------------------------------------------------------------------------


def _page_jobs(names: list[str], **known) -> list[PageBytes]:
    """Return in-memory pages named like the files of _write_pages."""
    return [
        PageBytes(page(f"<title>Story {name}</title>").encode(), relative_path=name, origin=f"record:{name}", **known)
        for name in names
    ]


def test_pages_are_parsed_on_every_worker_and_come_back_in_order(monkeypatch):
    real_parse_html = archive.html.parse_html

    def parse_html(data, **kwargs):
        time.sleep(0.3 if kwargs["relative_path"] == "first" else 0.1)  # the first page finishes last
        article = real_parse_html(data, **kwargs)
        return dataclasses.replace(article, title=f"{article.title} by {os.getpid()}")

    monkeypatch.setattr(archive.html, "parse_html", parse_html)
    names = ["first", "b", "c", "d", "e"]
    with PagePool(workers=2) as pool:
        titles = [article.title for article in pool.parse(_page_jobs(names))]
    assert [title.split(" by ")[0] for title in titles] == [f"Story {name}" for name in names]
    assert len({title.split(" by ")[1] for title in titles}) == 2


def test_each_worker_keeps_the_time_limit_and_is_replaced_after_a_kill(misbehaving_parser):
    names = ["a", "slow1", "b", "slow2", "c", "crash", "d"]
    started = time.monotonic()
    with PagePool(workers=2, time_limit=1) as pool:
        outcomes = list(pool.parse(_page_jobs(names)))
    assert time.monotonic() - started < SLOW_SECONDS / 2
    assert [getattr(outcome, "title", None) for outcome in outcomes] == [
        "Story a", None, "Story b", None, "Story c", None, "Story d"
    ]
    assert [outcome for outcome in outcomes if isinstance(outcome, Skipped)] == [
        Skipped("record:slow1", "took longer than 1 s to extract"),
        Skipped("record:slow2", "took longer than 1 s to extract"),
        Skipped("record:crash", "the page parser crashed on it"),
    ]


def test_a_page_in_memory_carries_what_is_known_of_it():
    known = datetime(2020, 5, 6, tzinfo=timezone.utc)
    job = PageBytes(
        page("<title>From a crawl</title>").encode(),
        relative_path="crawl.warc.gz/3",
        origin="/data/crawl.warc.gz#3",
        url="https://ex.com/world/story",
        published=known,
    )
    with PagePool(workers=1) as pool:
        (article,) = pool.parse([job])
    assert (article.title, article.url, article.id) == ("From a crawl", "https://ex.com/world/story", "https://ex.com/world/story")
    assert (article.published, article.path, article.category) == (known, "/data/crawl.warc.gz#3", "world")
    with PagePool(workers=1) as pool:
        (with_id,) = pool.parse([dataclasses.replace(job, article_id="urn:entry:1")])
    assert with_id.id == "urn:entry:1"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"  \n", "empty page"), (b"<p>" * 20, "no title and no article text found"), (b"x" * (2 * 1024 * 1024), "larger than the 1 MB limit")],
)
def test_a_page_in_memory_that_is_no_article_is_skipped_with_its_reason(data, reason):
    job = PageBytes(data, relative_path="r", origin="feed.xml#entry-2")
    with PagePool(workers=1, max_bytes=1024 * 1024) as pool:
        assert list(pool.parse([job])) == [Skipped("feed.xml#entry-2", reason)]


def test_rebuild_reads_pages_in_the_order_found_between_text_files(tmp_path):
    """The first of two files with the same article is the one indexed, whichever kind each is."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for number, kind, title in [(1, "html", "Park"), (2, "txt", "Park"), (3, "txt", "Roads"), (4, "html", "Roads")]:
        text = page(f"<title>{title}</title>") if kind == "html" else title + "\n\n" + "\n\n".join(FILLER)
        (sources / f"{number}.{kind}").write_text(text, encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    summary = rebuild(location, [sources], page_workers=2)
    assert (summary.indexed, summary.duplicates) == (2, 2)
    with location.open().searcher() as searcher:
        assert sorted(Path(fields["path"]).name for fields in searcher.all_stored_fields()) == ["1.html", "3.txt"]
