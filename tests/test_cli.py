"""The `archive` command line, through Click's runner on the app's commands."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from click.testing import CliRunner

from index.storage import IndexLocation
from tests.conftest import REPOSITORY, lock_holder, running_archive
from web import Defaults, create_app, defaults
from web.cli import archive_command


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
    assert [facet["name"] for facet in data["facets"]] == ["category", "source", "language", "authors", "year", "tags"]


def test_search_before_any_rebuild_says_what_to_do(runner):
    result = runner.invoke(args=["search", "istanbul"])
    assert result.exit_code == 1
    assert "archive rebuild" in result.output
    assert "Traceback" not in result.output


def test_rebuild_of_nothing_fails_names_the_paths_tried_and_keeps_the_index(runner, tmp_path):
    runner.invoke(args=["rebuild"])
    nowhere, empty = tmp_path / "nowhere", tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(args=["rebuild", str(nowhere), str(empty), "--verbose"])
    assert result.exit_code == 1
    assert f"skipped {nowhere}: not found" in result.output
    assert f"No article could be read from {nowhere}, {empty}, so the previous index was kept" in result.output
    assert "1-1 of 1" in runner.invoke(args=["search", "istanbul"]).output


def test_rebuild_without_sources_names_the_configured_sources_it_tried(app, tmp_path):
    missing = tmp_path / "moved-away"
    app.config["SOURCES"] = [str(missing)]
    result = app.test_cli_runner().invoke(args=["rebuild"])
    assert result.exit_code == 1
    assert f"No article could be read from {missing}" in result.output


def test_update_that_finds_no_file_names_the_sources(runner, tmp_path):
    runner.invoke(args=["rebuild"])
    result = runner.invoke(args=["update", str(tmp_path / "unmounted")])
    assert result.exit_code == 0, result.output
    assert f"No article could be read from {tmp_path / 'unmounted'}: no file was found there" in result.output
    assert "1-1 of 1" in runner.invoke(args=["search", "istanbul"]).output  # a missing source deletes nothing


def test_serve_with_nothing_to_read_names_the_sources_and_still_starts(tmp_path):
    missing = tmp_path / "missing"
    with running_archive(tmp_path / "index", env={"ARCHIVE_SOURCES": str(missing)}) as archive:
        with pytest.raises(HTTPError) as unavailable:
            urlopen(archive.url + "/")
        assert unavailable.value.code == 503
        assert "archive rebuild" in unavailable.value.read().decode()
    output = "".join(archive.output)
    assert f"No index yet: building one from {missing}" in output
    assert f"No article could be read from {missing}" in output
    assert "Traceback" not in output


def test_search_has_the_configured_time_limit(bbc_index):
    def search_json(time_limit: float) -> dict:
        app = create_app({"TESTING": True, "INDEX_PATH": str(bbc_index.root), "SEARCH_TIME_LIMIT": time_limit})
        result = app.test_cli_runner().invoke(args=["search", "elect* OR minist*", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    complete, cut = search_json(60.0), search_json(0.0)
    assert not complete["partial"] and cut["partial"]
    assert cut["total"] < complete["total"]
    app = create_app({"TESTING": True, "INDEX_PATH": str(bbc_index.root), "SEARCH_TIME_LIMIT": 0.0})
    assert "Partial results" in app.test_cli_runner().invoke(args=["search", "elect* OR minist*"]).output


def test_version_is_the_one_in_pyproject():
    version = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    result = CliRunner().invoke(archive_command, ["--version"], prog_name="archive")
    assert result.exit_code == 0
    assert result.output == f"archive {version}\n"


def test_a_checkout_keeps_its_instance_folder_and_seeds():
    assert defaults() == Defaults(instance=REPOSITORY / "instance", seeds=REPOSITORY / "seeds")


def test_an_installed_package_uses_a_per_user_folder_and_its_own_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    package = tmp_path / "site-packages" / "web"
    (package / "seeds").mkdir(parents=True)
    assert defaults(package) == Defaults(instance=tmp_path / "data" / "news-archive", seeds=package / "seeds")


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
