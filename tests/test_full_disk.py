"""A full or read-only disk: one clear line, exit status 1, no traceback from any process, the live index as it was.

The index lives on a small tmpfs mounted for each test (root only, as in CI; elsewhere these tests skip).
A write fails for real: `tests.full_disk` fills the disk at a chosen moment of a real `archive` process.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from whoosh.index import create_in

from index.engine.codec import ArchiveCodec
from index.schema import build_schema
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.space import IndexWriteFailed, bytes_needed, size_text, write_failure_message, write_failures_reported
from index.storage import IndexLocation
from index.engine.writers import WriterProcessFailed, open_writer
from index.writing import MULTIPROCESS_THRESHOLD_BYTES, rebuild
from tests.conftest import REPOSITORY, running_archive
from tests.full_disk import free_bytes, leave_free, mount_tmpfs, remount, unmount, used_bytes
from web import create_app

DISK_MEGABYTES = 32
QUERIES = ["lomaru", "tepiso kavulo", '"sanemi rodaku"', "vexa*", "lomaru -tepiso", "category:world", ""]
# Where a write can fail, each with the function the disk is filled before (and after how many of its calls).
ADDING = ("index.writing:article_to_document", 40)  # stored fields and job files, written as articles come
COMMIT = ("whoosh.writing:SegmentWriter.commit", 0)  # postings, segment files, the compound file
VOCABULARY = ("index.spelling:Vocabulary.save", 0)
POINTER = ("index.storage:IndexLocation.publish", 0)  # the CURRENT pointer to the new generation
FAILURE_POINTS = {"adding": ADDING, "commit": COMMIT, "vocabulary": VOCABULARY, "pointer": POINTER}


@pytest.fixture
def disk(tmp_path) -> Iterator[Path]:
    """Return a 32 MB tmpfs mounted for the test, unmounted after it."""
    try:
        mount = mount_tmpfs(tmp_path / "disk", DISK_MEGABYTES)
    except PermissionError as error:
        pytest.skip(f"a tmpfs cannot be mounted here ({error}); these tests need root, as CI has")
    try:
        yield mount
    finally:
        unmount(mount)


@pytest.fixture
def built(disk, tmp_path) -> tuple[IndexLocation, Path]:
    """Return an index on the small disk, built from a folder of 220 made-up articles in two files, and that folder."""
    sources = tmp_path / "sources"
    sources.mkdir()
    write_corpus(sources / "a.jsonl", articles=200, seed=1)
    write_corpus(sources / "c.jsonl", articles=20, seed=3)
    location = IndexLocation(disk / "index")
    assert rebuild(location, [sources]).indexed == 220
    return location, sources


@pytest.mark.parametrize("point", ["commit", *(pytest.param(name, marks=pytest.mark.slow) for name in ("adding", "vocabulary", "pointer"))])
def test_a_rebuild_that_runs_out_of_space_says_so_and_leaves_everything_as_it_was(point, disk, built, tmp_path):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=200, seed=2)
    before = _state(location, disk)

    done = run_archive(tmp_path, "rebuild", str(sources), index=location.root, fill_at=FAILURE_POINTS[point], disk=disk)

    _assert_failed_cleanly(done, "rebuild", location, disk, before)
    assert run_archive(tmp_path, "rebuild", str(sources), index=location.root).returncode == 0
    assert _documents(location) == 420


@pytest.mark.slow
@pytest.mark.parametrize("point", ["adding", "commit", "vocabulary", "pointer"])
def test_an_update_that_runs_out_of_space_says_so_and_leaves_the_live_generation_as_it_was(point, disk, built, tmp_path):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=200, seed=2)
    (sources / "c.jsonl").unlink()
    before = _state(location, disk)

    done = run_archive(tmp_path, "update", str(sources), index=location.root, fill_at=FAILURE_POINTS[point], disk=disk)

    _assert_failed_cleanly(done, "update", location, disk, before)
    again = run_archive(tmp_path, "update", str(sources), index=location.root)
    assert again.returncode == 0, again.stderr
    assert _documents(location) == 400
    assert re.search(r"deleted +1\n", again.stdout), again.stdout


@pytest.mark.slow
@pytest.mark.parametrize("point", ["adding", "commit"])
def test_writer_processes_that_run_out_of_space_end_quietly(point, disk, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    write_corpus(sources / "small.jsonl", articles=50, seed=1)
    location = IndexLocation(disk / "index")
    rebuild(location, [sources])
    # Past the threshold, the rebuild hands articles to Whoosh's writer processes, which write the postings.
    large = write_corpus(sources / "large.jsonl", articles=int(1.2 * MULTIPROCESS_THRESHOLD_BYTES / 1200), seed=2)
    assert large.stat().st_size > MULTIPROCESS_THRESHOLD_BYTES
    before = _state(location, disk)
    where = ("index.writing:article_to_document", 1000) if point == "adding" else ("whoosh.multiproc:MpWriter.commit", 0)

    done = run_archive(tmp_path, "rebuild", str(sources), index=location.root, fill_at=where, disk=disk)

    _assert_failed_cleanly(done, "rebuild", location, disk, before)
    assert run_archive(tmp_path, "rebuild", str(sources), index=location.root).returncode == 0


@pytest.mark.slow
def test_a_forced_rebuild_on_a_disk_too_small_fails_where_it_fails_and_cleans_up(disk, built, tmp_path):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=400, seed=2)
    filler = leave_free(disk, 1024 * 1024)
    before = _state(location, disk)

    refused = run_archive(tmp_path, "rebuild", str(sources), index=location.root)
    assert refused.returncode == 1
    assert "archive rebuild was not started" in refused.stderr and "archive rebuild --force" in refused.stderr
    forced = run_archive(tmp_path, "rebuild", "--force", str(sources), index=location.root)

    _assert_failed_cleanly(forced, "rebuild", location, disk, before, filler)


def test_a_rebuild_is_refused_before_it_reads_an_article_when_the_disk_is_clearly_too_small(disk, built, monkeypatch):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=300, seed=2)
    leave_free(disk, 512 * 1024)
    generations = sorted(location.root.glob("gen-*"))

    def no_reading(*args, **kwargs):
        raise AssertionError("an article was read")

    monkeypatch.setattr("index.writing.read_articles", no_reading)
    with pytest.raises(IndexWriteFailed) as refused:
        rebuild(location, [sources])
    message = str(refused.value)
    needed = bytes_needed(list(_source_files(sources)))
    assert message.startswith(f"archive rebuild was not started: {location.root} has ")
    assert f"needs roughly {size_text(needed)}" in message
    assert "The previous index is still live and unchanged." in message
    assert message.endswith("or try anyway with: archive rebuild --force")
    assert sorted(location.root.glob("gen-*")) == generations

    app = create_app({"TESTING": True, "INDEX_PATH": str(location.root), "SOURCES": [str(sources)]})
    result = app.test_cli_runner().invoke(args=["rebuild"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"


@pytest.mark.slow
def test_force_tries_anyway_and_succeeds_when_the_estimate_was_too_high(disk, tmp_path):
    # A hundred copies of one article: the estimate counts every byte, the index holds one article.
    sources = tmp_path / "copies"
    sources.mkdir()
    text = "Copies of one dispatch\n\n" + " ".join(["lomaru tepiso kavulo sanemi"] * 1000) + "\n"
    for number in range(100):
        (sources / f"copy-{number:03}.txt").write_text(text, encoding="utf-8")
    location = IndexLocation(disk / "index")
    leave_free(disk, 4 * 1024 * 1024)  # the estimate is about 10 MB

    refused = run_archive(tmp_path, "rebuild", str(sources), index=location.root)
    forced = run_archive(tmp_path, "rebuild", "--force", str(sources), index=location.root)

    assert refused.returncode == 1 and "archive rebuild --force" in refused.stderr
    assert "No index was built, and nothing was left behind." in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert _documents(location) == 1


def _read_only(disk: Path, root: Path, on: bool) -> None:
    """Remount the disk read-only (writes fail with EROFS), or writable again."""
    remount(disk, "ro" if on else "rw")


def _immutable(disk: Path, root: Path, on: bool) -> None:
    """Make the index folder immutable, which refuses even root (EPERM), or mutable again."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr (e2fsprogs) is not installed: the folder cannot be made immutable")
    subprocess.run(["chattr", "+i" if on else "-i", str(root)], check=True)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("refuse", "reason"), [(_read_only, "the filesystem is read-only"), (_immutable, "permission is denied")], ids=["read-only", "immutable"]
)
def test_an_index_folder_that_refuses_writes_is_reported_and_searching_goes_on(refuse, reason, disk, built, tmp_path):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=50, seed=2)
    before = _state(location, disk)
    refuse(disk, location.root, on=True)
    try:
        for command in ("rebuild", "update"):
            done = run_archive(tmp_path, command, str(sources), index=location.root)
            assert done.returncode == 1, done.stderr
            assert done.stderr.startswith(f"Error: archive {command} failed: {reason} at {location.root} ("), done.stderr
            assert "The previous index is still live and unchanged." in done.stderr
            assert done.stderr.strip().endswith(f"Make the folder writable or choose another with --index, then run: archive {command}")
            _assert_one_line_and_no_traceback(done)
        found = run_archive(tmp_path, "search", "lomaru", "--json", index=location.root)
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["total"] == before.answers[0][0]
    finally:
        refuse(disk, location.root, on=False)
    assert _state(location, disk) == before
    assert run_archive(tmp_path, "update", str(sources), index=location.root).returncode == 0
    assert _documents(location) == 270


