"""The category model: scikit-learn's linear SVMs over tf-idf word 1-2 grams, with calibrated probabilities.

Chosen by tests/benchmarks/categories.py: as accurate as the LinearSVC baseline on BBC News and AG News,
fast to train (stochastic gradient descent, a few passes), with probabilities that say when to abstain.
Words are hashed rather than counted into a vocabulary: faster, and nothing to store but the weights.
scikit-learn takes a second or more to import, so only runs that train or predict import this module.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from archive.training import CategoryScore, ModelReport, Prediction, TrainingSample, learnable, too_few

FOLDS = 3
# Fewer features collide more: on AG News's short texts 2**20 measured 0.8854 (5-fold accuracy of one calibrated
# model), 2**19 0.8818; BBC News 0.9793 with both. Only the features that occur are stored (see _lighter).
HASHED_FEATURES = 2**20
SEED = 0  # the same archive gives the same model
# Passes of gradient descent over the examples: on BBC News and AG News, with 5% to 100% of them labelled,
# 5, 10, 20 and 50 passes gave the same accuracy (training to convergence took three times as long).
PASSES = 5


class ModelUnusable(Exception):
    """A saved model that cannot be used (another scikit-learn version, or a damaged file)."""


@dataclass(frozen=True)
class CategoryModel:
    """A trained model: words to features, features to calibrated category probabilities."""

    features: Pipeline
    classifier: CalibratedClassifierCV

    @property
    def categories(self) -> tuple[str, ...]:
        """Return the categories the model can predict."""
        return tuple(str(category) for category in self.classifier.classes_)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return the most probable category of each text, with its probability."""
        if not texts:
            return []
        probabilities = self.classifier.predict_proba(self.features.transform(texts))
        best = probabilities.argmax(axis=1)
        return [Prediction(self.categories[column], float(row[column])) for row, column in zip(probabilities, best)]

    def to_bytes(self) -> bytes:
        """Return the model as bytes, headed by the scikit-learn version that can read it."""
        return pickle.dumps(sklearn.__version__) + pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> CategoryModel:
        """Read a model written by to_bytes; raise ModelUnusable if this scikit-learn cannot."""
        try:
            head_length = len(pickle.dumps(sklearn.__version__))
            version = pickle.loads(data[:head_length])
            if version != sklearn.__version__:
                raise ModelUnusable(f"it was saved by scikit-learn {version}, and {sklearn.__version__} is installed")
            model = pickle.loads(data[head_length:])
        except ModelUnusable:
            raise
        except Exception as error:  # a damaged file fails in many ways (pickle, EOF, attributes)
            raise ModelUnusable(f"it is damaged ({type(error).__name__})") from error
        if not isinstance(model, cls):
            raise ModelUnusable("it is not a category model")
        return model


def fit(texts: Sequence[str], categories: Sequence[str]) -> CategoryModel:
    """Train a model on texts and their categories."""
    features = _features()
    return CategoryModel(features, _lighter(_calibrated().fit(features.fit_transform(texts), categories)))


def train(sample: TrainingSample) -> tuple[CategoryModel, ModelReport]:
    """Train on the sample's categories that have enough examples (two at least), and cross-validate it."""
    started = time.perf_counter()
    categories = learnable(sample)
    texts, labels = sample.examples(categories)
    features = _features()
    vectors = features.fit_transform(texts)
    calibrated = _calibrated().fit(vectors, labels)
    # Each of the three models predicts the third of the examples it did not learn from: 3-fold cross-validation
    # at no extra cost. (The hashing has no vocabulary to learn; the idf weights come from all examples.)
    held_out = np.empty(len(labels), dtype=object)
    for member, (_, test) in zip(calibrated.calibrated_classifiers_, _folds().split(vectors, labels), strict=True):
        held_out[test] = member.estimator.predict(vectors[test])
    recalls = recall_score(labels, held_out, labels=categories, average=None)
    scores = tuple(
        CategoryScore(category, sample.seen[category], sample.sampled(category), float(recall))
        for category, recall in zip(categories, recalls)
    )
    report = ModelReport(
        trained=True,
        reason="",
        scores=scores,
        too_few=too_few(sample),
        accuracy=float(accuracy_score(labels, held_out)),
        macro_f1=float(f1_score(labels, held_out, average="macro")),
        folds=FOLDS,
        seconds=time.perf_counter() - started,
    )
    return CategoryModel(features, _lighter(calibrated)), report


def _features() -> Pipeline:
    """Return the words-to-features steps: hashed word 1-2 grams, weighted by sublinear tf-idf."""
    hashing = HashingVectorizer(ngram_range=(1, 2), n_features=HASHED_FEATURES, alternate_sign=False, norm=None)
    return make_pipeline(hashing, TfidfTransformer(sublinear_tf=True))


def _linear() -> SGDClassifier:
    """Return a linear SVM trained by stochastic gradient descent, in a fixed number of passes over the examples."""
    return SGDClassifier(loss="hinge", alpha=1e-4, max_iter=PASSES, tol=None, random_state=SEED)


def _calibrated() -> CalibratedClassifierCV:
    """Return three linear SVMs, each trained on two folds and calibrated on the third; predictions average them."""
    return CalibratedClassifierCV(_linear(), cv=_folds(), ensemble=True)


def _lighter(calibrated: CalibratedClassifierCV) -> CalibratedClassifierCV:
    """Store the models' weights sparsely: most hashed features never occur (bench/corpus.jsonl: 128 MB saved, 42 sparse)."""
    for member in calibrated.calibrated_classifiers_:
        member.estimator.sparsify()
    return calibrated


def _folds() -> StratifiedKFold:
    """Return the cross-validation folds, the same on every run."""
    return StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
