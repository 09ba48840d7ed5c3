"""Ranking: BM25F checked against a computation written out here, graded matching, and the precision rule."""

from __future__ import annotations

import json
from collections import Counter
from math import log

import pytest
from whoosh.util.numeric import byte_to_length, length_to_byte

from index import IndexLocation, LiveIndex, SearchRequest, rebuild, search
from index.analysis import prose_chain
from index.ranking import RankingSettings
from index.schema import SEARCH_PARTS

WITHOUT_PROXIMITY = RankingSettings(proximity=0.0)


def reference_bm25f(documents: list[dict], words: list[str], settings: RankingSettings) -> dict[str, float]:
    """Return each document's BM25F score (Robertson, Zaragoza and Taylor 2004), computed from the stored text.

    For each word: idf over whole documents, log(1 + (N - n + 0.5) / (n + 0.5)); in each field the word's
    frequency divided by (1 - b + b * length / average length), times the field's weight; these added
    up, then saturated once: idf * tf * (k1 + 1) / (k1 + tf). Lengths count the indexed words and are
    stored by Whoosh in one byte, so they are rounded the same way here; averages use the exact totals.
    """
    analyzer = prose_chain()
    terms = {doc["id"]: {name: Counter(token.text for token in analyzer(doc[name], mode="index")) for name in SEARCH_PARTS} for doc in documents}
    lengths = {doc_id: {name: sum(counts[name].values()) for name in SEARCH_PARTS} for doc_id, counts in terms.items()}
    average = {name: sum(length[name] for length in lengths.values()) / len(documents) for name in SEARCH_PARTS}
    stems = [next(iter(analyzer(word)), None) for word in words]
    stems = [token.text for token in stems if token is not None]
    scores: dict[str, float] = {}
    for stem in dict.fromkeys(stems):
        holding = [doc_id for doc_id, counts in terms.items() if any(counts[name][stem] for name in SEARCH_PARTS)]
        idf = log(1 + (len(documents) - len(holding) + 0.5) / (len(holding) + 0.5))
        for doc_id in holding:
            frequency = 0.0
            for name in SEARCH_PARTS:
                b = settings.b(name)
                stored_length = byte_to_length(length_to_byte(lengths[doc_id][name])) if lengths[doc_id][name] else 0
                normaliser = (1 - b) + b * stored_length / average[name]
                frequency += settings.weight(name) * terms[doc_id][name][stem] / normaliser
            weight = stems.count(stem)
            scores[doc_id] = scores.get(doc_id, 0.0) + weight * idf * frequency * (settings.k1 + 1) / (settings.k1 + frequency)
    return scores


@pytest.fixture(scope="module")
def bbc_documents(bbc_index) -> list[dict]:
    """Return every BBC News article's stored id, title and body."""
    snapshot = LiveIndex(bbc_index).snapshot()
    return [{"id": fields["id"], "title": fields["title"], "body": fields["body"]} for fields in snapshot.searcher.documents()]


@pytest.mark.parametrize("words", ["election", "gordon brown", "oil prices opec", "mobile phone", "music awards music", "new"])
def test_scores_equal_bm25f_computed_from_the_text(bbc_index, bbc_documents, words):
    expected = reference_bm25f(bbc_documents, words.split(), WITHOUT_PROXIMITY)
    result = search(LiveIndex(bbc_index).snapshot(), SearchRequest(query=words, per_page=100, match="all"), WITHOUT_PROXIMITY)
    every_word = {doc_id: score for doc_id, score in expected.items()}
    assert result.total and result.total == result.every_word
    for hit in result.hits:
        assert hit.score == pytest.approx(every_word[hit.id], rel=1e-6), hit.title
    best = sorted(every_word.values(), reverse=True)
    assert [hit.score for hit in result.hits] == pytest.approx(best[: len(result.hits)], rel=1e-6) or result.total < len(best)


def test_a_common_word_in_a_short_title_does_not_outweigh_rare_words(bbc_index):
    """With one idf over whole articles, "new" in a title counts as the common word it is."""
    result = search(LiveIndex(bbc_index).snapshot(), SearchRequest(query="new chancellor budget"))
    assert all("new" not in hit.missing for hit in result.hits[:3]) or result.every_word == 0
    assert not any(hit.missing == ("chancellor", "budget") for hit in result.hits[:10])