@pytest.mark.slow
def test_serve_says_once_that_its_first_build_ran_out_of_space_and_serves_all_the_same(disk, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    write_corpus(sources / "a.jsonl", articles=100, seed=1)
    index = disk / "index"
    used = used_bytes(disk)
    filling = (sys.executable, "-m", "tests.full_disk", *map(str, COMMIT), str(disk))

    with running_archive(index, program=filling, env={"ARCHIVE_SOURCES": str(sources)}) as server:
        status, body = _get(server.port, "/?q=lomaru")
        # The server runs on, yet the failed build's files are gone and their space is free again.
        assert used_bytes(disk) - _size(disk / "filler") == used

    log = "".join(server.output)
    assert log.count("archive rebuild failed: no space is left on the device") == 1, log
    assert "Traceback" not in log
    assert status == 503 and "archive rebuild" in body
    assert not list(index.glob("gen-*"))


@pytest.mark.slow
def test_serve_answers_from_the_live_index_while_a_rebuild_runs_out_of_space(disk, built, tmp_path):
    location, sources = built
    write_corpus(sources / "b.jsonl", articles=200, seed=2)
    with running_archive(location.root) as server:
        answered = _api_answer(server.port)
        failed = run_archive(tmp_path, "rebuild", str(sources), index=location.root, fill_at=COMMIT, disk=disk)
        assert failed.returncode == 1
        assert _api_answer(server.port) == answered
        (disk / "filler").unlink()
        assert run_archive(tmp_path, "rebuild", str(sources), index=location.root).returncode == 0
        assert _api_answer(server.port)[0] > answered[0]


def test_a_rebuild_whose_writer_processes_died_says_so_instead_of_waiting_for_them(tmp_path):
    writer = open_writer(create_in(str(tmp_path), build_schema()), procs=2, multisegment=True, codec=ArchiveCodec())
    document = {"id": "a", "key": "a", "title": "lomaru", "body": "tepiso kavulo " * 50, "path": "/a"}
    for _ in range(300):  # three jobs of 100: both writer processes start
        writer.add_document(**document)
    for task in writer.tasks:
        os.kill(task.pid, signal.SIGKILL)
    # Whoosh's job queue holds 8 jobs: with nobody taking them, the ninth would wait for ever.
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the rebuild waited on dead writer processes"))
    signal.alarm(60)
    try:
        with pytest.raises(WriterProcessFailed, match=r"writer process\(es\) ended abnormally \(exit codes \[-9"):
            for _ in range(2000):
                writer.add_document(**document)
    finally:
        signal.alarm(0)
        writer.cancel()


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.ENOSPC, "no space is left on the device"), (errno.EDQUOT, "the disk quota is exceeded"),
     (errno.EROFS, "the filesystem is read-only"), (errno.EACCES, "permission is denied"), (errno.EPERM, "permission is denied")],
)
def test_each_refused_write_becomes_one_clear_line(code, reason, tmp_path):
    location = IndexLocation(tmp_path / "index")
    with pytest.raises(IndexWriteFailed) as failed:
        with write_failures_reported(location, "update", needed=3 * 1024 * 1024):
            raise OSError(code, os.strerror(code), str(location.root / "gen-1" / "x.seg"))
    message = str(failed.value)
    assert message.startswith(f"archive update failed: {reason} at {location.root} (")
    assert "free; it needs roughly 3.0 MB). No index was built, and nothing was left behind." in message
    assert message.endswith("then run: archive update")
    assert "\n" not in message


