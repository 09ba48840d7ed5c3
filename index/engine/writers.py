"""Whoosh's multiprocess writer, with writer processes that never outlive the rebuild that started them."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys

from whoosh.index import Index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexWriter

from index.space import NO_ROOM, NOT_WRITABLE

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# How often a rebuild waiting to hand out work checks that its writer processes are still alive.
JOB_WAIT_SECONDS = 0.2


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
    MpWriter does not stop them either, so the rebuild would hang at exit waiting for them. And a
    writer process that runs out of disk prints a traceback and dies, leaving MpWriter waiting to hand
    it work: here it ends quietly and its error is raised in the rebuild (see `_BoundSubWriterTask`).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jobs = self.jobqueue  # what the writer processes read; MpWriter puts through the watched view
        self.jobqueue = _WatchedJobs(self)

    def _new_task(self) -> SubWriterTask:
        """Start one more writer process."""
        task = _BoundSubWriterTask(self.storage, self.indexname, self.jobs, self.resultqueue, self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def raise_if_a_writer_failed(self) -> None:
        """Raise the error that ended a writer process: its OSError when the disk refused a write."""
        failed = [task for task in self.tasks if task.exitcode not in (None, 0)]
        for task in failed:
            if task.write_error.value:
                code = task.write_error.value
                raise OSError(code, os.strerror(code), self.storage.folder)
        if failed:
            codes = [task.exitcode for task in failed]
            raise WriterProcessFailed(f"{len(failed)} writer process(es) ended abnormally (exit codes {codes}).")

    def commit(self, *args, **kwargs) -> None:
        """Commit, then refuse the result if a writer process died (MpWriter would drop its documents)."""
        super().commit(*args, **kwargs)
        self.raise_if_a_writer_failed()

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


class _WatchedJobs:
    """The rebuild's side of the job queue: a put that stops waiting when a writer process has failed."""

    def __init__(self, writer: BoundMpWriter):
        self.writer = writer

    def put(self, job) -> None:
        """Hand a job to the writer processes, raising their error instead of waiting on dead ones."""
        while True:
            self.writer.raise_if_a_writer_failed()
            try:
                self.writer.jobs.put(job, timeout=JOB_WAIT_SECONDS)
                return
            except queue.Full:
                continue


class _BoundSubWriterTask(SubWriterTask):
    """A Whoosh writer process that the kernel kills when its parent dies, and that ends quietly when the disk refuses a write."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_pid = os.getpid()
        self.write_error = multiprocessing.Value("i", 0, lock=False)  # the errno of a refused write, for the parent

    def run(self) -> None:
        """Index the documents of the job queue until told to finish."""
        _die_with_parent(self.parent_pid)
        try:
            super().run()
        except OSError as error:
            if error.errno not in NO_ROOM and error.errno not in NOT_WRITABLE:
                raise
            self.write_error.value = error.errno
            sys.exit(1)  # multiprocessing ends a process on SystemExit without printing a traceback


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this process when its parent dies; exit now if the parent is already gone."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
