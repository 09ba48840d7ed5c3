"""Plain-text parsing: the seed, the BBC layout and header blocks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from archive.encoding import decode_bytes
from archive.model import ParseError
from archive.text import parse_text
from tests.conftest import SEEDS

SEED = SEEDS / "000_454988fc12dd0efa.txt"


def test_seed_parses_to_its_title_category_and_thirteen_paragraphs():
    article = parse_text(SEED.read_text(encoding="utf-8"), relative_path=SEED.name)
    assert article.title == (
        "Russia, Ukraine Hold First Direct Talks In Istanbul In 3 Years Amid Low Hopes As Trump Pushes For Peace"
    )
    assert article.category == "world"
    assert len(article.paragraphs) == 13
    assert article.paragraphs[0].startswith("For the first time in over three years")
    assert article.paragraphs[-1].endswith("President Trump and President Putin.”")
    assert "world" not in article.body.split()
    assert article.id == SEED.name
    assert article.published is None


def test_bbc_layout_takes_category_from_folder_and_keeps_paragraphs():
    text = "Ad sales boost profit\n\nFirst paragraph here.\n\nSecond paragraph.\n\nK Clark\n"
    article = parse_text(text, relative_path="business/001.txt", folders=("business",))
    assert article.title == "Ad sales boost profit"
    assert article.paragraphs == ["First paragraph here.", "Second paragraph.", "K Clark"]
    assert article.category == "business"


@pytest.mark.parametrize(
    ("last_line", "category"),
    [("world", "world"), ("World News", "world"), ("sports", "sport"), ("K Clark", "uncategorized"), ("The end.", "uncategorized")],
)
def test_trailing_category_line_only_when_it_is_a_label(last_line, category):
    article = parse_text(f"Title\nA paragraph of text.\n{last_line}", relative_path="a.txt")
    assert article.category == category
    assert (last_line in article.body) == (category == "uncategorized")


def test_header_block_fills_metadata():
    text = (
        "Title: Markets rally\nDate: 2024-03-05T10:00:00+01:00\nCategory: Business News\n"
        "Author: Ann Lee and Bob Ray\nSource: Example Times\nURL: https://example.com/a\nTags: markets, stocks\n\n"
        "Shares rose.\n\nBonds fell."
    )
    article = parse_text(text, relative_path="x.txt")
    assert article.title == "Markets rally"
    assert article.published == datetime(2024, 3, 5, 9, 0, tzinfo=timezone.utc)
    assert article.category == "business"
    assert article.authors == ("Ann Lee", "Bob Ray")
    assert article.source == "Example Times"
    assert article.id == article.url == "https://example.com/a"
    assert article.tags == ("markets", "stocks")
    assert article.paragraphs == ["Shares rose.", "Bonds fell."]


def test_a_title_with_a_colon_is_not_a_header():
    article = parse_text("Update: markets rally\n\nShares rose.", relative_path="x.txt")
    assert article.title == "Update: markets rally"


def test_no_text_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_text("   \n\n", relative_path="x.txt")
    with pytest.raises(ParseError):
        parse_text("Only a title", relative_path="x.txt")


def test_latin1_pound_sign_decodes():
    assert decode_bytes("costs £5".encode("latin-1")) == "costs £5"
    assert decode_bytes("costs £5".encode("utf-8")) == "costs £5"
    assert decode_bytes("hé".encode("utf-16")) == "hé"


def test_utf8_cut_off_mid_character_stays_utf8():
    data = "Le café coûte £5 à Genève".encode("utf-8")
    cut = data[: data.index("à".encode("utf-8")) + 1]  # the first of the two bytes of "à"
    assert decode_bytes(cut) == "Le café coûte £5 "
    assert decode_bytes(cut, "utf-8") == "Le café coûte £5 "
    assert decode_bytes(b"caf\xe9 cr\xe8me \xe0") == "café crème à"  # a bad byte before the end: not UTF-8 at all


def test_control_characters_are_removed():
    article = parse_text("Ti\x1btle\x07\n\nBody\x00 text\x1b[31m red.", relative_path="x.txt")
    assert article.title == "Title"
    assert article.body == "Body text[31m red."
