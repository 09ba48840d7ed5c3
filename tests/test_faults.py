"""Damaged indexes and stuck writers: clear messages with the command that fixes them, never a traceback."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.lockholder import processes_with_open
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import CURRENT_FILE, LOCK_FILE, IndexBusy, IndexLocation
from index.writing import MULTIPROCESS_THRESHOLD_BYTES, rebuild
from tests.conftest import IN_BOTH_LANES, REPOSITORY, SEEDS, lock_holder, running_archive


def _truncate_toc(generation: Path) -> None:
    _only(generation, "_MAIN_*.toc").write_bytes(b"")


def _garble_toc(generation: Path) -> None:
    toc = _only(generation, "_MAIN_*.toc")
    toc.write_bytes(bytes(byte ^ 0x5A for byte in toc.read_bytes()))


def _cut_segment_in_half(generation: Path) -> None:
    segment = _only(generation, "*.seg")
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])


def _delete_current(generation: Path) -> None:
    (generation.parent / CURRENT_FILE).unlink()


def _delete_generation(generation: Path) -> None:
    for file in generation.iterdir():
        file.unlink()
    generation.rmdir()


def _only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


DAMAGE = [_truncate_toc, _garble_toc, _cut_segment_in_half, _delete_current, _delete_generation]


@pytest.fixture
def index_location(app, runner) -> IndexLocation:
    """Return the app's index, built from the seeds."""
    assert runner.invoke(args=["rebuild"]).exit_code == 0
    return IndexLocation(Path(app.config["INDEX_PATH"]))


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda damage: damage.__name__.strip("_"))
def test_a_damaged_index_is_reported_with_the_command_that_fixes_it(damage, index_location, client, runner):
    damage(index_location.current_generation() or _only(index_location.root, "gen-*"))

    page = client.get("/?q=istanbul")
    assert page.status_code == 503
    assert "is unreadable" in page.get_data(as_text=True)
    assert "archive rebuild" in page.get_data(as_text=True)
    api = client.get("/api/search?q=istanbul")
    assert api.status_code == 503
    assert "archive rebuild" in api.get_json()["error"]
    for command in (["search", "istanbul"], ["stats"], ["update"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 1, (command, result.output)
        assert "unreadable" in result.output and "archive rebuild" in result.output, (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)

    assert runner.invoke(args=["rebuild"]).exit_code == 0
    assert client.get("/?q=istanbul").status_code == 200
    assert "1-1 of 1" in runner.invoke(args=["search", "istanbul"]).output


def test_serve_starts_on_a_damaged_index_and_says_so(index_location):
    generation = index_location.current_generation()
    _truncate_toc(generation)
    with running_archive(index_location.root) as archive:
        connection = http.client.HTTPConnection("127.0.0.1", archive.port, timeout=30)
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 503
        assert "is unreadable" in body and "archive rebuild" in body
    output = "".join(archive.output)
    assert "is unreadable" in output and "archive rebuild" in output
    assert "Traceback" not in output
    # The damaged index was reported, not silently replaced by a build of the default sources.
    assert index_location.current_generation() == generation
    assert "No index yet" not in output


def test_a_lock_left_to_processes_of_a_killed_writer_names_them_and_how_to_clear_it(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    # A writer that starts a helper process (which inherits the lock) and is then killed.
    with lock_holder(location, with_child=True) as writer:
        writer.kill()
        writer.wait()
        with pytest.raises(IndexBusy) as refused:
            rebuild(location, [SEEDS])
    message = str(refused.value)
    assert f"taken by process {writer.pid}" in message and "no longer running" in message
    (left_behind,) = re.findall(r"kill (\d+)$", message)
    assert int(left_behind) != writer.pid

    os.kill(int(left_behind), signal.SIGTERM)  # what the message says to run
    _wait_for_free_lock(location)
    assert rebuild(location, [SEEDS]).indexed == 1


def test_a_busy_message_names_the_running_writer_and_its_command(tmp_path):
    location = IndexLocation(tmp_path / "index")
    with lock_holder(location) as holder, pytest.raises(IndexBusy) as refused:
        rebuild(location, [SEEDS])
    message = str(refused.value)
    assert f"being written by process {holder.pid} (-c {location.root}, since " in message
    assert "Wait for that rebuild or update to finish" in message
    assert message.endswith(f"kill {holder.pid}")


# By test lane. The small file is rebuilt by one process, the large one by Whoosh's writer processes too.
KILL_ROUNDS = {"fast": 2, "slow": 22}
SMALL_FILE_MB = {"fast": 0.2, "slow": 0.8}
KILLED_AT_LEAST = {"fast": 1, "slow": 20}  # a small rebuild may finish before its kill; a large one never does
KILL_QUERIES = ["lomaru", "tepiso kavulo", '"sanemi rodaku"', "vexa*", "lomaru -tepiso", "category:world", ""]


@IN_BOTH_LANES
def test_a_rebuild_killed_at_random_moments_leaves_the_old_index_serving(tmp_path, lane):
    rng = random.Random(9)  # fixed, so a failing round can be replayed
    small = _write_articles(tmp_path / "small.jsonl", rng, megabytes=SMALL_FILE_MB[lane])
    large = _write_articles(tmp_path / "large.jsonl", rng, megabytes=1.5 * MULTIPROCESS_THRESHOLD_BYTES / 2**20)
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [small])
    running = LiveIndex(location)  # a server that was running all along
    answers = _answers(running)
    assert all(total for total, _ in answers[:-2])

    killed = killed_with_writer_processes = 0
    errors = tmp_path / "rebuild-errors.txt"  # a file, not a pipe: leftover writer processes would keep a pipe open
    try:
        for round_number in range(KILL_ROUNDS[lane]):
            source = large if round_number % 2 else small  # the large one takes the multiprocess writer path
            with open(errors, "w", encoding="utf-8") as error_file:
                rebuilding = subprocess.Popen(
                    [sys.executable, "-c", "from web.cli import main; main()", "rebuild", str(source)],
                    cwd=REPOSITORY, env={**os.environ, "ARCHIVE_INDEX": str(location.root)},
                    stdout=subprocess.DEVNULL, stderr=error_file,
                )
            time.sleep(rng.uniform(0.2, 3.5))
            writer_processes = _children(rebuilding.pid)
            rebuilding.kill()
            rebuilding.wait()
            if rebuilding.returncode == -signal.SIGKILL:
                killed += 1
                killed_with_writer_processes += bool(writer_processes)
            else:  # a small rebuild may finish first: it published the same articles again
                assert (source, rebuilding.returncode) == (small, 0), errors.read_text()

            _wait_for(lambda: not processes_with_open(location.root / LOCK_FILE), f"round {round_number}: leftover writer processes")
            assert _answers(running) == answers, f"round {round_number}"
            assert _answers(LiveIndex(location)) == answers, f"round {round_number}"
    finally:
        for leftover in processes_with_open(location.root / LOCK_FILE):  # only this test's rebuilds open this file
            os.kill(leftover, signal.SIGKILL)

    print(f"\n{killed} rebuilds killed with SIGKILL, {killed_with_writer_processes} of them while writer processes ran")
    assert killed >= KILLED_AT_LEAST[lane]
    if lane == "slow":
        assert killed_with_writer_processes >= 3
    assert rebuild(location, [small]).indexed == answers_count(location)
    assert _answers(running) == answers
    generations = {folder for folder in location.root.iterdir() if folder.name.startswith("gen-")}
    assert generations == location.readable_generations()  # the debris of killed rebuilds is gone


def answers_count(location: IndexLocation) -> int:
    """Return how many articles the live index holds."""
    with location.open().searcher() as searcher:
        return searcher.doc_count()


def _answers(live: LiveIndex) -> list[tuple[int, list[str]]]:
    """Return the total and the ids of the first page for each of the kill test's queries."""
    results = [search(live.snapshot(), SearchRequest(query=query, with_snippets=False)) for query in KILL_QUERIES]
    return [(result.total, [hit.id for hit in result.hits]) for result in results]


def _write_articles(path: Path, rng: random.Random, megabytes: float) -> Path:
    """Write distinct made-up articles as JSON Lines until the file is this large."""
    syllables = ["lo", "ma", "ru", "te", "pi", "so", "ka", "vu", "sa", "ne", "mi", "ro", "da", "ku", "ve", "xa"]
    words = ["".join(rng.choices(syllables, k=rng.randint(2, 3))) for _ in range(3000)]
    words += ["lomaru", "tepiso", "kavulo", "sanemi", "rodaku", "vexalo"]
    categories = ["world", "business", "sport", "tech"]
    with open(path, "w", encoding="utf-8") as handle:
        number = 0
        while handle.tell() < megabytes * 2**20:
            number += 1
            body = [" ".join(rng.choices(words, k=rng.randint(20, 60))) for _ in range(rng.randint(2, 6))]
            if rng.random() < 0.05:
                body.append("sanemi rodaku")  # a phrase for the phrase query
            record = {"id": f"{path.stem}-{number}", "title": " ".join(rng.choices(words, k=6)), "body": body,
                      "category": rng.choice(categories), "published": f"20{rng.randint(10, 24)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"}
            handle.write(json.dumps(record) + "\n")
    return path


def _children(pid: int) -> list[int]:
    """Return the pids of a process's children."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait_for(condition, failure: str, seconds: float = 10) -> None:
    """Wait until the condition holds, or fail with the message."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def _wait_for_free_lock(location: IndexLocation, seconds: float = 10) -> None:
    """Wait until no process holds the writer lock (a killed process releases it once the kernel reaps its files)."""
    deadline = time.monotonic() + seconds
    while not _lock_is_free(location):
        assert time.monotonic() < deadline, f"the writer lock is still held after {seconds} s"
        time.sleep(0.05)


def _lock_is_free(location: IndexLocation) -> bool:
    """Return whether the writer lock could be taken right now."""
    try:
        with location.writer_lock():
            return True
    except IndexBusy:
        return False
