"""Error pages and JSON errors: a clear message and what to do next, never a traceback."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from index import IndexUnavailable, IndexUnreadable, ShardsUnavailable

TITLES = {400: "That request could not be read", 404: "Not found", 405: "Not allowed", 503: "The archive is not ready"}
NO_INDEX = "The archive has no usable index yet. Whoever runs it can build one with: archive rebuild"
UNREADABLE_INDEX = "The archive's index is unreadable (damaged or incomplete). Whoever runs it can rebuild it with: archive rebuild"
SHARDS_DOWN = "The archive's search servers are not answering. Try again in a moment; whoever runs it can check them with: archive shards status"
RETRY_AFTER_SECONDS = 5


def register(app: Flask) -> None:
    """Install the error handlers on the app."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IndexUnavailable, _index_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _http_error(error: HTTPException) -> Response:
    """Render an HTTP error as a page, or as JSON under /api."""
    return _respond(error.code or 500, error.description or "")


def _index_unavailable(error: IndexUnavailable) -> Response:
    """Say that there is no usable index and how to build one; only the log says where (visitors need not know paths)."""
    current_app.logger.warning("%s", error)
    if isinstance(error, ShardsUnavailable):
        response = _respond(503, SHARDS_DOWN)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _respond(503, UNREADABLE_INDEX if isinstance(error, IndexUnreadable) else NO_INDEX)


def _unexpected(error: Exception) -> Response:
    """Log an unexpected failure and answer with a plain 500 page."""
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("Unhandled error on %s", request.path)
    return _respond(500, InternalServerError.description)


def _respond(status: int, message: str) -> Response:
    """Return the error as JSON for the API and as a page elsewhere."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": message, "status": status})
    else:
        response = Response(
            render_template("error.html", status=status, title=TITLES.get(status, "Something went wrong"), message=message)
        )
    response.status_code = status
    return response
