"""The per-file time limit on web pages: a slow or crashing page is skipped, the run goes on."""

from __future__ import annotations

import faulthandler
import os
import signal
import time
from pathlib import Path

import pytest

import archive.html
from archive.model import Skipped
from index.storage import IndexLocation
from index.writing import rebuild
from tests.test_html import page

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
