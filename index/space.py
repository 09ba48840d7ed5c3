"""Room to write: how much space a build needs, and one clear message when the disk refuses a write.

A full disk, a quota, a read-only filesystem or a folder that is not ours all end a write the same way:
an OSError deep inside Whoosh or in one of its writer processes. `write_failures_reported` turns each
into an IndexWriteFailed whose message says what failed, where, the free space against the need, and
that the live index is untouched; the command line prints it as one line.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.names import escape_undecodable
from archive.sources import HTML_EXTENSIONS, JSONL_EXTENSIONS, TEXT_EXTENSIONS, SourceFile
from index.storage import IndexLocation

# What each refusal means, in the words of the message; any other OSError is a bug and keeps its traceback.
NO_ROOM = {errno.ENOSPC: "no space is left on the device", errno.EDQUOT: "the disk quota is exceeded"}
NOT_WRITABLE = {errno.EROFS: "the filesystem is read-only", errno.EACCES: "permission is denied", errno.EPERM: "permission is denied"}

# Bytes of index per byte of source, measured at the peak of `archive rebuild` (the finished index is about
# 80% of it): plain text and JSON Lines 3.8-4.7 (BBC News, 25 MB of bench/articles.jsonl; 5.8 for the
# small BBC Sport), saved pages 0.19 (news_html: most of a page's bytes are markup, not article text).
# Other files count nothing: most are skipped unread (images, PDFs), and a format without a measured
# ratio only makes the estimate err low, so that the check never refuses a rebuild wrongly.
TEXT_PEAK_RATIO = 4.5
PAGE_PEAK_RATIO = 0.2
# An index of one article still takes about 80 KB: a table of contents, segment files, the vocabulary.
INDEX_OVERHEAD_BYTES = 256 * 1024
# A rebuild is refused only when free space is below this share of the estimate: about the size of the
# finished index, which it needs whatever the estimate's error.
REFUSE_BELOW_SHARE = 0.75


class IndexWriteFailed(Exception):
    """The disk refused a write to the archive (full, over quota, read-only or not ours); the live index is as it was."""


def bytes_needed(files: Iterable[SourceFile]) -> int:
    """Estimate the disk space a build of these files takes at its peak (see TEXT_PEAK_RATIO)."""
    total = INDEX_OVERHEAD_BYTES
    for item in files:
        suffix = item.path.suffix.lower()
        if suffix in TEXT_EXTENSIONS | JSONL_EXTENSIONS:
            ratio = TEXT_PEAK_RATIO
        else:
            ratio = PAGE_PEAK_RATIO if suffix in HTML_EXTENSIONS or not suffix else 0
        total += int(item.size * ratio)
    return total


def free_bytes(folder: Path) -> int | None:
    """Return the space this user may still write on the folder's filesystem, or None where unknown."""
    for candidate in (folder, *folder.parents):  # the index folder itself may not exist yet
        try:
            status = os.statvfs(candidate)
        except OSError:
            continue
        return status.f_bavail * status.f_frsize
    return None


@contextmanager
def write_failures_reported(location: IndexLocation, command: str, needed: int | None = None, folder: Path | None = None) -> Iterator[None]:
    """Turn a refused write inside the block into IndexWriteFailed, with the message a person needs.

    `command` is what the person ran (`rebuild`, `update`, `add`); `folder` is where the block writes, the
    index folder unless said otherwise. Clean up inside the block, so the free space reported is what is left.
    """
    try:
        yield
    except OSError as error:
        place = folder or location.root
        reason = NO_ROOM.get(error.errno) or NOT_WRITABLE.get(error.errno)
        # A permission refused on a file of the user's own (say, a source) is not the index folder's doing.
        if reason is None or (error.errno in (errno.EACCES, errno.EPERM) and not _inside(error.filename, place)):
            raise
        live = location.current_generation() is not None
        raise IndexWriteFailed(
            write_failure_message(command, place, reason, free_bytes(place), needed, live, index_folder=folder is None)
        ) from None


def require_space(location: IndexLocation, command: str, needed: int) -> None:
    """Refuse a build, before it reads any article, when the free space is clearly below what it needs."""
    free = free_bytes(location.root)
    if free is not None and free < needed * REFUSE_BELOW_SHARE:
        raise IndexWriteFailed(
            refusal_message(command, location.root, free, needed, location.current_generation() is not None)
        )


def write_failure_message(
    command: str, folder: Path, reason: str, free: int | None, needed: int | None, index_live: bool, index_folder: bool = True
) -> str:
    """Say in one line what failed and where, the space free against the need, what is live, and what to do."""
    room = [f"{size_text(free)} free" if free is not None else "", f"it needs roughly {size_text(needed)}" if needed else ""]
    figures = "; ".join(part for part in room if part)
    if reason in NO_ROOM.values():
        remedy = "Free some space" + (" or choose a larger disk with --index" if index_folder else "")
    else:
        remedy = "Make the folder writable" + (" or choose another with --index" if index_folder else "")
    return (
        f"archive {command} failed: {reason} at {escape_undecodable(str(folder))}"
        + (f" ({figures})" if figures else "")
        + f". {_live_sentence(index_live)} {remedy}, then run: archive {command}"
    )


def refusal_message(command: str, folder: Path, free: int, needed: int, index_live: bool) -> str:
    """Say in one line why a build was not started, and how to start it anyway."""
    return (
        f"archive {command} was not started: {escape_undecodable(str(folder))} has {size_text(free)} free and it needs "
        f"roughly {size_text(needed)}. {_live_sentence(index_live)} Free some space or choose a larger disk with --index, "
        f"or try anyway with: archive {command} --force"
    )


def size_text(size: int) -> str:
    """Return a size in bytes as a person reads it (KB, MB or GB)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{max(size, 0) / 1024:.0f} KB"


def _live_sentence(index_live: bool) -> str:
    """Say what the person's searches see now."""
    return "The previous index is still live and unchanged." if index_live else "No index was built, and nothing was left behind."


def _inside(filename: str | bytes | None, folder: Path) -> bool:
    """Tell whether a file named by an error lies in the folder (an error naming no file is taken to)."""
    if filename is None:
        return True
    path = Path(os.fsdecode(filename)).absolute()
    return path == folder.absolute() or folder.absolute() in path.parents
