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


def serve(index_root: Path, *options: str) -> tuple[subprocess.Popen, int]:
    """Start the real server on an index (with more `archive serve` options), wait until it listens, and return it with its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port", str(port), *options],
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


def wait_for_answer(port: int, path: str, seconds: float = 60) -> None:
    """Wait until the server answers a GET of the path with 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=seconds)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.02)
    raise SystemExit(f"the server did not answer {path} within {seconds:.0f} s")


def timed_fetches(port: int, paths: list[str]) -> list[float]:
    """GET each path once over one kept-alive connection; return each answer's time in ms."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
    return timings


def stop(server: subprocess.Popen) -> None:
    """Stop a server started by serve()."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def processes(pid: int) -> list[int]:
    """Return a server process and its children (gunicorn's workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = Path(f"/proc/{pid}/task/{task.name}/children")
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """Return the CPU time the server's processes have used so far (workers that died are not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in processes(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime and stime
    return total


def memory_megabytes(pid: int) -> dict:
    """Return the server's resident memory summed over its processes: RSS (shared pages counted in each) and PSS."""
    rss = pss = 0.0
    counted = 0
    for process in processes(pid):
        try:
            rollup = dict(line.split(":", 1) for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines()[1:])
        except OSError:
            continue
        rss += int(rollup["Rss"].split()[0]) / 1024
        pss += int(rollup["Pss"].split()[0]) / 1024
        counted += 1
    return {"rss_mb": rss, "pss_mb": pss, "processes": counted}


def default_workers() -> int:
    """Return how many workers `archive serve` starts by default here."""
    from web.serving import default_workers

    return default_workers()


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
