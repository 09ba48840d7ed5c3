"""One measured run with whichever checkout is first on PYTHONPATH (run by languages.py).

    python tests/benchmarks/language_runs.py rank SOURCES INDEX < queries.json   # rebuild, then the first ids each query finds
    python tests/benchmarks/language_runs.py rebuild SOURCES INDEX               # one rebuild, its CPU and wall time
    python tests/benchmarks/language_runs.py search INDEX REPEATS < queries.json  # CPU time of each query, as the page runs it

A separate process per run, so the previous commit can be measured by the same code in the same
benchmark run: this file imports only names both commits share (`index`'s public surface and
`web.params.search_request`, the function the search page calls).
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

from werkzeug.datastructures import MultiDict

from index import IndexLocation, LiveIndex, rebuild, search
from web.params import search_request

RANKS_KEPT = 3


def ranked(location: IndexLocation, queries: list[str]) -> list[list[str]]:
    """Return the first ids each query finds in an index, as the search page asks for them."""
    snapshot = LiveIndex(location).snapshot()
    return [[hit.id for hit in search(snapshot, search_request(MultiDict({"q": query}))).hits[:RANKS_KEPT]] for query in queries]


def timed_rebuild(sources: Path, index: Path) -> dict:
    """Rebuild an index of the sources; return its documents, wall time and CPU time (its writer processes' too)."""
    before, started = _cpu_seconds(), time.perf_counter()
    summary = rebuild(IndexLocation(index), [sources])
    return {"documents": summary.indexed, "wall_s": time.perf_counter() - started, "cpu_s": _cpu_seconds() - before}


def timed_searches(index: Path, queries: list[dict], repeats: int) -> dict:
    """Run each query (q and filters, as URL parameters) `repeats` times; return the median and p95 of its CPU time in ms."""
    snapshot = LiveIndex(IndexLocation(index)).snapshot()
    for arguments in queries:  # a first pass fills the caches, as on a server that has been answering for a while
        search(snapshot, search_request(MultiDict(arguments)))
    timings = []
    for _ in range(repeats):
        for arguments in queries:
            started = time.process_time()
            search(snapshot, search_request(MultiDict(arguments)))
            timings.append((time.process_time() - started) * 1000)
    ordered = sorted(timings)
    return {"median_ms": statistics.median(ordered), "p95_ms": ordered[int(len(ordered) * 0.95)], "total_s": sum(ordered) / 1000}


def _cpu_seconds() -> float:
    """Return the CPU time of this process and of its finished children (the writer processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "rank":
        built = IndexLocation(Path(arguments[1]))
        rebuild(built, [Path(arguments[0])])
        print(json.dumps(ranked(built, json.load(sys.stdin))))
    elif command == "rebuild":
        print(json.dumps(timed_rebuild(Path(arguments[0]), Path(arguments[1]))))
    elif command == "search":
        print(json.dumps(timed_searches(Path(arguments[0]), json.load(sys.stdin), int(arguments[1]))))
