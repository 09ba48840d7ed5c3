"""Quick runs of the benchmarks (the suite on 2,000 documents, the WARC benchmark on small sizes), so that they cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY, shared_data


@pytest.mark.slow
def test_benchmark_suite_smoke_run():
    shared_data("bench")
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--smoke", "--sections", "rebuild,query,update,cold,http"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=600,
    )
    assert output.returncode == 0, output.stderr
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    rebuild = figures["rebuild"]
    assert {"archive", "naive", "fts5"} <= rebuild.keys()
    assert rebuild["archive"]["documents"] == 2000 and rebuild["archive"]["documents_per_second"] > 0
    assert rebuild["ratio_vs_naive"] > 0
    latency = figures["query"]["2000"]
    for engine in ("archive", "naive", "fts5"):
        for mode in ("top10", "facets", "facets+snippets"):
            assert latency[engine][mode]["count"] == 20 and latency[engine][mode]["p95_ms"] > 0
    assert 0 < figures["update"]["seconds_median"] < 60
    assert 0 < figures["cold"]["open_and_query"] < 60
    assert figures["http"]["1"]["errors"] == 0 and figures["http"]["8"]["errors"] == 0
    assert figures["http"]["server_rss_mb"] > 0
    for heading in ("1. Rebuild", "2. Query latency", "3. One new article", "4. Cold start", "5. Search page over HTTP"):
        assert heading in output.stdout


@pytest.mark.slow
def test_warc_benchmark_smoke_run():
    shared_data("news_html")
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.warc_ingest", "--smoke"], cwd=REPOSITORY, capture_output=True, text=True, timeout=900,
    )
    assert output.returncode == 0, output.stderr
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    speed = figures["speed"]
    assert speed["warc"]["runs"][0]["indexed"] == speed["loose"]["runs"][0]["indexed"] == 31
    assert speed["ratio_warc_vs_loose"] > 0
    for row in figures["memory"].values():
        assert row["indexed"] > 0 and row["largest_process_peak_mb"] > 0 and row["tree_peak_mb"] > 0
    assert "1. Ingest speed" in output.stdout and "2. Peak memory" in output.stdout
