"""Run a command and measure its peak memory: the largest process's, and all of its processes' together."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import psutil


def run_measured(
    command: list[str], output: Path, *, timeout: float, env: dict[str, str] | None = None
) -> tuple[int, float, float]:
    """Run a command with its output in a file; return its exit code and its peak RSS in MB (largest process, all)."""
    totals: list[int] = [0]
    finished = threading.Event()
    with open(output, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        sampler = threading.Thread(target=sample_total_rss, args=(process.pid, finished, totals))
        sampler.start()
        hang_guard = threading.Timer(timeout, process.kill)
        hang_guard.start()
        # wait4 reports this child's own usage (with its waited-for children), unlike RUSAGE_CHILDREN,
        # which would also count every process the caller ran before.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        finished.set()
        hang_guard.cancel()
        sampler.join()
    return process.returncode, usage.ru_maxrss / 1024, max(totals) / 1024 / 1024


def sample_total_rss(pid: int, finished: threading.Event, totals: list[int]) -> None:
    """Append the summed RSS of a process and its descendants every 0.1 s until finished is set."""
    while not finished.wait(0.1):
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:  # exited, about to be reaped
            continue
        total = 0
        for member in processes:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                pass
        totals.append(total)
