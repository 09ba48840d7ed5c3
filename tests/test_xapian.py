"""The Xapian backend on real xapian-tcpsrv servers: the same answers as Whoosh (but the documented differences),
identical answers from one shard and from two, replicas that answer when a shard dies, rebuilds never seen half done."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from index import IndexLocation, IndexUnavailable, SearchRequest, ShardsUnavailable, WhooshBackend, open_backend
from index.schema import url_key
from tests.conftest import SEEDS, odd_article, require_xapian, write_odd_articles, xapian_cluster
from web import create_app

# Every part of the query language, filters, dates, sorting, paging and matching modes.
CASES = [
    SearchRequest(query="peace talks"),
    SearchRequest(query="russia ukraine war market"),
    SearchRequest(query='"peace talks"'),
    SearchRequest(query='"talks russia" trump'),
    SearchRequest(query="+istanbul peace talks"),
    SearchRequest(query="oil AND gas prices"),
    SearchRequest(query="ukraine OR russia football"),
    SearchRequest(query="talks -trump"),
    SearchRequest(query="talks NOT market"),
    SearchRequest(query="negotiat* peace"),
    SearchRequest(query="uk*ine"),
    SearchRequest(query="footbal"),
    SearchRequest(query="war^3 market"),
    SearchRequest(query="market market trump"),
    SearchRequest(query="what did the talks in istanbul say about the war?"),
    SearchRequest(query="talks category:world"),
    SearchRequest(query="talks -category:sport"),
    SearchRequest(query='source:"bbc news" peace'),
    SearchRequest(query='author:"reporter 1"'),
    SearchRequest(query="tag:istanbul"),
    SearchRequest(query="war year:2024"),
    SearchRequest(query="talks", filters={"category": ("world", "sport")}),
    SearchRequest(query="talks", filters={"category": ("world",), "source": ("Example Times",)}),
    SearchRequest(query="talks", filters={"authors": ("Reporter 2", "naïve café")}),
    SearchRequest(query="war date:2023..2024"),
    SearchRequest(query="date:..2000"),
    SearchRequest(query="", date_from=date(2024, 1, 1), date_to=date(2999, 12, 31)),
    SearchRequest(query="peace", sort="newest"),
    SearchRequest(query="peace", sort="oldest"),
    SearchRequest(query="peace war", sort="oldest", per_page=5, page=2),
    SearchRequest(query="peace talks", match="all"),
    SearchRequest(query="talks", per_page=7, page=3),
    SearchRequest(query=""),
    SearchRequest(query="", sort="oldest", per_page=100),
    SearchRequest(query="-talks"),
    SearchRequest(query='"istanbul football" talks'),  # a required phrase nothing holds: searched as words
    SearchRequest(query="zzzzqqq"),
    SearchRequest(query="<script>alert(1)</script>"),
    SearchRequest(query='"unclosed (bracket AND'),
    SearchRequest(query="talks", with_facets=False, with_snippets=False),
]
# What the two backends agree on exactly, beside the documented differences (scores, and the order within a tier
# of relevance-ranked results).
AGREED = ("total", "every_word", "facets", "page", "per_page", "page_count", "sort", "match", "relaxed", "suggestion",
          "understood", "notes", "filters", "date_range", "partial")


@pytest.fixture(scope="module")
def whoosh(odd_index) -> WhooshBackend:
    """Return the Whoosh backend on the odd index."""
    return WhooshBackend(odd_index)


@pytest.fixture(scope="module")
def one_shard(tmp_path_factory, odd_sources):
    """Return a Xapian backend of the odd articles on one shard server."""
    with xapian_cluster(tmp_path_factory.mktemp("one-shard"), odd_sources, shards=1) as backend:
        yield backend


@pytest.fixture(scope="module")
def two_shards(tmp_path_factory, odd_sources):
    """Return a Xapian backend of the odd articles on two shard servers, each with a replica."""
    with xapian_cluster(tmp_path_factory.mktemp("two-shards"), odd_sources, shards=2, replicas=1) as backend:
        yield backend


def comparable(result):
    """Return a result without its timing."""
    return dataclasses.replace(result, elapsed_ms=0.0)


@pytest.mark.parametrize("request_", CASES, ids=[f"{case.query!r}-{case.sort}-{case.page}" for case in CASES])
def test_one_shard_and_two_shards_answer_identically(one_shard, two_shards, request_):
    assert comparable(one_shard.search(request_)) == comparable(two_shards.search(request_))


@pytest.mark.parametrize("request_", CASES, ids=[f"{case.query!r}-{case.sort}-{case.page}" for case in CASES])
def test_xapian_and_whoosh_differ_only_as_documented(whoosh, two_shards, request_):
    expected, found = whoosh.search(request_), two_shards.search(request_)
    assert {name: getattr(found, name) for name in AGREED} == {name: getattr(expected, name) for name in AGREED}
    if request_.sort != "relevance" or expected.sort != "relevance":
        # Sorted by date: the same articles in the same order (ties in indexing order on both).
        assert [hit.id for hit in found.hits] == [hit.id for hit in expected.hits]
    elif expected.total <= expected.per_page:
        # Ranked: the same articles, those with every word first on both, in an order each backend's BM25 chooses.
        assert {hit.id for hit in found.hits} == {hit.id for hit in expected.hits}
        assert [not hit.missing for hit in found.hits] == [not hit.missing for hit in expected.hits]
    by_id = {hit.id: hit for hit in expected.hits}
    for hit in found.hits:
        if hit.id in by_id:
            assert dataclasses.replace(hit, score=0.0) == dataclasses.replace(by_id[hit.id], score=0.0)


def test_article_pages_agree_but_for_the_similar_articles(whoosh, one_shard, two_shards):
    key = url_key(odd_article(3)["id"])
    expected = whoosh.article(key, "peace talks")
    for backend in (one_shard, two_shards):
        found = backend.article(key, "peace talks")
        assert dataclasses.replace(found, similar=()) == dataclasses.replace(expected, similar=())
        assert 0 < len(found.similar) <= 5 and key not in {hit.key for hit in found.similar}
    assert one_shard.article(key, "peace").similar == two_shards.article(key, "peace").similar
    assert two_shards.article("0123456789abcdef") is None


def test_completions_and_stats_agree(whoosh, two_shards):
    assert two_shards.complete("ta") == whoosh.complete("ta")
    expected, found = whoosh.stats(), two_shards.stats()
    assert (found.documents, found.facets) == (expected.documents, expected.facets)
    assert "2 Xapian shards" in found.path


def test_articles_live_in_the_shard_their_id_hashes_to(two_shards, odd_sources):
    import xapian

    from index.xapian.documents import KEY_PREFIX, shard_of

    for number in range(2):
        shard = xapian.Database(str(two_shards.store.stub(number)))
        for record in (odd_article(n) for n in range(10)):
            held = shard.get_termfreq(KEY_PREFIX + url_key(record["id"]))
            assert held == (1 if shard_of(record["id"], 2) == number else 0)
        assert 0 < shard.get_doccount() < 31


def test_a_shard_killed_during_a_search_run_is_answered_by_its_replica_then_says_so_plainly(tmp_path, odd_sources):
    require_xapian()
    with xapian_cluster(tmp_path, odd_sources, shards=2, replicas=1) as backend:
        from index.xapian.servers import recorded

        expected = comparable(backend.search(SearchRequest(query="peace talks")))
        failures: list[BaseException] = []
        answers = []
        stop = threading.Event()

        def search_run() -> None:
            while not stop.is_set():
                try:
                    answers.append(comparable(backend.search(SearchRequest(query="peace talks"))))
                except BaseException as error:  # noqa: BLE001 -- every failure is a finding
                    failures.append(error)

        runner = threading.Thread(target=search_run)
        runner.start()
        time.sleep(0.3)
        first_server = next(process for process in recorded(backend.store) if process.role.startswith("shard 2 server"))
        os.killpg(first_server.pid, signal.SIGKILL)  # the machine is gone: the server and its connections
        time.sleep(1.0)
        stop.set()
        runner.join()
        assert failures == []
        assert answers and all(answer == expected for answer in answers)
        assert backend.health().shards[1].servers[0].answering is False

        replica = next(process for process in recorded(backend.store) if process.role.startswith("shard 2 replica 1 server"))
        os.killpg(replica.pid, signal.SIGKILL)
        with pytest.raises(ShardsUnavailable, match=r"shard 2 of 2 .*Start the shard servers"):
            backend.search(SearchRequest(query="peace talks"))

        app = create_app({"TESTING": True, "INDEX_PATH": str(backend.store.root)})
        app.extensions["archive"] = backend
        for url in ("/?q=peace", "/api/search?q=peace", f"/articles/{url_key(odd_article(1)['id'])}"):
            response = app.test_client().get(url)
            assert response.status_code == 503 and response.headers["Retry-After"] == "5"
            assert "search servers are not answering" in response.get_data(as_text=True)
            assert "Traceback" not in response.get_data(as_text=True)
        printed = app.test_cli_runner().invoke(args=["search", "peace"])
        assert printed.exit_code == 1 and "cannot all be read" in printed.output


def test_a_rebuild_while_searching_fails_no_request_and_never_mixes_generations(tmp_path, odd_sources):
    require_xapian()
    more = tmp_path / "more"
    more.mkdir()
    (more / "extra.jsonl").write_text(
        "\n".join(f'{{"id": "extra-{n}", "title": "peace extra {n}", "body": "peace talks again {n}"}}' for n in range(40)) + "\n",
        encoding="utf-8",
    )
    with xapian_cluster(tmp_path / "cluster", odd_sources, shards=2, replicas=1) as backend:
        before = backend.search(SearchRequest(query="peace")).total
        failures: list[BaseException] = []
        totals = []
        stop = threading.Event()

        def search_run() -> None:
            while not stop.is_set():
                try:
                    totals.append(backend.search(SearchRequest(query="peace", per_page=1)).total)
                except BaseException as error:  # noqa: BLE001 -- every failure is a finding
                    failures.append(error)

        runners = [threading.Thread(target=search_run) for _ in range(2)]
        for runner in runners:
            runner.start()
        backend.rebuild([*odd_sources, more])
        after = before + 40
        deadline = time.monotonic() + 20
        while (not totals or totals[-1] != after) and time.monotonic() < deadline:
            time.sleep(0.1)
        # The old generation's shard 2 goes, with its replica still on it: readers must not mix it with the new shard 1.
        from index.xapian.servers import recorded

        first_server = next(process for process in recorded(backend.store) if process.role.startswith("shard 2 server"))
        os.killpg(first_server.pid, signal.SIGKILL)
        time.sleep(1.5)
        stop.set()
        for runner in runners:
            runner.join()
        assert failures == []
        assert set(totals) <= {before, after} and totals[-1] == after


def test_readers_take_the_newest_generation_every_shard_serves(tmp_path, odd_sources):
    """A replica that is behind serves the old generation: with the new one's server down, the old one is read whole."""
    require_xapian()
    from index.xapian.servers import recorded, stop_processes

    with xapian_cluster(tmp_path, odd_sources, shards=2, replicas=1) as backend:
        old = backend.search(SearchRequest(query="")).total
        copiers = [process for process in recorded(backend.store) if "copier" in process.role]
        stop_processes(copiers)  # the replicas stay on the old generation
        extra = tmp_path / "extra"
        write_odd_articles(extra)
        (extra / "odd.jsonl").rename(extra / "odd-again.jsonl")
        (extra / "one.jsonl").write_text('{"id": "one-more", "title": "one more", "body": "a new article"}\n', encoding="utf-8")
        backend.rebuild([*odd_sources, extra])
        time.sleep(1.1)
        assert backend.search(SearchRequest(query="")).total == old + 1
        first = next(process for process in recorded(backend.store) if process.role.startswith("shard 1 server"))
        os.killpg(first.pid, signal.SIGKILL)
        assert backend.search(SearchRequest(query="")).total == old  # both replicas: the old generation, whole
        status = {server.address: server.generation for shard in backend.health().shards for server in shard.servers if server.answering}
        assert len(set(status.values())) == 2


