"""The category model and what it learns from: the bounded training sample, training, abstaining, saving."""

from __future__ import annotations

import pickle
import random
import zlib
from collections import Counter

import pytest

from archive import classifier
from archive.training import MIN_EXAMPLES, ModelReport, TrainingSample, learnable, model_text, too_few
from tests.topics import topic_text

TOPICS = ("sport", "business", "tech")


def sample_of(per_topic: dict[str, int], seed: int = 1) -> TrainingSample:
    """Return a training sample with the given number of generated articles per topic."""
    rng = random.Random(seed)
    sample = TrainingSample()
    for topic, count in per_topic.items():
        for _ in range(count):
            sample.add(model_text("Title", topic_text(topic, rng)), topic)
    return sample


def test_the_sample_keeps_a_bounded_uniform_share_of_each_category():
    sample = TrainingSample(per_category=100, seed=3)
    for number in range(10_000):
        sample.add(f"text {number}", "big")
    for number in range(50):
        sample.add(f"small {number}", "small")
    texts, labels = sample.examples(["big", "small"])
    assert Counter(labels) == {"big": 100, "small": 50}
    assert sample.seen == {"big": 10_000, "small": 50}
    kept = [int(text.split()[1]) for text, label in zip(texts, labels) if label == "big"]
    assert 3_000 < sum(kept) / len(kept) < 7_000  # drawn from the whole stream, not its start


def test_the_sample_halves_itself_to_stay_within_its_character_budget():
    sample = TrainingSample(per_category=1_000, characters=50_000, seed=3)
    for number in range(2_000):
        sample.add("x" * 100, "a" if number % 2 else "b")
    texts, _ = sample.examples(["a", "b"])
    assert sum(map(len, texts)) <= 50_000
    assert sample.per_category < 1_000 and sample.sampled("a") == sample.sampled("b") == sample.per_category


def test_too_few_examples_are_named_and_not_learned():
    sample = sample_of({"sport": MIN_EXAMPLES, "business": MIN_EXAMPLES - 1, "tech": 3})
    assert learnable(sample) == ["sport"]
    assert too_few(sample) == (("business", MIN_EXAMPLES - 1), ("tech", 3))


def test_a_trained_model_predicts_confidently_and_abstains_off_topic():
    model, report = classifier.train(sample_of({"sport": 25, "business": 25, "tech": 25, "cooking": 5}))
    assert set(model.categories) == set(TOPICS)
    assert report.trained and report.too_few == (("cooking", 5),)
    assert report.accuracy > 0.9 and all(score.accuracy > 0.8 and score.learned_from == 25 for score in report.scores)
    rng = random.Random(7)
    for topic in TOPICS:
        [prediction] = model.predict([model_text("News", topic_text(topic, rng))])
        assert prediction.category == topic and prediction.confidence > 0.7
    off_topic = model.predict([model_text("Recipe", topic_text("cooking", rng, common=0)) for _ in range(5)])
    assert all(prediction.confidence < 0.5 for prediction in off_topic)  # below the default threshold: left uncategorized
    assert model.predict([]) == []


def test_a_model_that_learned_nothing_is_not_kept():
    rng = random.Random(4)
    sample = TrainingSample()
    for _ in range(300):  # every topic's words under every label: the labels say nothing about the texts
        sample.add(model_text("Title", topic_text(rng.choice(TOPICS), rng)), rng.choice(TOPICS))
    model, report = classifier.train(sample)
    assert model is None and not report.trained
    assert report.reason.startswith("the model was not clearly better than always guessing ") and "% right against " in report.reason
    assert len(report.scores) == 3 and report.accuracy < 0.5


def test_the_model_and_its_report_survive_saving():
    model, report = classifier.train(sample_of({"sport": 25, "business": 25}))
    assert ModelReport.from_json(report.to_json()) == report
    restored = classifier.CategoryModel.from_bytes(model.to_bytes())
    texts = [model_text("T", topic_text("sport", random.Random(2)))]
    assert restored.predict(texts) == model.predict(texts)


@pytest.mark.parametrize(
    "data",
    [pickle.dumps("0.1") + b"whatever", b"", pickle.dumps(__import__("sklearn").__version__) + zlib.compress(pickle.dumps("not a model"))],
    ids=["another scikit-learn", "empty", "not a model"],
)
def test_a_model_that_cannot_be_used_says_why(data):
    with pytest.raises(classifier.ModelUnusable):
        classifier.CategoryModel.from_bytes(data)
