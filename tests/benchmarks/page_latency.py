"""Time the search page and the API over real HTTP: `archive serve` on an index of a corpus, queries from bench/queries.json.

    python -m tests.benchmarks.page_latency [--corpus ../shared/data/bench/articles.jsonl] [--index DIR]
        [--workers 1,default] [--concurrency 1,4,16] [--seconds 10]

For each worker count, on a freshly started server: the time to its first answer, then a once-each pass
over the queries (the search page, one at a time) while nothing is cached yet, then the same pass again
(warm); then requests per second and p50/p95 latency at each concurrency for the page and the API, sent by
Debian's `wrk` (one thread, written in C, so the client takes little of the cores it measures), with the
cores the server used (its processes' CPU time over the run) and its total memory (RSS and PSS summed over
its processes). Figures that matter are ratios in the same run: the default worker count against one
worker, the fresh pass against the warm one. The load average is printed before and after: on a shared
machine the throughput ratio is only as good as the cores that were free.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from index.storage import IndexLocation
from index.writing import rebuild
from tests.benchmarks import serving
from tests.benchmarks.engines import load_queries

SHARED_DATA = serving.REPOSITORY.parent / "shared" / "data"
ENDPOINTS = (("page", "/"), ("API", "/api/search"))
WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter - 1) %% #paths + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('WRK {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.2f, "p95_ms": %%.2f, "errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
"""


def main() -> None:
    """Build or reuse the index, then measure each worker count on its own fresh server."""
    options = _arguments()
    if not shutil.which("wrk"):
        raise SystemExit("This benchmark needs wrk (Debian: apt-get install wrk).")
    queries = [query.archive_text() for query in load_queries(options.queries)]
    workers = [serving.default_workers() if value == "default" else int(value) for value in options.workers.split(",")]
    concurrencies = [int(value) for value in options.concurrency.split(",")]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        location = IndexLocation(options.index or Path(folder) / "index")
        if options.index is None:
            summary = rebuild(location, [options.corpus])
            print(f"indexed {summary.indexed:,} articles from {options.corpus} in {summary.elapsed:.1f} s")
        runs = {count: _measure(location.root, count, queries, concurrencies, options.seconds) for count in workers}
    load_after = os.getloadavg()
    _print(runs, concurrencies, load_before, load_after)


def _measure(index_root: Path, workers: int, queries: list[str], concurrencies: list[int], seconds: int) -> dict:
    """Start a server with this many workers and take every figure from it."""
    started = time.perf_counter()
    server, port = serving.serve(index_root, "--workers", str(workers))
    try:
        first = f"/?{urlencode({'q': queries[0]})}"
        serving.wait_for_answer(port, first)
        first_answer = time.perf_counter() - started
        time.sleep(0.2)  # the workers' own start (gunicorn forks them once it listens)
        fresh = _once_each(port, server.pid, queries)
        warm = _once_each(port, server.pid, queries)
        loads = {}
        for name, path in ENDPOINTS:
            paths = [f"{path}?{urlencode({'q': text})}" for text in queries]
            for concurrency in concurrencies:
                loads[f"{name} c={concurrency}"] = _wrk(port, server.pid, paths, concurrency, seconds)
        memory = serving.memory_megabytes(server.pid)
    finally:
        serving.stop(server)
    return {"workers": workers, "first_answer_s": first_answer, "fresh": fresh, "warm": warm, "loads": loads, **memory}


def _once_each(port: int, pid: int, queries: list[str]) -> dict:
    """Send each query once to the search page, one at a time; return the mean and median, and the server's CPU per query."""
    cpu = serving.cpu_seconds(pid)
    timings = serving.timed_fetches(port, [f"/?{urlencode({'q': text})}" for text in queries])
    return {
        "mean_ms": statistics.fmean(timings),
        "median_ms": statistics.median(timings),
        "server_cpu_ms": (serving.cpu_seconds(pid) - cpu) / len(queries) * 1000,
    }


def _wrk(port: int, pid: int, paths: list[str], concurrency: int, seconds: int) -> dict:
    """Load the server with wrk for some seconds; return its figures, the cores the server used and the client's CPU."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = serving.cpu_seconds(pid), time.perf_counter()
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    elapsed = time.perf_counter() - wall
    cores = (serving.cpu_seconds(pid) - cpu) / elapsed
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = (client_after.ru_utime + client_after.ru_stime - client_before.ru_utime - client_before.ru_stime) / elapsed
    figures = json.loads(next(line for line in output.splitlines() if line.startswith("WRK "))[4:])
    rps = figures["requests"] / figures["seconds"]
    return {"rps": rps, "p50_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"], "errors": figures["errors"],
            "server_cores": cores, "client_cores": client}


def _print(runs: dict, concurrencies: list[int], load_before: tuple, load_after: tuple) -> None:
    """Print one table per worker count, the ratios, and one JSON line."""
    print(f"load average before: {' '.join(f'{value:.2f}' for value in load_before)}, "
          f"after: {' '.join(f'{value:.2f}' for value in load_after)} ({os.cpu_count()} cores)")
    for count, run in runs.items():
        print(f"\n{count} worker(s): first answer {run['first_answer_s']:.2f} s after start; total RSS {run['rss_mb']:.0f} MB, "
              f"PSS {run['pss_mb']:.0f} MB over {run['processes']} processes")
        for label in ("fresh", "warm"):
            row = run[label]
            print(f"  once-each pass, {label:<5}: mean {row['mean_ms']:6.1f} ms, median {row['median_ms']:6.1f} ms, "
                  f"server CPU {row['server_cpu_ms']:5.1f} ms a query")
        print(f"  {'load':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6} {'cores':>6} {'client':>6}")
        for name, row in run["loads"].items():
            print(f"  {name:<14} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['errors']:>6} "
                  f"{row['server_cores']:>6.2f} {row['client_cores']:>6.2f}")
    counts = sorted(runs)
    ratios = {}
    if len(counts) > 1 and 4 in concurrencies:
        for name, _ in ENDPOINTS:
            ratios[f"{name} c=4, {counts[-1]} workers / 1"] = runs[counts[-1]]["loads"][f"{name} c=4"]["rps"] / runs[counts[0]]["loads"][f"{name} c=4"]["rps"]
    for count, run in runs.items():
        ratios[f"fresh / warm pass mean, {count} worker(s)"] = run["fresh"]["mean_ms"] / run["warm"]["mean_ms"]
        ratios[f"fresh / warm pass server CPU, {count} worker(s)"] = run["fresh"]["server_cpu_ms"] / run["warm"]["server_cpu_ms"]
    print()
    for label, value in ratios.items():
        print(f"{label}: {value:.2f}x")
    print(json.dumps({"load_before": load_before, "load_after": load_after, "runs": runs, "ratios": ratios}))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED_DATA / "bench" / "articles.jsonl")
    parser.add_argument("--index", type=Path, help="serve this index instead of building one from --corpus")
    parser.add_argument("--queries", type=Path, default=SHARED_DATA / "bench" / "queries.json")
    parser.add_argument("--workers", default="1,default", help="worker counts to compare, comma-separated ('default': one per core)")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--seconds", type=int, default=10, help="how long wrk loads each endpoint at each concurrency")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