def test_update_routes_additions_changes_and_deletions_to_their_shards(tmp_path):
    require_xapian()
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    for number in range(12):
        (sources / f"story-{number}.txt").write_text(f"Story {number} about peace\n\nTalks number {number} in Istanbul.\n", encoding="utf-8")
    whoosh = WhooshBackend(IndexLocation(tmp_path / "whoosh"))
    whoosh.rebuild([sources])
    with xapian_cluster(tmp_path / "cluster", [sources], shards=2) as backend:
        (sources / "story-3.txt").unlink()
        (sources / "story-4.txt").write_text("Story 4 rewritten\n\nNow about football and markets.\n", encoding="utf-8")
        (sources / "story-99.txt").write_text("A new story\n\nPeace talks resume in Istanbul.\n", encoding="utf-8")
        os.utime(sources / "story-4.txt", ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        for runner in (whoosh, backend):
            summary = runner.update([sources])
            assert (summary.indexed, summary.deleted, summary.documents_in_index) == (2, 1, 13)
        time.sleep(1.1)  # readers look for a newer generation once a second
        for request_ in (SearchRequest(query="peace", per_page=50), SearchRequest(query="football"), SearchRequest(query="", sort="oldest", per_page=50)):
            expected, found = whoosh.search(request_), backend.search(request_)
            assert {name: getattr(found, name) for name in AGREED} == {name: getattr(expected, name) for name in AGREED}
            assert {hit.id for hit in found.hits} == {hit.id for hit in expected.hits}
        assert backend.update([sources]).indexed == 0


def test_every_kind_of_file_is_read_into_the_shards_as_into_whoosh(tmp_path):
    """Web archive pages keep their capture date, feeds and tables their articles; `archive add` says it is Whoosh's."""
    require_xapian()
    from tests.test_mixed_sources import write_every_kind

    sources = tmp_path / "sources"
    write_every_kind(sources)
    whoosh = WhooshBackend(IndexLocation(tmp_path / "whoosh"))
    expected = whoosh.rebuild([sources])
    with xapian_cluster(tmp_path / "cluster", [sources], shards=2) as backend:
        summary = backend.rebuild([sources])
        assert (summary.indexed, summary.files_by_kind, summary.indexed_by_kind) == (8, expected.files_by_kind, expected.indexed_by_kind)
        time.sleep(1.1)  # readers look for a newer generation once a second
        hits = whoosh.search(SearchRequest(query="", per_page=50)).hits
        assert {hit.key for hit in backend.search(SearchRequest(query="", per_page=50)).hits} == {hit.key for hit in hits}
        for hit in hits:
            found, wanted = backend.article(hit.key, "narwhal"), whoosh.article(hit.key, "narwhal")
            assert dataclasses.replace(found, similar=()) == dataclasses.replace(wanted, similar=())
        assert any(whoosh.article(hit.key).article.captured for hit in hits)
        app = create_app({"TESTING": True, "BACKEND": "xapian", "TOPOLOGY": str(backend.topology.path), "INDEX_PATH": str(backend.store.root)})
        added = app.test_cli_runner().invoke(args=["add", "https://news.example/walrus"])
        assert added.exit_code == 1 and "archive add works on the Whoosh backend only" in added.output


LANGUAGE_QUERIES = ["journaux", "leyes", "Häuser haus", "香港", "梁振英", '"太空任务"', "journalists", "la réforme", "journalistz",
                   "jour*", "lang:es", "", "01\u05c80\u00b9\u05f5NOT 00 OR 0\ud7fc00\nistanbulistanbul"]


def test_articles_of_every_language_are_found_as_on_whoosh(tmp_path):
    """Each analysis family keeps its own words on the shards: stems, stop words, CJK pairs, facets, snippets, spelling."""
    require_xapian()
    from tests.test_languages import CHINESE, ENGLISH, FRENCH, GERMAN, SPANISH, _record

    sources = tmp_path / "sources"
    sources.mkdir()
    records = [_record(1, "fr-FR", *FRENCH), _record(2, "es", *SPANISH), _record(3, "de", *GERMAN), _record(4, "", *CHINESE), _record(5, "", *ENGLISH)]
    (sources / "articles.jsonl").write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in records) + "\n", encoding="utf-8")
    whoosh = WhooshBackend(IndexLocation(tmp_path / "whoosh"))
    whoosh.rebuild([sources])
    with xapian_cluster(tmp_path / "cluster", [sources], shards=2) as backend:
        for query in LANGUAGE_QUERIES:
            expected, found = whoosh.search(SearchRequest(query=query)), backend.search(SearchRequest(query=query))
            assert {name: getattr(found, name) for name in AGREED} == {name: getattr(expected, name) for name in AGREED}, query
            # The same articles, snippets and missing words (in an order each backend's ranking chooses).
            assert {hit.id: dataclasses.replace(hit, score=0.0) for hit in found.hits} == {hit.id: dataclasses.replace(hit, score=0.0) for hit in expected.hits}, query
        key = url_key("https://example.org/4")
        assert dataclasses.replace(backend.article(key, "梁振英"), similar=()) == dataclasses.replace(whoosh.article(key, "梁振英"), similar=())


