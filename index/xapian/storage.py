"""The master copy of the shards: generations of each shard's Xapian database, and the stubs that point to the live ones.

    INDEX/write.lock              the one-writer lock (the same as the Whoosh backend's)
    INDEX/shard-0/gen-<ns>/       a Glass database: shard 0 of the generation written at <ns>
    INDEX/shard-0/live            a Xapian stub file naming the live generation ("glass gen-<ns>")

`xapian-tcpsrv` opens a database for each connection, so a server pointed at `shard-N/live` answers
each new connection from the generation live at that moment, while connections opened earlier keep
reading theirs. Every shard database records its generation in its metadata; readers combine only
shards of one generation (index/xapian/cluster.py), so switching the stubs one after the other is
never seen half done.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import xapian

from index.spelling import Vocabulary
from index.storage import IndexLocation, IndexMissing, IndexUnreadable

GENERATION_PREFIX = "gen-"
LIVE_STUB = "live"
# Metadata keys in every shard database.
GENERATION_KEY = "archive.generation"  # "<rebuild ns>", then "<rebuild ns>.<update ns>" after each update
SHARD_KEY = "archive.shard"  # "<number>/<shards>"
BUILT_KEY = "archive.built"  # seconds since the epoch
NEXT_SEQUENCE_KEY = "archive.next-sequence"  # the indexing order the next article gets (global, not per shard)
VOCABULARY_KEY = "archive.vocabulary"  # zlib-compressed JSON of the whole archive's words (kept in shard 0)
FORMAT_KEY = "archive.format"
FORMAT = "news-archive xapian 2"  # 2: words per analysis family (language), the capture date of web archive pages


@dataclass(frozen=True)
class ShardStore:
    """The index folder of a Xapian archive: each shard's generations, written by rebuild and update."""

    root: Path

    @property
    def location(self) -> IndexLocation:
        """Return the folder as the Whoosh backend's location (its lock and disk-space checks are shared)."""
        return IndexLocation(self.root)

    def shard_folder(self, number: int) -> Path:
        """Return the folder of one shard's generations."""
        return self.root / f"shard-{number}"

    def stub(self, number: int) -> Path:
        """Return the stub file naming a shard's live generation (what xapian-tcpsrv and xapian-replicate are given)."""
        return self.shard_folder(number) / LIVE_STUB

    def has_generations(self) -> bool:
        """Tell whether anything was ever written here."""
        return self.root.is_dir() and any(folder.name.startswith("shard-") for folder in self.root.iterdir())

    def live_databases(self, shards: int) -> list[Path]:
        """Return the stubs of the live shards; raise IndexMissing when a shard has none."""
        stubs = [self.stub(number) for number in range(shards)]
        missing = [stub for stub in stubs if not stub.is_file()]
        if len(missing) == len(stubs):
            raise IndexMissing(f"No index at {self.root}. Build one with: archive rebuild")
        if missing:
            raise IndexUnreadable(f"The index at {self.root} has no {missing[0].parent.name} (it was built for fewer shards). Rebuild it with: archive rebuild")
        return stubs

    @contextmanager
    def new_generation(self, shards: int) -> Iterator[tuple[str, list[Path]]]:
        """Yield a generation name and an empty folder for each shard's database; remove them unless published."""
        name = f"{time.time_ns()}"
        folders = [self.shard_folder(number) / f"{GENERATION_PREFIX}{name}" for number in range(shards)]
        for folder in folders:
            folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield name, folders
        finally:
            for number, folder in enumerate(folders):
                if self.live_generation(number) != folder.name:
                    shutil.rmtree(folder, ignore_errors=True)

    def live_generation(self, number: int) -> str | None:
        """Return the folder name of a shard's live generation, or None."""
        try:
            text = self.stub(number).read_text(encoding="utf-8").split()
        except OSError:
            return None
        return text[1] if len(text) == 2 else None

    def live_folders(self, shards: int) -> list[Path]:
        """Return the folders of the live shard databases (what an update writes into)."""
        return [self.shard_folder(number) / name for number, name in enumerate(map(self.live_generation, range(shards))) if name]

    def publish(self, folders: list[Path]) -> None:
        """Point each shard's stub at its new generation (each an atomic rename), then remove generations no one reads."""
        for number, folder in enumerate(folders):
            stub = self.stub(number)
            pending = stub.with_name(f"{LIVE_STUB}.tmp")
            try:
                with open(pending, "w", encoding="utf-8") as handle:
                    handle.write(f"glass {folder.name}\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(pending, stub)
            except BaseException:
                pending.unlink(missing_ok=True)
                raise
        self.remove_old(len(folders))

    def remove_old(self, shards: int) -> None:
        """Delete generations but the live one and the one before it (a server's open connections may still read it), and shards past the count."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if folder.name.startswith("shard-") and folder.name.removeprefix("shard-").isdigit() and int(folder.name.removeprefix("shard-")) >= shards:
                shutil.rmtree(folder, ignore_errors=True)
        for number in range(shards):
            live = self.live_generation(number)
            folder = self.shard_folder(number)
            if live is None or not folder.is_dir():
                continue
            older = sorted(path.name for path in folder.iterdir() if path.name.startswith(GENERATION_PREFIX) and path.name < live)
            for name in older[:-1]:
                shutil.rmtree(folder / name, ignore_errors=True)
            for path in folder.iterdir():  # debris of an interrupted rebuild
                if path.name.startswith(GENERATION_PREFIX) and path.name > live:
                    shutil.rmtree(path, ignore_errors=True)

    def size_bytes(self, shards: int) -> int:
        """Return the bytes of the live generations' files."""
        total = 0
        for number in range(shards):
            live = self.live_generation(number)
            if live:
                total += sum(path.stat().st_size for path in (self.shard_folder(number) / live).iterdir() if path.is_file())
        return total


def mark(database: xapian.WritableDatabase, generation: str, number: int, shards: int, next_sequence: int) -> None:
    """Record in a shard database which generation and shard it is, when it was written, and the next article's order."""
    database.set_metadata(FORMAT_KEY, FORMAT)
    database.set_metadata(GENERATION_KEY, generation)
    database.set_metadata(SHARD_KEY, f"{number}/{shards}")
    database.set_metadata(BUILT_KEY, f"{time.time():.3f}")
    database.set_metadata(NEXT_SEQUENCE_KEY, str(next_sequence))


def save_vocabulary(database: xapian.WritableDatabase, words: Counter) -> None:
    """Keep the archive's words, with the number of articles holding each, in a shard's metadata."""
    vocabulary = Vocabulary.from_counts(words)
    saved = {"words": vocabulary.words, "counts": [vocabulary.counts[word] for word in vocabulary.words]}
    database.set_metadata(VOCABULARY_KEY, zlib.compress(json.dumps(saved, ensure_ascii=False, separators=(",", ":")).encode("utf-8")))


def load_vocabulary(database: xapian.Database) -> Vocabulary:
    """Read the vocabulary kept in a shard's metadata; empty if there is none."""
    try:
        saved = json.loads(zlib.decompress(database.get_metadata(VOCABULARY_KEY)))
        return Vocabulary(tuple(saved["words"]), dict(zip(saved["words"], saved["counts"])))
    except (zlib.error, ValueError, KeyError, TypeError):
        return Vocabulary((), {})


def metadata(database: xapian.Database, key: str) -> str:
    """Return a metadata value as text."""
    return database.get_metadata(key).decode("utf-8", "replace")
