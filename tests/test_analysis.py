"""The one-pass prose analysis used when indexing gives exactly what Whoosh's analyzer chain gives."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.analysis import StandardAnalyzer
from whoosh.formats import Positions

from index.analysis import prose_chain, text_analyzer
from index.engine.analysis import OnePassAnalyzer
from index.schema import build_schema

WORDS = ["The", "a", "I", "running", "Runs", "U.S.", "3.5", "café", "İstanbul", "straße", "don't", "x", "of", "e.g."]
texts = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(WORDS + [" ", "\n", ", ", "."]), max_size=40).map("".join))


@given(texts)
def test_indexing_tokens_equal_the_chain(text):
    fast = [(token.text, token.pos) for token in text_analyzer()(text, positions=True, mode="index")]
    chain = [(token.text, token.pos) for token in prose_chain()(text, positions=True, mode="index")]
    assert fast == chain


@given(texts)
def test_indexed_postings_equal_whooshs_positions_format(text):
    ours = sorted(build_schema()["body"].index(text))
    whoosh = sorted((term.encode("utf-8"), *rest) for term, *rest in Positions().word_values(text, prose_chain(), mode="index"))
    assert ours == whoosh


def test_queries_go_through_the_chain_itself():
    def tokens(analyzer):
        return [(token.text, token.stopped, token.startchar) for token in analyzer("The runners", mode="query", removestops=False, chars=True)]

    assert tokens(text_analyzer()) == tokens(prose_chain())
    assert ("the", True, 0) in tokens(text_analyzer())


def test_only_a_chain_of_the_five_known_stages_can_be_indexed_in_one_pass():
    with pytest.raises(TypeError, match="stages"):
        OnePassAnalyzer(StandardAnalyzer())
    assert text_analyzer() == text_analyzer()
