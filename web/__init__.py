"""The web interface and the command line, built on an application factory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click
import platformdirs
from flask import Flask, Response

from archive.categories import DEFAULT_CONFIDENCE
from archive.page_workers import DEFAULT_TIME_LIMIT
from index import DEFAULT_CACHE_MB, TIME_LIMIT_SECONDS, CacheBudget, open_backend

PACKAGE = Path(__file__).resolve().parent
DISTRIBUTION = "news-archive"  # the name pip installs the archive under

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Defaults:
    """Where the archive keeps its settings and index, and the sample articles it indexes when given none."""

    instance: Path  # holds config.py and, unless configured otherwise, the index
    seeds: Path


def defaults(package: Path = PACKAGE) -> Defaults:
    """Return the checkout's instance/ and seeds/ when run from a clone (as with `pip install -e`), else a
    per-user data folder and the sample articles installed inside the package."""
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "seeds").is_dir():
        return Defaults(instance=checkout / "instance", seeds=checkout / "seeds")
    return Defaults(instance=platformdirs.user_data_path(DISTRIBUTION, appauthor=False), seeds=package / "seeds")


def create_app(test_config: dict | None = None) -> Flask:
    """Create the archive application: defaults, then instance config, environment, then test config."""
    where = defaults()
    app = Flask(__name__, instance_path=str(where.instance), instance_relative_config=True)
    app.config.from_mapping(
        INDEX_PATH=str(where.instance / "index"),
        SOURCES=[str(where.seeds)],
        MAX_FILE_MB=10,
        SEARCH_TIME_LIMIT=TIME_LIMIT_SECONDS,  # seconds; a search past it answers with partial results
        EXTRACTION_TIME_LIMIT=DEFAULT_TIME_LIMIT,  # seconds to read one saved page before it is skipped
        CACHE_MB=DEFAULT_CACHE_MB,  # what each serving process keeps in its search caches
        BACKEND="whoosh",  # or "xapian": shards served by xapian-tcpsrv, listed in the TOPOLOGY file
        TOPOLOGY=None,
        CAPTURES_PATH=str(where.instance / "captures"),  # WARC files of pages added with `archive add`
        FETCH_TIMEOUT=30.0,  # seconds `archive add` waits for a silent server
        PUBLIC_URL="http://127.0.0.1:8000",  # where `archive serve` is reached, for the addresses `archive add` prints
        CSV_COLUMNS={},  # other header names of CSV/TSV columns: {"headline_text": "title"}
        CSV_FILES={},  # layouts of CSV/TSV files by pattern: {"ag_news/*.csv": {"columns": [...], "categories": {...}}}
        CATEGORIES={},  # folder, section or URL names mapped to a category ("ars-1": "tech"), or to None to ignore one
        PREDICT_CATEGORIES=True,  # learn categories from the labelled articles and predict the others'
        CATEGORY_CONFIDENCE=DEFAULT_CONFIDENCE,  # a predicted category below this probability is not kept
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("ARCHIVE_INDEX"):
            app.config["INDEX_PATH"] = os.environ["ARCHIVE_INDEX"]
        if os.environ.get("ARCHIVE_SOURCES"):
            app.config["SOURCES"] = os.environ["ARCHIVE_SOURCES"].split(os.pathsep)
        if os.environ.get("ARCHIVE_CACHE_MB"):
            app.config["CACHE_MB"] = _megabytes("ARCHIVE_CACHE_MB", os.environ["ARCHIVE_CACHE_MB"])
        for name in ("BACKEND", "TOPOLOGY"):
            if os.environ.get(f"ARCHIVE_{name}"):
                app.config[name] = os.environ[f"ARCHIVE_{name}"]
        if os.environ.get("ARCHIVE_CAPTURES"):
            app.config["CAPTURES_PATH"] = os.environ["ARCHIVE_CAPTURES"]
    else:
        app.config.from_mapping(test_config)
    if isinstance(app.config["SOURCES"], str):
        app.config["SOURCES"] = app.config["SOURCES"].split(os.pathsep)

    budget = CacheBudget.of_megabytes(app.config["CACHE_MB"])
    app.extensions["archive"] = open_backend(app.config["BACKEND"], Path(app.config["INDEX_PATH"]), topology_path(app), budget)

    from web import api, cli, errors, views

    # Werkzeug answers a doubled slash (an article key starting with an encoded /) with an HTML redirect,
    # which the API does not describe; without merging, such a URL is a plain 404 in the right format.
    app.url_map.merge_slashes = False
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    errors.register(app)
    cli.register(app)
    app.after_request(_add_security_headers)
    return app


def _megabytes(name: str, value: str) -> float:
    """Return a setting given in megabytes, or stop with a message naming it."""
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = -1.0
    if not 0 <= megabytes < float("inf"):
        raise click.UsageError(f"{name} must be a number of megabytes, such as 128, not {value!r}.")
    return megabytes


def topology_path(app: Flask) -> Path | None:
    """Return the topology file, relative to the instance folder unless absolute."""
    topology = app.config["TOPOLOGY"]
    return Path(app.instance_path) / topology if topology else None


def _add_security_headers(response: Response) -> Response:
    """Set the headers that keep injected content inert."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
