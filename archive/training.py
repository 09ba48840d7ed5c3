"""What the category model learns from, and how well it learned: a bounded sample of labelled articles, and its report."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict, dataclass

MIN_EXAMPLES = 20  # labelled articles a category needs before the model learns it
SAMPLE_PER_CATEGORY = 10_000  # beyond this many examples a category gains little and training slows
SAMPLE_CHARACTERS = 64_000_000  # all examples together: bounds the rebuild's memory on archives of long articles
TEXT_CHARACTERS = 3_000  # of each article: its opening says what it is about (BBC News: same accuracy as the whole)


def model_text(title: str, body: str) -> str:
    """Return what the model reads of an article: its title and the opening of its text."""
    return f"{title}\n{body[:TEXT_CHARACTERS]}"


class TrainingSample:
    """A uniform random sample of each category's labelled articles, bounded in count and in characters.

    Reservoir sampling keeps every article seen equally likely to be in the sample. When the characters
    run over the budget, every category keeps a random half (still a uniform sample) and the bound halves.
    """

    def __init__(self, per_category: int = SAMPLE_PER_CATEGORY, characters: int = SAMPLE_CHARACTERS, seed: int = 0):
        self.per_category = per_category
        self.characters = characters
        self.seen: Counter = Counter()  # labelled articles seen per category, sampled or not
        self._kept: dict[str, list[str]] = {}
        self._kept_characters = 0
        self._random = random.Random(seed)

    def add(self, text: str, category: str) -> None:
        """Offer one labelled article's text to its category's sample."""
        self.seen[category] += 1
        kept = self._kept.setdefault(category, [])
        if len(kept) < self.per_category:
            kept.append(text)
            self._kept_characters += len(text)
        else:
            slot = self._random.randrange(self.seen[category])
            if slot < self.per_category:
                self._kept_characters += len(text) - len(kept[slot])
                kept[slot] = text
        if self._kept_characters > self.characters and self.per_category > MIN_EXAMPLES:
            self._halve()

    def _halve(self) -> None:
        """Keep a random half of every category's sample and halve the bound."""
        self.per_category = max(MIN_EXAMPLES, self.per_category // 2)
        for category, kept in self._kept.items():
            if len(kept) > self.per_category:
                self._kept[category] = self._random.sample(kept, self.per_category)
        self._kept_characters = sum(len(text) for kept in self._kept.values() for text in kept)

    def examples(self, categories: list[str]) -> tuple[list[str], list[str]]:
        """Return the sampled texts of the given categories and their categories."""
        texts = [text for category in categories for text in self._kept.get(category, [])]
        labels = [category for category in categories for _ in self._kept.get(category, [])]
        return texts, labels

    def sampled(self, category: str) -> int:
        """Return how many of a category's articles are in the sample."""
        return len(self._kept.get(category, []))


@dataclass(frozen=True)
class CategoryScore:
    """How one category was learned."""

    category: str
    labelled: int  # labelled articles in the archive
    learned_from: int  # of those, in the training sample
    accuracy: float  # share of its held-out labelled articles the model put back in it (cross-validated)


@dataclass(frozen=True)
class Prediction:
    """The model's best category for an article and its probability."""

    category: str
    confidence: float


@dataclass(frozen=True)
class ModelReport:
    """What a rebuild learned about the archive's categories, for `archive stats`."""

    trained: bool
    reason: str  # why no model was trained, when none was
    scores: tuple[CategoryScore, ...] = ()
    too_few: tuple[tuple[str, int], ...] = ()  # categories left out: (category, labelled articles)
    accuracy: float | None = None  # over all held-out labelled articles
    macro_f1: float | None = None
    folds: int = 0
    min_examples: int = MIN_EXAMPLES
    seconds: float = 0.0

    def to_json(self) -> str:
        """Return the report as JSON."""
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> ModelReport:
        """Read a report written by to_json."""
        data = json.loads(text)
        data["scores"] = tuple(CategoryScore(**score) for score in data.get("scores", ()))
        data["too_few"] = tuple((category, count) for category, count in data.get("too_few", ()))
        return cls(**data)


def not_trained(sample: TrainingSample, reason: str) -> ModelReport:
    """Return the report of a rebuild that trained no model, listing the categories with too few examples."""
    return ModelReport(trained=False, reason=reason, too_few=too_few(sample))


def too_few(sample: TrainingSample) -> tuple[tuple[str, int], ...]:
    """Return the categories with fewer labelled articles than a model needs, most examples first."""
    return tuple(sorted(((c, n) for c, n in sample.seen.items() if n < MIN_EXAMPLES), key=lambda item: (-item[1], item[0])))


def learnable(sample: TrainingSample) -> list[str]:
    """Return the categories with enough labelled articles to learn, in name order."""
    return sorted(category for category, count in sample.seen.items() if count >= MIN_EXAMPLES)
