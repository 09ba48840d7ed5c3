"""The web interface and the command line, built on an application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from index.snapshot import LiveIndex
from index.storage import IndexLocation

REPOSITORY = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create the archive application: defaults, then instance config, environment, then test config."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        INDEX_PATH=os.path.join(app.instance_path, "index"),
        SOURCES=[str(REPOSITORY / "seeds")],
        MAX_FILE_MB=10,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("ARCHIVE_INDEX"):
            app.config["INDEX_PATH"] = os.environ["ARCHIVE_INDEX"]
        if os.environ.get("ARCHIVE_SOURCES"):
            app.config["SOURCES"] = os.environ["ARCHIVE_SOURCES"].split(os.pathsep)
    else:
        app.config.from_mapping(test_config)

    app.extensions["archive"] = LiveIndex(IndexLocation(Path(app.config["INDEX_PATH"])))

    from web import cli

    cli.register(app)
    return app
