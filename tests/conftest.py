"""Shared fixtures and helpers: the real corpora in ../shared/data, an app on a temporary index and its
clients, the real `archive serve`, a process holding the writer lock, and Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from index.storage import IndexLocation
from index.writing import BuildSummary, rebuild
from web import create_app

REPOSITORY = Path(__file__).resolve().parent.parent
SEEDS = REPOSITORY / "seeds"
SHARED_DATA = REPOSITORY.parent / "shared" / "data"

# Two test lanes: the fast lane (`python -m pytest`, everything not marked slow) and the slow lane
# (`python -m pytest -m slow`, the heavy rounds); .ci/run runs both. A test that has a quick sample and a
# heavy full run is parametrized over both lanes with IN_BOTH_LANES and reads its `lane` argument.
IN_BOTH_LANES = pytest.mark.parametrize("lane", ["fast", pytest.param("slow", marks=pytest.mark.slow)])
# The Hypothesis profile of each lane (settings.get_profile(lane)): a few hundred examples in the fast
# lane, the full 10,000 in the slow lane. Derandomized, so that a lane runs the same examples every time.
settings.register_profile(
    "fast",
    max_examples=300,
    deadline=None,  # the machines are shared: a slow example is not a failure
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("slow", settings.get_profile("fast"), max_examples=10_000)
settings.load_profile("fast")


def shared_data(name: str) -> Path:
    """Return a folder of ../shared/data; skip when it is absent, fail when ARCHIVE_REQUIRE_SHARED=1."""
    path = SHARED_DATA / name
    if not path.exists():
        unavailable(f"{path} is not available")
    return path


def unavailable(message: str) -> None:
    """Skip, or fail when ARCHIVE_REQUIRE_SHARED=1 (as CI sets it)."""
    if os.environ.get("ARCHIVE_REQUIRE_SHARED") == "1":
        pytest.fail(message + " and ARCHIVE_REQUIRE_SHARED=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def bbc_news() -> Path:
    """Return the BBC News corpus folder."""
    return shared_data("bbc_news")


@pytest.fixture(scope="session")
def bbc_build(tmp_path_factory, bbc_news) -> tuple[IndexLocation, BuildSummary]:
    """Return an index of BBC News and its build summary, built once for the session (do not write to it)."""
    location = IndexLocation(tmp_path_factory.mktemp("bbc") / "index")
    return location, rebuild(location, [bbc_news])


@pytest.fixture(scope="session")
def bbc_index(bbc_build) -> IndexLocation:
    """Return the session's BBC News index."""
    return bbc_build[0]


@pytest.fixture
def seed_index(tmp_path) -> IndexLocation:
    """Return a fresh index of the seeds."""
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    return location


@pytest.fixture
def app(tmp_path):
    """Return an app whose index (not built yet) and sources live in a temporary folder."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    return create_app({
        "TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(sources)], "CAPTURES_PATH": str(tmp_path / "captures"),
    })


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner for the app's commands."""
    return app.test_cli_runner()


