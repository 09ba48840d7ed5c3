"""The three engines the benchmarks compare: the archive, naive Whoosh on the same schema, and SQLite FTS5.

Each builds an index from JSON Lines and answers the benchmark's queries in three modes: top-10 only,
top-10 with all facet counts, and top-10 with facets and highlighted snippets (the search page's work).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from whoosh import highlight, scoring, sorting
from whoosh import query as wq
from whoosh.index import create_in, open_dir

from archive.categories import normalize_category
from archive.jsonl import article_from_record
from archive.model import Article
from whoosh.qparser import MultifieldParser

from index import IndexLocation, LiveIndex, SearchRequest, rebuild, search
from index.schema import FACET_FIELDS, article_to_document, build_schema, search_field, search_fields

MODES = ("top10", "facets", "facets+snippets")


@dataclass(frozen=True)
class Query:
    """One benchmark query: words (all must match), or a phrase, optionally within a category."""

    kind: str
    terms: tuple[str, ...]
    category: str | None = None

    def words_text(self) -> str:
        """Return the words part in the archive's query language."""
        words = " ".join(self.terms)
        return f'"{words}"' if self.kind == "phrase" else words

    def archive_text(self) -> str:
        """Return the whole query, category filter included, in the archive's query language."""
        return f"{self.words_text()} category:{json.dumps(self.category)}" if self.category else self.words_text()

    def fts5_text(self) -> str:
        """Return the query in FTS5's syntax."""
        quoted = [f'"{term}"' for term in self.terms]
        return '"' + " ".join(self.terms) + '"' if self.kind == "phrase" else " AND ".join(quoted)


def load_queries(path: Path) -> list[Query]:
    """Read bench/queries.json."""
    return [Query(item["type"], tuple(item["terms"]), item.get("category")) for item in json.loads(path.read_text(encoding="utf-8"))]


def read_articles(path: Path, limit: int | None) -> Iterator[Article]:
    """Yield the articles of the first `limit` lines of a JSON Lines file, parsed as the archive parses them."""
    with open(path, "rb") as lines:
        for number, line in enumerate(lines, start=1):
            if limit is not None and number > limit:
                return
            article = article_from_record(json.loads(line), f"{path.name}#{number}")
            if article is not None:
                yield article


def first_lines(path: Path, limit: int, folder: Path) -> Path:
    """Write the first `limit` lines of a JSON Lines file into folder and return the new file."""
    subset = folder / f"{path.stem}-{limit}.jsonl"
    with open(path, "rb") as source, open(subset, "wb") as target:
        for number, line in enumerate(source, start=1):
            if number > limit:
                break
            target.write(line)
    return subset


def folder_size(folder: Path) -> int:
    """Return the bytes of all files under a folder."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


class ArchiveEngine:
    """The archive itself: `archive rebuild`'s code path and the search page's search."""

    name = "archive"

    def __init__(self, folder: Path):
        self.location = IndexLocation(folder)
        self.live = LiveIndex(self.location)

    def build(self, source: Path, limit: int | None) -> int:
        """Index the JSON Lines file (its first `limit` lines) through the archive's real ingest path."""
        if limit is not None:
            self.location.root.mkdir(parents=True, exist_ok=True)
            source = first_lines(source, limit, self.location.root)
        return rebuild(self.location, [source]).indexed

    def open(self) -> None:
        """Open the index (and fill its caches with one query)."""
        self.query(Query("kw", ("market",)), "facets+snippets")

    def query(self, query: Query, mode: str) -> int:
        """Run a query in a mode; return the total."""
        request = SearchRequest(query=query.archive_text(), with_facets=mode != "top10", with_snippets=mode == "facets+snippets")
        return search(self.live.snapshot(), request).total

    def question(self, text: str) -> int:
        """Search a question as typed into the search box (the page's work: facets and snippets); return the total."""
        return search(self.live.snapshot(), SearchRequest(query=text)).total

    def size(self) -> int:
        """Return the index size on disk (the live generation)."""
        return folder_size(self.location.current_generation())


class NaiveWhooshEngine:
    """Whoosh as its tutorial uses it, on the archive's schema: default writer, plain filter=, default BM25F."""

    name = "naive whoosh"

    def __init__(self, folder: Path):
        self.folder = folder
        self.searcher = None
        self.parser = None

    def build(self, source: Path, limit: int | None) -> int:
        """Index with Whoosh's default single-process writer."""
        self.folder.mkdir(parents=True, exist_ok=True)
        writer = create_in(str(self.folder), build_schema()).writer()
        count = 0
        for article in read_articles(source, limit):
            writer.add_document(**article_to_document(article))
            count += 1
        writer.commit()
        return count

    def open(self) -> None:
        """Open a searcher with Whoosh's default weighting."""
        self.searcher = open_dir(str(self.folder)).searcher(weighting=scoring.BM25F())
        # Every word required, as Whoosh does by default; the English fields, where (nearly) all of the benchmark's articles are.
        self.parser = MultifieldParser(list(search_fields(("en",))), self.searcher.schema)

    def query(self, query: Query, mode: str) -> int:
        """Run a query in a mode; return the total."""
        text_query = self.parser.parse(query.words_text())
        category_filter = wq.Term("category", parsed_category(query)) if query.category else None
        if mode == "top10":
            results = self.searcher.search(text_query, limit=10, filter=category_filter)
            return results.estimated_length()
        facets = [sorting.FieldFacet(name, allow_overlap=name in ("authors", "tags")) for name in FACET_FIELDS]
        results = self.searcher.search(
            text_query, limit=10, filter=category_filter, groupedby={f.fieldname: f for f in facets}, terms=mode == "facets+snippets"
        )
        for name in FACET_FIELDS:
            results.groups(name)
        if mode == "facets+snippets":
            results.fragmenter = highlight.ContextFragmenter()
            for hit in results:
                hit.highlights(search_field("body", "en"), text=hit["body"])
        return len(results)

    def size(self) -> int:
        """Return the index size on disk."""
        return folder_size(self.folder)


