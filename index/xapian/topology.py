"""The topology file: the shards of the archive and the xapian-tcpsrv servers that serve each one.

    # cluster.toml
    replication = "127.0.0.1:7010"   # optional: the xapian-replicate-server replicas copy the shards from

    [[shards]]
    servers = ["127.0.0.1:7001", "127.0.0.1:7011"]   # the first is asked first; the others are its replicas

    [[shards]]
    servers = ["127.0.0.1:7002", "pipe:ssh -T shards.example.org xapian-progsrv /srv/xapian/shard-1"]

A server is "host:port" (a xapian-tcpsrv) or "pipe:COMMAND" (a program that speaks Xapian's remote
protocol on its standard input and output, such as xapian-progsrv run over ssh, started for each connection).
"""

from __future__ import annotations

import ipaddress
import socket
import tomllib
from dataclasses import dataclass
from pathlib import Path

from index.storage import IndexUnavailable


class TopologyError(IndexUnavailable):
    """The topology file is missing or says something the archive cannot use."""


@dataclass(frozen=True)
class Server:
    """One xapian-tcpsrv (or xapian-replicate-server) address, or the command line of a piped server."""

    host: str
    port: int
    program: str = ""  # "xapian-progsrv ..." (often behind ssh) instead of an address

    def __str__(self) -> str:
        if self.program:
            return f"pipe:{self.program}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Shard:
    """One shard: the servers that serve it, the first asked first."""

    number: int
    servers: tuple[Server, ...]


@dataclass(frozen=True)
class Topology:
    """The archive's shards, and where replicas copy them from."""

    shards: tuple[Shard, ...]
    replication: Server | None = None
    path: Path | None = None

    def describe(self) -> str:
        """Return the topology in a few words, for messages."""
        source = f" ({self.path})" if self.path else ""
        return f"{len(self.shards)} Xapian shard{'s' if len(self.shards) != 1 else ''}{source}"


def load_topology(path: Path) -> Topology:
    """Read a topology file; raise TopologyError saying what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TopologyError(f"Cannot read the topology file {path} ({error.strerror}). TOPOLOGY must name the file listing the shard servers") from None
    except tomllib.TOMLDecodeError as error:
        raise TopologyError(f"The topology file {path} is not valid TOML: {error}") from None
    return parse_topology(data, path)


def parse_topology(data: dict, path: Path | None = None) -> Topology:
    """Return the topology a parsed TOML document describes."""
    where = f"the topology file {path}" if path else "the topology"
    shards = data.get("shards")
    if not isinstance(shards, list) or not shards:
        raise TopologyError(f"{where} lists no [[shards]]: give each shard its servers, as servers = [\"host:port\", ...]")
    parsed = []
    for number, shard in enumerate(shards):
        servers = shard.get("servers") if isinstance(shard, dict) else None
        if not isinstance(servers, list) or not servers:
            raise TopologyError(f"shard {number + 1} in {where} has no servers: write servers = [\"host:port\", ...]")
        parsed.append(Shard(number, tuple(parse_address(text, where) for text in servers)))
    replication = data.get("replication")
    return Topology(tuple(parsed), parse_address(replication, where) if replication else None, path)


def parse_address(text: object, where: str = "the topology") -> Server:
    """Read "host:port" (or "[v6 address]:port"), or "pipe:COMMAND"."""
    if not isinstance(text, str):
        raise TopologyError(f"{where}: {text!r} is not an address like \"10.0.0.5:7001\"")
    if text.startswith("pipe:"):
        if not text[len("pipe:"):].strip():
            raise TopologyError(f"{where}: {text!r} names no program, as in \"pipe:ssh -T host xapian-progsrv /srv/xapian/shard-0\"")
        return Server("", 0, text[len("pipe:"):].strip())
    host, _, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise TopologyError(f"{where}: {text!r} is not an address like \"10.0.0.5:7001\"")
    return Server(host, int(port))


def is_private(host: str) -> bool:
    """Tell whether an address is on the loopback or a private network (never a public interface, never every interface)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    for address in addresses:
        parsed = ipaddress.ip_address(address.split("%")[0])
        if parsed.is_unspecified or not (parsed.is_loopback or parsed.is_private) or parsed.is_global:
            return False
    return bool(addresses)


def write_local_topology(path: Path, shards: int, replicas: int = 0) -> Path:
    """Write a topology of shards (each with replicas) on free ports of the loopback, for tests and benchmarks; return its path."""
    lines = [f'replication = "127.0.0.1:{_free_port()}"']
    for _ in range(shards):
        servers = ", ".join(f'"127.0.0.1:{_free_port()}"' for _ in range(1 + replicas))
        lines += ["", "[[shards]]", f"servers = [{servers}]"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _free_port() -> int:
    """Return a TCP port of the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