def test_the_archive_commands_work_unchanged_with_the_xapian_backend(tmp_path, odd_sources):
    require_xapian()
    with xapian_cluster(tmp_path, odd_sources, shards=2, replicas=1) as backend:
        app = create_app({"TESTING": True, "BACKEND": "xapian", "TOPOLOGY": str(backend.topology.path), "INDEX_PATH": str(backend.store.root)})
        runner = app.test_cli_runner()
        searched = runner.invoke(args=["search", "peace", "talks", "-n", "3"])
        assert searched.exit_code == 0 and "of 3" not in searched.output and "articles" in searched.output
        stats = runner.invoke(args=["stats"])
        assert stats.exit_code == 0 and "2 Xapian shards" in stats.output and "Documents   31" in stats.output
        status = runner.invoke(args=["shards", "status"])
        assert status.exit_code == 0 and status.output.count("answering") == 4 and "Ready" in status.output
        rebuilt = runner.invoke(args=["rebuild", *map(str, odd_sources)])
        assert rebuilt.exit_code == 0 and "documents in index" in rebuilt.output
        client = app.test_client()
        assert "peace" in client.get("/?q=peace").get_data(as_text=True)


def test_shard_servers_are_never_started_on_a_public_interface(tmp_path):
    require_xapian()
    topology = tmp_path / "cluster.toml"
    for address in ("0.0.0.0:7001", "8.8.8.8:7001"):
        topology.write_text(f'[[shards]]\nservers = ["{address}"]\n', encoding="utf-8")
        backend = open_backend("xapian", tmp_path / "index", topology)
        with pytest.raises(IndexUnavailable, match="Refusing to start a shard server on .*no authentication"):
            backend.start_servers()


