"""Figures about the live index for `archive stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from index.facets import Facet
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex


@dataclass(frozen=True)
class IndexStats:
    """The size and shape of the live index."""

    documents: int
    facets: tuple[Facet, ...]
    size_bytes: int
    built: datetime
    path: str


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
    )
