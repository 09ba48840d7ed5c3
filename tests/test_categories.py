"""Category slugs and labels, and which folders, sections and URLs name a category."""

import pytest

from archive.categories import CategoryClues, CategoryRules, category_label, normalize_category, same_category, url_parts
from archive.text import parse_text


@pytest.mark.parametrize(
    ("raw", "slug"),
    [("World News", "world"), ("world", "world"), ("Sci/Tech", "tech"), ("Économie", "business"), ("", "uncategorized"),
     (None, "uncategorized"), ("  Sports ", "sport"), ("Arts & Culture", "arts-culture"), ("!!!", "uncategorized")],
)
def test_normalize_category(raw, slug):
    assert normalize_category(raw) == slug


def test_labels_are_readable():
    assert category_label("world") == "World"
    assert category_label("tech") == "Technology"
    assert category_label("arts-culture") == "Arts culture"
    assert category_label("uncategorized") == "Uncategorized"
    assert same_category("Sports", "sport") and not same_category("sport", "world")


def decide(rules: CategoryRules = CategoryRules(), **clues) -> tuple[str, str | None]:
    """Return the category and origin the rules give for some clues."""
    return rules.decide(CategoryClues(**clues))


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        (("business",), ("business", "folder")),
        (("Sports",), ("sport", "folder")),
        (("world", "2024", "05"), ("world", "folder")),  # dates are not categories; the category folder above counts
        (("business", "tech"), ("tech", "folder")),  # the nearest category folder wins
        (("goose3",), ("uncategorized", None)),  # a test-suite name
        (("readability", "cnn"), ("uncategorized", None)),  # site names
        (("readability", "ars-1"), ("uncategorized", None)),
        (("saved",), ("uncategorized", None)),
        (("2024-05-01",), ("uncategorized", None)),
        (("Citylab 1",), ("uncategorized", None)),
    ],
)
def test_a_folder_is_a_category_only_when_it_names_one(folders, expected):
    assert decide(folders=folders) == expected


def test_sections_and_urls_name_a_category_only_when_known():
    assert decide(sections=("Film",)) == ("entertainment", "section")
    assert decide(sections=("Social", "Tech")) == ("tech", "section")  # the first section that names a category
    assert decide(sections=("DealBook", "Reviews")) == ("uncategorized", None)
    assert decide(url="https://www.nytimes.com/2016/07/30/business/dealbook/story.html") == ("business", "url")
    assert decide(url="https://finance.yahoo.com/news/best-games-170003443.html") == ("business", "url")  # the host's first label
    assert decide(url="https://www.politico.com/news/stories/1010/43352.html") == ("uncategorized", None)
    assert decide(url="https://ex.com/sport") == ("uncategorized", None)  # the last part names the page, not a section
    assert url_parts("not a url") == [] and url_parts("http://[bad") == []


def test_precedence_label_then_folder_then_section_then_url():
    everything = {"label": "Crypto", "folders": ("sport",), "sections": ("Politics",), "url": "https://ex.com/world/a"}
    assert decide(**everything) == ("crypto", "given")  # an explicit label counts whatever it says
    assert decide(**{**everything, "label": ""}) == ("sport", "folder")
    assert decide(**{**everything, "label": "", "folders": ("saved",)}) == ("politics", "section")
    assert decide(**{**everything, "label": "", "folders": (), "sections": ()}) == ("world", "url")


def test_the_users_mapping_names_categories_and_ignores_names():
    rules = CategoryRules.from_settings({"ars-1": "Technology", "Local": None, "markets": "Personal Finance", "Sci/Tech": "science"})
    assert decide(rules, folders=("readability", "ars-1")) == ("tech", "folder")
    assert decide(rules, folders=("local",)) == ("uncategorized", None)  # a known name the user says is not a category
    assert decide(rules, sections=("Markets",)) == ("personal-finance", "section")
    assert decide(rules, label="Sci/Tech") == ("science", "given")
    assert decide(folders=("local",)) == ("local", "folder")  # without the mapping


def test_the_mapping_decides_again_for_a_parsed_article():
    article = parse_text("Title\n\nSome text.", relative_path="ars-1/a.txt", folders=("ars-1",))
    assert (article.category, article.category_origin) == ("uncategorized", None)
    mapped = CategoryRules.from_settings({"ars-1": "tech"}).apply(article)
    assert (mapped.category, mapped.category_origin) == ("tech", "folder")
    assert CategoryRules().apply(article) is article


@pytest.mark.parametrize(
    ("mapping", "confidence"),
    [(["tech"], 0.5), ({"": "tech"}, 0.5), ({"ars": 3}, 0.5), ({}, 0), ({}, 1.5), ({}, "high"), ({}, True)],
)
def test_unusable_settings_are_refused(mapping, confidence):
    with pytest.raises(ValueError):
        CategoryRules.from_settings(mapping, confidence=confidence)
