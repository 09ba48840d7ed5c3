"""Time the search page over real HTTP: `archive serve` on an index of a corpus, queries from bench/queries.json.

    python -m tests.benchmarks.page_latency [--corpus ../shared/data/bbc_news] [--requests 300]

Prints the median and p95 per request for the HTML search page and the JSON API, and the server's RSS.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from index.storage import IndexLocation
from index.writing import rebuild

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def main() -> None:
    """Build the index, start the server, send the requests, print the figures."""
    options = _arguments()
    queries = _queries(options.queries, options.requests)
    with tempfile.TemporaryDirectory() as folder:
        location = IndexLocation(Path(folder) / "index")
        summary = rebuild(location, [options.corpus])
        print(f"indexed {summary.indexed:,} articles from {options.corpus} in {summary.elapsed:.1f} s")
        port = _free_port()
        server = _start_server(location, port)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _get(connection, "/")  # open the index and fill its caches, as the first visitor would
            figures = {}
            for name, path in (("search page", "/"), ("JSON API", "/api/search")):
                timings, failures = _run(connection, path, queries)
                figures[name] = _summary(timings, failures)
            rss = _rss_megabytes(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"{'endpoint':<12} {'requests':>8} {'errors':>6} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for name, row in figures.items():
        print(f"{name:<12} {row['requests']:>8} {row['errors']:>6} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['max_ms']:>8.1f}")
    print(f"server RSS after the run: {rss:.0f} MB")
    print(json.dumps({"corpus": str(options.corpus), "documents": summary.indexed, "rss_mb": round(rss), **figures}))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED_DATA / "bbc_news")
    parser.add_argument("--queries", type=Path, default=SHARED_DATA / "bench" / "queries.json")
    parser.add_argument("--requests", type=int, default=300)
    return parser.parse_args()


def _queries(path: Path, count: int) -> list[dict]:
    """Return query-string parameters for count requests, cycling through the benchmark queries."""
    parameters = []
    for query in json.loads(path.read_text(encoding="utf-8")):
        text = " ".join(query["terms"])
        parameters.append({"q": f'"{text}"' if query["type"] == "phrase" else text})
    return [parameters[index % len(parameters)] for index in range(count)]


def _run(connection: http.client.HTTPConnection, path: str, queries: list[dict]) -> tuple[list[float], int]:
    """Send one request per query; return the times in ms and how many failed."""
    timings, failures = [], 0
    for parameters in queries:
        started = time.perf_counter()
        status = _get(connection, f"{path}?{urlencode(parameters)}")
        timings.append((time.perf_counter() - started) * 1000)
        failures += status != 200
    return timings, failures


def _get(connection: http.client.HTTPConnection, url: str) -> int:
    """GET a URL on a kept-alive connection and read the whole body."""
    connection.request("GET", url)
    response = connection.getresponse()
    response.read()
    return response.status


def _summary(timings: list[float], failures: int) -> dict:
    """Return the median, p95 and maximum of the timings."""
    ordered = sorted(timings)
    return {
        "requests": len(ordered),
        "errors": failures,
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def _start_server(location: IndexLocation, port: int) -> subprocess.Popen:
    """Start `archive serve` on the index and wait until it answers."""
    environment = {**os.environ, "ARCHIVE_INDEX": str(location.root)}
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port", str(port)],
        cwd=REPOSITORY, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start within 30 s")


def _free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_megabytes(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    main()