@pytest.mark.parametrize("words", ["prime minister", "oil prices", "mobile phone", "gordon brown budget", "chelsea arsenal"])
def test_when_ten_articles_hold_every_word_the_first_page_holds_only_those(bbc_index, words):
    snapshot = LiveIndex(bbc_index).snapshot()
    result = search(snapshot, SearchRequest(query=words))
    assert result.every_word >= 10
    assert [hit.missing for hit in result.hits] == [()] * 10
    assert result.total > result.every_word  # there were articles with some of the words, and they come later
    last = search(snapshot, SearchRequest(query=words, page=result.page_count))
    assert any(hit.missing for hit in last.hits)


def small_index(tmp_path, articles: list[tuple[str, str]]) -> LiveIndex:
    """Return a live index of articles given as (title, body)."""
    sources = tmp_path / "sources"
    sources.mkdir()
    lines = [json.dumps({"id": f"a{number}", "title": title, "body": body}) for number, (title, body) in enumerate(articles)]
    (sources / "articles.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    return LiveIndex(location)


def test_articles_with_every_word_come_first_even_below_a_higher_score(tmp_path):
    long_text = " ".join(f"word{number}" for number in range(100))
    articles = [(f"Walrus {number} walrus", "walrus walrus walrus") for number in range(3)] + [("Harbour", f"news {long_text} walrus")]
    articles += [(f"Filler {number}", "news of the day") for number in range(20)]
    result = search(small_index(tmp_path, articles).snapshot(), SearchRequest(query="walrus news"))
    assert [hit.missing for hit in result.hits[:4]] == [(), ("news",), ("news",), ("news",)]
    assert result.hits[0].score < result.hits[1].score
    assert result.every_word == 1 and result.relaxed == ("walrus", "news") and result.total == 24


def test_strict_tiers_put_fewer_missing_words_first(tmp_path):
    articles = [("alpha beta", "gamma")] + [(f"alpha {number} " * 9, "alpha " * 30) for number in range(2)] + [("alpha beta", "nothing")]
    articles += [(f"Filler {number}", "nothing to see") for number in range(20)]
    snapshot = small_index(tmp_path, articles).snapshot()
    strict = search(snapshot, SearchRequest(query="alpha beta gamma"), RankingSettings(tiers="strict"))
    assert [len(hit.missing) for hit in strict.hits] == [0, 1, 2, 2]


def test_a_word_in_no_article_never_empties_the_results(tmp_path):
    snapshot = small_index(tmp_path, [("Walrus seen", "A walrus on the beach."), ("Seal seen", "A seal.")]).snapshot()
    result = search(snapshot, SearchRequest(query="walrus zyxwv"))
    assert result.total == 1 and result.every_word == 0 and result.hits[0].missing == ("zyxwv",)
    assert search(snapshot, SearchRequest(query="walrus zyxwv", match="all")).total == 0


def test_required_parts_that_find_nothing_are_relaxed_with_a_note(tmp_path):
    snapshot = small_index(tmp_path, [("Walrus seen", "A walrus on the beach."), ("Seal seen", "A seal.")]).snapshot()
    result = search(snapshot, SearchRequest(query='"beach walrus" seal'))
    assert result.total == 2
    assert any('no article matches "beach walrus" as required' in note for note in result.notes)
    assert search(snapshot, SearchRequest(query='+walrus seal')).total == 1  # required and found: kept required


def test_proximity_ranks_words_standing_together_first(tmp_path):
    filler = " ".join(f"word{number}" for number in range(30))
    articles = [("One", f"harbour {filler} seal"), ("Two", f"{filler} harbour seal")]
    articles += [(f"Filler {number}", "nothing to see") for number in range(20)]
    snapshot = small_index(tmp_path, articles).snapshot()
    close = search(snapshot, SearchRequest(query="harbour seal"), RankingSettings(proximity=1.0))
    assert [hit.title for hit in close.hits] == ["Two", "One"]
    assert close.hits[0].score > close.hits[1].score
    plain = search(snapshot, SearchRequest(query="harbour seal"), WITHOUT_PROXIMITY)
    assert plain.hits[0].score == pytest.approx(plain.hits[1].score)


def test_sorting_by_date_keeps_articles_with_every_word_first(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    records = [("a", "Walrus and seal", "2019-01-01"), ("b", "Walrus alone", "2024-01-01"), ("c", "Walrus again", None)]
    lines = [json.dumps({"id": key, "title": title, "body": title, "published": date}) for key, title, date in records]
    (sources / "dated.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    snapshot = LiveIndex(location).snapshot()
    newest = search(snapshot, SearchRequest(query="walrus seal", sort="newest"))
    assert [hit.id for hit in newest.hits] == ["a", "b", "c"]
    oldest = search(snapshot, SearchRequest(query="walrus seal", sort="oldest"))
    assert [hit.id for hit in oldest.hits] == ["a", "b", "c"]
