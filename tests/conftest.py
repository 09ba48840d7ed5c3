"""Shared fixtures: the real corpora in ../shared/data, an app on a temporary index, and its clients."""

from __future__ import annotations

import json
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
    return create_app({
        "TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(sources)], "CAPTURES_PATH": str(tmp_path / "captures"),
    })


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner for the app's commands."""
    return app.test_cli_runner()


# Real words so queries match, and text that must stay inert (markup, quotes, RTL, astral) in every field.
ODD_WORDS = ["istanbul", "peace", "talks", "russia", "ukraine", "war", "trump", "market", "football", "the", "a", "2024"]
ODD_CATEGORIES = ["world", "business", "sport", "tech", "politics"]
ODD_TEXT = ["<script>alert(1)</script>", "O'Brien & \"Sons\"", "שלום עולם", "مرحبا بالعالم", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦜", "naïve café"]


def odd_article(number: int) -> dict:
    """Return one generated article record with awkward text in every metadata field."""
    odd = ODD_TEXT[number % len(ODD_TEXT)]
    words = " ".join(ODD_WORDS[(number + offset) % len(ODD_WORDS)] for offset in range(8))
    return {
        "id": f"https://example.org/news/{number}?a=1&b=<{number}>",
        "title": f"{odd} {words} {number}",
        "body": [f"{words} {odd}. Paragraph {paragraph} of article {number}." for paragraph in range(3)],
        "category": ODD_CATEGORIES[number % len(ODD_CATEGORIES)],
        "published": ["1900-01-01", "2023-06-15T08:30:00Z", "2024-02-29", "2999-12-31", None][number % 5],
        "authors": [odd, f"Reporter {number % 3}"],
        "source": ["BBC News", odd, "Example Times"][number % 3],
        "url": ["javascript:alert(1)", f"https://example.org/{number}", ""][number % 3],
        "tags": [odd, ODD_WORDS[number % len(ODD_WORDS)]],
    }


@pytest.fixture(scope="session")
def odd_index(tmp_path_factory) -> IndexLocation:
    """Return an index of the seeds and 30 generated articles with awkward metadata (do not write to it)."""
    folder = tmp_path_factory.mktemp("odd")
    sources = folder / "sources"
    sources.mkdir()
    records = "\n".join(json.dumps(odd_article(number), ensure_ascii=False) for number in range(30))
    (sources / "odd.jsonl").write_text(records + "\n", encoding="utf-8")
    location = IndexLocation(folder / "index")
    rebuild(location, [SEEDS, sources])
    return location
