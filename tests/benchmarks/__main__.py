"""The benchmark suite: the archive against naive Whoosh and SQLite FTS5, measured in the same run.

    python -m tests.benchmarks [--sizes 10000,50000,113614] [--repeats 3] [--queries 500] [--sections ...]
    python -m tests.benchmarks --smoke      # 2,000 documents, a few queries: checks the suite still runs
    python -m tests.benchmarks --sections query --sizes 113614 --engines archive,fts5   # latency without naive Whoosh
    python -m tests.benchmarks --sections xapian   # the Xapian backend (1 and 2 shards) against the Whoosh backend

Prints a table per section and, last, one JSON line with every figure. Ratios compare engines measured
in the same run, interleaved; times are medians (and p95) of repeated measurements.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from tests.benchmarks import serving
from tests.benchmarks.engines import ENGINES, MODES, XAPIAN_ENGINES, ArchiveEngine, load_queries

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
SECTIONS = ("rebuild", "query", "update", "cold", "http", "ranking", "xapian")


def main() -> None:
    """Run the chosen sections and print their figures."""
    options = _arguments()
    bench = options.data / "bench"
    corpus, queries = bench / "corpus.jsonl", load_queries(bench / "queries.json")[: options.queries]
    results: dict = {"commit": _commit(), "sizes": options.sizes, "repeats": options.repeats}
    with tempfile.TemporaryDirectory(prefix="archive-bench-") as scratch:
        work = Path(scratch)
        largest = max(options.sizes)
        if "rebuild" in options.sections:
            results["rebuild"] = rebuild_section(corpus, largest, options.repeats, work)
        if "query" in options.sections:
            questions = question_texts(options.data, options.queries)
            results["query"] = {str(size): query_section(corpus, size, queries, questions, work, options.engines) for size in options.sizes}
        archive_folder = work / f"query-{largest}" / "archive"
        if "update" in options.sections:
            results["update"] = update_section(corpus, largest, archive_folder, options.repeats)
        if "cold" in options.sections:
            results["cold"] = cold_section(corpus, largest, archive_folder, options.repeats)
        if "http" in options.sections:
            articles = bench / "articles.jsonl"
            results["http"] = http_section(articles, options.articles, queries, options.http_requests, work)
        if "ranking" in options.sections:
            results["ranking"] = ranking_section("xapian" in options.sections)
        if "xapian" in options.sections:
            results["xapian"] = xapian_section(corpus, largest, queries, options.repeats, work)
    print(json.dumps(results))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--sizes", default="10000,50000,113614")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--articles", type=int, default=None, help="lines of articles.jsonl for the HTTP section")
    parser.add_argument("--http-requests", type=int, default=400)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--engines", default=",".join(ENGINES), help="engines of the query section (archive and fts5 always)")
    parser.add_argument("--smoke", action="store_true", help="2,000 documents, 20 queries, one repeat")
    options = parser.parse_args()
    if options.smoke:
        options.sizes, options.repeats, options.queries = "2000", 1, 20
        options.articles, options.http_requests = 2000, 20
    options.sizes = [int(size) for size in str(options.sizes).split(",")]
    options.sections = [name for name in options.sections.split(",") if name in SECTIONS]
    # The ratios compare the archive with FTS5; naive Whoosh alone takes most of the query section's time.
    options.engines = {"archive", "fts5"} | {name for name in options.engines.split(",") if name in ENGINES}
    return options


def rebuild_section(corpus: Path, size: int, repeats: int, work: Path) -> dict:
    """Time full rebuilds of each engine in fresh processes, interleaved, and compare documents per second."""
    runs: dict[str, list[dict]] = {name: [] for name in ENGINES}
    for repeat in range(repeats):
        for name in ENGINES:
            folder = work / f"rebuild-{name}-{repeat}"
            runs[name].append(_build_in_subprocess(name, corpus, size, folder))
            _remove(folder)
    figures = {}
    for name, measured in runs.items():
        figures[name] = {
            "documents": measured[0]["documents"],
            "seconds": statistics.median(run["seconds"] for run in measured),
            "documents_per_second": statistics.median(run["documents"] / run["seconds"] for run in measured),
            "peak_rss_mb": statistics.median(run["rss_mb"] for run in measured),
            "size_mb": statistics.median(run["size_mb"] for run in measured),
        }
    archive_rate = figures["archive"]["documents_per_second"]
    figures["ratio_vs_naive"] = archive_rate / figures["naive"]["documents_per_second"]
    figures["ratio_vs_fts5"] = archive_rate / figures["fts5"]["documents_per_second"]
    _table(
        f"1. Rebuild of {size:,} lines of corpus.jsonl (median of {repeats})",
        ["engine", "documents", "seconds", "docs/s", "peak RSS MB", "size MB"],
        [[name, f"{row['documents']:,}", f"{row['seconds']:.1f}", f"{row['documents_per_second']:,.0f}",
          f"{row['peak_rss_mb']:.0f}", f"{row['size_mb']:.1f}"] for name, row in figures.items() if name in ENGINES],
    )
    print(f"archive / naive whoosh: {figures['ratio_vs_naive']:.2f}x   archive / fts5: {figures['ratio_vs_fts5']:.3f}x")
    return figures


def question_texts(data: Path, limit: int | None) -> list[str]:
    """Return the judged questions of CISI, Cranfield and MEDLINE that have 10 to 40 words."""
    from tests.benchmarks.ranking import load_all

    texts = [text for collection in load_all(data) for text in collection.questions.values() if 10 <= len(text.split()) <= 40]
    return texts[:limit]


def query_section(corpus: Path, size: int, queries, questions: list[str], work: Path, chosen: Sequence[str] = tuple(ENGINES)) -> dict:
    """Build each chosen engine at a size, then time every query in every mode, engines interleaved."""
    engines = {name: engine_class(work / f"query-{size}" / name) for name, engine_class in ENGINES.items() if name in chosen}
    for engine in engines.values():
        engine.build(corpus, size)
        engine.open()
    timings = {(name, mode): [] for name in engines for mode in MODES}
    for query in queries:
        for mode in MODES:
            for name, engine in engines.items():
                started = time.perf_counter()
                engine.query(query, mode)
                timings[name, mode].append((time.perf_counter() - started) * 1000)
    figures = {name: {mode: serving.latency(timings[name, mode]) for mode in MODES} for name in engines}
    for mode in MODES:
        figures[f"p95_ratio_vs_fts5 {mode}"] = figures["archive"][mode]["p95_ms"] / figures["fts5"][mode]["p95_ms"]
        figures[f"median_ratio_vs_fts5 {mode}"] = figures["archive"][mode]["median_ms"] / figures["fts5"][mode]["median_ms"]
    _table(
        f"2. Query latency at {size:,} lines, {len(queries)} queries (ms)",
        ["engine", *[f"{mode} median / p95" for mode in MODES]],
        [[name, *[f"{figures[name][mode]['median_ms']:.2f} / {figures[name][mode]['p95_ms']:.2f}" for mode in MODES]] for name in engines],
    )
    print("archive p95 / fts5 p95: " + ", ".join(f"{mode} {figures[f'p95_ratio_vs_fts5 {mode}']:.2f}x" for mode in MODES))
    figures["questions"] = question_timings({name: engines[name] for name in ("archive", "fts5")}, questions)
    return figures


def question_timings(engines: dict, questions: list[str]) -> dict:
    """Time the judged questions of 10-40 words, typed as written, on each engine (interleaved)."""
    timings: dict[str, list[float]] = {name: [] for name in engines}
    for text in questions:
        for name, engine in engines.items():
            started = time.perf_counter()
            engine.question(text)
            timings[name].append((time.perf_counter() - started) * 1000)
    figures = {name: serving.latency(values) for name, values in timings.items()}
    _table(
        f"   Questions of 10-40 words typed as written ({len(questions)}; facets and snippets; FTS5: the words OR-ed), ms",
        ["engine", "median", "p95"],
        [[name, f"{row['median_ms']:.2f}", f"{row['p95_ms']:.2f}"] for name, row in figures.items()],
    )
    return figures


def update_section(corpus: Path, size: int, folder: Path, repeats: int) -> dict:
    """Time adding one article to the large index until a search finds it."""
    from index import SearchRequest, search, update

    engine = ArchiveEngine(folder)
    if engine.location.current_generation() is None:
        engine.build(corpus, size)
    seconds = []
    for repeat in range(repeats):
        new = folder / f"new-{repeat}.jsonl"
        word = f"zqxjkvbenchmark{repeat}"
        started = time.perf_counter()
        new.write_text(json.dumps({"id": f"bench-new-{repeat}", "title": f"Fresh {word}", "body": f"Just in: {word}."}) + "\n")
        update(engine.location, [new])
        while not search(engine.live.snapshot(), SearchRequest(query=word)).total:
            time.sleep(0.001)
        seconds.append(time.perf_counter() - started)
    figures = {"seconds_median": statistics.median(seconds), "seconds_max": max(seconds)}
    _table("3. One new article searchable", ["median s", "max s"], [[f"{figures['seconds_median']:.3f}", f"{figures['seconds_max']:.3f}"]])
    return figures


def cold_section(corpus: Path, size: int, folder: Path, repeats: int) -> dict:
    """Time a new process opening the large index and answering its first faceted query."""
    engine = ArchiveEngine(folder)
    if engine.location.current_generation() is None:
        engine.build(corpus, size)
    program = (
        "import time, json; started = time.perf_counter(); from pathlib import Path; "
        "from index import IndexLocation, LiveIndex, SearchRequest, search; imported = time.perf_counter(); "
        f"result = search(LiveIndex(IndexLocation(Path({str(folder)!r}))).snapshot(), SearchRequest(query='market share')); "
        "print(json.dumps({'imports': imported - started, 'open_and_query': time.perf_counter() - imported}))"
    )
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        output = subprocess.run([sys.executable, "-c", program], cwd=REPOSITORY, capture_output=True, text=True, check=True)
        runs.append({**json.loads(output.stdout), "process": time.perf_counter() - started})
    figures = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    _table("4. Cold start: new process, first faceted query (s)", ["imports", "open + query", "whole process"],
           [[f"{figures['imports']:.3f}", f"{figures['open_and_query']:.3f}", f"{figures['process']:.3f}"]])
    return figures


def http_section(articles: Path, limit: int | None, queries, requests: int, work: Path) -> dict:
    """Serve articles.jsonl with `archive serve` and time the search page at concurrency 1 and 8."""
    engine = ArchiveEngine(work / "http")
    engine.build(articles, limit)
    server, port = serving.serve(engine.location.root)
    try:
        paths = [f"/?{urlencode({'q': query.archive_text()})}" for query in queries]
        serving.fetch_all(port, paths[:1])
        figures = {}
        for concurrency in (1, 8):
            figures[str(concurrency)] = serving.load(port, [paths[i % len(paths)] for i in range(requests)], concurrency)
        figures["server_rss_mb"] = serving.memory_megabytes(server.pid)["rss_mb"]
    finally:
        serving.stop(server)
    _table(
        f"5. Search page over HTTP ({requests} requests, articles.jsonl)",
        ["concurrency", "requests/s", "median ms", "p95 ms", "errors"],
        [[c, f"{figures[c]['requests_per_second']:.1f}", f"{figures[c]['median_ms']:.1f}", f"{figures[c]['p95_ms']:.1f}", figures[c]["errors"]]
         for c in ("1", "8")],
    )
    print(f"server RSS, all processes: {figures['server_rss_mb']:.0f} MB")
    return figures


def ranking_section(with_xapian: bool) -> dict:
    """Run the ranking evaluation on the judged questions (through the Xapian backend too) and return its figures."""
    backend = ["--backend", "xapian"] if with_xapian else []
    output = subprocess.run([sys.executable, "-m", "tests.benchmarks.ranking", *backend], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    lines = output.stdout.strip().splitlines()
    print("\n6. Ranking quality: CISI, Cranfield and MEDLINE questions typed as written\n" + "\n".join(lines[:-1]))
    return json.loads(lines[-1])


def xapian_section(corpus: Path, size: int, queries, repeats: int, work: Path) -> dict:
    """The Xapian backend against the Whoosh backend in the same run: rebuild into 2 shards, the search page's queries on 1 and 2 shards."""
    builds: dict[str, list[dict]] = {"archive": [], "xapian-2": []}
    for repeat in range(repeats):
        for name in builds:
            folder = work / f"xapian-rebuild-{name}-{repeat}"
            builds[name].append(_build_in_subprocess(name, corpus, size, folder))
            _remove(folder)
    figures: dict = {"rebuild": {}}
    for name, measured in builds.items():
        figures["rebuild"][name] = {
            "documents": measured[0]["documents"],
            "documents_per_second": statistics.median(run["documents"] / run["seconds"] for run in measured),
            "peak_rss_mb": statistics.median(run["rss_mb"] for run in measured),
            "size_mb": statistics.median(run["size_mb"] for run in measured),
        }
    rates = {name: row["documents_per_second"] for name, row in figures["rebuild"].items()}
    figures["rebuild"]["ratio_xapian2_vs_whoosh"] = rates["xapian-2"] / rates["archive"]
    _table(
        f"7. Xapian backend: rebuild of {size:,} lines of corpus.jsonl into 2 shards (median of {repeats})",
        ["backend", "documents", "docs/s", "peak RSS MB", "size MB"],
        [[name, f"{row['documents']:,}", f"{row['documents_per_second']:,.0f}", f"{row['peak_rss_mb']:.0f}", f"{row['size_mb']:.1f}"]
         for name, row in figures["rebuild"].items() if isinstance(row, dict)],
    )
    print(f"xapian (2 shards) / whoosh: {figures['rebuild']['ratio_xapian2_vs_whoosh']:.2f}x")

    engines = {"whoosh": ArchiveEngine(work / "xapian-query" / "whoosh"),
               **{name: XAPIAN_ENGINES[name](work / "xapian-query" / name) for name in XAPIAN_ENGINES}}
    try:
        for engine in engines.values():
            engine.build(corpus, size)
            engine.open()
        timings: dict[str, list[float]] = {name: [] for name in engines}
        for query in queries:
            for name, engine in engines.items():
                started = time.perf_counter()
                engine.query(query, "facets+snippets")
                timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        for name in XAPIAN_ENGINES:
            engines[name].close()
    figures["query"] = {name: serving.latency(values) for name, values in timings.items()}
    for name in XAPIAN_ENGINES:
        figures["query"][f"{name} median / whoosh"] = figures["query"][name]["median_ms"] / figures["query"]["whoosh"]["median_ms"]
        figures["query"][f"{name} p95 / whoosh"] = figures["query"][name]["p95_ms"] / figures["query"]["whoosh"]["p95_ms"]
    _table(
        f"   The search page's work (facets + snippets) at {size:,} lines, {len(queries)} queries (ms)",
        ["backend", "median", "p95", "median / whoosh", "p95 / whoosh"],
        [[name, f"{figures['query'][name]['median_ms']:.2f}", f"{figures['query'][name]['p95_ms']:.2f}",
          f"{figures['query'].get(f'{name} median / whoosh', 1.0):.2f}x", f"{figures['query'].get(f'{name} p95 / whoosh', 1.0):.2f}x"]
         for name in engines],
    )
    return figures


def _build_in_subprocess(engine: str, corpus: Path, size: int, folder: Path) -> dict:
    """Build one engine's index in a fresh process (so its peak memory is its own)."""
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.build", engine, str(corpus), str(size), str(folder)],
        cwd=REPOSITORY, capture_output=True, text=True, check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def _table(title: str, header: list[str], rows: list[list]) -> None:
    """Print a titled table with aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  " + "  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)))


def _remove(folder: Path) -> None:
    """Delete a folder of the scratch space."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _commit() -> str:
    """Return the git commit being measured."""
    output = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    return output.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