def test_a_wrong_setting_says_what_to_fix_on_every_page_and_command(tmp_path):
    for config, said in (
        ({"BACKEND": "xapian"}, "needs TOPOLOGY"),
        ({"BACKEND": "xapian", "TOPOLOGY": str(tmp_path / "missing.toml")}, "Cannot read the topology file"),
        ({"BACKEND": "solr"}, "BACKEND must be one of whoosh, xapian"),
    ):
        app = create_app({"TESTING": True, "INDEX_PATH": str(tmp_path / "index"), **config})
        assert app.test_client().get("/?q=peace").status_code == 503
        printed = app.test_cli_runner().invoke(args=["stats"])
        assert printed.exit_code == 1 and said in printed.output


def test_a_shard_can_be_read_through_a_piped_server_such_as_xapian_progsrv_over_ssh(tmp_path, odd_sources):
    require_xapian()
    topology = tmp_path / "cluster.toml"
    stubs = [tmp_path / "index" / f"shard-{number}" / "live" for number in range(2)]
    topology.write_text("".join(f'[[shards]]\nservers = ["pipe:xapian-progsrv {stub}"]\n' for stub in stubs), encoding="utf-8")
    backend = open_backend("xapian", tmp_path / "index", topology)
    backend.rebuild(odd_sources)
    assert backend.search(SearchRequest(query="peace")).total == WhooshBackend(_whoosh_of(tmp_path, odd_sources)).search(SearchRequest(query="peace")).total
    assert backend.start_servers() == []  # nothing to start: each connection runs its own xapian-progsrv
    assert backend.health().ready


