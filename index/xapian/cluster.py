"""Reading the shards: one connection to a server of each shard, all of one generation, combined in one Database.

Xapian combines remote databases with global term statistics (document counts, term frequencies,
average lengths summed over the shards), so every shard layout ranks alike. A shard whose first
server does not answer is read from its replicas. The shards are combined only when they hold the
same generation: while a rebuild switches them one after the other, or while a replica is behind,
readers keep the generation they have (or take the newest one every shard can serve), never a mix.
"""

from __future__ import annotations

import shlex
import threading
import time
from dataclasses import dataclass

import xapian

from index.analysis import FAMILIES
from index.backend import Health, ServerHealth, ShardHealth, ShardsUnavailable
from index.querying import QueryParser
from index.schema import build_schema
from index.spelling import Vocabulary
from index.storage import IndexUnavailable
from index.xapian.documents import ANALYSIS_PREFIX, word_term
from index.xapian.storage import FORMAT, FORMAT_KEY, GENERATION_KEY, SHARD_KEY, load_vocabulary, metadata
from index.xapian.topology import Server, Shard, Topology

CONNECT_TIMEOUT_MS = 2_000  # a machine that is off answers nothing: give up on it after this
TIMEOUT_MS = 30_000  # a server that stops answering in the middle of a search
# How often a reader asks whether a newer generation is live (one connection to one shard).
CHECK_SECONDS = 1.0
# A replaced snapshot is closed this long after the switch, when no request can still be using it.
RETIRE_AFTER_SECONDS = 120
# A wildcard inside a word, and the words a snippet marks for a wildcard, read at most this many words.
MAX_EXPANSION = 2_000
# Errors that mean a connection (or the generation it read) is gone: reconnect and try again.
CONNECTION_ERRORS = (xapian.NetworkError, xapian.DatabaseModifiedError, xapian.DatabaseOpeningError, xapian.DatabaseCorruptError)


@dataclass(frozen=True)
class Connection:
    """An open connection to one server of one shard, and the generation it serves."""

    shard: int
    server: Server
    database: xapian.Database
    generation: str
    built_for: str  # "<number>/<shards>"

    def close(self) -> None:
        """Close the connection (the server's process for it ends)."""
        try:
            self.database.close()
        except xapian.Error:
            pass


class ClusterSnapshot:
    """Every shard of one generation, combined in one Database, with what searches compute from it once."""

    def __init__(self, connections: tuple[Connection, ...], preferred: bool) -> None:
        self.connections = connections
        self.generation = connections[0].generation
        self.preferred = preferred  # every shard read from its first server
        self.database = xapian.Database()
        for connection in connections:
            self.database.add_database(connection.database)
        self.lock = threading.Lock()  # a Xapian Database is not safe to share between threads
        self.size = self.database.get_doccount()
        self._parser: QueryParser | None = None
        self._vocabulary: Vocabulary | None = None
        self._facet_values: dict[str, tuple[str, ...]] = {}

    def parser(self) -> QueryParser:
        """Return the query parser (the same query language as the Whoosh backend), built on first use."""
        if self._parser is None:
            present = set(self.terms(ANALYSIS_PREFIX))
            self._parser = QueryParser(build_schema(), tuple(family for family in FAMILIES if family in present))
        return self._parser

    def indexed_terms(self, word: str) -> frozenset[tuple[str, str]]:
        """Return the (family, term) pairs a word is searched by that the archive holds (for spelling suggestions)."""
        return frozenset(
            (family, token.text)
            for family, analyzer in self.parser().analyzers.items()
            for token in analyzer(word)
            if self.database.term_exists(word_term(family, token.text))
        )

    def vocabulary(self) -> Vocabulary:
        """Return the archive's words for spelling suggestions and completions (kept in shard 0)."""
        if self._vocabulary is None:
            self._vocabulary = load_vocabulary(self.connections[0].database)
        return self._vocabulary

    def terms(self, prefix: str) -> tuple[str, ...]:
        """Return every term starting with prefix, without it, over all shards (read once per snapshot)."""
        if prefix not in self._facet_values:
            self._facet_values[prefix] = tuple(
                item.term.decode("utf-8", "surrogatepass").removeprefix(prefix) for item in self.database.allterms(prefix)
            )
        return self._facet_values[prefix]

    def words(self, prefix: str) -> list[str]:
        """Return the indexed words starting with prefix, without it (for wildcards: read each time, not kept)."""
        found = []
        for item in self.database.allterms(prefix):
            found.append(item.term.decode("utf-8", "surrogatepass").removeprefix(prefix))
            if len(found) >= MAX_EXPANSION:
                break
        return found

    def close(self) -> None:
        """Close every connection."""
        for connection in self.connections:
            connection.close()


