"""Shared fixtures: the real corpora in ../shared/data, an app on a temporary index, and its clients."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.storage import IndexLocation
from index.writing import BuildSummary, rebuild
from web import create_app

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "seeds"
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """Return a folder of ../shared/data; skip when it is absent, fail when ARCHIVE_REQUIRE_SHARED=1."""
    path = SHARED_DATA / name
    if not path.exists():
        message = f"{path} is not available"
        if os.environ.get("ARCHIVE_REQUIRE_SHARED") == "1":
            pytest.fail(message + " and ARCHIVE_REQUIRE_SHARED=1")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def bbc_news() -> Path:
    """Return the BBC News corpus folder."""
    return shared_data("bbc_news")


@pytest.fixture(scope="session")
def bbc_build(tmp_path_factory, bbc_news) -> tuple[IndexLocation, BuildSummary]:
    """Return an index of BBC News and its build summary, built once for the session (do not write to it)."""
    location = IndexLocation(tmp_path_factory.mktemp("bbc") / "index")
    return location, rebuild(location, [bbc_news])


@pytest.fixture(scope="session")
def bbc_index(bbc_build) -> IndexLocation:
    """Return the session's BBC News index."""
    return bbc_build[0]


@pytest.fixture
def seed_index(tmp_path) -> IndexLocation:
    """Return a fresh index of the seeds."""
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    return location


@pytest.fixture
def app(tmp_path):
    """Return an app whose index (not built yet) and sources live in a temporary folder."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    return create_app({"TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(sources)]})


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner for the app's commands."""
    return app.test_cli_runner()