def test_a_write_outside_the_index_folder_names_its_folder_and_no_index_option(tmp_path):
    location = IndexLocation(tmp_path / "index")
    pages = tmp_path / "instance" / "pages"
    with pytest.raises(IndexWriteFailed) as failed:
        with write_failures_reported(location, "add", needed=200 * 1024, folder=pages):
            raise OSError(errno.ENOSPC, "No space left on device", str(pages / "saved.warc.gz"))
    message = str(failed.value)
    assert message.startswith(f"archive add failed: no space is left on the device at {pages} (")
    assert message.endswith("free; it needs roughly 200 KB). No index was built, and nothing was left behind. Free some space, then run: archive add")


def test_a_permission_refused_on_a_file_outside_the_index_folder_is_not_the_disk(tmp_path):
    location = IndexLocation(tmp_path / "index")
    with pytest.raises(PermissionError):
        with write_failures_reported(location, "rebuild"):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "sources" / "a.txt"))
    with pytest.raises(ConnectionResetError):
        with write_failures_reported(location, "rebuild"):
            raise ConnectionResetError(errno.ECONNRESET, "reset")


def test_the_message_of_a_failure_says_the_live_index_is_unchanged_when_there_is_one(tmp_path):
    message = write_failure_message("rebuild", tmp_path, "no space is left on the device", 5 * 1024, None, index_live=True)
    assert message == (
        f"archive rebuild failed: no space is left on the device at {tmp_path} (5 KB free). The previous index is still live "
        "and unchanged. Free some space or choose a larger disk with --index, then run: archive rebuild"
    )


