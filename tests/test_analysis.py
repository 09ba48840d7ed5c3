"""Each language's analysis: stems that join inflected forms, stop words, folding; CJK pairs; one-pass indexing equal to Whoosh's chain."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.analysis import StandardAnalyzer
from whoosh.formats import Positions

from index.analysis import FAMILIES, FOLDING, NEUTRAL, STEMMED_LANGUAGES, analysis_family, prose_chain, text_analyzer
from index.engine.analysis import OnePassAnalyzer
from index.schema import build_schema, search_field

WORDS = ["The", "a", "I", "running", "Runs", "U.S.", "3.5", "café", "İstanbul", "straße", "don't", "x", "of", "e.g.",
         "journaux", "Häuser", "leyes", "новости", "香港特首", "梁", "ｉＰｈｏｎｅ", "les", "der", "el"]
texts = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(WORDS + [" ", "\n", ", ", "."]), max_size=40).map("".join))


def terms(family: str, text: str) -> list[str]:
    """Return the terms a family's analyzer makes of a text, as a query would."""
    return [token.text for token in text_analyzer(family)(text)]


SCHEMA = build_schema()


@given(family=st.sampled_from(STEMMED_LANGUAGES), text=texts)
def test_indexing_tokens_equal_the_chain(family, text):
    fast = [(token.text, token.pos) for token in text_analyzer(family)(text, positions=True, mode="index")]
    chain = [(token.text, token.pos) for token in prose_chain(family)(text, positions=True, mode="index")]
    assert fast == chain


@given(family=st.sampled_from(FAMILIES), text=texts)
def test_indexed_postings_equal_whooshs_positions_format(family, text):
    ours = sorted(SCHEMA[search_field("body", family)].index(text))
    chain = text_analyzer(NEUTRAL) if family == NEUTRAL else prose_chain(family)
    whoosh = sorted((term.encode("utf-8"), *rest) for term, *rest in Positions().word_values(text, chain, mode="index"))
    assert ours == whoosh


@given(texts)
def test_neutral_terms_are_its_tokens_with_their_positions_and_characters(text):
    analyzer = text_analyzer(NEUTRAL)
    tokens = [(token.text, token.pos, token.startchar, token.endchar) for token in analyzer(text, positions=True, chars=True)]
    assert [(term, position) for term, position, _, _ in tokens] == analyzer.index_terms(text)
    assert all(text[start:end].lower().translate(FOLDING) == term for term, _, start, end in tokens)


def test_queries_go_through_the_chain_itself():
    def tokens(analyzer):
        return [(token.text, token.stopped, token.startchar) for token in analyzer("The runners", mode="query", removestops=False, chars=True)]

    assert tokens(text_analyzer()) == tokens(prose_chain())
    assert ("the", True, 0) in tokens(text_analyzer())


def test_only_a_chain_of_the_five_known_stages_can_be_indexed_in_one_pass():
    with pytest.raises(TypeError, match="stages"):
        OnePassAnalyzer(StandardAnalyzer())
    for family in FAMILIES:
        assert text_analyzer(family) == text_analyzer(family)
    assert text_analyzer("fr") != text_analyzer("es") and text_analyzer("en") != text_analyzer("fr")


@pytest.mark.parametrize(
    ("family", "forms"),
    [
        ("en", ["talks", "talk", "talking"]),
        ("fr", ["journaux", "journal"]),
        ("es", ["leyes", "ley"]),
        ("de", ["Häuser", "Haus"]),
        ("pt", ["notícias", "noticia"]),
        ("it", ["giornali", "giornale"]),
        ("nl", ["kranten", "krant"]),
        ("ru", ["новости", "новость"]),
        ("sv", ["husen", "hus"]),
        ("tr", ["kitaplar", "kitap"]),
    ],
)
def test_each_language_joins_the_inflected_forms_of_a_word(family, forms):
    assert len({tuple(terms(family, form)) for form in forms}) == 1, [terms(family, form) for form in forms]


def test_the_english_rules_keep_other_languages_forms_apart():
    """What the issue found: "journaux", "leyes" and "Häuser" missed "journal", "ley" and "Haus" under English analysis."""
    for first, second in [("journaux", "journal"), ("leyes", "ley"), ("Häuser", "Haus")]:
        assert terms("en", first) != terms("en", second)


@pytest.mark.parametrize("family", [family for family in STEMMED_LANGUAGES if family != "en"])
def test_accents_and_case_are_folded_before_stemming(family):
    assert terms(family, "ÉVÉNEMENTS café Straße") == terms(family, "evenements cafe strasse")


def test_each_language_drops_its_own_stop_words_and_not_englishs():
    assert terms("fr", "le journal the") == ["journal", "the"]
    assert terms("de", "der Krieg the") == ["krieg", "the"]
    assert terms("es", "el año the") == ["ano", "the"]
    assert terms("en", "the war") == ["war"]


def test_cjk_text_is_read_as_overlapping_pairs_of_characters():
    assert terms(NEUTRAL, "香港特首梁振英") == ["香港", "港特", "特首", "首梁", "梁振", "振英"]
    assert terms(NEUTRAL, "梁 iPhone手机") == ["梁", "iphone", "手机"]  # a character alone stays one term
    assert terms(NEUTRAL, "東京タワー 서울시") == ["東京", "京タ", "タワ", "ワー", "서울", "울시"]


def test_the_neutral_analysis_folds_words_without_stemming_them():
    assert terms(NEUTRAL, "Zprávy ZPRÁVA ｉＰｈｏｎｅ a v") == ["zpravy", "zprava", "iphone"]


@pytest.mark.parametrize(
    ("language", "family"),
    [("en", "en"), ("fr", "fr"), ("nb", "no"), ("zh", NEUTRAL), ("ja", NEUTRAL), ("cs", NEUTRAL), ("tr", "tr"), ("", "en")],
)
def test_each_language_has_its_family(language, family):
    assert analysis_family(language) == family
