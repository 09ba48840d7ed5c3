"""A small real disk for the index, and `archive` run with that disk filled up at a chosen moment.

    python -m tests.full_disk WHERE CALLS MOUNT ARCHIVE-ARGUMENTS...

runs `archive ARCHIVE-ARGUMENTS...` after wrapping the function WHERE (`module:attribute.path`): on its
call number CALLS + 1, a filler file takes every free byte of the filesystem at MOUNT, and the write
that follows fails for want of space, as it would on a full disk. Writer processes are forked after the
wrapping, so they see the full disk too.
"""

from __future__ import annotations

import errno
import importlib
import os
import subprocess
import sys
from pathlib import Path

FILLER = "filler"
PAGE = 4096


def mount_tmpfs(mount: Path, megabytes: int) -> Path:
    """Mount a tmpfs of this size at the folder; raise PermissionError where mounting is not allowed."""
    mount.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(mount)], capture_output=True, text=True)
    except FileNotFoundError as error:
        raise PermissionError("there is no mount command") from error
    if done.returncode != 0:
        raise PermissionError(done.stderr.strip() or f"mount exited with {done.returncode}")
    return mount


def unmount(mount: Path) -> None:
    """Unmount a tmpfs (lazily: a process still reading it keeps it until it lets go)."""
    subprocess.run(["umount", "--lazy", str(mount)], check=True)


def remount(mount: Path, options: str) -> None:
    """Change a mounted tmpfs's options (`ro`, `rw`)."""
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


def free_bytes(mount: Path) -> int:
    """Return the bytes still free on the filesystem."""
    status = os.statvfs(mount)
    return status.f_bavail * status.f_frsize


def used_bytes(mount: Path) -> int:
    """Return the bytes in use on the filesystem."""
    status = os.statvfs(mount)
    return (status.f_blocks - status.f_bfree) * status.f_frsize


def leave_free(mount: Path, free: int) -> Path:
    """Grow the filler file until only `free` bytes (rounded to pages) are left on the filesystem; return it.

    Writer processes may be writing meanwhile: the filler grows in chunks, halved when one does not fit,
    so that the failed write is always the archive's, never the filler's.
    """
    filler = mount / FILLER
    chunk = 1024 * 1024
    with open(filler, "ab") as handle:
        while chunk >= PAGE and free_bytes(mount) - free >= PAGE:
            try:
                os.posix_fallocate(handle.fileno(), os.fstat(handle.fileno()).st_size, min(chunk, free_bytes(mount) - free))
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    return filler


def _fill_on_call(where: str, calls: int, mount: Path) -> None:
    """Wrap the function named by `where` so that its call number calls + 1 first fills the disk."""
    module_name, _, attribute = where.partition(":")
    *owner_path, name = attribute.split(".")
    owner = importlib.import_module(module_name)
    for part in owner_path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    seen = 0

    def filling(*args, **kwargs):
        nonlocal seen
        seen += 1
        if seen == calls + 1:
            leave_free(mount, 0)
        return original(*args, **kwargs)

    setattr(owner, name, filling)


def main() -> None:
    """Wrap the named function, then run the `archive` command line with the remaining arguments."""
    where, calls, mount, *arguments = sys.argv[1:]
    _fill_on_call(where, int(calls), Path(mount))
    sys.argv = ["archive", *arguments]
    from web.cli import main as archive

    archive()


if __name__ == "__main__":
    main()