def test_the_estimate_counts_text_at_four_and_a_half_times_and_pages_at_a_fifth(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"x" * 1_000_000)
    (tmp_path / "b.html").write_bytes(b"x" * 1_000_000)
    (tmp_path / "c.pdf").write_bytes(b"x" * 1_000_000)  # skipped as unsupported: costs nothing
    assert bytes_needed(list(_source_files(tmp_path))) == 256 * 1024 + 4_500_000 + 200_000


def write_corpus(path: Path, articles: int, seed: int) -> Path:
    """Write made-up articles as JSON Lines, from a small vocabulary so that the test queries have answers."""
    rng = random.Random(seed)
    syllables = ["lo", "ma", "ru", "te", "pi", "so", "ka", "vu", "sa", "ne", "mi", "ro", "da", "ku", "ve", "xa"]
    words = ["".join(rng.choices(syllables, k=rng.randint(2, 3))) for _ in range(2000)]
    words += ["lomaru", "tepiso", "kavulo", "sanemi", "rodaku", "vexalo"]
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(articles):
            body = [" ".join(rng.choices(words, k=rng.randint(20, 60))) for _ in range(rng.randint(2, 6))]
            if number % 20 == 0:
                body.append("sanemi rodaku")
            record = {"id": f"{path.stem}-{seed}-{number}", "title": " ".join(rng.choices(words, k=6)), "body": body,
                      "category": rng.choice(["world", "business", "sport", "tech"]), "published": f"20{rng.randint(10, 24)}-05-1{rng.randint(0, 9)}"}
            handle.write(json.dumps(record) + "\n")
    return path


