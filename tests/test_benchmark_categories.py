"""A quick run of the category benchmark on a few hundred articles, so that it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY, shared_data


@pytest.mark.slow
def test_category_benchmark_smoke_run():
    for corpus in ("bbc_news", "ag_news"):
        shared_data(corpus)
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.categories", "--smoke", "--sections", "bbc,ag"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=900,
    )
    assert output.returncode == 0, output.stderr
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    for corpus, categories in (("bbc", 5), ("ag", 4)):
        assert (figures[corpus]["articles"], figures[corpus]["categories"]) == (600, categories)
        for model in ("archive", "linearsvc", "knn", "majority"):
            assert 0 <= figures[corpus][model]["accuracy"] <= 1
        # On a few hundred articles every model but the majority class is still far better than chance.
        for model in ("archive", "linearsvc", "knn"):
            assert figures[corpus][model]["accuracy"] > figures[corpus]["majority"]["accuracy"] + 0.2, (corpus, model)
    for heading in ("1. BBC News", "2. AG News"):
        assert heading in output.stdout
