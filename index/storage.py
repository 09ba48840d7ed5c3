"""Where the index lives: generations switched atomically, and the one-writer lock."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import Index
from whoosh.searching import Searcher

from index.lockholder import LockHolder, busy_message, is_running, processes_with_open, this_process
from index.schema import build_schema

CURRENT_FILE = "CURRENT"
LOCK_FILE = "write.lock"
GENERATION_PREFIX = "gen-"
# Written into every generation; an index without this format (say, built before the classes pickled in
# its schema moved, or before the schema gained a field such as `captured` in 3, or before each language had
# its own fields in 4, or before words joined by dots were split in 5, or each article's category origin in
# 6) is reported as needing a rebuild instead of being misread.
FORMAT_FILE = "FORMAT"
FORMAT = "news-archive index 6"  # 6: category_origin and category_confidence, and the category model


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


class GenerationStorage(FileStorage):
    """Whoosh's storage for a generation being written, which can close every file its writer opened.

    A writer that fails on a full disk also fails to close its files (the first close that flushes
    raises), and an open file keeps its space even once deleted: closing them all is what frees the disk
    when the failed generation is removed, in a server that goes on running too.
    """

    def __init__(self, folder: Path | str, opened: weakref.WeakSet[StructFile] | None = None):
        super().__init__(str(folder))
        # Shared with this storage's temporary storages; weak, as a file no longer referenced is closed already.
        self.opened: weakref.WeakSet[StructFile] = weakref.WeakSet() if opened is None else opened

    def create_file(self, name: str, **kwargs) -> StructFile:
        """Create a file, remembering it."""
        created = super().create_file(name, **kwargs)
        self.opened.add(created)
        return created

    def temp_storage(self, name: str | None = None) -> GenerationStorage:
        """Return a storage for the writer's temporary files, in a folder of the generation."""
        folder = Path(self.folder) / (name or f"{time.time_ns()}.tmp")
        return GenerationStorage(folder, self.opened).create()

    def close_files(self) -> None:
        """Close every file created here, whatever state the failed writer left it in."""
        for created in self.opened:
            try:
                created.file.close()  # closes the descriptor even when the flush before it fails
            except OSError:
                pass


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
            # Read through the file system, not a memory map: Whoosh copies each memory-mapped file into a
            # buffer of its own (56 MB a process for 30,000 articles), while plain reads share the page cache.
            index = FileStorage(str(generation), supports_mmap=False).open_index()
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

    @contextmanager
    def new_generation(self, copy_of: Path | None = None) -> Iterator[Path]:
        """Yield a folder for a generation being built, starting with copy_of's files; remove it unless published.

        An update builds a copy of the live generation and publishes it, as a rebuild does, so a failed
        update leaves the live generation exactly as it was. The copy is made of hard links: Whoosh never
        changes a file it has written (deletions are recorded in its table of contents), so the two
        generations can share every file, and the copy costs no space. A new generation is marked with
        the index format (a copy shares its original's mark, which must never be written through the link).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        generation = self.root / f"{GENERATION_PREFIX}{time.time_ns()}"
        generation.mkdir()
        try:
            if copy_of is not None:
                _link_files(copy_of, generation)
            else:
                (generation / FORMAT_FILE).write_text(FORMAT + "\n", encoding="utf-8")
            yield generation
        finally:
            if self.current_generation() != generation:
                shutil.rmtree(generation, ignore_errors=True)

    def publish(self, generation: Path) -> None:
        """Make a built generation live in one atomic step, then remove old ones."""
        pointer = self.root / f"{CURRENT_FILE}.tmp"
        try:
            with open(pointer, "w", encoding="utf-8") as handle:
                handle.write(generation.name)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(pointer, self.root / CURRENT_FILE)
        except BaseException:
            pointer.unlink(missing_ok=True)  # a full disk fails the write; leave no half pointer behind
            raise
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
        # rebuild inherit it, which is why they are made to die with the rebuild (index/engine/writers.py).
        with open(lock_file, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = LockHolder.from_text(handle.read())
                running = holder is None or is_running(holder)
                openers = [] if running else processes_with_open(lock_file)
                raise IndexBusy(busy_message(self.root, lock_file, holder, running, openers)) from None
            os.ftruncate(handle.fileno(), 0)
            try:
                os.write(handle.fileno(), this_process().to_text().encode("utf-8"))
            except OSError as error:
                # The record only names the holder for a busy message; on a full disk the run goes on
                # without it, to its space check or its own clear failure.
                if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
            try:
                yield
            finally:
                os.ftruncate(handle.fileno(), 0)
                fcntl.flock(handle, fcntl.LOCK_UN)


def read_format(generation: Path) -> str:
    """Return the index format a generation was written in ("" for one written before formats were recorded)."""
    try:
        return (generation / FORMAT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _link_files(source: Path, target: Path) -> None:
    """Give the target folder every file of the source: hard links, or copies where links are not supported."""
    for file in source.iterdir():
        if not file.is_file():
            continue  # Whoosh's temporary folders, left by an older version's failed update
        try:
            os.link(file, target / file.name)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copy2(file, target / file.name)
