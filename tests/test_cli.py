"""The `archive` command line, through Click's runner on the app's commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from index.storage import IndexLocation
from tests.conftest import REPOSITORY, lock_holder


def test_rebuild_then_search_finds_the_seed_in_world(runner, app):
    rebuilt = runner.invoke(args=["rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed                     1" in rebuilt.output
    assert "documents per second" in rebuilt.output
    found = runner.invoke(args=["search", "istanbul", "--category", "world"])
    assert found.exit_code == 0, found.output
    assert "Russia, Ukraine Hold First Direct Talks In Istanbul" in found.output
    assert "1-1 of 1 articles" in found.output
    elsewhere = runner.invoke(args=["search", "istanbul", "--category", "sport"])
    assert "No articles found." in elsewhere.output


def test_search_json(runner):
    runner.invoke(args=["rebuild"])
    result = runner.invoke(args=["search", "istanbul", "--json"])
    data = json.loads(result.output)
    assert data["total"] == 1
    assert data["hits"][0]["category"] == "world"
    assert "<mark>Istanbul</mark>" in data["hits"][0]["snippet"]
    assert [facet["name"] for facet in data["facets"]] == ["category", "source", "authors", "year", "tags"]


def test_search_before_any_rebuild_says_what_to_do(runner):
    result = runner.invoke(args=["search", "istanbul"])
    assert result.exit_code == 1
    assert "archive rebuild" in result.output
    assert "Traceback" not in result.output


def test_rebuild_of_nothing_fails_and_keeps_the_index(runner, tmp_path):
    runner.invoke(args=["rebuild"])
    result = runner.invoke(args=["rebuild", str(tmp_path / "nowhere"), "--verbose"])
    assert result.exit_code == 1
    assert "not found" in result.output
    assert "previous index was kept" in result.output
    assert "1-1 of 1" in runner.invoke(args=["search", "istanbul"]).output


def test_rebuild_with_bad_files_exits_zero_and_counts_reasons(runner, app, tmp_path):
    sources = tmp_path / "mixed"
    sources.mkdir()
    (sources / "good.txt").write_text("Good news\n\nSomething happened.", encoding="utf-8")
    (sources / "empty.txt").write_text("", encoding="utf-8")
    (sources / "junk.html").write_bytes(b"\x00\x01\x02" * 100)
    result = runner.invoke(args=["rebuild", str(sources)])
    assert result.exit_code == 0, result.output
    assert "1  empty file" in result.output
    assert "1  binary file, not text" in result.output


def test_update_reports_changes(runner, app):
    runner.invoke(args=["rebuild"])
    source = app.config["SOURCES"][0]
    with open(f"{source}/extra.txt", "w", encoding="utf-8") as handle:
        handle.write("Extra story\n\nA capybara was seen.\nsport")
    result = runner.invoke(args=["update"])
    assert result.exit_code == 0, result.output
    assert "indexed                     1" in result.output
    assert "unchanged                   1" in result.output
    assert "1-1 of 1" in runner.invoke(args=["search", "capybara", "-c", "sport"]).output


def test_second_writer_is_refused_with_a_message(runner, app):
    runner.invoke(args=["rebuild"])
    with lock_holder(IndexLocation(Path(app.config["INDEX_PATH"]))) as holder:
        result = runner.invoke(args=["rebuild"])
    assert result.exit_code == 1
    assert f"being written by process {holder.pid}" in result.output
    assert "Traceback" not in result.output


def test_stats(runner):
    runner.invoke(args=["rebuild"])
    result = runner.invoke(args=["stats"])
    assert result.exit_code == 0, result.output
    assert "Documents   1" in result.output
    assert "Categories  World (1)" in result.output


def test_console_script_uses_environment_for_index_and_sources(tmp_path):
    sources = tmp_path / "articles"
    sources.mkdir()
    (sources / "a.txt").write_text("Llamas\n\nLlamas escaped.\nworld", encoding="utf-8")
    env = {"PATH": "", "HOME": str(tmp_path), "ARCHIVE_INDEX": str(tmp_path / "ix"), "ARCHIVE_SOURCES": str(sources)}
    command = [sys.executable, "-c", "from web.cli import main; main()"]
    built = subprocess.run(command + ["rebuild"], cwd=REPOSITORY, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    found = subprocess.run(command + ["search", "llamas"], cwd=REPOSITORY, env=env, capture_output=True, text=True)
    assert "Llamas" in found.stdout
    assert (tmp_path / "ix" / "CURRENT").exists()
