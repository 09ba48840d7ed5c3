"""Schemathesis against /api/openapi.json: generated requests to every operation get answers the document describes."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from index.schema import url_key
from index.snapshot import LiveIndex
from tests.conftest import IN_BOTH_LANES
from web import create_app
from web.openapi import DATE_PATTERN, openapi_document

EXAMPLES_PER_OPERATION = {"fast": 25, "slow": 150}  # generated requests per operation and mode, by test lane
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_app(odd_index):
    """Return an app on the index of seeds and awkward articles."""
    return create_app({"TESTING": True, "INDEX_PATH": str(odd_index.root)})


@pytest.fixture(scope="module")
def api_schema(api_app):
    """Return the app's OpenAPI document as schemathesis reads it, over WSGI."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", api_app)


# Each operation is a test of its own; schemathesis.pytest.from_fixture would do this, but its plugin
# breaks on pytest 9 (it sets Function._nodeid, which pytest 9 no longer has).
OPERATIONS = [(method.upper(), path) for path, item in openapi_document()["paths"].items() for method in item]


@IN_BOTH_LANES
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_answers_as_documented(api_schema, method, path, mode, lane):
    statuses = Counter()
    examples = EXAMPLES_PER_OPERATION[lane]

    @settings(max_examples=examples)
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    def check(case):
        statuses[case.call_and_validate(checks=CHECKS).status_code] += 1

    check()
    print(method, path, mode.value, dict(statuses))
    assert statuses.total() >= examples // 2


def test_a_real_article_answers_as_documented(api_schema, odd_index):
    snapshot = LiveIndex(odd_index).snapshot()
    keys = [url_key(fields["id"]) for fields in snapshot.searcher.all_stored_fields()]
    operation = api_schema["/api/articles/{key}"]["GET"]
    for key in keys:
        response = operation.Case(path_parameters={"key": key}, query={"q": "peace <script>"}).call_and_validate(checks=CHECKS)
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/articles/%2Fabc", "/articles/%2Fabc"])
def test_a_key_starting_with_a_slash_is_a_404_not_an_html_redirect(api_app, path):
    response = api_app.test_client().get(path)
    assert response.status_code == 404
    assert response.mimetype == ("application/json" if path.startswith("/api/") else "text/html")


@pytest.mark.parametrize(
    "text",
    ["2024", "2024-3", "2024-03-05", "0001", "9999-12", "9999-12-31", "0000", "2024-13", "2024-00", "2024-03-32", "24", "2024-03-05T00"],
)
def test_the_documented_date_pattern_admits_exactly_the_dates_the_server_reads(api_app, text):
    accepted = api_app.test_client().get("/api/search", query_string={"from": text, "to": text}).status_code == 200
    assert bool(re.fullmatch(DATE_PATTERN, text)) == accepted
