"""The saved-pages benchmark: its text scores, and a short run on news_html so that it cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPOSITORY, shared_data
from tests.news_pages import html_text, precision_recall_f1, tokens


def test_tokens_count_words_and_each_cjk_character():
    assert tokens("The cat, the HAT; 宇航员") == {"the": 2, "cat": 1, "hat": 1, "宇": 1, "航": 1, "员": 1}


def test_precision_recall_f1():
    assert precision_recall_f1("a b c d", "a b c d") == (1.0, 1.0, 1.0)
    precision, recall, f1 = precision_recall_f1("a b x y", "a b c d e f")
    assert (precision, round(recall, 3), round(f1, 3)) == (0.5, 0.333, 0.4)
    assert precision_recall_f1("", "a b") == (0.0, 0.0, 0.0)


def test_html_text_keeps_blocks_apart():
    assert html_text(b"<div><p>One  two</p><p>three</p><ul><li>four</li></ul></div>") == "One two\nthree\nfour"


@pytest.mark.slow
def test_pages_benchmark_short_run():
    shared_data("news_html")
    output = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.pages", "--baseline", "HEAD", "--repeats", "1",
         "--rebuild-repeats", "1", "--copies", "1"],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=900,
    )
    assert output.returncode == 0, output.stderr[-3000:]
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    assert figures["pages"] == 31
    assert set(figures["body"]) == {"trafilatura.extract", "archive, baseline", "archive, this"}
    assert all(0 < row["f1"] <= 1 for row in figures["body"].values())
    assert figures["metadata"]["date"]["this"]["of"] == 5
    assert figures["speed"]["this"]["archive"] > 0 and figures["speed"]["this"]["ratio"] > 0
    assert figures["rebuild"]["pages"] == 51 and figures["rebuild"]["ratio_2_vs_1"] > 0
    for heading in ("1. Body text", "2. Metadata", "3. In one process", "4. Rebuild"):
        assert heading in output.stdout
