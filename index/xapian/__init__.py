"""The Xapian backend: the archive spread over shards served by `xapian-tcpsrv`, each with replicas.

Chosen with `BACKEND = "xapian"` and `TOPOLOGY` (a file listing each shard's servers) in config.py.
The index folder holds the master copy of every shard, which `archive rebuild` and `archive update`
write; the servers serve it (or replicas of it kept by `xapian-replicate`). Readers combine one
server per shard in one `xapian.Database`, which gives every shard the whole archive's term statistics.

- `topology`: the topology file; `documents`: an article as a Xapian document;
- `storage`: the shards' generations and the stubs naming the live ones;
- `writing`: rebuild and update; `cluster`: connections, replicas, one generation at a time;
- `querying`: the query language's clauses as Xapian queries; `searching`, `articles`: as index/ does;
- `ranking`: pseudo-relevance feedback, chosen as the Whoosh backend chooses it;
- `servers`: a local cluster of xapian-tcpsrv processes (`archive shards start|status|stop`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from index.articles import ArticlePage, complete_word
from index.backend import Health, ShardsUnavailable
from index.searching import SearchRequest, SearchResult
from index.stats import IndexStats
from index.writing import BuildSummary
from index.xapian.articles import article_page
from index.xapian.servers import commands, start, stop
from index.xapian.cluster import CONNECTION_ERRORS, ClusterSnapshot, LiveCluster
from index.xapian.searching import XapianRanking, search
from index.xapian.storage import BUILT_KEY, ShardStore, metadata
from index.xapian.topology import Topology, TopologyError, load_topology
from index.xapian.writing import rebuild, update

__all__ = ["ShardsUnavailable", "Topology", "TopologyError", "XapianBackend", "load_topology"]

Answer = TypeVar("Answer")


class XapianBackend:
    """The archive on Xapian shards: the same requests and results as the Whoosh backend."""

    name = "xapian"

    def __init__(self, topology: Topology, store: ShardStore, ranking: XapianRanking = XapianRanking()) -> None:
        self.topology = topology
        self.store = store
        self.ranking = ranking
        self.live = LiveCluster(topology)

    @classmethod
    def from_topology_file(cls, topology: Path, index_path: Path) -> XapianBackend:
        """Return the backend for a topology file, with the shards' master copy in index_path."""
        return cls(load_topology(topology), ShardStore(index_path))

    @property
    def shards(self) -> int:
        """Return how many shards the topology lists."""
        return len(self.topology.shards)

    def search(self, request: SearchRequest) -> SearchResult:
        """Search every shard at once."""
        return self._read(lambda snapshot: search(snapshot, request, self.ranking))

    def article(self, key: str, query: str = "") -> ArticlePage | None:
        """Return an article's page."""
        return self._read(lambda snapshot: article_page(snapshot, key, query, self.ranking))

    def complete(self, prefix: str) -> list[str]:
        """Complete a word from the archive's vocabulary."""
        return self._read(lambda snapshot: complete_word(snapshot, prefix))

    def rebuild(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Write a new generation of every shard and switch the shards to it."""
        return rebuild(self.store, self.shards, sources, **options)

    def update(self, sources: Sequence[Path], **options) -> BuildSummary:
        """Change the live shards: new and changed files added to their shards, deleted ones removed."""
        return update(self.store, self.shards, sources, **options)

    def stats(self) -> IndexStats:
        """Return the live generation's figures (the size is the master copy's, when this machine holds it)."""
        overview = self.search(SearchRequest(per_page=1, with_snippets=False))
        snapshot = self.live.snapshot()
        built = float(metadata(snapshot.connections[0].database, BUILT_KEY) or 0)
        return IndexStats(
            documents=overview.total,
            facets=overview.facets,
            size_bytes=self.store.size_bytes(self.shards),
            built=datetime.fromtimestamp(built, tz=timezone.utc),
            path=f"{self.topology.describe()}, generation {snapshot.generation}; master copy at {self.store.root}",
        )

    def health(self) -> Health:
        """Ask every server what it serves."""
        return self.live.health()

    def has_index(self) -> bool:
        """Tell whether a master copy was ever written here."""
        return self.store.has_generations()

    def where(self) -> str:
        """Return the topology and the master copy's folder."""
        return f"{self.topology.describe()}, master copy at {self.store.root}"

    def start_servers(self) -> list[str]:
        """Start the topology's servers on this machine (a local cluster); return what each process is."""
        return [f"{process.role} (pid {process.pid})" for process in start(self.topology, self.store)]

    def stop_servers(self) -> list[str]:
        """Stop the local cluster's processes; return what each was."""
        return [f"{process.role} (pid {process.pid})" for process in stop(self.store)]

    def server_commands(self) -> list[str]:
        """Return the command line of every process of a local cluster (to run them by hand or under a service manager)."""
        return [" ".join(command) for _, command in commands(self.topology, self.store)]

    def _read(self, action: Callable[[ClusterSnapshot], Answer]) -> Answer:
        """Run a read on the live snapshot; when a server drops out mid-way, reconnect (to a replica) and run it again."""
        snapshot = self.live.snapshot()
        attempts = 1 + max(len(shard.servers) for shard in self.topology.shards)
        for _ in range(attempts - 1):
            try:
                return action(snapshot)
            except CONNECTION_ERRORS:
                snapshot = self.live.reconnect(snapshot)
        try:
            return action(snapshot)
        except CONNECTION_ERRORS as error:
            raise ShardsUnavailable(f"The shard servers of {self.topology.describe()} keep dropping the connection ({error.get_msg()}). Check them with: archive shards status") from None