def run_archive(tmp_path: Path, *arguments: str, index: Path, fill_at: tuple[str, int] | None = None, disk: Path | None = None):
    """Run `archive` in a process of its own (filling the disk at fill_at); return its exit status and output."""
    command = [sys.executable, "-m", "tests.full_disk", fill_at[0], str(fill_at[1]), str(disk)] if fill_at else [
        sys.executable, "-c", "from web.cli import main; main()"]
    # Files, not pipes: a writer process left running would keep a pipe open and the run would seem to hang.
    with open(tmp_path / "stdout.txt", "w+", encoding="utf-8") as stdout, open(tmp_path / "stderr.txt", "w+", encoding="utf-8") as stderr:
        done = subprocess.run(
            [*command, *arguments], cwd=REPOSITORY, stdout=stdout, stderr=stderr, timeout=600,
            env={**os.environ, "ARCHIVE_INDEX": str(index), "ARCHIVE_SOURCES": ""},
        )
        stdout.seek(0)
        stderr.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, stdout.read(), stderr.read())


@dataclass(frozen=True)
class FolderState:
    """What must not change when a write fails: the index folder's files and contents, the answers, the disk in use."""

    files: dict[str, str]
    answers: list[tuple[int, list[str]]]
    used: int


def _state(location: IndexLocation, disk: Path) -> FolderState:
    """Return the state of the index folder and its disk (the filler file aside)."""
    files = {
        str(path.relative_to(location.root)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        for path in sorted(location.root.rglob("*"))
    }
    return FolderState(files, _answers(location), used_bytes(disk) - _size(disk / "filler"))


def _assert_failed_cleanly(done, command: str, location: IndexLocation, disk: Path, before: FolderState, filler: Path | None = None) -> None:
    """Check the one-line message, the exit status, that no process printed a traceback, and that nothing changed."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    _assert_one_line_and_no_traceback(done)
    assert done.stderr.startswith(f"Error: archive {command} failed: no space is left on the device at {location.root} ("), done.stderr
    assert " free; it needs roughly " in done.stderr
    assert "The previous index is still live and unchanged." in done.stderr
    assert done.stderr.strip().endswith(f"Free some space or choose a larger disk with --index, then run: archive {command}")
    assert done.stdout == ""
    # The space the message reports free is what the disk has once the run is over: it was cleaned up first.
    reported = _bytes_of(re.search(r"\(([\d.]+ [KMG]B) free", done.stderr).group(1))
    assert abs(reported - free_bytes(disk)) <= max(16 * 1024, free_bytes(disk) // 20), (done.stderr, free_bytes(disk))
    (filler or disk / "filler").unlink()
    assert _state(location, disk) == before


def _assert_one_line_and_no_traceback(done) -> None:
    """Check that the run printed one line on its error stream and no traceback on either (from any of its processes)."""
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _answers(location: IndexLocation) -> list[tuple[int, list[str]]]:
    """Return the total and first page of ids of each test query, closing the index after (a deleted file held open keeps its space)."""
    snapshot = LiveIndex(location).snapshot()
    try:
        results = [search(snapshot, SearchRequest(query=query, with_snippets=False)) for query in QUERIES]
    finally:
        snapshot.close()
    return [(result.total, [hit.id for hit in result.hits]) for result in results]


def _documents(location: IndexLocation) -> int:
    """Return how many articles the live index holds."""
    with location.open().searcher() as searcher:
        return searcher.doc_count()


def _source_files(folder: Path):
    """Yield the source files found under a folder."""
    from archive.sources import SourceFile, find_files

    return (item for item in find_files([folder]) if isinstance(item, SourceFile))


def _size(path: Path) -> int:
    """Return a file's size in blocks' bytes, or 0 when it is missing."""
    try:
        return path.stat().st_blocks * 512
    except OSError:
        return 0


def _get(port: int, path: str) -> tuple[int, str]:
    """Return the status and body of a GET on the local server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def _api_answer(port: int) -> tuple[int, list[str]]:
    """Return the total and the first page's ids the running server gives for a query."""
    status, body = _get(port, "/api/search?q=lomaru")
    assert status == 200, body
    result = json.loads(body)
    return result["total"], [hit["id"] for hit in result["hits"]]


def _bytes_of(size: str) -> int:
    """Return the bytes a size written by size_text stands for."""
    number, unit = size.split()
    return int(float(number) * {"KB": 1024, "MB": 1024**2, "GB": 1024**3}[unit])
