"""Every kind of file in one folder, through `archive rebuild` and `update`: the summary counts each kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.storage import IndexLocation
from index.writing import rebuild
from tests.conftest import SEEDS, shared_data
from tests.warcs import FILLER, Record, story, write_warc
from web import create_app

AG_NEWS_FILES = {
    "ag_news/test.csv": {"columns": ["category", "title", "body"], "categories": {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}},
}


def write_every_kind(folder: Path) -> None:
    """Write one file of each kind the archive reads (two articles in the table and the feed)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.txt").write_text("Quokka census\n\nRangers counted the quokkas on the island.\nscience", encoding="utf-8")
    (folder / "page.html").write_bytes(story("Pangolin rescue", "pangolin"))
    (folder / "lines.jsonl").write_text(json.dumps({"title": "Axolotl pond", "body": "The axolotl pond reopened."}) + "\n", encoding="utf-8")
    write_warc(folder / "crawl.warc.gz", [
        Record("https://news.example/narwhal", story("Narwhal sighting", "narwhal")),
        Record("https://news.example/logo.png", b"\x89PNG", content_type="image/png"),
    ])
    (folder / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Zoo</title>'
        "<item><title>Tapir born</title><link>https://zoo.example/tapir</link><category>Science</category>"
        "<description>A tapir calf was born at the zoo on Sunday.</description></item>"
        "<item><title>Okapi moves</title><link>https://zoo.example/okapi</link>"
        "<description>The okapi moved to a larger enclosure.</description></item></channel></rss>",
        encoding="utf-8",
    )
    (folder / "table.csv").write_text(
        "headline,text,section\nGecko study,Geckos climb glass.,science\nIbis return,The ibis returned to the marsh.,world\n",
        encoding="utf-8",
    )


def test_rebuild_and_update_read_every_kind_mixed_in_one_folder(runner, app, tmp_path):
    sources = Path(app.config["SOURCES"][0])
    write_every_kind(sources / "mixed")
    rebuilt = runner.invoke(args=["rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "indexed                     9" in rebuilt.output
    for label, files, indexed in (
        ("plain text", 2, 2), ("web pages", 1, 1), ("JSON Lines", 1, 1), ("web archives", 1, 1), ("feeds", 1, 2), ("CSV and TSV", 1, 2),
    ):
        assert f"    {label:<18}{files:>9}{indexed:>10}" in rebuilt.output, rebuilt.output
    assert "1  not an HTML page (image/png)" in rebuilt.output
    for word in ("quokka", "pangolin", "axolotl", "narwhal", "tapir", "okapi", "gecko", "ibis"):
        assert "1-1 of 1" in runner.invoke(args=["search", word]).output, word
    assert "1-1 of 1" in runner.invoke(args=["search", "tapir", "--category", "science"]).output
    write_warc(sources / "mixed" / "more.warc", [Record("https://news.example/walrus", story("Walrus naps", "walrus"))], gzip=False)
    updated = runner.invoke(args=["update"])
    assert updated.exit_code == 0, updated.output
    assert f"    {'web archives':<18}{2:>9}{1:>10}" in updated.output, updated.output
    assert "1-1 of 1" in runner.invoke(args=["search", "walrus"]).output


def test_pages_inside_archives_and_feeds_keep_the_order_found_between_other_files(tmp_path):
    """The first of two files with the same article is the one indexed, also when it is a record or an entry."""
    folder = tmp_path / "sources"
    folder.mkdir()

    def text(title: str, words: str) -> str:
        return title + "\n\n" + "\n\n".join(f"{sentence} {words}." for sentence in FILLER)

    (folder / "1.txt").write_text(text("Narwhal sighting", "narwhal"), encoding="utf-8")
    write_warc(folder / "2.warc.gz", [
        Record("https://news.example/narwhal", story("Narwhal sighting", "narwhal")),
        Record("https://news.example/logo.png", b"\x89PNG", content_type="image/png"),
        Record("https://news.example/tapir", story("Tapir born", "tapir")),
    ])
    (folder / "3.txt").write_text(text("Tapir born", "tapir"), encoding="utf-8")
    paragraphs = "".join(f"&lt;p&gt;{sentence} okapi.&lt;/p&gt;" for sentence in FILLER)
    (folder / "4.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Zoo</title>'
        f"<item><title>Okapi moves</title><link>https://zoo.example/okapi</link><description>{paragraphs}</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    (folder / "5.txt").write_text(text("Okapi moves", "okapi"), encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    summary = rebuild(location, [folder], page_workers=2)
    assert (summary.indexed, summary.duplicates, len(summary.skipped)) == (3, 3, 1)
    with location.open().searcher() as searcher:
        kept = {fields["title"]: Path(fields["path"]).name for fields in searcher.all_stored_fields()}
    assert kept == {"Narwhal sighting": "1.txt", "Tapir born": "2.warc.gz", "Okapi moves": "4.rss"}


@pytest.mark.slow
def test_the_ag_news_csv_rebuilds_into_7600_articles_in_four_categories(tmp_path):
    source = shared_data("ag_news") / "test.csv"
    app = create_app({
        "TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(SEEDS)], "CAPTURES_PATH": str(tmp_path / "captures"),
        "CSV_FILES": AG_NEWS_FILES,
    })
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rebuild", str(source)])
    assert result.exit_code == 0, result.output
    assert "indexed                 7,600" in result.output
    stats = runner.invoke(args=["stats"]).output
    assert "Categories  Business (1,900), Sport (1,900), Technology (1,900), World (1,900)" in stats, stats


def test_a_bad_csv_setting_names_itself(tmp_path):
    app = create_app({"TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(SEEDS)], "CSV_COLUMNS": {"head": "headline"}})
    result = app.test_cli_runner().invoke(args=["rebuild"])
    assert result.exit_code == 1
    assert "CSV_COLUMNS or CSV_FILES in config.py: 'headline' is not an article field" in result.output