class LiveCluster:
    """Hands out a ClusterSnapshot of the newest generation every shard serves, reconnecting after failures."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._snapshot: ClusterSnapshot | None = None
        self._checked = 0.0
        self._retired: list[tuple[float, ClusterSnapshot]] = []
        self._lock = threading.Lock()

    def snapshot(self) -> ClusterSnapshot:
        """Return a snapshot of the live generation; raise ShardsUnavailable when the shards cannot all be read."""
        with self._lock:
            self._close_retired()
            current = self._snapshot
            now = time.monotonic()
            if current is not None and now - self._checked < CHECK_SECONDS:
                return current
            self._checked = now
            if current is not None and current.preferred and self._generation_unchanged(current):
                return current
            try:
                return self._replace(open_snapshot(self.topology))
            except ShardsUnavailable:
                if current is None:
                    raise
                return current  # its connections may well still answer; a search that finds them gone reconnects

    def reconnect(self, failed: ClusterSnapshot) -> ClusterSnapshot:
        """Return a new snapshot after a search on `failed` lost a connection (a server died or timed out)."""
        with self._lock:
            if self._snapshot is not failed and self._snapshot is not None:
                return self._snapshot  # another request reconnected already
            self._checked = time.monotonic()
            return self._replace(open_snapshot(self.topology))

    def health(self) -> Health:
        """Ask every server of every shard what it serves."""
        shards = tuple(ShardHealth(shard.number, tuple(_server_health(shard, server) for server in shard.servers)) for shard in self.topology.shards)
        try:
            probe = open_snapshot(self.topology)  # not the kept snapshot: it may outlive servers that are gone
        except IndexUnavailable as error:
            return Health("xapian", False, str(error), shards)
        probe.close()
        return Health("xapian", True, f"{self.topology.describe()}: generation {probe.generation}, {probe.size:,} articles", shards)

    def _generation_unchanged(self, current: ClusterSnapshot) -> bool:
        """Tell whether the first shard's server still serves the snapshot's generation to a new connection."""
        first = current.connections[0]
        try:
            probe = _connect(first.shard, first.server)
        except (xapian.Error, ShardsUnavailable):
            return False
        probe.close()
        return probe.generation == current.generation

    def _replace(self, snapshot: ClusterSnapshot) -> ClusterSnapshot:
        """Make a new snapshot current, keeping the old one open for a while (searches may still be reading it)."""
        current = self._snapshot
        if current is not None:
            self._retired.append((time.monotonic(), current))
        self._snapshot = snapshot
        return snapshot

    def _close_retired(self) -> None:
        """Close replaced snapshots once no request can still be reading them."""
        now = time.monotonic()
        while self._retired and now - self._retired[0][0] > RETIRE_AFTER_SECONDS:
            self._retired.pop(0)[1].close()

    def close(self) -> None:
        """Close every snapshot."""
        with self._lock:
            for _, snapshot in self._retired:
                snapshot.close()
            self._retired.clear()
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None


def open_snapshot(topology: Topology) -> ClusterSnapshot:
    """Connect to one server of every shard, all serving one generation; raise ShardsUnavailable saying which shard fails.

    The first server of each shard is tried first; only when one does not answer, or the shards
    disagree, are the others asked, and the newest generation every shard can serve is chosen.
    """
    opened: dict[tuple[int, int], Connection] = {}
    failures: dict[tuple[int, int], str] = {}

    def ask(shard: Shard, index: int) -> Connection | None:
        key = (shard.number, index)
        if key not in opened and key not in failures:
            try:
                opened[key] = _connect(shard.number, shard.servers[index])
            except (xapian.Error, ShardsUnavailable) as error:
                failures[key] = _reason(error)
        return opened.get(key)

    first: list[Connection | None] = []
    for shard in topology.shards:
        found = None
        for index in range(len(shard.servers)):
            found = ask(shard, index)
            if found is not None:
                break
        first.append(found)
    chosen = first if None not in first and len({c.generation for c in first}) == 1 else _newest_common(topology, ask)
    if chosen is None:
        for connection in opened.values():
            connection.close()
        raise ShardsUnavailable(_unavailable_message(topology, opened, failures))
    for connection in opened.values():
        if connection not in chosen:
            connection.close()
    _check_layout(topology, chosen)
    preferred = all(connection.server == shard.servers[0] for connection, shard in zip(chosen, topology.shards))
    return ClusterSnapshot(tuple(chosen), preferred)


def _newest_common(topology: Topology, ask) -> list[Connection] | None:
    """Ask every server and return, per shard, the first one serving the newest generation all shards have (or None)."""
    answers = [[ask(shard, index) for index in range(len(shard.servers))] for shard in topology.shards]
    common = set.intersection(*({c.generation for c in shard if c is not None} for shard in answers))
    if not common:
        return None
    newest = max(common, key=_generation_order)
    return [next(c for c in shard if c is not None and c.generation == newest) for shard in answers]


def _generation_order(generation: str) -> tuple[int, ...]:
    """Return a generation name ("<rebuild ns>" or "<rebuild ns>.<update ns>") as numbers that sort in time order."""
    return tuple(int(part) for part in generation.split(".") if part.isdigit())


def _check_layout(topology: Topology, chosen: list[Connection]) -> None:
    """Refuse shards built for another number of shards or in another order than the topology lists."""
    expected = [f"{number}/{len(topology.shards)}" for number in range(len(topology.shards))]
    if [connection.built_for for connection in chosen] != expected:
        for connection in chosen:
            connection.close()
        raise ShardsUnavailable(
            f"The shard servers of {topology.describe()} serve an index built for another layout "
            f"({', '.join(c.built_for or '?' for c in chosen)}). Rebuild it with: archive rebuild"
        )


def _connect(number: int, server: Server) -> Connection:
    """Open a connection to a shard server and read which generation it serves."""
    if server.program:
        program, *arguments = shlex.split(server.program)
        database = xapian.remote_open(program, " ".join(arguments), TIMEOUT_MS)  # Xapian splits the arguments at spaces
    else:
        database = xapian.remote_open(server.host, server.port, TIMEOUT_MS, CONNECT_TIMEOUT_MS)
    if metadata(database, FORMAT_KEY) != FORMAT:
        database.close()
        raise ShardsUnavailable(f"{server} serves no archive index (or one of another version)")
    return Connection(number, server, database, metadata(database, GENERATION_KEY), metadata(database, SHARD_KEY))


def _server_health(shard: Shard, server: Server) -> ServerHealth:
    """Connect to one server and say what it serves."""
    try:
        connection = _connect(shard.number, server)
    except (xapian.Error, ShardsUnavailable) as error:
        return ServerHealth(str(server), False, error=_reason(error))
    health = ServerHealth(str(server), True, connection.generation, connection.database.get_doccount())
    connection.close()
    return health


def _reason(error: Exception) -> str:
    """Return a failure to connect in a few words."""
    if isinstance(error, xapian.Error):
        # Not get_error_string() (nor str(), which calls it): on a connection a killed server cut, the
        # bindings crashed the process in it about one run in six.
        return f"{error.get_msg()} ({error.get_type()})"
    return str(error)


def _unavailable_message(topology: Topology, opened: dict, failures: dict) -> str:
    """Say which shards cannot be read and why, and what to do."""
    lines = []
    for shard in topology.shards:
        said = []
        for index, server in enumerate(shard.servers):
            if (shard.number, index) in failures:
                said.append(f"{server}: {failures[shard.number, index]}")
            elif (shard.number, index) in opened:
                said.append(f"{server}: generation {opened[shard.number, index].generation}")
        lines.append(f"shard {shard.number + 1} of {len(topology.shards)} ({'; '.join(said)})")
    return (
        f"The archive's shards cannot all be read from one generation: {', '.join(lines)}. "
        "Start the shard servers (archive shards start, or the xapian-tcpsrv command lines in the README), "
        "or run archive rebuild if they have no index"
    )
