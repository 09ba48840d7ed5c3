"""A local cluster: the xapian-tcpsrv, xapian-replicate-server and xapian-replicate processes a topology names.

For one machine (trying the Xapian backend, tests, a small deployment): the first server of each
shard serves the master copy's stub; each other server serves a replica that `xapian-replicate`
keeps current from the master through `xapian-replicate-server`. The servers have no
authentication, so they are only ever started on the loopback or a private network's address.
The processes run in their own sessions, are recorded (pid and command) in `INDEX/servers.json`,
and are stopped by those pids.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from index.storage import IndexMissing, IndexUnavailable
from index.xapian.storage import ShardStore
from index.xapian.topology import Server, Topology, is_private

SERVERS_FILE = "servers.json"
REPLICAS_FOLDER = "replicas"
LOGS_FOLDER = "logs"
REPLICATE_INTERVAL_SECONDS = 1  # how often a local replica asks the master for a newer generation
START_SECONDS = 10
TOOLS = ("xapian-tcpsrv", "xapian-replicate-server", "xapian-replicate")


class ClusterError(IndexUnavailable):
    """The local cluster cannot be started as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Process:
    """One process of the local cluster."""

    pid: int
    role: str  # "shard 1 server 127.0.0.1:7001", "replication", "shard 1 replica copier"...
    command: tuple[str, ...]


def replica_folder(store: ShardStore, shard: int, replica: int) -> Path:
    """Return the folder a local replica is kept in."""
    return store.root / REPLICAS_FOLDER / f"shard-{shard}-{replica}"


def commands(topology: Topology, store: ShardStore) -> list[tuple[str, list[str]]]:
    """Return (role, command line) of every process of the local cluster, in the order they start.

    The same command lines run a cluster by hand or under a service manager (see the README).
    """
    started: list[tuple[str, list[str]]] = []
    replication = topology.replication
    if any(not server.program for shard in topology.shards for server in shard.servers[1:]):
        if replication is None:
            raise ClusterError('The topology lists replicas but no replication address: add replication = "127.0.0.1:PORT" to start them locally')
        started.append(("replication", ["xapian-replicate-server", "--interface", replication.host, "--port", str(replication.port), str(store.root)]))
    for shard in topology.shards:
        first, *replicas = shard.servers
        if not first.program:  # a piped server is started by each connection, not here
            started.append((f"shard {shard.number + 1} server {first}", _tcpsrv(first, store.stub(shard.number))))
        for number, server in enumerate(replicas, start=1):
            if server.program:
                continue
            folder = replica_folder(store, shard.number, number)
            copier = _replicate(replication, store, shard.number, folder)
            started.append((f"shard {shard.number + 1} replica {number} copier", copier))
            started.append((f"shard {shard.number + 1} replica {number} server {server}", _tcpsrv(server, folder)))
    return started


