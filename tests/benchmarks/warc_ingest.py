"""Web archives: ingest speed against the same pages as loose .html files, and peak memory on a 1 GB WARC.

    python -m tests.benchmarks.warc_ingest [--copies 3] [--rounds 3] [--warc-mb 100,1024]
    python -m tests.benchmarks.warc_ingest --smoke    # small sizes: checks that the benchmark still runs

1. Pages per second: the 31 saved pages of ../shared/data/news_html, each `--copies` times under its own
   address, once in a .warc.gz and once as loose .html files; `archive rebuild` of each in a fresh process,
   interleaved over `--rounds`; medians and their ratio (WARC / loose files).
2. Peak memory: a .warc.gz of about each `--warc-mb` size, generated here (never committed) as a crawl
   looks: each page followed by four incompressible images of 200-600 KB. `archive rebuild` of it in a
   fresh process: the largest process's peak RSS and the peak of all its processes together, sampled.
   A bounded reader gives about the same peak at every size.

Prints a table per section and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.peak_memory import run_measured
from tests.warcs import Record, page_address, shared_pages, write_warc

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
TARGET_PEAK_MB = 400
IMAGES_PER_PAGE = 4
# A rebuild of the largest crawl takes a few minutes; one that hangs is stopped after this long.
RUN_TIMEOUT_SECONDS = 3600


def main() -> None:
    """Run both sections and print their figures."""
    options = _arguments()
    pages = shared_pages(options.data / "news_html")
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="archive-warc-bench-") as scratch:
        work = Path(scratch)
        results["speed"] = speed_section(pages, options.copies, options.rounds, work)
        results["memory"] = {str(size): memory_section(pages, size, work) for size in options.warc_mb}
    _print_tables(results)
    print(json.dumps(results))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warc-mb", default="100,1024")
    parser.add_argument("--smoke", action="store_true", help="one copy, one round, WARCs of 20 and 60 MB")
    options = parser.parse_args()
    if options.smoke:
        options.copies, options.rounds, options.warc_mb = 1, 1, "20,60"
    options.warc_mb = [int(size) for size in str(options.warc_mb).split(",")]
    return options


def speed_section(pages: list[Path], copies: int, rounds: int, work: Path) -> dict:
    """Time rebuilds of the pages as a WARC and as loose files, interleaved; return medians and the ratio."""
    warc = write_warc(work / "pages.warc.gz", [
        Record(f"{page_address(page)}?copy={copy}", page.read_bytes()) for copy in range(copies) for page in pages
    ])
    loose = work / "loose"
    loose.mkdir()
    for copy in range(copies):
        for number, page in enumerate(pages):
            shutil.copy(page, loose / f"{copy}-{number:02d}.html")
    runs: dict[str, list[dict]] = {"warc": [], "loose": []}
    for _ in range(rounds):
        for name, source in (("warc", warc), ("loose", loose)):
            runs[name].append(_rebuild(source, work / f"index-{name}"))
    figures = {}
    for name, measured in runs.items():
        seconds = statistics.median(run["seconds"] for run in measured)
        figures[name] = {"pages": copies * len(pages), "seconds_median": round(seconds, 2),
                         "pages_per_second": round(copies * len(pages) / seconds, 2), "runs": measured}
    figures["ratio_warc_vs_loose"] = round(figures["warc"]["pages_per_second"] / figures["loose"]["pages_per_second"], 3)
    return figures


def memory_section(pages: list[Path], size_mb: int, work: Path) -> dict:
    """Generate a WARC of about size_mb, rebuild it in a fresh process and return its peak memory."""
    path = work / f"crawl-{size_mb}mb.warc.gz"
    started = time.perf_counter()
    page_count = _write_crawl(path, pages, size_mb * 1024 * 1024)
    generated = time.perf_counter() - started
    run = _rebuild(path, work / f"index-{size_mb}", sample=True)
    path.unlink()
    return {"file_mb": round(run.pop("input_mb"), 1), "pages": page_count, "generate_seconds": round(generated, 1), **run,
            "target_mb": TARGET_PEAK_MB, "met": run["tree_peak_mb"] < TARGET_PEAK_MB}


def _write_crawl(path: Path, pages: list[Path], size: int) -> int:
    """Write a crawl-like .warc.gz of at least `size` bytes; return how many pages it holds."""
    rng = random.Random(11)
    written = 0

    def records():
        nonlocal written
        while written == 0 or path.stat().st_size < size:  # the file grows as the records are written
            page = pages[written % len(pages)]
            yield Record(f"{page_address(page)}?visit={written}", page.read_bytes())
            for image in range(IMAGES_PER_PAGE):
                yield Record(f"https://news.example/img/{written}-{image}.jpg", os.urandom(rng.randint(200, 600) * 1024),
                             content_type="image/jpeg")
            written += 1

    write_warc(path, records())
    return written


def _rebuild(source: Path, index: Path, sample: bool = False) -> dict:
    """Run `archive rebuild SOURCE` in a fresh process; return its seconds, and its peak memory when sampling."""
    shutil.rmtree(index, ignore_errors=True)
    command = [sys.executable, "-c", "from web.cli import main; main()", "rebuild", str(source), "--index", str(index)]
    environment = {**os.environ, "ARCHIVE_CAPTURES": str(index / "no-captures")}
    output_file = index.with_name(index.name + "-output.txt")
    started = time.perf_counter()
    if sample:
        exit_code, largest_mb, tree_mb = run_measured(command, output_file, timeout=RUN_TIMEOUT_SECONDS, env=environment)
    else:
        with open(output_file, "wb") as sink:
            exit_code = subprocess.run(command, env=environment, stdout=sink, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - started
    output = output_file.read_text(encoding="utf-8", errors="replace")
    if exit_code != 0:
        raise SystemExit(f"archive rebuild {source} failed:\n{output}")
    figures = {"seconds": round(seconds, 2), "indexed": _figure(output, "indexed"), "parsed": _figure(output, "parsed")}
    if sample:
        figures |= {"input_mb": source.stat().st_size / 1024 / 1024, "largest_process_peak_mb": round(largest_mb),
                    "tree_peak_mb": round(tree_mb)}
    return figures


def _figure(output: str, name: str) -> int:
    """Return a count from the rebuild summary, such as 'indexed'."""
    for line in output.splitlines():
        if line.strip().startswith(name + " "):
            return int(line.split()[-1].replace(",", ""))
    return 0


def _print_tables(results: dict) -> None:
    """Print the figures for a person."""
    speed = results["speed"]
    print("1. Ingest speed: the same pages in a WARC and as loose .html files (archive rebuild, median)")
    print(f"{'source':<12}{'pages':>7}{'seconds':>10}{'pages/s':>10}")
    for name in ("warc", "loose"):
        row = speed[name]
        print(f"{name:<12}{row['pages']:>7}{row['seconds_median']:>10.2f}{row['pages_per_second']:>10.2f}")
    print(f"ratio WARC / loose files: {speed['ratio_warc_vs_loose']:.3f}\n")
    print(f"2. Peak memory of archive rebuild on a generated crawl (target: under {TARGET_PEAK_MB} MB)")
    print(f"{'WARC MB':>8}{'pages':>7}{'seconds':>9}{'largest process MB':>20}{'all processes MB':>18}")
    for row in results["memory"].values():
        print(f"{row['file_mb']:>8.0f}{row['pages']:>7}{row['seconds']:>9.1f}{row['largest_process_peak_mb']:>20}{row['tree_peak_mb']:>18}")


if __name__ == "__main__":
    main()
