"""Serve an index with `archive serve` and load it over HTTP, for the benchmarks."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def serve(index_root: Path) -> tuple[subprocess.Popen, int]:
    """Start the real server on an index, wait until it listens, and return it with its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port", str(port)],
        cwd=REPOSITORY, env={**os.environ, "ARCHIVE_INDEX": str(index_root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
    except BaseException:
        server.kill()
        raise
    return server, port


def load(port: int, paths: list[str], concurrency: int) -> dict:
    """Send the requests from `concurrency` threads with kept-alive connections; return the figures."""
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()
    shares = [paths[index::concurrency] for index in range(concurrency)]

    def worker(share: list[str]) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for path in share:
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                failed = response.status != 200
            except (OSError, http.client.HTTPException):
                failed = True
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                timings.append((time.perf_counter() - started) * 1000)
                errors += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {**latency(timings), "requests_per_second": len(timings) / elapsed, "errors": errors}


def fetch_all(port: int, paths: list[str]) -> None:
    """GET each path once (to warm the server)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for path in paths:
        connection.request("GET", path)
        connection.getresponse().read()


def latency(timings: list[float]) -> dict:
    """Return the median and p95 of timings in ms."""
    ordered = sorted(timings)
    return {"median_ms": statistics.median(ordered), "p95_ms": ordered[int(0.95 * (len(ordered) - 1))], "count": len(ordered)}


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Wait until something listens on the port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listened on port {port} within {seconds:.0f} s")


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_megabytes(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
