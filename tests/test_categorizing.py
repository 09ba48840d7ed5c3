"""Categories learned at rebuild and update: origins, abstaining, too few labels, the API, the filter, stats."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.fields import ID, Schema
from whoosh.index import create_in

from archive import classifier
from archive.categories import KNOWN_CATEGORIES, UNCATEGORIZED, CategoryRules
from index.categorizing import MODEL_FILE, REPORT_FILE
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation, IndexOutdated
from index.writing import rebuild, update
from tests.conftest import shared_data
from tests.topics import write_article, write_labelled
from web import create_app

TOPICS = ("sport", "business", "tech")


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """Return an index of 25 labelled articles per topic and unlabelled ones to predict, with its summary (do not write to it)."""
    folder = tmp_path_factory.mktemp("learned")
    sources = folder / "sources"
    write_labelled(sources, TOPICS, 25)
    rng = random.Random(5)
    for topic in TOPICS:
        for number in range(5):
            write_article(sources / "saved" / f"{topic}-{number}.txt", topic, rng)
    for number in range(3):
        write_article(sources / "saved" / f"recipe-{number}.txt", "cooking", rng, common=0)  # a topic the archive has no label for
    write_article(sources / "saved" / "labelled.txt", "sport", rng, header="Category: Business\n\n")
    write_article(sources / "goose3" / "test_case.txt", "tech", rng)
    location = IndexLocation(folder / "index")
    return location, rebuild(location, [sources]), sources


def stored(location: IndexLocation) -> dict[str, dict]:
    """Return every indexed article's stored fields by file name."""
    snapshot = LiveIndex(location).snapshot()
    return {Path(fields["path"]).name: fields for fields in snapshot.searcher.all_stored_fields()}


def test_unlabelled_articles_get_a_predicted_category_labelled_ones_keep_theirs(learned):
    location, summary, _ = learned
    articles = stored(location)
    for topic in TOPICS:
        for number in range(5):
            fields = articles[f"{topic}-{number}.txt"]
            assert (fields["category"], fields["category_origin"]) == (topic, "predicted")
            assert 0.5 <= fields["category_confidence"] <= 1
        assert {articles[f"{topic}-{number:03d}.txt"]["category_origin"] for number in range(25)} == {"folder"}
    assert (articles["test_case.txt"]["category"], articles["test_case.txt"]["category_origin"]) == ("tech", "predicted")
    assert (summary.predicted, summary.unsure, summary.category_note) == (16, 3, "")
    assert summary.categorizing_seconds > 0


def test_a_given_label_is_never_overridden(learned):
    fields = stored(learned[0])["labelled.txt"]  # sport words, labelled business
    assert (fields["category"], fields["category_origin"], fields.get("category_confidence")) == ("business", "given", None)


def test_the_model_abstains_on_articles_unlike_any_category(learned):
    for number in range(3):
        fields = stored(learned[0])[f"recipe-{number}.txt"]
        assert fields["category"] == UNCATEGORIZED and "category_origin" not in fields


def test_the_model_and_its_report_are_saved_in_the_generation(learned):
    generation = learned[0].current_generation()
    assert (generation / MODEL_FILE).stat().st_size > 0
    assert '"trained": true' in (generation / REPORT_FILE).read_text(encoding="utf-8")
    assert not [path for path in generation.iterdir() if path.name.startswith("held-")]


@pytest.fixture
def learned_client(learned):
    """Return a test client on the learned index."""
    return create_app({"TESTING": True, "INDEX_PATH": str(learned[0].root)}).test_client()


def test_the_api_returns_each_categorys_origin_and_confidence(learned_client):
    hits = learned_client.get("/api/search?per_page=100").get_json()["hits"]
    origins = {hit["category_origin"] for hit in hits}
    assert origins == {"folder", "given", "predicted", None}
    for hit in hits:
        assert (hit["category_confidence"] is not None) == (hit["category_origin"] == "predicted")
    predicted = next(hit for hit in hits if hit["category_origin"] == "predicted")
    article = learned_client.get(f"/api/articles/{predicted['key']}").get_json()
    assert (article["category_origin"], article["category_confidence"]) == ("predicted", predicted["category_confidence"])


def test_the_filter_leaves_predicted_categories_out_or_shows_only_them(learned_client):
    everything = learned_client.get("/api/search").get_json()
    without = learned_client.get("/api/search?predicted=exclude&per_page=100").get_json()
    only = learned_client.get("/api/search?predicted=only&per_page=100").get_json()
    assert everything["predicted_matches"] == only["total"] == 16
    assert without["total"] == everything["total"] - 16
    assert {hit["category_origin"] for hit in without["hits"]} == {"folder", "given", None}
    assert {hit["category_origin"] for hit in only["hits"]} == {"predicted"}
    category = next(facet for facet in without["facets"] if facet["name"] == "category")
    assert {value["value"]: value["count"] for value in category["values"]}["sport"] == 25  # facets count what is shown
    sport = learned_client.get("/api/search?category=sport&predicted=only").get_json()
    assert sport["total"] == 5


