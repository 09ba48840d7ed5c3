"""Find article files under the user's folders and read each into an Article, or a reason to skip it."""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from archive.encoding import decode_bytes
from archive.jsonl import parse_jsonl
from archive.model import Article, Duplicate, ParseError, Skipped
from archive.tables import TableSettings, parse_table, sniff_delimiter
from archive.text import parse_text

if TYPE_CHECKING:
    from archive.page_workers import PagePart

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml", ".shtml"})
JSONL_EXTENSIONS = frozenset({".jsonl", ".ndjson"})
TABLE_EXTENSIONS = frozenset({".csv", ".tsv", ".tab"})
FEED_EXTENSIONS = frozenset({".rss", ".atom", ".rdf", ".xml", ".json"})
WARC_SUFFIXES = (".warc", ".warc.gz")
WACZ_EXTENSION = ".wacz"
# The kinds of file the archive reads, as the summary names them.
KIND_LABELS = {
    "text": "plain text",
    "html": "web pages",
    "jsonl": "JSON Lines",
    "warc": "web archives",
    "feed": "feeds",
    "table": "CSV and TSV",
    "untyped": "without extension",
    "other": "other types",
}
# Files holding web pages to parse: the page workers read them (see page_parts).
PAGE_HOLDING_KINDS = frozenset({"feed", "warc"})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Files that travel with collections but describe them rather than being articles.
NOT_ARTICLES = frozenset({"readme", "license", "licence", "copying", "changelog", "provenance", "authors", "notice"})
_SNIFF_BYTES = 8192
_TABLE_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A candidate article file found under a source folder."""

    path: Path  # absolute
    relative_path: str  # relative to the source root, with forward slashes
    folders: tuple[str, ...]  # the folders between the source root and the file (which may name its category)
    mtime_ns: int
    size: int


def find_files(sources: Iterable[Path]) -> Iterator[SourceFile | Skipped]:
    """Yield every visible file under the given files and folders, in a stable order."""
    for source in sources:
        source = resolve_source(source)
        if source.is_file():
            yield from _source_file(source, source.parent)
        elif source.is_dir():
            yield from _walk(source)
        else:
            yield Skipped(str(source), "not found")


def _walk(root: Path) -> Iterator[SourceFile | Skipped]:
    """Yield the visible files under a folder, following links to folders but reading each folder once."""
    errors: list[OSError] = []
    seen = {_identity(root)}
    for folder, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=True):
        yield from (Skipped(error.filename, _os_reason(error)) for error in errors)
        errors.clear()
        kept = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            identity = _identity(Path(folder) / name)
            if identity in seen:
                yield Skipped(str(Path(folder) / name), "a link to a folder already read (a symbolic link loop?)")
            elif identity is not None:
                seen.add(identity)
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.startswith("."):
                yield from _source_file(Path(folder) / name, root)
    # os.walk reports a folder it cannot list only when it tries to descend, which may be after the last yield.
    yield from (Skipped(error.filename, _os_reason(error)) for error in errors)


def _identity(folder: Path) -> tuple[int, int] | None:
    """Return what identifies a folder however it is reached (device and inode), or None if it vanished."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def resolve_source(source: Path | str) -> Path:
    """Return a source as an absolute path, with ~ expanded, the way files are recorded in the index."""
    return Path(os.path.abspath(Path(source).expanduser()))


def _source_file(path: Path, root: Path) -> Iterator[SourceFile | Skipped]:
    """Describe one file, or say why it cannot be read."""
    try:
        info = path.stat()
    except OSError as error:
        broken_link = isinstance(error, FileNotFoundError) and path.is_symlink()
        yield Skipped(str(path), "broken symbolic link (its target is missing)" if broken_link else _os_reason(error))
        return
    if not stat.S_ISREG(info.st_mode):
        # Reading a named pipe blocks until something writes to it: the run would never end.
        yield Skipped(str(path), "not a regular file (a pipe, socket or device)")
        return
    relative = path.relative_to(root)
    yield SourceFile(path, relative.as_posix(), relative.parent.parts, info.st_mtime_ns, info.st_size)


def file_kind(path: Path) -> str:
    """Return the kind of a file by its name: one of KIND_LABELS."""
    extension = path.suffix.lower()
    if path.name.lower().endswith(WARC_SUFFIXES) or extension == WACZ_EXTENSION:
        return "warc"
    kinds = (
        (FEED_EXTENSIONS, "feed"), (TABLE_EXTENSIONS, "table"), (JSONL_EXTENSIONS, "jsonl"),
        (HTML_EXTENSIONS, "html"), (TEXT_EXTENSIONS, "text"),
    )
    return next((kind for extensions, kind in kinds if extension in extensions), "other" if extension else "untyped")


