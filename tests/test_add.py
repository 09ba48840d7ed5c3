"""`archive add`: pages fetched from a web site on 127.0.0.1, kept as WARC captures, searchable at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.model import Article
from archive.sources import read_sources
from index.schema import url_key
from index.storage import IndexLocation
from tests.conftest import shared_data
from tests.local_site import LocalSite
from tests.warcs import Record, shared_pages, story, write_warc

EMPTY_PAGE = b"<!DOCTYPE html><html><head><title>Nothing to read</title></head><body><nav><a href='/'>Home</a></nav></body></html>"


@pytest.fixture
def site():
    """Serve two shared pages, two small stories and a page without article text on 127.0.0.1."""
    pages = {f"shared{number}.html": page.read_bytes() for number, page in enumerate(shared_pages(shared_data("news_html"))[:2])}
    pages |= {
        "ferry.html": story("Ferry terminal opens", "capybara"),
        "bridge.html": story("Bridge reopens after repairs", "okapi"),
        "empty.html": EMPTY_PAGE,
    }
    with LocalSite(pages) as running:
        yield running


def captures(app) -> list[Path]:
    """Return every file in the captures folder, hidden ones included."""
    folder = Path(app.config["CAPTURES_PATH"])
    return sorted(folder.iterdir()) if folder.exists() else []


def documents(app) -> int:
    """Return how many articles the index holds."""
    with IndexLocation(Path(app.config["INDEX_PATH"])).open().searcher() as searcher:
        return searcher.doc_count()


def address(url: str) -> str:
    """Return the address `archive add` prints for the article at url."""
    return f"http://127.0.0.1:8000/articles/{url_key(url)}"


def test_an_added_page_is_searchable_at_once_and_kept_for_rebuild(runner, app, site):
    runner.invoke(args=["rebuild"])
    url = site.url("/pages/ferry.html")
    result = runner.invoke(args=["add", url])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{address(url)}  Ferry terminal opens\n"
    assert site.user_agents[-1].startswith("news-archive/")
    [capture] = captures(app)
    assert capture.name.startswith("127.0.0.1-") and capture.name.endswith(".warc.gz")
    [article] = [item for item in read_sources([capture]) if isinstance(item, Article)]
    assert (article.id, article.url, article.title) == (url, url, "Ferry terminal opens")
    assert article.captured is not None
    assert "1-1 of 1" in runner.invoke(args=["search", "capybara"]).output
    rebuilt = runner.invoke(args=["rebuild"])
    assert "indexed                     2" in rebuilt.output, rebuilt.output
    assert "web archives" in rebuilt.output
    assert "1-1 of 1" in runner.invoke(args=["search", "capybara"]).output
    page = app.test_client().get(f"/articles/{url_key(url)}")
    assert b"Captured" in page.data


def test_adding_the_same_address_again_keeps_one_article_the_newer_capture(runner, app, site):
    runner.invoke(args=["rebuild"])
    url = site.url("/pages/ferry.html")
    assert runner.invoke(args=["add", url]).exit_code == 0
    site.pages["ferry.html"] = story("Ferry terminal opens at last", "wombat")
    result = runner.invoke(args=["add", url])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{address(url)}  Ferry terminal opens at last\n"
    assert documents(app) == 2
    assert len(captures(app)) == 1
    assert "No articles found." in runner.invoke(args=["search", "capybara"]).output
    assert "1-1 of 1" in runner.invoke(args=["search", "wombat"]).output


def test_a_shared_page_a_redirect_and_a_gzipped_answer_are_added(runner, app, site):
    runner.invoke(args=["rebuild"])
    urls = [site.url("/pages/shared0.html"), site.url("/moved/bridge.html"), site.url("/gzip/shared1.html")]
    result = runner.invoke(args=["add", *urls])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    # A redirect is followed: the article is kept under the address that answered.
    assert lines[1] == f"{address(site.url('/pages/bridge.html'))}  Bridge reopens after repairs"
    assert lines[2].startswith(address(site.url("/gzip/shared1.html")))
    assert documents(app) == 4 and len(captures(app)) == 3


@pytest.mark.parametrize(
    ("path", "options", "reason"),
    [
        ("/missing", [], "HTTP 404 Not Found"),
        ("/slow", ["--timeout", "1"], "the server sent nothing for 1 s"),
        ("/report.pdf", [], "not a web page but application/pdf"),
        ("/loop/a", [], "more than 10 redirects (a redirect loop?)"),
        ("/endless", ["--max-file-mb", "1"], "larger than the 1 MB limit"),
        ("/pages/empty.html", [], "no article text found on the page"),
    ],
)
def test_each_bad_answer_gives_one_line_a_failure_and_writes_nothing(runner, app, site, path, options, reason):
    runner.invoke(args=["rebuild"])
    url = site.url(path)
    result = runner.invoke(args=["add", url, *options])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Not added: {url}: {reason}\n"
    assert captures(app) == []
    assert documents(app) == 1


def test_a_refused_connection_and_a_non_web_address_are_one_line_each(runner, app):
    runner.invoke(args=["rebuild"])
    with LocalSite({}) as closed:
        refused = closed.url("/page.html")  # the port is free again once the site stops
    result = runner.invoke(args=["add", refused, "ftp://example.org/file"])
    assert result.exit_code == 1
    first, second = result.stderr.splitlines()
    assert first.startswith(f"Not added: {refused}: could not connect (")
    assert second == "Not added: ftp://example.org/file: not a web address (it must start with http:// or https://)"
    assert captures(app) == []


def test_addresses_from_standard_input_and_a_mix_of_good_and_bad(runner, app, site):
    runner.invoke(args=["rebuild"])
    stdin = f"{site.url('/pages/ferry.html')}\n\n# a comment\n{site.url('/missing')}\n"
    result = runner.invoke(args=["add", "-", site.url("/pages/bridge.html")], input=stdin)
    assert result.exit_code == 1
    assert result.stderr == f"Not added: {site.url('/missing')}: HTTP 404 Not Found\n"
    assert len(result.stdout.splitlines()) == 2
    assert documents(app) == 3


def test_a_feed_adds_every_article_it_links_to(runner, app):
    pages = {"ferry.html": story("Ferry terminal opens", "capybara"), "bridge.html": story("Bridge reopens", "okapi")}
    runner.invoke(args=["rebuild"])
    with LocalSite(pages) as site:
        result = runner.invoke(args=["add", "--feed", site.url("/feed.rss")])
        assert result.exit_code == 0, result.output
        assert sorted(result.stdout.splitlines()) == sorted(
            f"{address(site.url('/pages/' + name))}  {title}" for name, title in (("ferry.html", "Ferry terminal opens"), ("bridge.html", "Bridge reopens"))
        )
        missing = runner.invoke(args=["add", "--feed", site.url("/missing")])
    assert missing.exit_code == 1
    assert missing.stderr == f"Not added: {site.url('/missing')}: HTTP 404 Not Found\n"
    assert documents(app) == 3


def test_adding_before_any_index_builds_one_from_the_sources_and_the_page(runner, app, site):
    result = runner.invoke(args=["add", site.url("/pages/ferry.html")])
    assert result.exit_code == 0, result.output
    assert documents(app) == 2
    assert "1-1 of 1" in runner.invoke(args=["search", "istanbul"]).output


def test_while_another_process_writes_the_index_nothing_is_added_and_the_folder_is_as_before(runner, app, site):
    runner.invoke(args=["rebuild"])
    url = site.url("/pages/ferry.html")
    assert runner.invoke(args=["add", url]).exit_code == 0
    [before] = captures(app)
    kept = before.read_bytes()
    site.pages["ferry.html"] = story("A newer version", "wombat")
    with IndexLocation(Path(app.config["INDEX_PATH"])).writer_lock():
        result = runner.invoke(args=["add", url])
    assert result.exit_code == 1
    assert "being written by" in result.output and "Traceback" not in result.output
    assert captures(app) == [before] and before.read_bytes() == kept
    assert "1-1 of 1" in runner.invoke(args=["search", "capybara"]).output


def test_add_without_addresses_says_how_to_use_it(runner):
    result = runner.invoke(args=["add"])
    assert result.exit_code == 2
    assert "--feed URL" in result.output


def test_a_page_already_archived_from_another_file_is_not_kept_twice(runner, app, site):
    sources = Path(app.config["SOURCES"][0])
    (sources / "ferry.html").write_bytes(site.pages["ferry.html"])
    taken = site.url("/pages/bridge.html")
    write_warc(sources / "crawl.warc.gz", [Record(taken, story("Bridge closed for repairs", "repairs"))])
    runner.invoke(args=["rebuild"])
    same_text = runner.invoke(args=["add", site.url("/pages/ferry.html")])
    assert same_text.exit_code == 0, same_text.output
    assert same_text.stdout.endswith("  Ferry terminal opens  (the same text was already in the archive)\n")
    same_address = runner.invoke(args=["add", taken])
    assert same_address.exit_code == 1
    assert same_address.stderr == f"Not added: {taken}: another file already holds this address in the archive ({sources / 'crawl.warc.gz'})\n"
    assert captures(app) == [] and documents(app) == 3
