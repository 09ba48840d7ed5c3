"""Categories learned while the index is written: labelled articles teach the model, the others wait for it.

A rebuild trains on the labelled articles it reads and saves the model in the new generation; an update
loads that model and does not train. Articles without a category wait in a temporary file (not in
memory) until the model is ready, then are written with a predicted category, or with none when the
model is unsure.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from archive.categories import PREDICTED, TRUSTED_ORIGINS, CategoryRules
from archive.model import Article
from archive.training import MIN_EXAMPLES, ModelReport, Prediction, TrainingSample, learnable, model_text, not_trained

if TYPE_CHECKING:
    from archive.classifier import CategoryModel

MODEL_FILE = "categories.model"
REPORT_FILE = "categories.json"
PREDICTION_BATCH = 2000  # articles read back from the temporary file and predicted at a time


class Categorizer:
    """Decide the category of each article on its way to the index."""

    def __init__(self, rules: CategoryRules, scratch: Path, saved_model: Callable[[], CategoryModel | None] | None = None):
        """Learn from the articles (a rebuild), or predict with `saved_model()`, called only when needed (an update)."""
        self.rules = rules
        self.scratch = scratch
        self.saved_model = saved_model
        self.sample = TrainingSample() if saved_model is None and rules.predict else None
        self.report: ModelReport | None = None
        self.model: CategoryModel | None = None
        self.predicted = 0  # articles given a predicted category
        self.unsure = 0  # articles the model was asked about and left uncategorized
        self.seconds = 0.0  # spent sampling, holding back, training and predicting
        self._held: IO[bytes] | None = None
        self._held_count = 0

    def route(self, article: Article) -> Article | None:
        """Return the article ready to write, or None when it waits for a predicted category."""
        started = time.perf_counter()
        article = self.rules.apply(article)
        if self.sample is not None and article.category_origin in TRUSTED_ORIGINS:
            self.sample.add(model_text(article.title, article.body), article.category)
        ready = article
        if article.category_origin is None and self.rules.predict:
            self._hold(article)
            ready = None
        self.seconds += time.perf_counter() - started
        return ready

    def finish(self) -> Iterator[Article]:
        """Train or load the model, then yield every held-back article with its category decided."""
        started = time.perf_counter()
        if self.sample is not None:
            self.model, self.report = _train(self.sample)
        elif self.saved_model is None:
            self.report = ModelReport(trained=False, reason="prediction was off (PREDICT_CATEGORIES = False)")
        elif self._held_count:
            self.model = self.saved_model()
        self.seconds += time.perf_counter() - started
        for batch in self._held_batches():
            started = time.perf_counter()
            predictions = self.model.predict([model_text(a.title, a.body) for a in batch]) if self.model else [None] * len(batch)
            decided = [self._decided(article, prediction) for article, prediction in zip(batch, predictions)]
            self.seconds += time.perf_counter() - started
            yield from decided

    @property
    def note(self) -> str:
        """Say why articles without a category got none predicted, when that happened."""
        if not self._held_count or self.model is not None:
            return ""
        if self.report is not None:
            why = self.report.reason
        else:
            why = "this index has no category model it can use (archive rebuild learns one)"
        return f"{self._held_count:,} articles without a category stay uncategorized: {why}"

    def save(self, generation: Path) -> None:
        """Write the trained model and its report into a generation being built."""
        started = time.perf_counter()
        if self.report is not None:
            (generation / REPORT_FILE).write_text(self.report.to_json(), encoding="utf-8")
        if self.model is not None:
            (generation / MODEL_FILE).write_bytes(self.model.to_bytes())
        self.seconds += time.perf_counter() - started

    def _decided(self, article: Article, prediction: Prediction | None) -> Article:
        """Return the article with the predicted category when the model is sure enough, else as it is."""
        if prediction is None:
            return article
        if prediction.confidence < self.rules.confidence:
            self.unsure += 1
            return article
        self.predicted += 1
        return replace(article, category=prediction.category, category_origin=PREDICTED, category_confidence=round(prediction.confidence, 4))

    def _hold(self, article: Article) -> None:
        """Keep an article aside in the temporary file."""
        if self._held is None:
            # Unlinked at once: nothing is left behind, even by a killed run.
            self._held = tempfile.TemporaryFile(dir=self.scratch, prefix="held-")
        pickle.dump(article, self._held, protocol=pickle.HIGHEST_PROTOCOL)
        self._held_count += 1

    def _held_batches(self) -> Iterator[list[Article]]:
        """Yield the held-back articles, a batch at a time, and close the temporary file."""
        if self._held is None:
            return
        with self._held as held:
            held.seek(0)
            for start in range(0, self._held_count, PREDICTION_BATCH):
                yield [pickle.load(held) for _ in range(min(PREDICTION_BATCH, self._held_count - start))]
        self._held = None


def _train(sample: TrainingSample) -> tuple[CategoryModel | None, ModelReport]:
    """Train on the sample, importing scikit-learn only when there is something to learn."""
    if len(learnable(sample)) < 2:
        return None, not_trained(sample, f"fewer than two categories have enough labelled articles to learn from (each needs {MIN_EXAMPLES})")
    from archive import classifier

    return classifier.train(sample)


def load_model(generation: Path) -> CategoryModel | None:
    """Return the model saved in a generation, or None when there is none or this installation cannot read it."""
    path = generation / MODEL_FILE
    if not path.exists():
        return None
    from archive import classifier

    try:
        return classifier.CategoryModel.from_bytes(path.read_bytes())
    except (OSError, classifier.ModelUnusable):
        return None


def load_report(generation: Path) -> ModelReport | None:
    """Return what the last rebuild learned about categories, or None for an index built without learning."""
    try:
        return ModelReport.from_json((generation / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None
