"""Damaged indexes and stuck writers: clear messages with the command that fixes them, never a traceback."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.storage import CURRENT_FILE, IndexBusy, IndexLocation
from index.writing import rebuild
from tests.benchmarks.serving import free_port, wait_for_port
from tests.conftest import REPOSITORY, SEEDS


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
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from web.cli import main; main()", "serve", "--port", str(port)],
        cwd=REPOSITORY, env={**os.environ, "ARCHIVE_INDEX": str(index_location.root)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_port(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 503
        assert "is unreadable" in body and "archive rebuild" in body
    finally:
        server.send_signal(signal.SIGINT)
        output, errors = server.communicate(timeout=30)
    assert "is unreadable" in errors and "archive rebuild" in errors
    assert "Traceback" not in errors
    # The damaged index was reported, not silently replaced by a build of the default sources.
    assert index_location.current_generation() == generation
    assert "No index yet" not in output


def test_a_lock_left_to_processes_of_a_killed_writer_names_them_and_how_to_clear_it(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    # A writer that starts a helper process (which inherits the lock) and is then killed.
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import os, sys, time; from pathlib import Path; from index.storage import IndexLocation\n"
         "with IndexLocation(Path(sys.argv[1])).writer_lock():\n"
         "    if os.fork() == 0:\n        time.sleep(60); os._exit(0)\n"
         "    print('locked', flush=True); time.sleep(60)",
         str(location.root)],
        cwd=REPOSITORY, stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline().strip() == "locked"
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
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from index.storage import IndexLocation\n"
         "with IndexLocation(Path(sys.argv[1])).writer_lock():\n    print('locked', flush=True); time.sleep(60)",
         str(location.root)],
        cwd=REPOSITORY, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy) as refused:
            rebuild(location, [SEEDS])
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert f"being written by process {holder.pid} (-c {location.root}, since " in message
    assert f"Wait for that rebuild or update to finish" in message
    assert message.endswith(f"kill {holder.pid}")


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
