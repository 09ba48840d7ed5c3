"""The saved real news pages of ../shared/data/news_html with their expected outputs, and how to compare.

Used by tests/test_html.py (match-rate floors) and tests/benchmarks/pages.py (figures against
trafilatura and against the previous commit). Two sets, described in news_html/PROVENANCE.md:
- readability/<name>/: source.html, expected.html (Readability's extracted body), expected-metadata.json
  (title, byline, publishedTime);
- goose3/test_*.html with test_*.json: the page URL, an expected title and the start of the expected
  body (`cleaned_text`, usually a prefix), or for test_schema_graph the expected JSON-LD.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import lxml.html

TITLE_SEPARATORS = "-|–—:·_[]"
MAX_AFFIX_WORDS = 4
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TOKEN = re.compile(rf"{_CJK.pattern}|(?:(?!{_CJK.pattern})[^\W_])+")


@dataclass(frozen=True)
class PageCase:
    """One saved page and what its test suite expects of it (None where it expects nothing)."""

    name: str
    path: Path
    url: str
    title: str | None
    date: str | None
    byline: str | None
    language: str | None
    body: str | None  # the whole expected article text
    body_prefix: str | None  # the expected start of the article text


def page_cases(root: Path) -> list[PageCase]:
    """Return every saved page of news_html with its expected outputs."""
    return readability_cases(root / "readability") + goose3_cases(root / "goose3")


def readability_cases(folder: Path) -> list[PageCase]:
    """Return the Readability fixtures: full expected body and expected metadata."""
    cases = []
    for page in sorted(folder.iterdir()):
        expected = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))
        cases.append(
            PageCase(
                name=f"readability/{page.name}",
                path=page / "source.html",
                url="",
                title=expected.get("title"),
                date=expected.get("publishedTime"),
                byline=expected.get("byline"),
                language=expected.get("lang"),
                body=html_text((page / "expected.html").read_bytes()),
                body_prefix=None,
            )
        )
    return cases


def goose3_cases(folder: Path) -> list[PageCase]:
    """Return the goose3 fixtures: expected title and body start, or expected JSON-LD."""
    cases = []
    for html_file in sorted(folder.glob("*.html")):
        spec = json.loads(html_file.with_suffix(".json").read_text(encoding="utf-8"))
        expected, schema = spec.get("expected", {}), spec.get("schema", {})
        authors = [a.get("name") for a in schema.get("author", []) if isinstance(a, dict) and a.get("name")]
        cases.append(
            PageCase(
                name=f"goose3/{html_file.stem}",
                path=html_file,
                url=spec.get("url") or "",
                title=expected.get("title") or schema.get("headline"),
                date=schema.get("datePublished"),
                byline=" and ".join(authors) or None,
                language=expected.get("meta_lang") or schema.get("inLanguage"),
                body=None,
                body_prefix=expected.get("cleaned_text") or None,
            )
        )
    return cases


def html_text(data: bytes) -> str:
    """Return the text of an HTML fragment, one line per block."""
    root = lxml.html.fromstring(data.decode("utf-8"))
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "tr", "br", "blockquote", "pre", "figcaption"):
        block.tail = "\n" + (block.tail or "")
    return "\n".join(" ".join(line.split()) for line in root.text_content().split("\n") if line.strip())


# --- comparing text ----------------------------------------------------------------------------


def tokens(text: str) -> Counter:
    """Return the words of a text, lowercased, each CJK character counting as a word."""
    return Counter(_TOKEN.findall(text.casefold()))


def precision_recall_f1(ours: str, expected: str) -> tuple[float, float, float]:
    """Return the bag-of-words precision, recall and F1 of a text against the expected one."""
    got, wanted = tokens(ours), tokens(expected)
    common = sum((got & wanted).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(wanted.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def normalized(text: str) -> str:
    """Return text casefolded with whitespace collapsed."""
    return " ".join(text.split()).casefold()


def first_paragraph(text: str, limit: int = 80) -> str | None:
    """Return the start of the first paragraph of an expected body, or None if there is none."""
    paragraph = next((p for p in text.split("\n") if p.strip()), "")
    return normalized(paragraph)[:limit] or None


# --- comparing metadata ------------------------------------------------------------------------


def titles_equal(ours: str, expected: str) -> bool:
    """Tell whether two titles are the same text, ignoring only runs of whitespace."""
    return bool(ours.strip()) and " ".join(ours.split()) == " ".join(expected.split())


def titles_match(ours: str, expected: str) -> bool:
    """Tell whether titles are equal after normalization, or differ only by a site-name affix."""
    ours, expected = normalized(ours), normalized(expected)
    shorter, longer = sorted((ours, expected), key=len)
    if not shorter or shorter == longer:
        return bool(shorter)
    if longer.startswith(shorter):
        return is_site_affix(longer[len(shorter):], joined_at_start=True)
    if longer.endswith(shorter):
        return is_site_affix(longer[: -len(shorter)], joined_at_start=False)
    return False


def is_site_affix(affix: str, *, joined_at_start: bool) -> bool:
    """Tell whether a title remainder is a separator joined to a short name, like ' - CNN.com' or 'TechCrunch | '."""
    affix = affix.strip()
    edge = affix[:1] if joined_at_start else affix[-1:]
    words = affix.strip(TITLE_SEPARATORS + " ").split()
    return bool(edge) and edge in TITLE_SEPARATORS and 0 < len(words) <= MAX_AFFIX_WORDS


def dates_match(ours: datetime | None, expected: str) -> bool:
    """Tell whether our date equals the expected one to the minute in UTC; naive expected times are UTC."""
    wanted = datetime.fromisoformat(expected.strip())
    wanted = wanted if wanted.tzinfo else wanted.replace(tzinfo=timezone.utc)
    return ours is not None and utc_minute(ours) == utc_minute(wanted)


def utc_minute(moment: datetime) -> datetime:
    """Return a moment in UTC truncated to the minute."""
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


def primary_language(tag: str) -> str:
    """Return the primary subtag of a language tag: 'en' for 'en-US' or 'en_us'."""
    return re.split(r"[-_]", tag.strip().lower())[0]


def expected_names(byline: str) -> list[str]:
    """Return the person names in an expected byline.

    Only the first line counts, without a leading 'By'/'Par' and without anything from the first digit
    on (Readability glues dates and counters onto names). A one-word piece such as 'MA' next to a full
    name is a credential or an employer, not a person.
    """
    line = re.sub(r"^\s*(by|par)\s+", "", byline.strip().split("\n")[0], flags=re.IGNORECASE)
    line = re.split(r"\d", line)[0]
    pieces = [normalized(p) for p in re.split(r",|;|&|\band\b", line, flags=re.IGNORECASE) if p.strip()]
    full_names = [p for p in pieces if len(p.split()) > 1]
    return full_names if full_names else pieces


def byline_matches(authors: tuple[str, ...] | list[str], byline: str) -> bool:
    """Tell whether every expected name is one of our authors, ignoring case and spacing."""
    ours = {normalized(author) for author in authors}
    names = expected_names(byline)
    return bool(names) and all(name in ours for name in names)