def test_the_page_marks_predicted_categories_and_offers_the_filter(learned_client):
    page = learned_client.get("/?q=goal&per_page=100").get_data(as_text=True)
    assert 'class="predicted"' in page and "% confident" in page
    assert "predicted=exclude" in page and "predicted=only" in page
    filtered = learned_client.get("/?q=goal&predicted=exclude").get_data(as_text=True)
    assert 'class="predicted"' not in filtered.split('<ol class="hits"')[1].split("</ol>")[0]
    assert "Without predicted categories" in filtered  # a chip that removes the filter
    assert '<input type="hidden" name="predicted" value="exclude">' in filtered  # a new search keeps it


def test_stats_report_labelled_predicted_and_cross_validated_accuracy(learned):
    runner = create_app({"TESTING": True, "INDEX_PATH": str(learned[0].root)}).test_cli_runner()
    output = runner.invoke(args=["stats"]).output
    assert "Learned from 76 labelled articles" in output and "3-fold cross-validated accuracy" in output
    sport = next(line.split() for line in output.splitlines() if line.strip().startswith("Sport "))
    assert sport[1:4] == ["30", "25", "5"] and sport[4].endswith("%")


def test_too_few_labels_predict_nothing_and_stats_say_so(tmp_path):
    write_labelled(tmp_path / "sources", TOPICS, 19)
    write_article(tmp_path / "sources" / "saved" / "one.txt", "sport", random.Random(1))
    app = create_app({"TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(tmp_path / "sources")]})
    runner = app.test_cli_runner()
    built = runner.invoke(args=["rebuild"])
    assert built.exit_code == 0, built.output
    assert "1 articles without a category stay uncategorized: fewer than two categories have enough labelled" in built.output
    assert not (IndexLocation(tmp_path / "index").current_generation() / MODEL_FILE).exists()
    stats = runner.invoke(args=["stats"]).output
    assert "Nothing is predicted: fewer than two categories have enough labelled articles" in stats
    assert "Too few labelled articles to learn (each category needs 20): Business (19), Sport (19), Technology (19)." in stats


def test_an_update_of_one_article_predicts_with_the_saved_model(tmp_path, monkeypatch):
    sources = tmp_path / "sources"
    write_labelled(sources, TOPICS, 20)
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [sources])
    model_file = location.current_generation() / MODEL_FILE
    saved = model_file.read_bytes()

    def no_training(*args, **kwargs):
        raise AssertionError("an update must not train")

    monkeypatch.setattr(classifier, "train", no_training)
    monkeypatch.setattr(classifier, "fit", no_training)
    write_article(sources / "saved" / "new.txt", "business", random.Random(9))
    summary = update(location, [sources])
    assert (summary.indexed, summary.predicted) == (1, 1)
    fields = stored(location)["new.txt"]
    assert (fields["category"], fields["category_origin"]) == ("business", "predicted")
    assert model_file.read_bytes() == saved


def test_the_users_mapping_and_switching_prediction_off(tmp_path):
    write_labelled(tmp_path / "sources", ("sport", "business"), 20)
    write_article(tmp_path / "sources" / "ars-1" / "a.txt", "tech", random.Random(1))
    write_article(tmp_path / "sources" / "saved" / "b.txt", "sport", random.Random(2))
    settings = {"TESTING": True, "INDEX_PATH": str(tmp_path / "index"), "SOURCES": [str(tmp_path / "sources")]}
    runner = create_app({**settings, "CATEGORIES": {"ars-1": "tech"}, "PREDICT_CATEGORIES": False}).test_cli_runner()
    assert runner.invoke(args=["rebuild"]).exit_code == 0
    articles = stored(IndexLocation(tmp_path / "index"))
    assert (articles["a.txt"]["category"], articles["a.txt"]["category_origin"]) == ("tech", "folder")
    assert articles["b.txt"]["category"] == UNCATEGORIZED
    assert "Nothing is predicted: prediction was off (PREDICT_CATEGORIES = False)." in runner.invoke(args=["stats"]).output
    refused = create_app({**settings, "CATEGORIES": ["tech"]}).test_cli_runner().invoke(args=["rebuild"])
    assert refused.exit_code == 1 and "CATEGORIES must map" in refused.output and "config.py" in refused.output


def test_an_index_built_before_categories_were_learned_needs_a_rebuild(tmp_path):
    location = IndexLocation(tmp_path / "index")
    with location.new_generation() as generation:
        create_in(str(generation), Schema(id=ID(stored=True), category=ID(stored=True)))
        location.publish(generation)
    with pytest.raises(IndexOutdated, match="built by another version of the archive. Rebuild it with: archive rebuild"):
        location.open()


def test_no_category_of_the_saved_pages_is_a_folder_name(tmp_path):
    news_html = shared_data("news_html")
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [news_html], categories=CategoryRules())
    facet = next(facet for facet in search(LiveIndex(location).snapshot(), SearchRequest(with_snippets=False)).facets
                 if facet.name == "category")
    folders = {path.name.lower() for path in news_html.rglob("*") if path.is_dir()}
    values = {value.value for value in facet.values}
    assert values <= KNOWN_CATEGORIES | {UNCATEGORIZED}
    assert not {value for value in values if value in folders and value not in KNOWN_CATEGORIES}
    assert {"politics", "world", "tech"} <= values  # from sections and URLs