def start(topology: Topology, store: ShardStore) -> list[Process]:
    """Start the local cluster (refusing public addresses); return its processes. Raise ClusterError if one fails."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise ClusterError(f"{', '.join(missing)} not found: install Debian's xapian-tools (apt-get install xapian-tools)")
    addresses = [server for shard in topology.shards for server in shard.servers if not server.program]
    addresses += [topology.replication] if topology.replication else []
    public = [str(server) for server in addresses if not is_private(server.host)]
    if public:
        raise ClusterError(
            f"Refusing to start a shard server on {', '.join(public)}: Xapian's servers have no authentication, so they "
            "listen only on the loopback or a private network (or run them over ssh with xapian-progsrv)"
        )
    if running(store):
        raise ClusterError(f"A local cluster is already running for {store.root}: see archive shards status, or stop it with archive shards stop")
    for number in range(len(topology.shards)):
        if not store.stub(number).is_file():
            raise IndexMissing(f"No index for shard {number + 1} at {store.root} yet. Build one first with: archive rebuild")
    logs = store.root / LOGS_FOLDER
    logs.mkdir(parents=True, exist_ok=True)
    (store.root / REPLICAS_FOLDER).mkdir(exist_ok=True)
    processes: list[Process] = []
    try:
        for role, command in commands(topology, store):
            if command[0] == "xapian-replicate":
                _copy_once(command, role)
            started = _spawn(command, logs / (role.replace(" ", "-").replace(":", "-") + ".log"))
            processes.append(Process(started.pid, role, tuple(command)))
            _save(store, processes)
            if command[0] != "xapian-replicate":
                _wait_until_listening(started, role, _address(command))
    except BaseException:
        stop_processes(processes)
        _save(store, [])
        raise
    return processes


def stop(store: ShardStore) -> list[Process]:
    """Stop the recorded processes of the local cluster (by pid, each with the processes it forked); return them."""
    processes = recorded(store)
    stop_processes(processes)
    _save(store, [])
    return processes


def stop_processes(processes: list[Process]) -> None:
    """End each process and its session (a server's connection handlers too), waiting for them to go."""
    for process in processes:
        if _is_ours(process):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    for process in processes:
        while _is_ours(process) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_ours(process):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def recorded(store: ShardStore) -> list[Process]:
    """Return the processes recorded for the local cluster."""
    try:
        saved = json.loads((store.root / SERVERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Process(item["pid"], item["role"], tuple(item["command"])) for item in saved]


def running(store: ShardStore) -> list[Process]:
    """Return the recorded processes that are still running."""
    return [process for process in recorded(store) if _is_ours(process)]


def _tcpsrv(server: Server, database: Path) -> list[str]:
    """Return the command line of a shard server."""
    return ["xapian-tcpsrv", "--quiet", "--interface", server.host, "--port", str(server.port), str(database)]


def _replicate(replication: Server, store: ShardStore, shard: int, folder: Path) -> list[str]:
    """Return the command line that keeps a replica current."""
    master = str(store.stub(shard).relative_to(store.root))
    return ["xapian-replicate", "--host", replication.host, "--port", str(replication.port), "--master", master,
            "--interval", str(REPLICATE_INTERVAL_SECONDS), "--quiet", str(folder)]


def _copy_once(command: list[str], role: str) -> None:
    """Make a replica's first copy before its server starts (a server needs its database to exist)."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        done = subprocess.run([*command, "--one-shot"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"The {role} could not copy its shard: {(done.stderr or done.stdout).strip()}")
        time.sleep(0.1)


def _spawn(command: list[str], log: Path) -> subprocess.Popen:
    """Start one process in its own session, its output in a log file."""
    with open(log, "ab") as output:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True)


def _address(command: list[str]) -> Server:
    """Return the address a server command line listens on."""
    return Server(command[command.index("--interface") + 1], int(command[command.index("--port") + 1]))


def _wait_until_listening(process: subprocess.Popen, role: str, server: Server) -> None:
    """Wait until a server accepts connections; raise ClusterError if it exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(f"The {role} exited at once: is the port taken? (its log is in the index folder's {LOGS_FOLDER}/)")
        try:
            with socket.create_connection((server.host, server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ClusterError(f"The {role} did not start listening within {START_SECONDS} s")


def _is_ours(process: Process) -> bool:
    """Tell whether the pid still runs the recorded command (a pid can be reused once its process ended)."""
    try:
        arguments = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        if Path(f"/proc/{process.pid}/stat").read_text().rpartition(") ")[2].startswith("Z"):
            return False  # ended, not yet reaped by its parent
    except OSError:
        return False
    return bool(arguments) and os.path.basename(arguments[0].decode(errors="replace")) == process.command[0]


def _save(store: ShardStore, processes: list[Process]) -> None:
    """Record the cluster's processes."""
    store.root.mkdir(parents=True, exist_ok=True)
    pending = store.root / f"{SERVERS_FILE}.tmp"
    pending.write_text(json.dumps([asdict(process) for process in processes], indent=1), encoding="utf-8")
    os.replace(pending, store.root / SERVERS_FILE)