def read_article(source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Read and parse a file holding one article; raise ParseError with the reason it is not one."""
    extension = source.path.suffix.lower()
    if source.path.stem.lower() in NOT_ARTICLES:
        raise ParseError("collection documentation, not an article")
    if extension and extension not in TEXT_EXTENSIONS | HTML_EXTENSIONS | JSONL_EXTENSIONS:
        raise ParseError(f"unsupported file type ({extension})")
    if source.size > max_bytes:
        raise ParseError(f"larger than the {max_bytes // 1024 // 1024} MB limit")
    try:
        data = source.path.read_bytes()
    except OSError as error:
        raise ParseError(_os_reason(error)) from error
    if not data.strip():
        raise ParseError("empty file")
    if _looks_binary(data[:_SNIFF_BYTES]):
        raise ParseError("binary file, not text")
    if extension in HTML_EXTENSIONS or (not extension and _looks_like_html(data[:_SNIFF_BYTES])):
        from archive.html import parse_html  # trafilatura is slow to import; plain-text runs never need it

        article = parse_html(data, relative_path=source.relative_path, folders=source.folders)
    else:
        article = parse_text(decode_bytes(data), relative_path=source.relative_path, folders=source.folders)
    return replace(article, path=str(source.path))


def read_articles(
    source: SourceFile,
    max_bytes: int = DEFAULT_MAX_BYTES,
    consumed: Callable[[int], None] | None = None,
    *,
    tables: TableSettings = TableSettings(),
) -> Iterator[Article | Skipped | Duplicate]:
    """Yield the articles of one file (many for JSON Lines, tables, feeds, web archives), or why a part is none.

    This process parses every page; a rebuild hands the pages of page_parts to the page workers instead.
    """
    if holds_pages(source):
        from archive.page_workers import PagePart, read_page  # it imports this module

        for part in page_parts(source, max_bytes, consumed):
            yield part.article(read_page(part.job, max_bytes)) if isinstance(part, PagePart) else part
        return
    reader = {"jsonl": _read_jsonl, "table": _read_table}.get(file_kind(source.path))
    if reader is None:
        try:
            yield read_article(source, max_bytes)
        except ParseError as error:
            yield Skipped(str(source.path), str(error))
        if consumed:
            consumed(source.size)
        return
    yield from _read_parts(reader, source, max_bytes, consumed, tables=tables)


def holds_pages(source: SourceFile) -> bool:
    """Tell whether a file holds web pages to parse: a feed's entries, a web archive's records."""
    return file_kind(source.path) in PAGE_HOLDING_KINDS


def page_parts(
    source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES, consumed: Callable[[int], None] | None = None
) -> Iterator[PagePart | Skipped | Duplicate]:
    """Yield the pages inside a feed or web archive, for the page parser, and why each other part is none."""
    reader = _read_feed if file_kind(source.path) == "feed" else _read_web_archive
    yield from _read_parts(reader, source, max_bytes, consumed)


def read_sources(
    sources: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES, *, tables: TableSettings = TableSettings()
) -> Iterator[Article | Skipped | Duplicate]:
    """Yield an Article or a Skipped for every article or problem under the sources."""
    for found in find_files(sources):
        if isinstance(found, Skipped):
            yield found
        else:
            yield from read_articles(found, max_bytes, tables=tables)


def _read_parts(
    reader: Callable[..., Iterator], source: SourceFile, max_bytes: int, consumed: Callable[[int], None] | None, **options: object
) -> Iterator:
    """Yield what a reader of a file of many parts yields, or why the file cannot be read."""
    if source.size == 0:
        yield Skipped(str(source.path), "empty file")
        return
    try:
        yield from reader(source, max_bytes, consumed or _ignore, **options)
    except OSError as error:
        yield Skipped(str(source.path), _os_reason(error))


def _read_jsonl(source: SourceFile, max_bytes: int, consumed: Callable[[int], None], **_: object) -> Iterator[Article | Skipped]:
    """Yield the articles of a JSON Lines file, line by line."""
    with open(source.path, "rb") as lines:
        yield from parse_jsonl(
            lines, relative_path=source.relative_path, path=str(source.path), max_line_bytes=max_bytes, consumed=consumed
        )


def _read_table(
    source: SourceFile, max_bytes: int, consumed: Callable[[int], None], *, tables: TableSettings, **_: object
) -> Iterator[Article | Skipped]:
    """Yield the articles of a CSV or TSV file, row by row."""
    with open(source.path, "rb") as raw:
        head = raw.read(_TABLE_SNIFF_BYTES)
        raw.seek(0)
        encoding = "utf-8-sig" if _is_utf8(head) else "cp1252"
        with io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as lines:
            sample = head.decode(encoding, errors="replace")
            yield from parse_table(
                lines,
                delimiter=sniff_delimiter(sample, source.path.suffix.lower()),
                layout=tables.layout_for(source.path),
                aliases=tables.aliases,
                relative_path=source.relative_path,
                path=str(source.path),
                max_row_bytes=max_bytes,
                consumed=consumed,
            )


def _read_feed(source: SourceFile, max_bytes: int, consumed: Callable[[int], None]) -> Iterator[PagePart | Skipped]:
    """Yield the entries of an RSS, Atom or JSON feed file, each a page for the page parser."""
    from archive.feeds import entry_part, parse_feed  # feedparser is slow to import; few runs need it

    path = str(source.path)
    if source.size > max_bytes:
        yield Skipped(path, f"larger than the {max_bytes // 1024 // 1024} MB limit")
        return
    try:
        entries = parse_feed(source.path.read_bytes())
    except ParseError as error:
        yield Skipped(path, str(error))
        return
    if not entries:
        yield Skipped(path, "a feed without entries")
    for entry in entries:
        yield entry_part(entry, path=path, relative_path=source.relative_path)
    consumed(source.size)


def _read_web_archive(
    source: SourceFile, max_bytes: int, consumed: Callable[[int], None]
) -> Iterator[PagePart | Skipped | Duplicate]:
    """Yield the captured pages of a WARC file (or of each WARC inside a WACZ), record by record."""
    from archive.warc import newest_captures, starts_like_warc, warc_captures  # warcio is slow to import

    path = str(source.path)
    try:
        for label, opener, size in _warc_streams(source.path):
            with opener() as stream:
                if not starts_like_warc(stream.read(_SNIFF_BYTES)):
                    yield Skipped(label, "not a web archive (it does not start with a WARC record)")
                    consumed(size)
                    continue
                stream.seek(0)
                newest = newest_captures(stream)
            with opener() as stream:
                done = 0
                captures = warc_captures(
                    stream, newest, label=label, path=path, relative_path=source.relative_path, max_bytes=max_bytes
                )
                for item in captures:
                    position = stream.tell()
                    consumed(position - done)
                    done = position
                    yield item
                consumed(size - done)
    except zipfile.BadZipFile as error:
        yield Skipped(path, f"damaged web archive ({error})")


def _warc_streams(path: Path) -> Iterator[tuple[str, Callable[[], AbstractContextManager[BinaryIO]], int]]:
    """Yield (label, opener, size) for the WARC file, or for each WARC in a WACZ bundle's archive/ folder."""
    if path.suffix.lower() != WACZ_EXTENSION:
        yield str(path), lambda: open(path, "rb"), path.stat().st_size
        return
    with zipfile.ZipFile(path) as bundle:
        for member in bundle.infolist():
            if member.filename.startswith("archive/") and member.filename.lower().endswith(WARC_SUFFIXES):
                yield f"{path}!{member.filename}", lambda member=member: bundle.open(member), member.file_size


def _is_utf8(head: bytes) -> bool:
    """Tell whether the first bytes of a file are UTF-8 (a character cut at the end of the sample is allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.reason == "unexpected end of data"
    return True


def _ignore(size: int) -> None:
    """Report progress to no one."""


def drop_duplicates(
    items: Iterable[Article | Skipped],
    existing: Callable[[str], str | None] = lambda content_hash: None,
    id_taken: Callable[[str], bool] = lambda article_id: False,
) -> Iterator[Article | Skipped | Duplicate]:
    """Pass items through, replacing by a Duplicate each article whose text was seen or already exists.

    `existing` returns the id of an article already archived with the given content hash, if any;
    `id_taken` tells whether another file's article already holds an id.
    """
    seen_hashes: dict[str, str] = {}
    seen_ids: set[str] = set()
    for item in items:
        if not isinstance(item, Article):
            yield item
        elif (original := seen_hashes.get(item.content_hash) or existing(item.content_hash)) is not None:
            yield Duplicate(item.path, original)
        elif item.id in seen_ids or id_taken(item.id):
            yield Skipped(item.path, f"another file already has the id {item.id!r}")
        else:
            seen_hashes[item.content_hash] = item.id
            seen_ids.add(item.id)
            yield item


def _looks_binary(head: bytes) -> bool:
    """Tell whether the first bytes look like a binary format rather than text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def _looks_like_html(head: bytes) -> bool:
    """Tell whether an extension-less file is an HTML page."""
    lowered = head.lstrip()[:1024].lower()
    return lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in lowered


def _os_reason(error: OSError) -> str:
    """Describe a file-system error in words a user understands."""
    if isinstance(error, FileNotFoundError):
        return "disappeared before it could be read"
    if isinstance(error, PermissionError):
        return "unreadable: permission denied"
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"unreadable: {error.strerror or error}"
