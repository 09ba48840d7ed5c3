"""The JSON API: the same searches and articles as the pages, and its OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from web.openapi import openapi_document
from web.params import clean_query, search_request
from web.serialize import article_page_to_dict, search_result_to_dict
from web.views import backend

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search_json():
    """Return a search as JSON, with the parameters of the search page."""
    return jsonify(search_result_to_dict(backend().search(search_request(request.args, current_app.config["SEARCH_TIME_LIMIT"]))))


@bp.get("/articles/<key>")
def article_json(key: str):
    """Return one article as JSON."""
    page = backend().article(key, clean_query(request.args.get("q", "")))
    if page is None:
        abort(404, description="There is no article with that key in the archive.")
    return jsonify(article_page_to_dict(page))


@bp.get("/openapi.json")
def openapi():
    """Return the OpenAPI description of this API."""
    return jsonify(openapi_document())
