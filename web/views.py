"""The pages people use: search, article, Atom feed, OpenSearch description and suggestions."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for

from archive.categories import category_label
from index import Backend
from web import presenting
from web.params import FIELD_PARAMETERS, clean_query, search_request

bp = Blueprint("views", __name__)

FEED_ENTRIES = 30


def backend() -> Backend:
    """Return the app's search backend (its IndexUnavailable becomes a 503 page in the error handlers)."""
    return current_app.extensions["archive"]


@bp.get("/", endpoint="search")
def search_page():
    """Show ranked results with facets, or the newest articles for an empty query."""
    wanted = search_request(request.args, current_app.config["SEARCH_TIME_LIMIT"])
    result = backend().search(wanted)
    return render_template(
        "search.html",
        request_=wanted,
        result=result,
        facets=presenting.facet_views(result, wanted),
        chips=presenting.chips(result, wanted),
        predicted_links=presenting.predicted_links(result, wanted),
        pages=presenting.page_links(result, wanted),
        alternatives=presenting.alternatives(result, wanted),
        previous_url=presenting.search_url(wanted, page=result.page - 1 if result.page > 2 else None) if result.page > 1 else None,
        next_url=presenting.search_url(wanted, page=result.page + 1) if result.page < result.page_count else None,
        feed_url=presenting.search_url(wanted, "views.feed", page=None, sort=None),
        search_url=presenting.search_url,
    )


@bp.get("/articles/<key>")
def article(key: str):
    """Show one article with the query's words marked and similar articles."""
    query = clean_query(request.args.get("q", ""))
    page = backend().article(key, query)
    if page is None:
        abort(404, description="There is no article with that address in the archive.")
    back_url = request.args.get("back", "")
    return render_template("article.html", page=page, query=query, back_url=back_url if back_url.startswith("/?") or back_url == "/" else "")


@bp.get("/search.atom")
def feed():
    """Return an Atom feed of a search, newest first."""
    wanted = search_request(request.args, current_app.config["SEARCH_TIME_LIMIT"])
    result = backend().search(replace(wanted, sort="newest", page=1, per_page=FEED_ENTRIES, with_facets=False))
    updated = max((hit.published for hit in result.hits if hit.published), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    body = render_template(
        "feed.xml",
        request_=wanted,
        result=result,
        updated=updated,
        page_url=presenting.search_url(wanted, "views.search", _external=True, page=None),
        self_url=presenting.search_url(wanted, "views.feed", _external=True, page=None, sort=None),
    )
    return Response(body, mimetype="application/atom+xml")


@bp.get("/opensearch.xml")
def opensearch():
    """Describe the archive's search so a browser can add it as a search engine."""
    body = render_template("opensearch.xml")
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/suggest")
def suggest():
    """Return OpenSearch suggestions: the query with its last word completed from the archive's words."""
    query = clean_query(request.args.get("q", ""))[:200]
    head, _, last = query.rpartition(" ")
    completions = [f"{head} {word}".strip() for word in backend().complete(last)]
    response = jsonify([query, completions])
    response.mimetype = "application/x-suggestions+json"
    return response


@bp.app_template_filter("article_url")
def article_url(key: str, query: str = "", back: str = "") -> str:
    """Return the URL of an article page, carrying the query so its words are marked."""
    return url_for("views.article", key=key, q=query or None, back=back or None)


@bp.app_template_filter("safe_link")
def safe_link(url: str) -> str:
    """Return the URL if it is an http(s) link, else an empty string (never a javascript: link)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


@bp.app_template_filter("marked")
def marked_filter(marked) -> str:
    """Return a text with its matched words in <mark>, escaped."""
    return presenting.render_marked(marked)


@bp.app_template_filter("category_label")
def category_label_filter(slug: str) -> str:
    """Return the readable label of a category slug."""
    return category_label(slug)


@bp.app_template_filter("language_label")
def language_label_filter(code: str) -> str:
    """Return the name of a language code."""
    return presenting.value_label("language", code)


@bp.app_context_processor
def template_globals() -> dict:
    """Give every template the URL parameter name of each facet field, and the language the pages are written in."""
    return {"parameters": FIELD_PARAMETERS, "interface_language": presenting.INTERFACE_LANGUAGE}
