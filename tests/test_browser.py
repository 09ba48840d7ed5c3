"""End-to-end test in a real browser: the real `archive serve` on an index of BBC News, driven by Chromium.

A person's search, step by step: the box is focused, "/" returns to it, a query finds marked hits,
two category values are combined (OR within the facet, counts ignoring the facet's own selection),
the next page continues the numbering, an article shows the marked query and similar articles, both
the browser's Back and the page's "Back to results" return to the same search, a screenshot is saved,
and a phone-width page does not scroll sideways. No console error or page error may occur anywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from index.storage import IndexLocation
from index.writing import rebuild
from tests.conftest import REPOSITORY, running_archive
from tests.topics import write_article, write_labelled

QUERY = "election"
PER_PAGE = 10
ARTIFACTS = REPOSITORY / "test-artifacts"
TOTAL = re.compile(r"of\s+([\d,]+)\s+articles?")


@pytest.fixture(scope="module")
def server(bbc_index) -> Iterator[str]:
    """Run the real `archive serve` on the session's index of BBC News and yield its base URL."""
    with running_archive(bbc_index.root) as archive:
        yield archive.url


@dataclass
class Watched:
    """A page and the console errors and uncaught exceptions seen on it."""

    page: object
    errors: list[str]

    def assert_no_errors(self) -> None:
        assert self.errors == [], "console or page errors:\n" + "\n".join(self.errors)


