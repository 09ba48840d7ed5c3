"""Time the search page over real HTTP: `archive serve` on an index of a corpus, queries from bench/queries.json.

    python -m tests.benchmarks.page_latency [--corpus ../shared/data/bbc_news] [--requests 300]

Prints the median and p95 per request for the HTML search page and the JSON API, and the server's RSS.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from index.storage import IndexLocation
from index.writing import rebuild
from tests.benchmarks import serving
from tests.benchmarks.engines import load_queries

SHARED_DATA = serving.REPOSITORY.parent / "shared" / "data"


def main() -> None:
    """Build the index, start the server, send the requests, print the figures."""
    options = _arguments()
    queries = load_queries(options.queries)
    texts = [queries[index % len(queries)].archive_text() for index in range(options.requests)]
    with tempfile.TemporaryDirectory() as folder:
        location = IndexLocation(Path(folder) / "index")
        summary = rebuild(location, [options.corpus])
        print(f"indexed {summary.indexed:,} articles from {options.corpus} in {summary.elapsed:.1f} s")
        server, port = serving.serve(location.root)
        try:
            serving.fetch_all(port, ["/"])  # open the index and fill its caches, as the first visitor would
            figures = {
                name: serving.load(port, [f"{path}?{urlencode({'q': text})}" for text in texts], concurrency=1)
                for name, path in (("search page", "/"), ("JSON API", "/api/search"))
            }
            rss = serving.rss_megabytes(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{'endpoint':<12} {'requests':>8} {'errors':>6} {'median ms':>10} {'p95 ms':>8}")
    for name, row in figures.items():
        print(f"{name:<12} {row['count']:>8} {row['errors']:>6} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f}")
    print(f"server RSS after the run: {rss:.0f} MB")
    print(json.dumps({"corpus": str(options.corpus), "documents": summary.indexed, "rss_mb": round(rss), **figures}))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED_DATA / "bbc_news")
    parser.add_argument("--queries", type=Path, default=SHARED_DATA / "bench" / "queries.json")
    parser.add_argument("--requests", type=int, default=300)
    return parser.parse_args()


if __name__ == "__main__":
    main()
