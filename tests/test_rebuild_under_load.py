"""A rebuild of bench/articles.jsonl while 16 clients search the running server's workers over HTTP (a couple of minutes)."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation
from tests.conftest import REPOSITORY, RunningArchive, generations_open, running_archive, serving_workers, shared_data

CLIENTS = 16
WORKERS = 3  # more than the cores of a small machine: each worker must switch on its own
SWITCH_SECONDS = 1.0  # how soon after the new generation is published every worker must serve it
CONFIRM_SECONDS = 120  # how long the 20 answers that confirm it may take on a loaded machine


@dataclass
class Tally:
    """Requests answered and failed, shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: list[float] = field(default_factory=list)  # when each good answer arrived
    failures: list[str] = field(default_factory=list)

    def record(self, failure: str | None) -> None:
        """Count one request."""
        with self.lock:
            if failure:
                self.failures.append(failure)
            else:
                self.answered.append(time.monotonic())

    def answered_between(self, start: float, end: float) -> int:
        """Return how many requests were answered in the interval."""
        with self.lock:
            return sum(start <= moment <= end for moment in self.answered)


@pytest.mark.slow
def test_searches_keep_working_during_a_rebuild_and_switch_to_the_new_index(tmp_path, bbc_index):
    articles = shared_data("bench") / "articles.jsonl"
    queries = _typed_queries(shared_data("bench") / "queries.json")
    paths = [f"{endpoint}?{urlencode({'q': text})}" for text in queries for endpoint in ("/", "/api/search")]
    location = IndexLocation(tmp_path / "index")
    shutil.copytree(bbc_index.root, location.root)  # the "old" index: BBC News
    old_total = _total(LiveIndex(location))

    tally, stop = Tally(), threading.Event()
    with running_archive(location.root, "--workers", str(WORKERS)) as archive:
        serving_workers(archive.pid, WORKERS)
        clients = [
            threading.Thread(target=_client, args=(archive.port, paths[number::CLIENTS], tally, stop)) for number in range(CLIENTS)
        ]
        switch = Switch(location.current_generation())
        watcher = threading.Thread(target=_watch_switch, args=(archive, location, old_total, switch, stop))
        try:
            for client in clients:
                client.start()
            watcher.start()
            started = time.monotonic()
            with open(tmp_path / "rebuild-output.txt", "w", encoding="utf-8") as output:
                rebuilt = subprocess.run(
                    [sys.executable, "-c", "from web.cli import main; main()", "rebuild", str(articles)],
                    cwd=REPOSITORY, env={**os.environ, "ARCHIVE_INDEX": str(location.root)},
                    stdout=output, stderr=subprocess.STDOUT,
                )
            finished = time.monotonic()
            assert rebuilt.returncode == 0, (tmp_path / "rebuild-output.txt").read_text()
            new_total = _total(LiveIndex(location))
            assert new_total != old_total
            watcher.join(timeout=CONFIRM_SECONDS)
        finally:
            stop.set()
            for client in clients:
                client.join()
            watcher.join()
    assert switch.total == new_total, f"the workers answered {switch.total}, not {new_total:,}"
    opened_after, answered_after = switch.opened - switch.published, switch.answered - switch.published

    during = tally.answered_between(started, finished)
    print(
        f"\nrebuild of {articles.name}: {finished - started:.1f} s under load; {during:,} requests answered during it "
        f"({during / (finished - started):.1f}/s from {CLIENTS} clients), {len(tally.answered):,} in all, "
        f"{len(tally.failures)} failed; all {WORKERS} workers served the new generation {opened_after:.2f} s after it was "
        f"published, and 20 answers in a row (each waiting its turn behind the clients) said {new_total:,} articles, "
        f"not {old_total:,}, {answered_after:.2f} s after"
    )
    assert tally.failures == []
    assert during >= CLIENTS * 10
    assert opened_after < SWITCH_SECONDS


def _typed_queries(path: Path) -> list[str]:
    """Return the queries of bench/queries.json as a person would type them: words, a "phrase", a category."""
    typed = []
    for query in json.loads(path.read_text(encoding="utf-8")):
        words = " ".join(query["terms"])
        text = f'"{words}"' if query["type"] == "phrase" else words
        typed.append(f"{text} category:{json.dumps(query['category'])}" if query.get("category") else text)
    return typed


def _client(port: int, paths: list[str], tally: Tally, stop: threading.Event) -> None:
    """Send the paths over one kept-alive connection, again and again, until told to stop."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for path in itertools.cycle(paths):
        if stop.is_set():
            break
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            failure = _problem(path, response.status, response.read())
        except (OSError, http.client.HTTPException) as error:
            failure = f"{path}: {type(error).__name__}: {error}"
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        tally.record(failure)
    connection.close()


def _problem(path: str, status: int, body: bytes) -> str | None:
    """Return what is wrong with an answer, or None for a good one."""
    if status != 200:
        return f"{path}: HTTP {status}: {body[:200]!r}"
    if path.startswith("/api/"):
        try:
            if not isinstance(json.loads(body)["total"], int):
                return f"{path}: no total in {body[:200]!r}"
        except (ValueError, KeyError) as error:
            return f"{path}: malformed JSON ({error})"
    elif not body.rstrip().endswith(b"</html>"):
        return f"{path}: page cut short: {body[-200:]!r}"
    return None


@dataclass
class Switch:
    """When the rebuild published its generation, when every worker had opened it, and when their answers came from it."""

    old: Path | None
    published: float = 0.0
    # A worker serves a generation as soon as it has opened it (LiveIndex.refresh): read from /proc, this
    # moment does not wait in line behind the clients' requests as an answer does.
    opened: float = float("inf")
    answered: float = float("inf")  # 20 answers in a row on fresh connections agreed on a new total
    total: int | None = None  # that total


def _watch_switch(archive: RunningArchive, location: IndexLocation, old_total: int, switch: Switch, stop: threading.Event) -> None:
    """Note when the pointer changes, when every worker holds the new generation, then when 20 answers in a row agree on a new total."""
    while location.current_generation() == switch.old:
        if stop.is_set():
            return
        time.sleep(0.01)
    switch.published = time.monotonic()
    generation = location.current_generation().name
    while not stop.is_set():
        if all(generation in generations_open(worker) for worker in serving_workers(archive.pid, WORKERS)):
            switch.opened = time.monotonic()
            break
        time.sleep(0.01)
    while not stop.is_set():
        totals = {_answered_total(archive.port) for _ in range(20)}
        if len(totals) == 1 and old_total not in totals:
            switch.answered, switch.total = time.monotonic(), totals.pop()
            return
        time.sleep(0.02)


def _answered_total(port: int) -> int:
    """Return the number of articles the server reports, on a fresh connection (so any free worker answers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/api/search?q=")
    answered = json.loads(connection.getresponse().read())["total"]
    connection.close()
    return answered


def _total(live: LiveIndex) -> int:
    """Return how many articles the index holds."""
    return search(live.snapshot(), SearchRequest(with_facets=False, with_snippets=False)).total
