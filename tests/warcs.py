"""Write web archives (WARC) for the tests and benchmarks with warcio, as crawlers write them."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

FILLER = (
    "The harbour authority confirmed on Monday that the new ferry terminal will open to passengers in the spring.",
    "Engineers said the final inspections of the floating pier and the ticket hall were completed last week.",
    "Local traders expect the terminal to bring thousands of extra visitors to the old town every summer month.",
)


@dataclass(frozen=True)
class Record:
    """One WARC record to write: a response by default."""

    uri: str
    body: bytes = b""
    record_type: str = "response"
    status: str = "200 OK"
    content_type: str = "text/html; charset=utf-8"
    date: str = "2024-03-01T12:00:00Z"
    refers_to: str = ""  # for a revisit: the address it repeats


def shared_pages(news_html: Path) -> list[Path]:
    """Return the saved pages of ../shared/data/news_html, in a stable order."""
    return sorted([*news_html.glob("goose3/*.html"), *news_html.glob("readability/*/source.html")])


def page_address(page: Path) -> str:
    """Return the address a shared page is archived under in the tests (one path segment: no section in it)."""
    name = page.parent.name if page.name == "source.html" else page.stem
    return f"https://news.example/{name}.html"


def story(title: str, words: str, *, date: str = "") -> bytes:
    """Return a small news page whose text includes the given words, dated when date is given."""
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    paragraphs = "".join(f"<p>{sentence} {words}.</p>" for sentence in FILLER)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{meta}</head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def write_warc(path: Path, records: Iterable[Record], *, gzip: bool = True) -> Path:
    """Write the records to a WARC file (gzipped per record, as crawlers do, unless gzip is False)."""
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for record in records:
            writer.write_record(_record(writer, record))
    return path


def _record(writer: WARCWriter, record: Record):
    """Return a warcio record for a Record."""
    headers = {"WARC-Date": record.date}
    if record.record_type == "revisit":
        headers |= {
            "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
            "WARC-Refers-To-Target-URI": record.refers_to or record.uri,
        }
    if record.record_type in ("response", "revisit"):
        http = StatusAndHeaders(record.status, [("Content-Type", record.content_type)], protocol="HTTP/1.1")
        return writer.create_warc_record(
            record.uri, record.record_type, payload=io.BytesIO(record.body), length=len(record.body),
            warc_headers_dict=headers, http_headers=http,
        )
    return writer.create_warc_record(
        record.uri, record.record_type, payload=io.BytesIO(record.body), length=len(record.body),
        warc_headers_dict=headers, warc_content_type=record.content_type,
    )
