"""The category model: scikit-learn's linear SVMs over tf-idf word 1-2 grams, with calibrated probabilities.

Chosen by tests/benchmarks/categories.py: as accurate as the LinearSVC baseline on BBC News and AG News,
fast to train (stochastic gradient descent, a few passes), with probabilities that say when to abstain.
Words are hashed rather than counted into a vocabulary: faster, and nothing to store but the weights.
scikit-learn takes a second or more to import, so only runs that train or predict import this module.
"""

from __future__ import annotations

import pickle
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sklearn
from scipy.sparse import csr_matrix
from scipy.stats import binomtest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score, recall_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from archive.categories import category_label
from archive.training import CategoryScore, ModelReport, Prediction, TrainingSample, learnable, too_few

FOLDS = 3
# Fewer features collide more: on AG News's short texts 2**20 measured 0.8854 (5-fold accuracy of one calibrated
# model), 2**19 0.8818; BBC News 0.9793 with both. Only the features that occur are stored (see _lighter).
HASHED_FEATURES = 2**20
SEED = 0  # the same archive gives the same model
# A feature (a word or a pair of words) found in fewer labelled articles is dropped: seen once, it teaches nothing
# that generalises, and it would be stored. 5-fold accuracy, all features / these: BBC News 0.9788 / 0.9798, AG News
# 0.8826 / 0.8822; BBC News's saved model, uncompressed with all features 21 MB, compressed with these 4.3 MB.
MIN_ARTICLES_PER_FEATURE = 2
# A model is kept only if its cross-validated accuracy beats always guessing the most common category, at this
# significance (a one-sided binomial test): one that learned nothing (labels unrelated to the texts) would
# predict noise, and its file can outweigh the index (15 MB for 4,000 articles of made-up words).
SIGNIFICANCE = 0.01
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
        """Return the model as compressed bytes, headed by the scikit-learn version that can read it."""
        # Compressed: the idf weights are one number per hashed feature, and all the dropped ones are zero.
        return pickle.dumps(sklearn.__version__) + zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> CategoryModel:
        """Read a model written by to_bytes; raise ModelUnusable if this scikit-learn cannot."""
        try:
            head_length = len(pickle.dumps(sklearn.__version__))
            version = pickle.loads(data[:head_length])
            if version != sklearn.__version__:
                raise ModelUnusable(f"it was saved by scikit-learn {version}, and {sklearn.__version__} is installed")
            model = pickle.loads(zlib.decompress(data[head_length:]))
        except ModelUnusable:
            raise
        except Exception as error:  # a damaged file fails in many ways (zlib, pickle, EOF, attributes)
            raise ModelUnusable(f"it is damaged ({type(error).__name__})") from error
        if not isinstance(model, cls):
            raise ModelUnusable("it is not a category model")
        return model


def fit(texts: Sequence[str], categories: Sequence[str]) -> CategoryModel:
    """Train a model on texts and their categories."""
    features, vectors = _learned_features(texts)
    return CategoryModel(features, _lighter(_calibrated().fit(vectors, categories)))


def train(sample: TrainingSample) -> tuple[CategoryModel | None, ModelReport]:
    """Train on the sample's categories that have enough examples (two at least), cross-validate it, keep it if it learned."""
    started = time.perf_counter()
    categories = learnable(sample)
    texts, labels = sample.examples(categories)
    features, vectors = _learned_features(texts)
    calibrated = _calibrated().fit(vectors, labels)
    # Each of the three models predicts the third of the examples it did not learn from: 3-fold cross-validation
    # at no extra cost. (The hashing has no vocabulary to learn; the idf weights and the features kept come from all examples.)
    held_out = np.empty(len(labels), dtype=object)
    for member, (_, test) in zip(calibrated.calibrated_classifiers_, _folds().split(vectors, labels), strict=True):
        held_out[test] = member.estimator.predict(vectors[test])
    recalls = recall_score(labels, held_out, labels=categories, average=None)
    scores = tuple(
        CategoryScore(category, sample.seen[category], sample.sampled(category), float(recall))
        for category, recall in zip(categories, recalls)
    )
    accuracy = float(accuracy_score(labels, held_out))
    most_common, guessed = Counter(labels).most_common(1)[0]
    guessing = guessed / len(labels)
    learned = bool(binomtest(round(accuracy * len(labels)), len(labels), guessing, alternative="greater").pvalue < SIGNIFICANCE)
    report = ModelReport(
        trained=learned,
        reason="" if learned else (
            f"the model was not clearly better than always guessing {category_label(most_common)} "
            f"({accuracy:.0%} right against {guessing:.0%})"
        ),
        scores=scores,
        too_few=too_few(sample),
        accuracy=accuracy,
        macro_f1=float(f1_score(labels, held_out, average="macro")),
        folds=FOLDS,
        seconds=time.perf_counter() - started,
    )
    return (CategoryModel(features, _lighter(calibrated)) if learned else None), report


def _features() -> Pipeline:
    """Return the words-to-features steps: hashed word 1-2 grams, weighted by sublinear tf-idf."""
    hashing = HashingVectorizer(ngram_range=(1, 2), n_features=HASHED_FEATURES, alternate_sign=False, norm=None)
    return make_pipeline(hashing, TfidfTransformer(sublinear_tf=True))


def _learned_features(texts: Sequence[str]) -> tuple[Pipeline, csr_matrix]:
    """Return the words-to-features steps fitted on the texts, dropping rare features, and the texts' features."""
    features = _features()
    hashing, weighting = (step for _, step in features.steps)
    counts = hashing.transform(texts)  # hashing learns nothing: the steps are fitted one by one to hash the texts once
    weighting.fit(counts)
    articles_per_feature = np.bincount(counts.indices, minlength=counts.shape[1])
    # A zero idf weight drops a feature from every text, the ones to predict too (and from their normalisation).
    weighting.idf_ = np.where(articles_per_feature >= MIN_ARTICLES_PER_FEATURE, weighting.idf_, 0.0)
    vectors = weighting.transform(counts)
    vectors.eliminate_zeros()
    return features, vectors


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
