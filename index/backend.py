"""The search backends the web pages and the command line use, behind one interface.

Whoosh (the default) keeps the whole index on this machine, embedded in the process. Xapian
(`BACKEND = "xapian"` and a topology file, see index/xapian/) spreads it over shards served by
`xapian-tcpsrv`, each with replicas. Both answer the same requests with the same result dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.articles import ArticlePage, article_page, complete_word
from index.ranking import RankingSettings
from index.searching import SearchRequest, SearchResult, search
from index.snapshot import DEFAULT_CACHE_MB, CacheBudget, LiveIndex
from index.stats import IndexStats, index_stats
from index.storage import IndexLocation, IndexUnavailable
from index.writing import BuildSummary, rebuild, update

BACKENDS = ("whoosh", "xapian")


class ShardsUnavailable(IndexUnavailable):
    """No server of some shard answers (or none holds the generation the other shards hold): try again shortly."""


@dataclass(frozen=True)
class ServerHealth:
    """One shard server as a health check found it."""

    address: str
    answering: bool
    generation: str = ""  # the index generation it serves ("" when it serves none)
    documents: int = 0
    error: str = ""


@dataclass(frozen=True)
class ShardHealth:
    """One shard: its servers, the first being tried first."""

    number: int
    servers: tuple[ServerHealth, ...]


@dataclass(frozen=True)
class Health:
    """Whether the backend can answer searches now, and what each part of it says."""

    backend: str
    ready: bool
    message: str
    shards: tuple[ShardHealth, ...] = ()


class Backend(Protocol):
    """What the pages and the command line ask of a search backend."""

    name: str

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search; raise IndexUnavailable when no usable index answers."""

    def article(self, key: str, query: str = "") -> ArticlePage | None:
        """Return an article's page (its words matching the query marked, similar articles), or None."""

    def complete(self, prefix: str) -> list[str]:
        """Return the archive's most frequent words starting with prefix."""

    def rebuild(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Index every article under the sources into a new generation and switch every reader to it."""

    def update(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Index new and changed files under the sources and drop articles whose files are gone."""

    def stats(self) -> IndexStats:
        """Return what the live index holds; raise IndexUnavailable when there is none."""

    def health(self) -> Health:
        """Tell whether searches can be answered now, without raising."""

    def has_index(self) -> bool:
        """Tell whether an index was ever built here (a first `archive serve` builds one when not)."""

    def where(self) -> str:
        """Return where the index lives, for messages."""


class WhooshBackend:
    """The embedded backend: one Whoosh index in a folder of this machine."""

    name = "whoosh"

    def __init__(
        self, location: IndexLocation, settings: RankingSettings = RankingSettings(), budget: CacheBudget = CacheBudget.of_megabytes(DEFAULT_CACHE_MB)
    ) -> None:
        self.location = location
        self.live = LiveIndex(location, budget)
        self.settings = settings

    def search(self, request: SearchRequest) -> SearchResult:
        """Search the live snapshot."""
        return search(self.live.snapshot(), request, self.settings)

    def article(self, key: str, query: str = "") -> ArticlePage | None:
        """Return an article's page from the live snapshot."""
        return article_page(self.live.snapshot(), key, query)

    def complete(self, prefix: str) -> list[str]:
        """Complete a word from the live snapshot's vocabulary."""
        return complete_word(self.live.snapshot(), prefix)

    def rebuild(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Rebuild the index folder."""
        return rebuild(self.location, sources, **options)

    def update(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Update the index folder."""
        return update(self.location, sources, **options)

    def stats(self) -> IndexStats:
        """Return the live index's figures."""
        self.live.snapshot()
        return index_stats(self.live)

    def health(self) -> Health:
        """Tell whether the live index opens."""
        try:
            self.live.snapshot()
        except IndexUnavailable as error:
            return Health(self.name, False, str(error))
        return Health(self.name, True, f"the index at {self.location.root} is live")

    def has_index(self) -> bool:
        """Tell whether a generation folder was ever written here."""
        return self.location.has_generations()

    def where(self) -> str:
        """Return the index folder."""
        return str(self.location.root)


class UnavailableBackend:
    """A backend that could not be set up (a wrong setting, missing bindings): every use says why."""

    def __init__(self, name: str, error: IndexUnavailable) -> None:
        self.name = name
        self.error = error

    def search(self, request: SearchRequest) -> SearchResult:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def article(self, key: str, query: str = "") -> ArticlePage | None:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def complete(self, prefix: str) -> list[str]:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def rebuild(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def update(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def stats(self) -> IndexStats:
        """Raise the error that stopped the backend\'s set-up."""
        raise self.error

    def health(self) -> Health:
        """Say why the backend cannot answer."""
        return Health(self.name, False, str(self.error))

    def has_index(self) -> bool:
        """Say there is an index, so that nothing is built before the setting is fixed."""
        return True

    def where(self) -> str:
        """Say why the backend cannot answer."""
        return str(self.error)


def open_backend(
    kind: str, index_path: Path, topology: Path | str | None = None, budget: CacheBudget = CacheBudget.of_megabytes(DEFAULT_CACHE_MB)
) -> Backend:
    """Return the configured backend: "whoosh" on index_path (its caches within the budget), or "xapian" over the shards a topology file lists.

    A setting that cannot work gives a backend that says why on every use (pages answer 503, commands
    print it). The Xapian package is imported only when chosen, so a one-machine archive needs neither
    its bindings nor its servers.
    """
    if kind == "whoosh":
        return WhooshBackend(IndexLocation(Path(index_path)), budget=budget)
    if kind != "xapian":
        return UnavailableBackend(str(kind), IndexUnavailable(f"BACKEND must be one of {', '.join(BACKENDS)}, not {kind!r} (in config.py or $ARCHIVE_BACKEND)"))
    if not topology:
        message = 'BACKEND = "xapian" needs TOPOLOGY, the file listing the shard servers (in config.py or $ARCHIVE_TOPOLOGY; see the README\'s deployment section)'
        return UnavailableBackend(kind, IndexUnavailable(message))
    try:
        from index.xapian import XapianBackend

        return XapianBackend.from_topology_file(Path(topology), Path(index_path))
    except ImportError as error:
        message = f"The Xapian backend needs Xapian's Python bindings ({error}): pip install 'news-archive[xapian]'"
        return UnavailableBackend(kind, IndexUnavailable(message))
    except IndexUnavailable as error:
        return UnavailableBackend(kind, error)