def _whoosh_of(folder: Path, sources) -> IndexLocation:
    """Return a Whoosh index of the sources."""
    location = IndexLocation(folder / "whoosh")
    WhooshBackend(location).rebuild(sources)
    return location


@pytest.mark.slow  # fills a 4 MiB disk with BBC News (about 20 s under load)
def test_a_xapian_rebuild_that_runs_out_of_space_says_so_and_leaves_the_live_generation(tmp_path, odd_sources, bbc_news):
    require_xapian()
    from tests.full_disk import mount_tmpfs, unmount

    try:
        disk = mount_tmpfs(tmp_path / "disk", 4)
    except PermissionError as error:
        pytest.skip(f"a tmpfs cannot be mounted here ({error}); this test needs root, as CI has")
    try:
        topology = tmp_path / "cluster.toml"
        topology.write_text('[[shards]]\nservers = ["127.0.0.1:1"]\n[[shards]]\nservers = ["127.0.0.1:2"]\n', encoding="utf-8")
        app = create_app({"TESTING": True, "BACKEND": "xapian", "TOPOLOGY": str(topology), "INDEX_PATH": str(disk / "index")})
        runner = app.test_cli_runner()
        assert runner.invoke(args=["rebuild", *map(str, odd_sources)]).exit_code == 0
        live = [(disk / "index" / f"shard-{number}" / "live").read_text() for number in range(2)]
        failed = runner.invoke(args=["rebuild", "--force", str(bbc_news)])
        assert failed.exit_code == 1 and "Traceback" not in failed.output
        assert "archive rebuild failed: no space is left on the device" in failed.output
        assert "previous index is still live" in failed.output
        assert [(disk / "index" / f"shard-{number}" / "live").read_text() for number in range(2)] == live
        assert {path.name for path in (disk / "index" / "shard-0").iterdir()} == {"live", live[0].split()[1]}
    finally:
        unmount(disk)