# Real words so queries match, and text that must stay inert (markup, quotes, RTL, astral) in every field.
ODD_WORDS = ["istanbul", "peace", "talks", "russia", "ukraine", "war", "trump", "market", "football", "the", "a", "2024"]
ODD_CATEGORIES = ["world", "business", "sport", "tech", "politics"]
ODD_ARTICLES = 30  # generated articles in the odd index, beside the seeds
ODD_TEXT = ["<script>alert(1)</script>", "O'Brien & \"Sons\"", "שלום עולם", "مرحبا بالعالم", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🦜", "naïve café"]


def odd_article(number: int) -> dict:
    """Return one generated article record with awkward text in every metadata field."""
    odd = ODD_TEXT[number % len(ODD_TEXT)]
    words = " ".join(ODD_WORDS[(number + offset) % len(ODD_WORDS)] for offset in range(8))
    return {
        "id": f"https://example.org/news/{number}?a=1&b=<{number}>",
        "title": f"{odd} {words} {number}",
        "body": [f"{words} {odd}. Paragraph {paragraph} of article {number}." for paragraph in range(3)],
        "category": ODD_CATEGORIES[number % len(ODD_CATEGORIES)],
        "published": ["1900-01-01", "2023-06-15T08:30:00Z", "2024-02-29", "2999-12-31", None][number % 5],
        "authors": [odd, f"Reporter {number % 3}"],
        "source": ["BBC News", odd, "Example Times"][number % 3],
        "url": ["javascript:alert(1)", f"https://example.org/{number}", ""][number % 3],
        "tags": [odd, ODD_WORDS[number % len(ODD_WORDS)]],
    }


def write_odd_articles(folder: Path) -> Path:
    """Write the ODD_ARTICLES generated articles as a JSON Lines file in folder; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    records = "\n".join(json.dumps(odd_article(number), ensure_ascii=False) for number in range(ODD_ARTICLES))
    (folder / "odd.jsonl").write_text(records + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def odd_sources(tmp_path_factory) -> list[Path]:
    """Return the sources of the odd index: the seeds and a folder of ODD_ARTICLES generated articles."""
    return [SEEDS, write_odd_articles(tmp_path_factory.mktemp("odd-sources") / "sources")]


@pytest.fixture(scope="session")
def odd_index(tmp_path_factory, odd_sources) -> IndexLocation:
    """Return an index of the seeds and ODD_ARTICLES generated articles with awkward metadata (do not write to it)."""
    location = IndexLocation(tmp_path_factory.mktemp("odd") / "index")
    rebuild(location, odd_sources)
    return location


# ---- the real `archive serve` --------------------------------------------------------------------------

SERVER_START_SECONDS = 30
THIS_CHECKOUTS_ARCHIVE = (sys.executable, "-c", "from web.cli import main; main()")
URL_LINE = re.compile(r"The archive is running at (http://\S+?)/? ")


@dataclass(frozen=True)
class RunningArchive:
    """A running `archive serve`: its base URL, its port, what it printed so far (stdout and stderr), its process id."""

    url: str
    port: int
    output: list[str]
    pid: int


@contextmanager
def running_archive(
    index_path: Path | None,
    *options: str,
    program: Sequence[str] = THIS_CHECKOUTS_ARCHIVE,
    cwd: Path = REPOSITORY,
    env: dict[str, str] | None = None,
) -> Iterator[RunningArchive]:
    """Run the real `archive serve` on an index (None: the default one), options and environment variables
    added; yield it once it answers, stop it after."""
    port = _free_port()
    inherited = {name: value for name, value in os.environ.items() if name not in ("ARCHIVE_INDEX", "ARCHIVE_SOURCES")}
    chosen_index = {"ARCHIVE_INDEX": str(index_path)} if index_path else {}
    process = subprocess.Popen(
        [*program, "serve", "--port", str(port), *options],
        cwd=cwd,
        env={**inherited, **chosen_index, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    announced = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if URL_LINE.search(line):
                announced.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not (announced.is_set() and _accepts(port)):
            if process.poll() is not None:
                reader.join(timeout=2)
                pytest.fail(f"`archive serve` exited with {process.returncode}:\n{''.join(output)}")
            if time.monotonic() > deadline:
                pytest.fail(f"`archive serve` did not start within {SERVER_START_SECONDS} s:\n{''.join(output)}")
            announced.wait(timeout=0.1)
        url = next(URL_LINE.search(line).group(1) for line in output if URL_LINE.search(line))
        assert url == f"http://127.0.0.1:{port}", "".join(output)
        yield RunningArchive(url, port, output, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)


def _free_port() -> int:
    """Return a TCP port on the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts(port: int) -> bool:
    """Tell whether something accepts connections on the loopback port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def serving_workers(pid: int, count: int, seconds: float = SERVER_START_SECONDS) -> list[int]:
    """Return the worker processes of a running `archive serve` once there are this many (fail after some seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        workers = sorted(int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        if len(workers) == count:
            return workers
        if time.monotonic() > deadline:
            pytest.fail(f"`archive serve` has {len(workers)} workers, not {count}")
        time.sleep(0.05)


def generations_open(pid: int) -> set[str]:
    """Return the index generations whose files a process holds open."""
    found = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue  # closed meanwhile
        found.update(part for part in Path(target).parts if part.startswith("gen-"))
    return found


# ---- Xapian shard servers -------------------------------------------------------------------------------


def require_xapian() -> None:
    """Skip unless Xapian's Python bindings and servers are installed; fail instead when ARCHIVE_REQUIRE_XAPIAN=1 (as CI sets it)."""
    missing = [tool for tool in ("xapian-tcpsrv", "xapian-replicate", "xapian-replicate-server") if shutil.which(tool) is None]
    try:
        import xapian  # noqa: F401
    except ImportError:
        missing.append("the xapian Python module (pip install xapian-bindings-binary)")
    if missing:
        message = f"Xapian is not installed ({', '.join(missing)}; apt-get install xapian-tools)"
        if os.environ.get("ARCHIVE_REQUIRE_XAPIAN") == "1":
            pytest.fail(message + " and ARCHIVE_REQUIRE_XAPIAN=1")
        pytest.skip(message)


@contextmanager
def xapian_cluster(folder: Path, sources: Sequence[Path], shards: int, replicas: int = 0) -> Iterator:
    """Build a Xapian archive of the sources, start its servers (real xapian-tcpsrv processes on the loopback),
    yield its backend, and stop the servers by their pids."""
    require_xapian()
    from index import open_backend
    from index.xapian.topology import write_local_topology

    backend = open_backend("xapian", folder / "index", write_local_topology(folder / "cluster.toml", shards, replicas))
    backend.rebuild(sources)
    backend.start_servers()
    try:
        yield backend
    finally:
        backend.stop_servers()
        backend.live.close()


# ---- a process holding the writer lock -----------------------------------------------------------------

LOCK_HOLDER = """
import os, sys, time
from pathlib import Path
from index.storage import IndexLocation
with IndexLocation(Path(sys.argv[1])).writer_lock():
    if os.environ.get("WITH_CHILD") and os.fork() == 0:  # a helper process, which inherits the lock
        time.sleep(60)
        os._exit(0)
    print("locked", flush=True)
    time.sleep(60)
"""


@contextmanager
def lock_holder(location: IndexLocation, *, with_child: bool = False) -> Iterator[subprocess.Popen]:
    """Run a process that holds the index's writer lock (with a child that inherits it, if asked) until the block ends."""
    env = {**os.environ, "WITH_CHILD": "1" if with_child else ""}
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(location.root)], cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


# ---- Chromium --------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def sync_api():
    """Return playwright.sync_api (skip, or fail under ARCHIVE_REQUIRE_SHARED=1, when it or Chromium is missing)."""
    try:
        import playwright.sync_api as api
    except ImportError:
        unavailable("the playwright package is not installed")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is not installed")
    return api


@pytest.fixture(scope="session")
def browser(sync_api):
    """Launch Debian's Chromium through Playwright (never a downloaded browser), once for the session."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
