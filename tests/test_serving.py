"""`archive serve` with several worker processes: each answers, a dead one is replaced, all follow a rebuild."""

from __future__ import annotations

import json
import os
import signal
import time
from urllib.request import urlopen

import numpy as np
import pytest
import psutil

from index import CacheBudget, IndexLocation, LiveIndex, SearchRequest, rebuild, search
from index.caching import ENTRY_BYTES, BoundedCache, array_bytes
from tests.conftest import SEEDS, generations_open, running_archive, serving_workers
from web.serving import ServeOptions, default_workers

SWITCH_SECONDS = 1.0  # how soon after a rebuild publishes every worker must serve the new generation


def _total(url: str) -> int:
    """Return how many articles the server says it holds (one fresh connection)."""
    with urlopen(url + "/api/search?q=", timeout=30) as answer:
        return json.loads(answer.read())["total"]


def test_serve_runs_one_worker_per_core_by_default_on_the_loopback(seed_index):
    with running_archive(seed_index.root) as archive:
        workers = serving_workers(archive.pid, default_workers())
        listening = {connection.laddr for connection in psutil.Process(archive.pid).net_connections("tcp") if connection.status == "LISTEN"}
        assert {address.ip for address in listening} == {"127.0.0.1"}
        assert _total(archive.url) > 0
        for worker in workers:
            assert generations_open(worker) == {seed_index.current_generation().name}  # each its own snapshot
        assert generations_open(archive.pid) == set()  # the process that forks them holds none


def test_a_worker_that_dies_is_replaced_and_no_request_fails(seed_index):
    with running_archive(seed_index.root, "--workers", "2") as archive:
        first, second = serving_workers(archive.pid, 2)
        total = _total(archive.url)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while first in (workers := serving_workers(archive.pid, 2)):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.05)
        assert second in workers
        assert all(_total(archive.url) == total for _ in range(20))
    assert "Traceback" not in "".join(archive.output)


def test_every_worker_switches_to_a_new_generation_within_a_second(tmp_path, seed_index):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    sources = tmp_path / "more"
    sources.mkdir()
    (sources / "walrus.txt").write_text("A walrus\n\nThe walrus spoke at length.\n", encoding="utf-8")
    with running_archive(location.root, "--workers", "2") as archive:
        workers = serving_workers(archive.pid, 2)
        before = _total(archive.url)
        rebuild(location, [SEEDS, sources])
        published = time.monotonic()
        new = location.current_generation().name
        # Each worker opens the new generation itself (the old one stays open a while for requests under way)...
        while not all(new in generations_open(worker) for worker in workers):
            assert time.monotonic() - published < SWITCH_SECONDS, {worker: generations_open(worker) for worker in workers}
            time.sleep(0.02)
        # ...and answers from it: twenty answers on fresh connections, taken by whichever worker is free.
        while [_total(archive.url) for _ in range(20)] != [before + 1] * 20:
            assert time.monotonic() - published < SWITCH_SECONDS, "some answers still come from the old generation"


def test_options_are_plain_data():
    assert ServeOptions("127.0.0.1", 0, 2, 4) == ServeOptions("127.0.0.1", 0, 2, 4)
    assert default_workers() == len(os.sched_getaffinity(0))


def test_caches_are_bounded_by_the_bytes_of_their_arrays():
    cache = BoundedCache(10_000, lambda found: array_bytes(*found))
    for number in range(10):
        cache.put(number, (np.zeros(500, np.int64),))  # 4,000 bytes and the entry's own
    assert len(cache) == 2 and cache.size == 2 * (4_000 + ENTRY_BYTES) <= cache.capacity
    budget = CacheBudget.of_megabytes(100)
    assert budget.postings + budget.term_scores + budget.phrases + budget.frequencies <= 100 * 1024 * 1024


def test_the_cache_setting_comes_from_the_environment_and_a_bad_one_is_named(monkeypatch, tmp_path):
    import click

    from web import create_app

    monkeypatch.setenv("ARCHIVE_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("ARCHIVE_CACHE_MB", "64")
    assert create_app().extensions["archive"].live.budget == CacheBudget.of_megabytes(64)
    monkeypatch.setenv("ARCHIVE_CACHE_MB", "lots")
    with pytest.raises(click.UsageError, match="ARCHIVE_CACHE_MB must be a number of megabytes"):
        create_app()


def test_a_new_snapshot_is_prepared_then_warmed_with_the_archives_frequent_words(seed_index):
    """What a worker's follower does (its errors are only logged, so they are checked here)."""
    live = LiveIndex(seed_index, CacheBudget.of_megabytes(1))
    snapshot = live.refresh()  # opens, serves and prepares the live generation
    assert snapshot is live.snapshot() and live.refresh() is None  # nothing new to open
    assert snapshot.warm(seconds=30) > 0
    counts = snapshot.vocabulary().counts
    assert search(snapshot, SearchRequest(query=max(counts, key=counts.__getitem__))).total > 0