def test_archive_serve_answers_from_the_shards_and_shards_start_status_stop_run_a_local_cluster(tmp_path, odd_sources):
    require_xapian()
    import urllib.request

    from index.xapian.topology import write_local_topology
    from tests.conftest import running_archive

    topology = write_local_topology(tmp_path / "cluster.toml", shards=2, replicas=1)
    environment = {"ARCHIVE_BACKEND": "xapian", "ARCHIVE_TOPOLOGY": str(topology), "ARCHIVE_INDEX": str(tmp_path / "index")}
    app = create_app({"TESTING": True, "BACKEND": "xapian", "TOPOLOGY": str(topology), "INDEX_PATH": str(tmp_path / "index")})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["shards", "start"]).output.startswith("Error: No index for shard 1")
    assert runner.invoke(args=["rebuild", *map(str, odd_sources)]).exit_code == 0
    started = runner.invoke(args=["shards", "start"])
    try:
        assert started.exit_code == 0 and started.output.count("Started") == 7, started.output
        with running_archive(tmp_path / "index", env=environment) as archive:
            page = urllib.request.urlopen(f"{archive.url}/?q=peace+talks").read().decode("utf-8")
            assert "<mark>peace talks</mark>" in page.lower()
            assert json_total(urllib.request.urlopen(f"{archive.url}/api/search?q=peace").read()) > 0
    finally:
        stopped = runner.invoke(args=["shards", "stop"])
    assert stopped.output.count("Stopped") == 7
    down = runner.invoke(args=["shards", "status"])
    assert down.exit_code == 1 and down.output.count("not answering") == 4 and "Not ready" in down.output


def json_total(body: bytes) -> int:
    """Return the total of a JSON search result."""
    import json

    return json.loads(body)["total"]
