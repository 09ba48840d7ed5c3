"""One measured run of the page parser of whichever checkout is first on PYTHONPATH (run by pages.py).

    python tests/benchmarks/page_runs.py parse < cases.json      # outputs, and pages/s beside trafilatura
    python tests/benchmarks/page_runs.py rebuild FOLDER [WORKERS] # one `rebuild` of FOLDER, timed

A separate process per run, so the previous commit's parser can be measured by the same code in the
same benchmark run: this file imports only `archive.html`, `index.*` and trafilatura, whose entry points
(`parse_html(data, relative_path=...)`, `rebuild(location, sources)`) both commits share.
"""

from __future__ import annotations

import inspect
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from archive.html import parse_html


def parse(cases: list[dict], repeats: int) -> dict:
    """Parse every page with the archive and with plain trafilatura.extract, then time both, interleaved."""
    pages = [Path(case["path"]).read_bytes() for case in cases]
    outputs = []
    for case, data in zip(cases, pages, strict=True):
        article = parse_html(data, relative_path=case["name"])
        outputs.append(
            {
                "name": case["name"],
                "title": article.title,
                "published": article.published.isoformat() if article.published else None,
                "authors": list(article.authors),
                "body": article.body,
                "trafilatura_body": trafilatura.extract(data) or "",
            }
        )
    timings: dict[str, list[float]] = {"archive": [], "trafilatura": []}
    # CPU time beside wall time: on a shared machine the CPU time of one process is what the load disturbs least.
    cpu_timings: dict[str, list[float]] = {"archive": [], "trafilatura": []}
    runners = {
        "archive": lambda data: parse_html(data, relative_path="page.html"),
        "trafilatura": trafilatura.extract,
    }
    for repeat in range(repeats):
        # Alternate which goes first, so neither always runs on a warmer (or busier) machine.
        for name in (("archive", "trafilatura") if repeat % 2 == 0 else ("trafilatura", "archive")):
            started, cpu_started = time.perf_counter(), time.process_time()
            for data in pages:
                runners[name](data)
            timings[name].append(time.perf_counter() - started)
            cpu_timings[name].append(time.process_time() - cpu_started)
    return {"trafilatura_version": trafilatura.__version__, "pages": outputs, "seconds": timings, "cpu_seconds": cpu_timings}


def rebuild_once(folder: Path, workers: int | None) -> dict:
    """Rebuild an index of a folder into a temporary place; return its wall time and counts."""
    from index.storage import IndexLocation
    from index.writing import rebuild

    options = {}
    if workers is not None:
        if "page_workers" not in inspect.signature(rebuild).parameters:
            raise SystemExit("this checkout's rebuild has no page_workers option")
        options["page_workers"] = workers
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as scratch:
        cpu_before, started = _cpu_seconds(), time.perf_counter()
        summary = rebuild(IndexLocation(Path(scratch) / "index"), [folder], **options)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    return {
        "seconds": seconds, "cpu_seconds": cpu, "indexed": summary.indexed, "duplicates": summary.duplicates,
        "skipped": len(summary.skipped),
    }


def _cpu_seconds() -> float:
    """Return the CPU time of this process and of its children that have ended (the page workers, the writers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Run the mode named on the command line and print its figures as JSON."""
    mode = sys.argv[1]
    if mode == "parse":
        request = json.load(sys.stdin)
        print(json.dumps(parse(request["cases"], request["repeats"])))
    elif mode == "rebuild":
        workers = int(sys.argv[3]) if len(sys.argv) > 3 else None
        print(json.dumps(rebuild_once(Path(sys.argv[2]), workers)))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
