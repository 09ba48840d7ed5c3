"""The OpenAPI 3.1 description of the JSON API, kept beside the endpoints it describes."""

from __future__ import annotations

from archive.categories import ORIGINS
from index import MATCH_MODES, MAX_PER_PAGE, PREDICTED_CHOICES, SORTS
from web.params import DEFAULT_PER_PAGE, FACET_PARAMETERS

_STRING_OR_NULL = {"type": ["string", "null"]}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_CATEGORY_ORIGIN = {
    "type": ["string", "null"], "enum": [*ORIGINS, None],
    "description": "Where the category came from: an explicit label (given), a folder, the page's section, its URL, "
                   "or predicted from the archive's labelled articles; null when uncategorized.",
}
_CATEGORY_CONFIDENCE = {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                        "description": "The probability the model gave a predicted category; null for other origins."}
# A year (not 0000), month or day as the from and to parameters read them; a day past the end of its
# month (2024-02-30) matches but is refused with a 400.
DATE_PATTERN = r"^(?!0000)\d{4}(-(0?[1-9]|1[0-2])(-(0?[1-9]|[12]\d|3[01]))?)?$"


def openapi_document() -> dict:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "News archive API",
            "version": "1.0.0",
            "description": "Search the archive and read articles. Parameters mirror the search page.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles",
                    "parameters": _search_parameters(),
                    "responses": {
                        "200": _json_response("One page of results with facet counts", "SearchResult"),
                        "400": _json_response("A parameter that cannot be used, and why", "Error"),
                        "503": _json_response("There is no index yet", "Error"),
                    },
                }
            },
            "/api/articles/{key}": {
                "get": {
                    "operationId": "getArticle",
                    "summary": "Read one article",
                    "parameters": [
                        {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "q", "in": "query", "schema": {"type": "string"},
                         "description": "A query whose words are marked in marked_paragraphs."},
                    ],
                    "responses": {
                        "200": _json_response("The article and similar articles", "Article"),
                        "404": _json_response("No article has that key", "Error"),
                        "503": _json_response("There is no index yet", "Error"),
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }


def _search_parameters() -> list[dict]:
    """Return the query parameters of a search."""
    facets = [
        {"name": name, "in": "query", "description": f"Only articles with this {name} (repeat for several: OR).",
         "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True}
        for name in FACET_PARAMETERS
    ]
    return [
        {"name": "q", "in": "query", "schema": {"type": "string"},
         "description": 'Words (articles with every word first, then those lacking one, two...), "phrases" and +word '
                        "(required), OR, -word, word*, category:world, date:2024-01..2024-03."},
        {"name": "match", "in": "query", "schema": {"type": "string", "enum": list(MATCH_MODES), "default": "best"},
         "description": "best: articles with every word first, then those with fewer; all: only articles with every word."},
        *facets,
        {"name": "from", "in": "query", "schema": {"type": "string", "pattern": DATE_PATTERN},
         "description": "Published on or after this date (2024, 2024-03 or 2024-03-05)."},
        {"name": "to", "in": "query", "schema": {"type": "string", "pattern": DATE_PATTERN},
         "description": "Published on or before this date."},
        {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"}},
        {"name": "predicted", "in": "query", "schema": {"type": "string", "enum": list(PREDICTED_CHOICES), "default": "include"},
         "description": "Articles whose category was predicted: include them, exclude them (only labelled categories), "
                        "or show only them."},
        {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1},
         "description": "Page number; values outside 1..page_count are clamped."},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "default": DEFAULT_PER_PAGE},
         "description": f"Results per page, clamped to 1..{MAX_PER_PAGE}."},
    ]


def _json_response(description: str, schema: str) -> dict:
    """Return a response object with a JSON body of the named schema."""
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    """Return an object schema requiring all (or the given) properties."""
    return {"type": "object", "properties": properties, "required": required if required is not None else list(properties)}


def _schemas() -> dict:
    """Return the component schemas."""
    strings = {"type": "array", "items": {"type": "string"}}
    hit = _object({
        "id": {"type": "string"}, "key": {"type": "string"}, "title": {"type": "string"},
        "snippet": {"type": "string", "description": "Escaped HTML with <mark> around matched words."},
        "category": {"type": "string"}, "category_origin": _CATEGORY_ORIGIN, "category_confidence": _CATEGORY_CONFIDENCE,
        "published": _DATETIME_OR_NULL, "source": {"type": "string"},
        "url": {"type": "string"}, "authors": strings, "score": {"type": "number"},
        "missing": {**strings, "description": "The typed words this article lacks."},
        "language": {"type": "string", "description": "The article's language as a primary language subtag (fr), or empty when unknown."},
        "title_only": {"type": "boolean", "description": "Only the title holds the words searched for (the snippet is the article's opening)."},
    })
    facet_value = _object({"value": {"type": "string"}, "label": {"type": "string"},
                           "count": {"type": "integer", "minimum": 0}, "selected": {"type": "boolean"}})
    facet = _object({"name": {"type": "string"}, "label": {"type": "string"},
                     "values": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
                     "more": {"type": "integer", "minimum": 0}})
    date_range = {"type": ["object", "null"], "properties": {"start": {"type": ["string", "null"], "format": "date"},
                                                              "end": {"type": ["string", "null"], "format": "date"}}}
    result = _object({
        "total": {"type": "integer", "minimum": 0},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"type": "array", "items": {"$ref": "#/components/schemas/Facet"}},
        "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
        "page_count": {"type": "integer", "minimum": 1}, "sort": {"type": "string", "enum": list(SORTS)},
        "match": {"type": "string", "enum": list(MATCH_MODES)},
        "every_word": {"type": "integer", "minimum": 0, "description": "How many of the results hold every typed word."},
        "relaxed": {**strings, "description": "The typed words that some results lack."},
        "suggestion": _STRING_OR_NULL, "understood": {"type": "string"}, "notes": strings,
        "filters": {"type": "object", "additionalProperties": strings}, "date_range": date_range,
        "elapsed_ms": {"type": "number"},
        "partial": {"type": "boolean", "description": "The search hit its time limit: counts and ranking cover part of the matches."},
        "predicted_matches": {"type": "integer", "minimum": 0,
                              "description": "Matching articles whose category was predicted, before the predicted parameter applies."},
    })
    article = _object({
        "id": {"type": "string"}, "key": {"type": "string"}, "title": {"type": "string"}, "paragraphs": strings,
        "marked_paragraphs": strings, "category": {"type": "string"}, "category_origin": _CATEGORY_ORIGIN,
        "category_confidence": _CATEGORY_CONFIDENCE, "published": _DATETIME_OR_NULL,
        "authors": strings, "source": {"type": "string"}, "url": {"type": "string"}, "language": {"type": "string"},
        "tags": strings, "summary": {"type": "string"},
        "captured": {**_DATETIME_OR_NULL, "description": "When a web archive or `archive add` captured the page."},
        "similar": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    })
    error = _object({"error": {"type": "string"}, "status": {"type": "integer"}})
    return {"SearchResult": result, "Hit": hit, "Facet": facet, "FacetValue": facet_value, "Article": article, "Error": error}