def _open_page(browser, sync_api, **context_options) -> Iterator[Watched]:
    """Yield a fresh page whose console errors and page errors are collected."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    sync_api.expect.set_options(timeout=10_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            location = message.location or {}
            errors.append(f"console error on {page.url}: {message.text} ({location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error on {page.url}: {error}"))
    try:
        yield Watched(page, errors)
    finally:
        context.close()


@pytest.fixture
def watched(browser, sync_api) -> Iterator[Watched]:
    """Return a desktop-sized page."""
    yield from _open_page(browser, sync_api, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone(browser, sync_api) -> Iterator[Watched]:
    """Return a phone-sized page."""
    yield from _open_page(browser, sync_api, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


# --- reading the page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    label: str
    count: int
    selected: bool
    aria_current: str | None


def _category_facet(page) -> list[FacetValue]:
    """Return the values of the Category facet as shown in the sidebar."""
    rows = page.eval_on_selector_all(
        "aside.sidebar section.facet",
        """sections => {
            const category = sections.find(s => s.querySelector('h2').textContent.trim() === 'Category');
            if (!category) return null;
            return [...category.querySelectorAll('ul.facet-values li')].map(li => ({
                label: li.querySelector('a .facet-label').textContent.trim(),
                count: li.querySelector('a .count').textContent.trim(),
                selected: li.classList.contains('selected'),
                aria_current: li.querySelector('a').getAttribute('aria-current'),
            }));
        }""",
    )
    assert rows, "there is no Category facet in the sidebar"
    return [FacetValue(row["label"], int(row["count"].replace(",", "")), row["selected"], row["aria_current"]) for row in rows]


def _total(page) -> int:
    """Return the total number of articles the summary line announces."""
    text = " ".join(page.locator("p.summary[role=status]").inner_text().split())
    match = TOTAL.search(text)
    assert match, f"the summary does not give a total: {text!r}"
    return int(match.group(1).replace(",", ""))


def _arguments(url: str) -> dict[str, list[str]]:
    """Return the query-string arguments of a URL."""
    return parse_qs(urlsplit(url).query)


def _marks_the_query(texts: list[str]) -> bool:
    """Tell whether some marked text is the query word (any case, possibly a plural)."""
    return any(re.fullmatch(rf"{QUERY}s?", text.strip(), re.IGNORECASE) for text in texts)


def _assert_on_page_two(page, expect, selected: list[str]) -> None:
    """Assert the page shows page 2 of the search for QUERY with exactly the selected categories."""
    arguments = _arguments(page.url)
    assert arguments.get("q") == [QUERY], page.url
    assert arguments.get("page") == ["2"], page.url
    assert sorted(value.casefold() for value in arguments.get("category", [])) == sorted(
        value.casefold() for value in selected
    ), page.url
    expect(page.locator("#q")).to_have_value(QUERY)
    expect(page.locator("nav.pagination span[aria-current=page]")).to_have_text("2")
    expect(page.locator("ol.hits")).to_have_attribute("start", str(PER_PAGE + 1))
    shown = {value.label for value in _category_facet(page) if value.selected}
    assert shown == set(selected)
    expect(page.locator("ul.chips li.chip")).to_have_count(2)


# --- the tests -----------------------------------------------------------------------------------


def test_search_journey(sync_api, server, watched):
    """Search, filter, page, read an article, come back, like a person would."""
    expect = sync_api.expect
    page = watched.page
    box = page.locator("#q")

    # 1. The search box has focus on load; after clicking elsewhere, "/" brings focus back.
    page.goto(server + "/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")
    page.locator("p.summary").click()
    assert page.evaluate("document.activeElement.id") != "q"
    page.keyboard.press("/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")
    expect(box).to_have_value("")  # the slash focused the box and was not typed into it

    # 2. Type a query and press Enter.
    page.keyboard.type(QUERY)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"[?&]q={QUERY}(&|$)"))
    expect(box).to_have_value(QUERY)
    hits = page.locator("ol.hits li.hit h2 a")
    expect(hits).to_have_count(PER_PAGE)
    marks = page.locator("ol.hits li.hit .snippet mark").all_inner_texts()
    assert _marks_the_query(marks), f"no snippet marks {QUERY!r}: {marks}"
    unfiltered_total = _total(page)
    assert unfiltered_total > PER_PAGE

    # 3. Select two values of the Category facet, one after the other.
    before = _category_facet(page)
    counts = {value.label: value.count for value in before}
    assert not any(value.selected for value in before)
    assert len(before) >= 2, before
    first, second = before[0].label, before[1].label
    assert counts[first] + counts[second] > PER_PAGE, "the search is too small to page through two categories"

    facet_link = lambda label: page.locator("aside.sidebar section.facet li a").filter(  # noqa: E731
        has=page.locator(".facet-label", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    with page.expect_navigation():
        facet_link(first).click()
    expect(page.locator("ul.chips li.chip")).to_have_count(1)
    after_one = _category_facet(page)
    assert [value.label for value in after_one if value.selected] == [first]
    assert {value.label: value.count for value in after_one} == counts, "the Category counts changed with its own selection"
    assert all(value.aria_current == ("true" if value.selected else None) for value in after_one)
    assert _total(page) == counts[first]

    with page.expect_navigation():
        facet_link(second).click()
    expect(page.locator("ul.chips li.chip")).to_have_count(2)
    after_two = _category_facet(page)
    assert {value.label for value in after_two if value.selected} == {first, second}
    assert {value.label: value.count for value in after_two} == counts, "the Category counts changed with its own selection"
    assert all(value.aria_current == ("true" if value.selected else None) for value in after_two)
    assert _total(page) == counts[first] + counts[second], "two values of one facet should combine with OR"
    expect(box).to_have_value(QUERY)
    first_page_titles = hits.all_inner_texts()

    # 4. Page forward.
    with page.expect_navigation():
        page.locator("nav.pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"[?&]page=2(&|$)"))
    _assert_on_page_two(page, expect, [first, second])
    page_two_url = page.url
    page_two_titles = hits.all_inner_texts()
    assert page_two_titles and not set(page_two_titles) & set(first_page_titles), "page 2 repeats page 1"

    # 5. Open the first article.
    title = page_two_titles[0]
    with page.expect_navigation():
        hits.first.click()
    page.wait_for_url(re.compile(r"/articles/"))
    heading = page.locator("main.article-page article h1")
    expect(heading).to_have_count(1)
    assert " ".join(heading.inner_text().split()) == " ".join(title.split())
    assert page.locator("main.article-page .article-body p").count() >= 1
    article_marks = page.locator("main.article-page article mark").all_inner_texts()
    assert _marks_the_query(article_marks), f"the article does not mark {QUERY!r}: {article_marks}"
    similar = page.locator("main.article-page section.similar")
    expect(similar.locator("h2")).to_have_text("More like this")
    assert 1 <= similar.locator("li a").count() <= 5
    article_url = page.url

    # 6. Come back with the browser's Back button, then with the page's own link.
    page.go_back()
    page.wait_for_url(page_two_url)
    _assert_on_page_two(page, expect, [first, second])
    assert hits.all_inner_texts() == page_two_titles

    page.go_forward()
    page.wait_for_url(article_url)
    back_link = page.locator("main.article-page p.back a")
    expect(back_link).to_have_text("← Back to results")
    with page.expect_navigation():
        back_link.click()
    _assert_on_page_two(page, expect, [first, second])
    assert hits.all_inner_texts() == page_two_titles

    # 7. A full-page screenshot of the results.
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "search-results.png"
    screenshot.unlink(missing_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.is_file()
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert screenshot.stat().st_size > 20_000

    watched.assert_no_errors()


def test_results_fit_a_phone(sync_api, server, phone):
    """A results page with chips, facets and pagination, and an article, do not scroll sideways at 390 px."""
    expect = sync_api.expect
    page = phone.page
    page.goto(f"{server}/?q={QUERY}&category=politics&category=business&page=2")
    expect(page.locator("ol.hits li.hit")).to_have_count(PER_PAGE)
    expect(page.locator("ul.chips li.chip")).to_have_count(2)
    expect(page.locator("nav.pagination")).to_be_visible()
    assert page.evaluate("window.innerWidth") == 390
    _assert_no_sideways_scroll(page)

    with page.expect_navigation():
        page.locator("ol.hits li.hit h2 a").first.click()
    expect(page.locator("main.article-page article h1")).to_have_count(1)
    _assert_no_sideways_scroll(page)
    phone.assert_no_errors()


def _assert_no_sideways_scroll(page) -> None:
    """Assert the document is no wider than the viewport."""
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways on a phone: {widths}"


def test_predicted_categories_are_marked_and_can_be_left_out(sync_api, watched, tmp_path):
    """An article whose category the archive predicted says so discreetly; the category facet can leave such articles out."""
    expect = sync_api.expect
    page = watched.page
    sources = tmp_path / "sources"
    write_labelled(sources, ("sport", "business", "tech"), 20)
    rng = random.Random(4)
    for number in range(3):
        write_article(sources / "saved" / f"new-{number}.txt", "sport", rng)
    assert rebuild(IndexLocation(tmp_path / "index"), [sources]).predicted == 3

    with running_archive(tmp_path / "index") as archive:
        page.goto(f"{archive.url}/?q=goal&per_page=50")
        marks = page.locator("ol.hits .hit-meta .predicted")
        expect(marks).to_have_count(3)
        expect(marks.first).to_be_visible()
        assert re.search(r"\d+% confident", marks.first.get_attribute("title"))
        total = _total(page)
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile(r"Leave out the 3 with a predicted category")).click()
        expect(page.locator("ol.hits .predicted")).to_have_count(0)
        assert _total(page) == total - 3
        expect(page.locator("ul.chips li.chip")).to_have_text([re.compile("Without predicted categories")])
        page.fill("#q", "striker")
        with page.expect_navigation():
            page.press("#q", "Enter")
        assert _arguments(page.url)["predicted"] == ["exclude"]  # a new search keeps the choice
        expect(page.locator("ol.hits .predicted")).to_have_count(0)
    watched.assert_no_errors()
