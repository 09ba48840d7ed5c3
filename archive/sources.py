"""Find article files under the user's folders and read each into an Article, or a reason to skip it."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from archive.encoding import decode_bytes
from archive.jsonl import parse_jsonl
from archive.model import Article, Duplicate, ParseError, Skipped
from archive.text import parse_text

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml", ".shtml"})
JSONL_EXTENSIONS = frozenset({".jsonl", ".ndjson"})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Files that travel with collections but describe them rather than being articles.
NOT_ARTICLES = frozenset({"readme", "license", "licence", "copying", "changelog", "provenance", "authors", "notice"})
_SNIFF_BYTES = 8192


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
    source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES, consumed: Callable[[int], None] | None = None
) -> Iterator[Article | Skipped]:
    """Yield the articles of one file (many for JSON Lines), or a Skipped for each part that is not one."""
    if source.path.suffix.lower() not in JSONL_EXTENSIONS:
        try:
            yield read_article(source, max_bytes)
        except ParseError as error:
            yield Skipped(str(source.path), str(error))
        if consumed:
            consumed(source.size)
        return
    try:
        with open(source.path, "rb") as lines:
            yield from parse_jsonl(
                lines, relative_path=source.relative_path, path=str(source.path), max_line_bytes=max_bytes, consumed=consumed
            )
    except OSError as error:
        yield Skipped(str(source.path), _os_reason(error))


def read_sources(sources: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | Skipped]:
    """Yield an Article or a Skipped for every article or problem under the sources."""
    for found in find_files(sources):
        if isinstance(found, Skipped):
            yield found
        else:
            yield from read_articles(found, max_bytes)


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