class Fts5Engine:
    """SQLite FTS5 with the porter tokenizer: bm25() ranking, snippet(), GROUP BY for facet counts."""

    name = "sqlite fts5"

    def __init__(self, folder: Path):
        self.path = folder / "fts5.sqlite"
        self.connection: sqlite3.Connection | None = None

    def build(self, source: Path, limit: int | None) -> int:
        """Insert every article in one transaction."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute(
            "CREATE VIRTUAL TABLE articles USING fts5(title, body, category UNINDEXED, source UNINDEXED, tokenize='porter')"
        )
        with connection:
            count = 0
            for article in read_articles(source, limit):
                connection.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?)", (article.title, article.body, article.category, article.source)
                )
                count += 1
        connection.close()
        return count

    def open(self) -> None:
        """Open the database."""
        self.connection = sqlite3.connect(self.path, check_same_thread=False)

    def query(self, query: Query, mode: str) -> int:
        """Run a query in a mode; return the number of hits or the total."""
        where, parameters = "articles MATCH ?", [query.fts5_text()]
        if query.category:
            where += " AND category = ?"
            parameters.append(parsed_category(query))
        columns = "rowid, title"
        if mode == "facets+snippets":
            columns += ", snippet(articles, 1, '<mark>', '</mark>', '…', 24)"
        rows = self.connection.execute(
            f"SELECT {columns} FROM articles WHERE {where} ORDER BY bm25(articles, 2.0, 1.0) LIMIT 10", parameters
        ).fetchall()
        if mode == "top10":
            return len(rows)
        total = 0
        for name in ("category", "source"):
            counts = self.connection.execute(f"SELECT {name}, count(*) FROM articles WHERE {where} GROUP BY {name}", parameters).fetchall()
            total = sum(count for _, count in counts)
        return total

    def question(self, text: str) -> int:
        """Search a question's words OR-ed, ranked by bm25(), with snippets and facet counts; return the total."""
        words = re.findall(r"\w+", text.lower())
        where, parameters = "articles MATCH ?", [" OR ".join(f'"{word}"' for word in words)]
        self.connection.execute(
            f"SELECT rowid, title, snippet(articles, 1, '<mark>', '</mark>', '…', 24) FROM articles WHERE {where} "
            "ORDER BY bm25(articles) LIMIT 10", parameters
        ).fetchall()
        total = 0
        for name in ("category", "source"):
            counts = self.connection.execute(f"SELECT {name}, count(*) FROM articles WHERE {where} GROUP BY {name}", parameters).fetchall()
            total = sum(count for _, count in counts)
        return total

    def size(self) -> int:
        """Return the database size on disk."""
        return self.path.stat().st_size


def parsed_category(query: Query) -> str:
    """Return the category slug the archive stores for the query's category."""
    return normalize_category(query.category)


def timed(function, *arguments) -> tuple[float, object]:
    """Return the wall time in seconds of a call, and its result."""
    started = time.perf_counter()
    result = function(*arguments)
    return time.perf_counter() - started, result


def peak_rss_megabytes() -> float:
    """Return this process's peak resident memory in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class XapianEngine:
    """The archive on Xapian shards (BACKEND = "xapian"), served by xapian-tcpsrv processes on the loopback."""

    name = "xapian"

    def __init__(self, folder: Path, shards: int):
        from index import open_backend
        from index.xapian.topology import write_local_topology

        self.folder = folder
        self.backend = open_backend("xapian", folder / "index", write_local_topology(folder / "cluster.toml", shards))

    def build(self, source: Path, limit: int | None) -> int:
        """Index the JSON Lines file (its first `limit` lines) through the backend's rebuild."""
        if limit is not None:
            source = first_lines(source, limit, self.folder)
        return self.backend.rebuild([source]).indexed

    def open(self) -> None:
        """Start the shard servers (and fill the caches with one query)."""
        self.backend.start_servers()
        self.query(Query("kw", ("market",)), "facets+snippets")

    def close(self) -> None:
        """Stop the shard servers."""
        self.backend.stop_servers()
        self.backend.live.close()

    def query(self, query: Query, mode: str) -> int:
        """Run a query in a mode; return the total."""
        request = SearchRequest(query=query.archive_text(), with_facets=mode != "top10", with_snippets=mode == "facets+snippets")
        return self.backend.search(request).total

    def size(self) -> int:
        """Return the live shards' size on disk."""
        return self.backend.store.size_bytes(self.backend.shards)


ENGINES = {"archive": ArchiveEngine, "naive": NaiveWhooshEngine, "fts5": Fts5Engine}
# The Xapian backend on one and on two shards (measured in the suite's xapian section).
XAPIAN_ENGINES = {"xapian-1": lambda folder: XapianEngine(folder, 1), "xapian-2": lambda folder: XapianEngine(folder, 2)}
