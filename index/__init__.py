"""The archive's index: the schema, building and updating it, searching and facets, on Whoosh (or on Xapian shards).

The names below are what the web pages and the command line use; `web/` imports nothing else from here.

Inside, one job per module, in the order a search runs:
- `storage`: where the index lives (generations, the `CURRENT` pointer, the one-writer lock);
- `snapshot`: an open searcher and its caches (postings, lengths, facet tables);
- `querying`: the query language, read into required, optional and excluded clauses;
- `matching`: which documents the clauses match (masks, phrases, how many words each holds);
- `ranking`: BM25F, documents with every word first;
- `facets`, `highlight`: counts per facet value; where the matched words are in a text;
- `searching`: one search from request to result; `articles`: one article's page;
- `writing`: rebuild and update; `adding`: `archive add` (fetch, keep, update); `schema`, `analysis`, `spelling`, `stats`;
- `engine/`: every use of Whoosh's private names;
- `backend`: the interface the pages and the command line use, and its Whoosh form (the default);
- `xapian/`: the same interface over Xapian shards served by xapian-tcpsrv (BACKEND = "xapian").
"""

from index.articles import ArticlePage, article_page, complete_word
from index.backend import BACKENDS, Backend, Health, ServerHealth, ShardHealth, ShardsUnavailable, WhooshBackend, open_backend
from index.facets import Facet, FacetValue
from index.highlight import Marked
from index.querying import FILTER_TOKEN, MAX_QUERY_LENGTH, DateRange, parse_date_range
from index.schema import FACETS, FILTER_NAMES, FILTERS, FilterField
from index.searching import (
    MATCH_MODES,
    MAX_PER_PAGE,
    PREDICTED_CHOICES,
    SORTS,
    TIME_LIMIT_SECONDS,
    Hit,
    SearchRequest,
    SearchResult,
    search,
)
from index.snapshot import DEFAULT_CACHE_MB, CacheBudget, LiveIndex, Snapshot
from index.space import IndexWriteFailed
from index.stats import CategoryStats, IndexStats, index_stats
from index.storage import IndexBusy, IndexLocation, IndexMissing, IndexOutdated, IndexUnavailable, IndexUnreadable
from index.writing import BuildSummary, rebuild, update

__all__ = [
    "ArticlePage",
    "BACKENDS",
    "Backend",
    "Health",
    "ServerHealth",
    "ShardHealth",
    "ShardsUnavailable",
    "WhooshBackend",
    "open_backend",
    "BuildSummary",
    "CacheBudget",
    "CategoryStats",
    "DEFAULT_CACHE_MB",
    "DateRange",
    "FACETS",
    "FILTERS",
    "FILTER_NAMES",
    "FILTER_TOKEN",
    "Facet",
    "FacetValue",
    "FilterField",
    "Hit",
    "IndexBusy",
    "IndexLocation",
    "IndexMissing",
    "IndexOutdated",
    "IndexStats",
    "IndexUnavailable",
    "IndexUnreadable",
    "IndexWriteFailed",
    "LiveIndex",
    "MATCH_MODES",
    "MAX_PER_PAGE",
    "MAX_QUERY_LENGTH",
    "PREDICTED_CHOICES",
    "Marked",
    "SORTS",
    "SearchRequest",
    "SearchResult",
    "Snapshot",
    "TIME_LIMIT_SECONDS",
    "article_page",
    "complete_word",
    "index_stats",
    "parse_date_range",
    "rebuild",
    "search",
    "update",
]

# `archive add`'s names load on first use: they bring in httpx, warcio and feedparser, slow to import for
# every other command and for the web pages.
_ADDING = frozenset({"Added", "NotAdded", "add_pages", "feed_links"})


def __getattr__(name: str):
    """Import the adding module's names when first asked for."""
    if name in _ADDING:
        from index import adding

        return getattr(adding, name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")
