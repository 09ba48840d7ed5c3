"""Every language searchable: each article's language (declared, else detected), queries across languages,
the language facet, snippets and spelling in other languages, and indexes from before languages."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from archive.languages import article_language, detect_language, language_label, normalize_language
from archive.model import make_article
from index import IndexLocation, IndexOutdated, LiveIndex, article_page, rebuild, search
from index.storage import FORMAT_FILE
from web.params import search_request

FRENCH = (
    "Les journaux du matin annoncent la réforme",
    "Le gouvernement a présenté mardi une réforme des retraites. Selon le journal régional, les syndicats "
    "appellent à une grève nationale la semaine prochaine dans toutes les grandes villes du pays.",
)
SPANISH = (
    "El Congreso aprueba la nueva ley de vivienda",
    "El Congreso de los Diputados aprobó este jueves la ley de vivienda, que limita el precio de los "
    "alquileres en las zonas tensionadas y obliga a los grandes propietarios a ofrecer viviendas sociales.",
)
GERMAN = (
    "Neue Häuser für die Stadt",
    "Die Stadtverwaltung hat am Montag beschlossen, im Norden der Stadt neue Wohnungen zu bauen. Jedes Haus "
    "soll bis zum Ende des nächsten Jahres fertig sein, sagte der Bürgermeister bei einer Pressekonferenz.",
)
CHINESE = (
    "香港特首梁振英就事件道歉",
    "香港特别行政区行政长官梁振英今天在记者会上就事件公开道歉，并表示政府会全面检讨有关安排。"
    "中国宇航员将于明年执行新的太空任务。",
)
ENGLISH = (
    "Journalists meet the press council",
    "The press council met journalists on Tuesday to discuss new rules for newspapers and the law that "
    "governs how reporters protect their sources in court cases across the country.",
)


def _record(number: int, language: str, title: str, body: str) -> dict:
    """Return a JSON Lines record, declaring its language unless it is empty (then it is detected)."""
    return {"id": f"https://example.org/{number}", "title": title, "body": body, "category": "world",
            **({"language": language} if language else {})}


@pytest.fixture(scope="module")
def languages_index(tmp_path_factory) -> IndexLocation:
    """Return an index of one article per language: French, Spanish and German declared, Chinese and English detected."""
    folder = tmp_path_factory.mktemp("languages")
    records = [_record(1, "fr-FR", *FRENCH), _record(2, "es", *SPANISH), _record(3, "de", *GERMAN),
               _record(4, "", *CHINESE), _record(5, "", *ENGLISH)]
    (folder / "sources").mkdir()
    (folder / "sources" / "articles.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    location = IndexLocation(folder / "index")
    rebuild(location, [folder / "sources"])
    return location


def _search(location: IndexLocation, **arguments: str):
    """Search an index as the search page does, with URL parameters."""
    return search(LiveIndex(location).snapshot(), search_request(MultiDict(arguments)))


def _found(location: IndexLocation, query: str) -> list[str]:
    """Return the ids a query finds, best first."""
    return [hit.id for hit in _search(location, q=query).hits]


# ---- the language of an article


@pytest.mark.parametrize(("tag", "code"), [("fr-FR", "fr"), ("pt_BR", "pt"), ("EN", "en"), ("Portuguese", "pt"),
                                           ("iw", "he"), ("und", ""), ("", ""), ("zh-Hant-HK", "zh")])
def test_declared_tags_are_read_as_their_primary_language(tag, code):
    assert normalize_language(tag) == code


@pytest.mark.parametrize(("title", "body", "code"), [FRENCH + ("fr",), SPANISH + ("es",), GERMAN + ("de",), CHINESE + ("zh",), ENGLISH + ("en",)])
def test_an_undeclared_language_is_detected_from_the_text(title, body, code):
    assert article_language("", title, body) == code


def test_a_declared_language_wins_over_detection_and_too_little_text_tells_none():
    assert article_language("de", *FRENCH) == "de"
    assert detect_language("Walrus 0 walrus") == ""
    assert make_article(relative_path="a.txt", title="Hi", body="").language == ""


def test_text_cld2_refuses_is_still_read():
    assert detect_language("\ufdd0\x01" + FRENCH[1]) == "fr"


def test_languages_are_labelled_by_name():
    assert [language_label(code) for code in ("fr", "zh", "en", "qq")] == ["French", "Chinese", "English", "qq"]


# ---- queries across languages


@pytest.mark.parametrize(("query", "number"), [
    ("journaux", 1),  # the French stem joins journaux and journal
    ("leyes", 2),  # the Spanish stem joins leyes and ley
    ("Häuser haus", 3),
    ("香港", 4), ("梁振英", 4), ("道歉", 4), ("宇航员", 4),  # Chinese found by its character pairs
    ('"太空任务"', 4),
    ("journalists", 5),
])
def test_a_query_finds_the_article_of_its_language(languages_index, query, number):
    assert _found(languages_index, query)[:1] == [f"https://example.org/{number}"]


def test_a_stop_word_of_one_language_keeps_its_articles_holding_every_word(languages_index):
    """"la" is dropped from French text: the French article still holds every word of "la réforme"."""
    result = _search(languages_index, q="la réforme")
    assert result.hits[0].id == "https://example.org/1" and result.every_word == 1


def test_the_language_facet_counts_and_filters(languages_index):
    result = _search(languages_index, q="")
    counts = {value.value: value.count for facet in result.facets if facet.name == "language" for value in facet.values}
    assert counts == {"fr": 1, "es": 1, "de": 1, "zh": 1, "en": 1}
    assert [hit.id for hit in _search(languages_index, q="", language="zh").hits] == ["https://example.org/4"]
    assert [hit.id for hit in _search(languages_index, q="lang:es").hits] == ["https://example.org/2"]


def test_snippets_and_the_article_page_mark_matches_in_every_language(languages_index):
    for query, marked in [("香港", "香港"), ("journaux", "journal"), ("leyes", "ley")]:
        hit = _search(languages_index, q=query).hits[0]
        assert marked in [hit.snippet.text[start:end] for start, end in hit.snippet.spans]
    page = article_page(LiveIndex(languages_index).snapshot(), _search(languages_index, q="梁振英").hits[0].key, "梁振英")
    assert "梁振英" in [page.marked_title.text[start:end] for start, end in page.marked_title.spans]


def test_spelling_does_not_correct_a_word_found_in_another_language(languages_index):
    assert _search(languages_index, q="leyes").suggestion is None
    assert _search(languages_index, q="journalistz").suggestion == "journalists"


def test_an_index_of_the_format_before_languages_is_reported_as_needing_a_rebuild(languages_index, tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [languages_index.root.parent / "sources"])
    (location.current_generation() / FORMAT_FILE).write_text("news-archive index 3\n", encoding="utf-8")
    with pytest.raises(IndexOutdated, match="Rebuild it with: archive rebuild"):
        LiveIndex(location).snapshot()


def test_a_question_whose_first_results_score_nothing_is_answered(languages_index):
    """Found by Hypothesis: every article holds these words only as words its language drops, so feedback has no word to lend."""
    result = _search(languages_index, q="01\u05c80\u00b9\u05f5NOT 00 OR 0\ud7fc00\nistanbulistanbul")
    assert result.total == 5


def test_a_word_two_languages_share_ranks_by_its_text_not_by_the_size_of_each_language(tmp_path):
    """"três meses" (Portuguese) is "tres meses" in Spanish too: the short Portuguese item that is about it comes
    before a long Spanish feature that mentions it once, though Spanish has one article and Portuguese three."""
    portuguese = [
        ("Prazo para os migrantes", "Israel deu três meses aos migrantes para deixarem o país."),
        ("Três feridos na estrada", "Um acidente deixou três feridos graves na autoestrada."),
        ("Ministro fala há três dias", "O ministro falou durante três dias com os parceiros."),
    ]
    filler = "El Gobierno presentó ayer su plan anual de vivienda y transporte para las ciudades del país. " * 12
    spanish = ("El plan de vivienda del Gobierno", filler + "La consulta durará tres meses. " + filler)
    records = [_record(n, "pt", *article) for n, article in enumerate(portuguese, start=1)] + [_record(4, "es", *spanish)]
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [tmp_path / "sources"])
    assert _found(location, '"três meses"')[:2] == ["https://example.org/1", "https://example.org/4"]
    assert _found(location, "meses")[0] == "https://example.org/1"
