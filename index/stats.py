"""Figures about the live index for `archive stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from archive.categories import PREDICTED
from archive.training import ModelReport
from index.categorizing import load_report
from index.facets import Facet
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex, Snapshot


@dataclass(frozen=True)
class CategoryCount:
    """How many articles of a category were labelled and how many predicted, and how well the model learned it."""

    category: str
    articles: int
    predicted: int  # the rest were labelled (given, folder, section or URL), or are uncategorized
    accuracy: float | None  # cross-validated on the category's labelled articles; None when not learned


@dataclass(frozen=True)
class CategoryStats:
    """The archive's categories and what the last rebuild learned about them."""

    counts: tuple[CategoryCount, ...]  # most articles first
    report: ModelReport | None  # None for an index built before categories were learned


@dataclass(frozen=True)
class IndexStats:
    """The size and shape of the live index."""

    documents: int
    facets: tuple[Facet, ...]
    size_bytes: int
    built: datetime
    path: str
    categories: CategoryStats | None = None  # None where no categories are learned (the Xapian backend)


def index_stats(live: LiveIndex) -> IndexStats:
    """Return the document count, facet overview, size on disk and build time of the live index."""
    overview = search(live.snapshot(), SearchRequest(per_page=1, with_snippets=False))
    generation = live.location.current_generation()
    files = [path for path in generation.iterdir() if path.is_file()]
    return IndexStats(
        documents=overview.total,
        facets=overview.facets,
        size_bytes=sum(path.stat().st_size for path in files),
        built=datetime.fromtimestamp(max(path.stat().st_mtime for path in files), tz=timezone.utc),
        path=str(generation),
        categories=category_stats(live.snapshot(), generation),
    )


def category_stats(snapshot: Snapshot, generation: Path) -> CategoryStats:
    """Count each category's labelled and predicted articles, beside the model's cross-validated accuracy."""
    report = load_report(generation)
    accuracy = {score.category: score.accuracy for score in report.scores} if report else {}
    with snapshot.lock:
        categories = snapshot.facet_table("category")
        guessed = snapshot.mask(snapshot.facet_table("category_origin").documents(PREDICTED))
    counts = []
    for category in categories.values:
        documents = categories.documents(category)
        counts.append(CategoryCount(category, len(documents), int(guessed[documents].sum()), accuracy.get(category)))
    return CategoryStats(tuple(sorted(counts, key=lambda count: (-count.articles, count.category))), report)
