"""A short run of the serving benchmark (1 worker against 2, wrk at two concurrencies), so that it cannot rot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY, shared_data


@pytest.mark.slow
def test_serving_benchmark_short_run(tmp_path, seed_index):
    if not shutil.which("wrk"):
        pytest.skip("the serving benchmark needs wrk (.ci/run installs it: apt-get install wrk)")
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(json.loads((shared_data("bench") / "queries.json").read_text(encoding="utf-8"))[:20]), encoding="utf-8")
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.page_latency", "--index", str(seed_index.root), "--queries", str(queries),
         "--workers", "1,2", "--concurrency", "1,4", "--seconds", "1"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )
    assert output.returncode == 0, output.stderr[-3000:]
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    assert set(figures["runs"]) == {"1", "2"}
    for workers, run in figures["runs"].items():
        assert run["processes"] == int(workers) + 1  # gunicorn's arbiter and its workers
        assert 0 < run["first_answer_s"] < 60 and run["rss_mb"] > 0 and run["pss_mb"] > 0
        assert run["fresh"]["mean_ms"] > 0 and run["warm"]["mean_ms"] > 0
        assert set(run["loads"]) == {"page c=1", "page c=4", "API c=1", "API c=4"}
        for load in run["loads"].values():
            assert load["errors"] == 0 and load["rps"] > 0 and load["p95_ms"] >= load["p50_ms"] > 0
    assert figures["ratios"]["page c=4, 2 workers / 1"] > 0 and figures["ratios"]["API c=4, 2 workers / 1"] > 0
    assert "1 worker(s): first answer" in output.stdout and "2 worker(s): first answer" in output.stdout
