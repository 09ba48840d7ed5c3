"""Whoosh's multiprocess writer, with writer processes that never outlive the rebuild that started them."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from whoosh.index import Index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexWriter

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class WriterProcessFailed(Exception):
    """A writer process died, so its share of the documents is missing from the new index."""


def open_writer(index: Index, procs: int = 1, **options) -> IndexWriter:
    """Open a writer on the index: Whoosh's own for one process, BoundMpWriter for several."""
    if procs > 1:
        return BoundMpWriter(index, procs=procs, **options)
    return index.writer(**options)


class BoundMpWriter(MpWriter):
    """An MpWriter whose writer processes die with it and whose failures are not silent.

    Whoosh's writer processes wait on a job queue that their own inherited pipe ends keep open: if
    the rebuild is killed they wait forever, holding the inherited one-writer lock. A cancelled
    MpWriter does not stop them either, so the rebuild would hang at exit waiting for them.
    """

    def _new_task(self) -> SubWriterTask:
        """Start one more writer process."""
        task = _BoundSubWriterTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task

    def commit(self, *args, **kwargs) -> None:
        """Commit, then refuse the result if a writer process died (MpWriter would drop its documents)."""
        super().commit(*args, **kwargs)
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if failed:
            raise WriterProcessFailed(f"{len(failed)} writer process(es) ended abnormally (exit codes {failed}).")

    def cancel(self) -> None:
        """Stop the writer processes, then cancel the writer."""
        try:
            for task in self.tasks:
                task.terminate()
            for task in self.tasks:
                task.join()
        finally:
            if not self.is_closed:  # a commit that found a dead writer process has closed it already
                super().cancel()


class _BoundSubWriterTask(SubWriterTask):
    """A Whoosh writer process that the kernel kills when its parent dies."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_pid = os.getpid()

    def run(self) -> None:
        """Index the documents of the job queue until told to finish."""
        _die_with_parent(self.parent_pid)
        super().run()


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this process when its parent dies; exit now if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
