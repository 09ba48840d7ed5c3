"""Who holds the one-writer lock: recorded in the lock file, checked and explained when the lock is busy."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class LockHolder:
    """The process that took the lock, with enough to tell it from a later process given the same pid."""

    pid: int
    process_start: str  # from /proc: a reused pid has another start time; "" where unknown
    command: str
    locked_at: float

    def to_text(self) -> str:
        """Return the record as written into the lock file."""
        return json.dumps(asdict(self))

    @classmethod
    def from_text(cls, text: str) -> LockHolder | None:
        """Return the record read from a lock file, or None for an empty or unreadable one."""
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            return None


def this_process() -> LockHolder:
    """Describe the running process as a lock holder."""
    command = shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
    return LockHolder(os.getpid(), process_start(os.getpid()), command, time.time())


def process_start(pid: int) -> str:
    """Return when a process started (clock ticks after boot, from /proc), or "" where unknown."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return ""
    # The command name in parentheses may hold spaces; the start time is the 20th field after it.
    return stat.rsplit(")", 1)[1].split()[19]


def is_running(holder: LockHolder) -> bool:
    """Return whether the holder's process is still alive (and is not another process given its pid)."""
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but another user's
    return not holder.process_start or process_start(holder.pid) in ("", holder.process_start)


def processes_with_open(path: Path) -> list[int]:
    """Return the pids of this user's other processes that have the file open (none where /proc is absent)."""
    target = str(path.resolve())
    found = []
    for entry in PROC.glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
        except OSError:  # another user's process, or one that just ended
            continue
    return sorted(found)


def busy_message(root: Path, lock_file: Path, holder: LockHolder | None, running: bool, openers: list[int]) -> str:
    """Explain who holds the lock and what to do about it."""
    if holder is None or running:
        who = (
            f"process {holder.pid} ({holder.command}, since {time.strftime('%H:%M:%S', time.localtime(holder.locked_at))})"
            if holder
            else "another process"
        )
        stop = f" Stopping it is safe, the live index stays as it is: kill {holder.pid}" if holder else ""
        return f"The index at {root} is being written by {who}. Wait for that rebuild or update to finish, then try again.{stop}"
    left_behind = f"The lock on the index at {root} was taken by process {holder.pid} ({holder.command}), which is no longer running"
    if openers:
        pids = " ".join(map(str, openers))
        return f"{left_behind}, but processes it started still hold the lock. Stop them, then try again: kill {pids}"
    return f"{left_behind}, but another user's process still holds the lock. Find it with: fuser -v {lock_file}"
