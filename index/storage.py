"""Where the index lives: generations switched atomically, and the one-writer lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh.index import Index, open_dir
from whoosh.searching import Searcher

from index.lockholder import LockHolder, busy_message, is_running, processes_with_open, this_process
from index.schema import build_schema

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
GENERATION_PREFIX = "gen-"
# Written into every generation; an index without this format (say, built before the classes pickled in
# its schema moved) is reported as needing a rebuild instead of being misread.
FORMAT_FILE = "FORMAT"
FORMAT = "news-archive index 2"


class IndexUnavailable(Exception):
    """The live index cannot be searched; the message says why and which command fixes it."""


class IndexMissing(IndexUnavailable):
    """There is no index at the location yet."""


class IndexUnreadable(IndexUnavailable):
    """The index at the location is damaged or incomplete."""


class IndexOutdated(IndexUnavailable):
    """The index at the location was built by another version of the archive."""


class IndexBusy(Exception):
    """Another process is rebuilding or updating the index."""


@dataclass(frozen=True)
class IndexLocation:
    """An index folder holding generations of the Whoosh index and a pointer to the live one."""

    root: Path

    def current_generation(self) -> Path | None:
        """Return the folder of the live generation, or None when nothing was published."""
        try:
            name = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return self.root / name if name else None

    def open(self, generation: Path | None = None) -> Index:
        """Open a generation (the live one by default); raise IndexUnavailable with the command that fixes it."""
        generation = generation or self.current_generation()
        if generation is None and self.has_generations() and not self.writer_busy():
            raise self.unreadable(FileNotFoundError(f"{CURRENT_FILE} is missing"))
        if generation is None:
            raise IndexMissing(f"No index at {self.root}. Build one with: archive rebuild")
        if read_format(generation) != FORMAT and generation.is_dir():
            raise IndexOutdated(f"The index at {self.root} was built by another version of the archive. Rebuild it with: archive rebuild")
        try:
            index = open_dir(str(generation))
        except Exception as error:  # damaged files fail in many ways (pickle, struct, EOF): each means unreadable
            raise self.unreadable(error) from error
        if set(index.schema.names()) != set(build_schema().names()):
            raise IndexOutdated(f"The index at {self.root} was built by another version of the archive. Rebuild it with: archive rebuild")
        return index

    def open_searcher(self, index: Index) -> Searcher:
        """Open a searcher on an opened generation; raise IndexUnreadable when its segment files are damaged."""
        try:
            return index.searcher()
        except Exception as error:  # a damaged segment fails here, when its files are first read
            raise self.unreadable(error) from error

    def unreadable(self, error: Exception) -> IndexUnreadable:
        """Return the error that says the live index's files are damaged, with the command that fixes it."""
        return IndexUnreadable(f"The index at {self.root} is unreadable ({type(error).__name__}: {error}). Rebuild it with: archive rebuild")

    def has_generations(self) -> bool:
        """Return whether any generation folder exists here, published or not."""
        return self.root.is_dir() and any(folder.name.startswith(GENERATION_PREFIX) for folder in self.root.iterdir())

    def new_generation(self) -> Path:
        """Create an empty folder for a generation being built, marked with the index format."""
        self.root.mkdir(parents=True, exist_ok=True)
        generation = self.root / f"{GENERATION_PREFIX}{time.time_ns()}"
        generation.mkdir()
        (generation / FORMAT_FILE).write_text(FORMAT + "\n", encoding="utf-8")
        return generation

    def publish(self, generation: Path) -> None:
        """Make a built generation live in one atomic step, then remove old ones."""
        pointer = self.root / f"{CURRENT_FILE}.tmp"
        with open(pointer, "w", encoding="utf-8") as handle:
            handle.write(generation.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer, self.root / CURRENT_FILE)
        self.remove_generations(keep=self.readable_generations())

    def readable_generations(self) -> set[Path]:
        """Return the live generation and the one before it (searchers opened before a switch still read it)."""
        live = self.current_generation()
        if live is None:
            return set()
        older = sorted(
            folder.name for folder in self.root.iterdir() if folder.name.startswith(GENERATION_PREFIX) and folder.name < live.name
        )
        return {live, *(self.root / name for name in older[-1:])}

    def remove_generations(self, keep: set[Path]) -> None:
        """Delete generation folders not in keep, such as debris of an interrupted rebuild."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.name.startswith(GENERATION_PREFIX) and folder not in keep:
                shutil.rmtree(folder, ignore_errors=True)

    def writer_busy(self) -> bool:
        """Tell whether another process's rebuild or update holds the writer lock (the first rebuild has no pointer yet)."""
        try:
            with open(self.root / LOCK_FILE, "a+", encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = LockHolder.from_text(handle.read())
                    return holder is None or holder.pid != os.getpid()  # an update opening its own index is not busy
                fcntl.flock(handle, fcntl.LOCK_UN)
        except OSError:
            return False
        return False

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the one-writer lock; raise IndexBusy, saying who holds it, if another process does."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_file = self.root / LOCK_FILE
        # flock is released by the kernel when the last process holding it ends; the writer processes of a
        # rebuild inherit it, which is why they are made to die with the rebuild (index/subwriters.py).
        with open(lock_file, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = LockHolder.from_text(handle.read())
                running = holder is None or is_running(holder)
                openers = [] if running else processes_with_open(lock_file)
                raise IndexBusy(busy_message(self.root, lock_file, holder, running, openers)) from None
            handle.seek(0)
            handle.truncate()
            handle.write(this_process().to_text())
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_format(generation: Path) -> str:
    """Return the index format a generation was written in ("" for one written before formats were recorded)."""
    try:
        return (generation / FORMAT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
