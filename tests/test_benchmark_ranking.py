"""The ranking benchmark: its metrics, its readers of the three judged collections, and a run on the real ones."""

from __future__ import annotations

import math

import pytest

from tests.benchmarks import ranking
from tests.benchmarks.ranking import (
    Document,
    average_precision,
    evaluate,
    folds_of,
    ndcg_at,
    parse_documents,
    parse_judgments,
    parse_medline_documents,
    parse_questions,
    precision_at,
    question_words,
)
from tests.conftest import shared_data


# ---------------------------------------------------------------- metrics


def test_ndcg_discounts_by_log2_of_rank_and_normalizes_by_the_ideal():
    # gains at ranks 1 and 3: 1/log2(2) + 1/log2(4) = 1.5; ideal for two relevant: 1 + 1/log2(3)
    assert ndcg_at(["a", "x", "b"], {"a", "b"}) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at(["a", "b", "x"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], {"a"}) == 0.0


def test_ndcg_ideal_counts_relevant_documents_never_retrieved():
    # one of three relevant found at rank 1: 1 / (1 + 1/log2(3) + 1/log2(4))
    assert ndcg_at(["a"], {"a", "b", "c"}) == pytest.approx(1 / (1 + 1 / math.log2(3) + 0.5))


def test_ndcg_stops_at_the_cutoff_and_caps_the_ideal_at_k():
    assert ndcg_at([f"x{i}" for i in range(10)] + ["a"], {"a"}) == 0.0
    relevant = {f"r{i}" for i in range(12)}
    assert ndcg_at(sorted(relevant), relevant) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], {"a"}, k=1) == 0.0
    assert ndcg_at(["a"], set()) == 0.0


def test_average_precision_divides_by_all_relevant():
    # relevant at ranks 1 and 3 of three relevant: (1/1 + 2/3) / 3
    assert average_precision(["a", "x", "b", "y"], {"a", "b", "c"}) == pytest.approx((1 + 2 / 3) / 3)
    assert average_precision(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert average_precision(["x", "a"], {"a"}) == pytest.approx(0.5)
    assert average_precision(["x", "a"], {"a"}, depth=1) == 0.0
    assert average_precision([], {"a"}) == 0.0


def test_precision_at_k_keeps_k_in_the_denominator():
    assert precision_at(["a", "x", "b"], {"a", "b"}) == pytest.approx(0.2)
    assert precision_at(["a", "x", "b"], {"a", "b"}, k=2) == pytest.approx(0.5)
    assert precision_at([], {"a"}) == 0.0


def test_evaluate_averages_over_queries_and_scores_missing_rankings_zero():
    figures = evaluate({"1": ["a"]}, {"1": {"a"}, "2": {"b"}}, ["1", "2"])
    assert figures == {"ndcg@10": pytest.approx(0.5), "map": pytest.approx(0.5), "p@10": pytest.approx(0.05), "no_result": 1, "questions": 2}


def test_folds_deal_questions_round_robin_and_keep_every_one():
    assert folds_of(["c:1", "c:2", "m:1", "m:2", "m:3"], 2) == [["c:1", "m:1", "m:3"], ["c:2", "m:2"]]
    keys = [f"q{i}" for i in range(331)]
    assert sorted(sum(folds_of(keys, 5), [])) == sorted(keys)


# ---------------------------------------------------------------- readers


CISI_ALL = """.I 1
.T
18 Editions of the Dewey Decimal
Classifications
.A
Comaromi, J.P.
.W
   The present study is a history of the DEWEY Decimal
Classification.  The first edition was published in 1876.
.X
1\t5\t1
92\t1\t1
.I 2
.T 
Use Made of Technical Libraries
.A 
Slater, M.
.W
This report is an analysis of 6300 acts of use.
.K 
text searching
.X
2\t2\t2
"""

CISI_QRY = """.I 1
.W
What problems and concerns are there in making up descriptive titles?
What difficulties are involved?
.I 2
.T
Directions in Library Networking
.A
Avram, H.D.
.W
    Bibliographic control before and after MARC is reviewed.
.B
(JASIS, Vol. 31, No. 6, November 1980, pp. 438-444)
"""

CISI_REL = """     1     28\t0\t0.000000
     1     35\t0\t0.000000
     2      7\t0\t0.000000
"""


CRAN_QRY = """.I 001
.W
what similarity laws must be obeyed when constructing aeroelastic models
of heated high speed aircraft .
.I 004
.W
what problems of heat conduction in composite slabs have been solved so
far .
"""

CRAN_REL = """1 184 2
1 29 2
1 486 -1
2 12 3
"""

MED_ALL = """.I 1
.W
correlation between maternal and fetal plasma levels of glucose and free
fatty acids .
  correlation coefficients have been determined between the levels of
glucose and ffa in maternal and fetal plasma collected at delivery .
"""


def test_documents_take_id_title_and_abstract():
    documents = parse_documents(CISI_ALL)
    assert [d.id for d in documents] == ["1", "2"]
    assert documents[0].title == "18 Editions of the Dewey Decimal Classifications"
    assert documents[0].body.startswith("The present study") and documents[0].body.endswith("published in 1876.")
    assert "\t" not in documents[0].body and "Comaromi" not in documents[0].body  # .X and .A are left out
    assert documents[1] == Document("2", "Use Made of Technical Libraries", "This report is an analysis of 6300 acts of use.")


def test_medline_titles_are_the_first_sentence():
    [document] = parse_medline_documents(MED_ALL)
    assert document.title == "correlation between maternal and fetal plasma levels of glucose and free fatty acids"
    assert document.body.startswith("correlation coefficients have been determined")


def test_questions_are_numbered_by_position_as_the_judgments_number_them():
    assert parse_questions(CISI_QRY)["1"] == "What problems and concerns are there in making up descriptive titles? What difficulties are involved?"
    assert parse_questions(CISI_QRY)["2"] == "Bibliographic control before and after MARC is reviewed."
    cranfield = parse_questions(CRAN_QRY)
    assert list(cranfield) == ["1", "2"] and cranfield["2"].startswith("what problems of heat conduction")


def test_judgments_group_relevant_documents_and_leave_out_cranfields_minus_one():
    assert parse_judgments(CISI_REL, 1) == {"1": {"28", "35"}, "2": {"7"}}
    assert parse_judgments(CRAN_REL, 1, keep=lambda parts: parts[2] != "-1") == {"1": {"184", "29"}, "2": {"12"}}


def test_question_words_are_lowercased_words():
    assert question_words('What is "information science"? U.S. AND ok') == ["what", "is", "information", "science", "u.s", "and", "ok"]


# ---------------------------------------------------------------- the real collections


@pytest.mark.slow
def test_questions_typed_as_written_rank_at_least_as_well_as_fts5():
    shared_data("cisi"), shared_data("cran"), shared_data("med")
    figures = ranking.run()
    collections = figures["collections"]
    assert {name: c["questions"] for name, c in collections.items()} == {"CISI": 76, "Cranfield": 225, "MEDLINE": 30}
    for name, collection in collections.items():
        systems = collection["systems"]
        assert systems["archive"]["no_result"] == 0, name
        assert systems["archive"]["ndcg@10"] >= max(systems["fts5"]["ndcg@10"], systems["fts5_title2"]["ndcg@10"]), name
        assert systems["previous"]["no_result"] > collection["questions"] / 2, name  # every word required found little
        for row in systems.values():
            assert 0 <= row["map"] < 1 and 0 <= row["p@10"] < 1
    assert figures["archive_over_fts5"] >= 1.05
