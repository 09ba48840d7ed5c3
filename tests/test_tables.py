"""CSV and TSV files: columns recognised by name, other names and header-less files from the settings, bad rows."""

from __future__ import annotations

from collections import Counter

import pytest

from archive.model import Article, Skipped
from archive.sources import read_sources
from archive.tables import TableSettings, header_fields, table_settings
from tests.conftest import shared_data

AG_NEWS_FILES = {
    "ag_news/test.csv": {"columns": ["category", "title", "body"], "categories": {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}},
}


def read(path, tables: TableSettings = TableSettings()) -> list:
    """Return everything read from one file."""
    return list(read_sources([path], tables=tables))


def test_columns_are_recognised_by_their_names():
    assert header_fields(["Headline", "Byline", "Published", "Section", "Link", "Text", "Keywords", "Views"], {}) == [
        "title", "authors", "published", "category", "url", "body", "tags", "",
    ]
    # The first name in order of preference wins: a body column over a description column.
    assert header_fields(["description", "body", "title", "label", "category"], {}) == ["", "body", "title", "", "category"]
    assert header_fields(["Story Text", "Head"], {"story_text": "body", "head": "title"}) == ["body", "title"]


def test_a_csv_with_a_header_row_becomes_articles(tmp_path):
    path = tmp_path / "stories.csv"
    path.write_text(
        "title,body,date,category,url,author,tags\n"
        '"Ferry terminal opens","The terminal opened on Monday.\n\nTraders welcomed it.",2024-04-01,Economy,'
        'https://harbour.example/1,"Ana Lopes, Sam Reed","ferries; harbour"\n'
        "Second story,Only a body here.,,sports,,,\n",
        encoding="utf-8",
    )
    first, second = read(path)
    assert (first.title, first.body) == ("Ferry terminal opens", "The terminal opened on Monday.\n\nTraders welcomed it.")
    assert (first.id, first.url, first.category) == ("https://harbour.example/1", "https://harbour.example/1", "business")
    assert (first.authors, first.tags, first.published.isoformat()) == (("Ana Lopes", "Sam Reed"), ("ferries", "harbour"), "2024-04-01T00:00:00+00:00")
    assert (second.id, second.category, second.path) == ("stories.csv#5", "sport", str(path))  # the first row spans lines 2-4


def test_tsv_and_semicolon_separated_files_are_read(tmp_path):
    (tmp_path / "a.tsv").write_text("headline\ttext\nTabbed story\tWith tabs, and commas.\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("headline;text\nSemicolon story;Separated by semicolons, as Excel writes.\n", encoding="cp1252")
    first, second = read(tmp_path)
    assert (first.title, first.body) == ("Tabbed story", "With tabs, and commas.")
    assert (second.title, second.body) == ("Semicolon story", "Separated by semicolons, as Excel writes.")


def test_bad_rows_are_skipped_with_their_line_numbers(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "title,body,tags\n"
        "Good one,Fine text.,\n"
        "Too,many,fields,here\n"
        '"Spans two lines","First line\nsecond line",\n'
        ",,only-a-tag\n"
        ",,\n"
        "\n"
        f"Huge,{'x' * 1_100_000},\n"
        "Last good,Also fine.,\n",
        encoding="utf-8",
    )
    items = list(read_sources([path], 1024 * 1024))
    assert [item.title for item in items if isinstance(item, Article)] == ["Good one", "Spans two lines", "Last good"]
    skipped = [(item.path, item.reason) for item in items if isinstance(item, Skipped)]
    assert skipped == [
        (f"{path}:3", "line 3: 4 fields where there are 3 columns"),
        (f"{path}:6", "line 6: no title and no body"),
        (f"{path}:9", "line 9: larger than the 1 MB limit"),
    ]


def test_a_file_without_a_recognised_header_is_skipped_saying_how_to_name_its_columns(tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text('"3","Fears for pension","Unions say..."\n', encoding="utf-8")
    assert read(path) == [Skipped(str(path), "no header row naming a title or body column (see the README: CSV and TSV files)")]


def test_settings_name_the_columns_of_a_file_without_a_header(tmp_path):
    folder = tmp_path / "ag_news"
    folder.mkdir()
    (folder / "test.csv").write_text('"3","Fears for pension","Unions say they are disappointed."\n', encoding="utf-8")
    [article] = read(folder, table_settings({}, AG_NEWS_FILES))
    assert (article.title, article.body, article.category) == ("Fears for pension", "Unions say they are disappointed.", "business")


def test_settings_naming_an_unknown_field_are_refused():
    with pytest.raises(ValueError, match="'headline' is not an article field"):
        table_settings({"head": "headline"}, {})


def test_the_ag_news_file_gives_7600_articles_in_four_categories():
    source = shared_data("ag_news") / "test.csv"
    items = read(source, table_settings({}, AG_NEWS_FILES))
    assert len(items) == 7600
    assert Counter(item.category for item in items) == {"world": 1900, "sport": 1900, "business": 1900, "tech": 1900}
    assert len({item.content_hash for item in items}) == 7600
