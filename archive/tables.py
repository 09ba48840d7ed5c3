"""Read CSV and TSV files: one article per row, its columns recognised by the names in the header row."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

from archive.jsonl import record_article
from archive.model import Article, Skipped

# Header names people use, for each article field, in order of preference (the first present is used).
FIELD_COLUMNS = {
    "title": ("title", "headline", "heading"),
    "body": ("body", "text", "content", "article", "description"),
    "published": ("published", "date", "pubdate", "published_at", "publication_date", "datetime"),
    "category": ("category", "label", "section", "topic"),
    "url": ("url", "link"),
    "authors": ("authors", "author", "byline", "by"),
    "tags": ("tags", "keywords"),
    "id": ("id",),
    "source": ("source", "publication"),
    "language": ("language", "lang"),
    "summary": ("summary",),
}
FIELDS = frozenset(FIELD_COLUMNS)
_DELIMITERS = ",;\t|"
_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*")  # between names in an authors or tags cell
_SNIFF_CHARACTERS = 64 * 1024


@dataclass(frozen=True)
class TableLayout:
    """How to read the files one pattern names: the fields of their columns when they have no header row."""

    columns: tuple[str, ...] = ()  # one field per column, '' to ignore a column; empty: the file has a header
    categories: Mapping[str, str] = field(default_factory=dict)  # a category column's values -> category labels


@dataclass(frozen=True)
class TableSettings:
    """What the instance says about CSV and TSV files: other column names, and layouts by file pattern."""

    aliases: Mapping[str, str] = field(default_factory=dict)  # header name -> field
    layouts: tuple[tuple[str, TableLayout], ...] = ()  # (file pattern, layout), the first match wins

    def layout_for(self, path: PurePath) -> TableLayout:
        """Return the layout of the first pattern matching the path (from the right, as in 'ag_news/*.csv')."""
        return next((layout for pattern, layout in self.layouts if path.match(pattern)), TableLayout())


def table_settings(aliases: Mapping[str, str] | None, files: Mapping[str, Mapping] | None) -> TableSettings:
    """Build the settings from the instance's CSV_COLUMNS and CSV_FILES; raise ValueError naming a bad field."""
    aliases = {_name_key(name): field_name for name, field_name in (aliases or {}).items()}
    layouts = []
    for pattern, spec in (files or {}).items():
        columns = tuple(str(column) for column in spec.get("columns", ()))
        layouts.append((pattern, TableLayout(columns, {str(k): str(v) for k, v in spec.get("categories", {}).items()})))
    for field_name in [*aliases.values(), *(column for _, layout in layouts for column in layout.columns)]:
        if field_name and field_name not in FIELDS:
            raise ValueError(f"{field_name!r} is not an article field (one of {', '.join(sorted(FIELDS))})")
    return TableSettings(aliases, tuple(layouts))


def sniff_delimiter(sample: str, extension: str) -> str:
    """Return a file's delimiter: a tab for .tsv and .tab, else the one Python's csv sniffer finds (',' if none)."""
    if extension in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample[:_SNIFF_CHARACTERS], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def parse_table(
    lines: Iterable[str],
    *,
    delimiter: str,
    layout: TableLayout,
    aliases: Mapping[str, str],
    relative_path: str,
    path: str,
    max_row_bytes: int,
    consumed: Callable[[int], None] | None = None,
) -> Iterator[Article | Skipped]:
    """Yield an Article per good row and a Skipped, naming its line number, per bad one."""
    # The csv module's limit is process-wide: set, not merely raised, so a run's outcome never depends on an earlier one.
    csv.field_size_limit(max_row_bytes)
    rows = csv.reader(_counted(lines, consumed), delimiter=delimiter)
    columns = list(layout.columns)
    if not columns:
        header = _next_row(rows, path)
        if isinstance(header, Skipped) or header is None:
            yield header or Skipped(path, "empty file")
            return
        columns = header_fields(header, aliases)
        if not {"title", "body"} & set(columns):
            yield Skipped(path, "no header row naming a title or body column (see the README: CSV and TSV files)")
            return
    last_line = rows.line_num
    while True:
        row = _next_row(rows, path)
        number, last_line = last_line + 1, rows.line_num
        if row is None:
            return
        if isinstance(row, Skipped):
            reason = _too_large(max_row_bytes) if "field limit" in row.reason else row.reason
            yield Skipped(f"{path}:{number}", f"line {number}: {reason}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{number}"
        if len(row) != len(columns):
            yield Skipped(where, f"line {number}: {len(row)} fields where there are {len(columns)} columns")
            continue
        if sum(map(len, row)) > max_row_bytes:
            yield Skipped(where, f"line {number}: {_too_large(max_row_bytes)}")
            continue
        record = {name: value for name, value in zip(columns, row, strict=True) if name}
        if "category" in record:
            record["category"] = layout.categories.get(record["category"].strip(), record["category"])
        for name in ("authors", "tags"):
            if name in record:
                record[name] = _LIST_SEPARATOR.split(record[name])
        yield record_article(record, number=number, relative_path=relative_path, path=path)


def header_fields(header: list[str], aliases: Mapping[str, str]) -> list[str]:
    """Return the field of each header column ('' for a column the archive does not use)."""
    keys = [_name_key(name) for name in header]
    chosen: dict[int, str] = {}
    for position, key in enumerate(keys):
        if key in aliases:
            chosen[position] = aliases[key]
    for field_name, names in FIELD_COLUMNS.items():
        if field_name in chosen.values():
            continue
        position = next((keys.index(name) for name in names if name in keys and keys.index(name) not in chosen), None)
        if position is not None:
            chosen[position] = field_name
    return [chosen.get(position, "") for position in range(len(header))]


def _next_row(rows, path: str) -> list[str] | Skipped | None:
    """Return the next row, a Skipped for a row the csv module rejects, or None at the end."""
    try:
        return next(rows)
    except StopIteration:
        return None
    except csv.Error as error:
        return Skipped(path, f"not valid CSV ({error})")


def _too_large(max_row_bytes: int) -> str:
    """Return the reason given for a row over the size limit."""
    return f"larger than the {max_row_bytes // 1024 // 1024} MB limit"


def _counted(lines: Iterable[str], consumed: Callable[[int], None] | None) -> Iterator[str]:
    """Pass lines through, reporting the characters read (close enough to bytes for a progress bar)."""
    for line in lines:
        if consumed:
            consumed(len(line))
        yield line


def _name_key(name: str) -> str:
    """Return a header name as compared: lowercase, spaces and hyphens as underscores, a BOM dropped."""
    return "_".join(name.strip().lstrip("\ufeff").lower().replace("-", " ").split())
