"""Saved pages: the archive's page parser against plain trafilatura and against a previous commit, same run.

    python -m tests.benchmarks.pages [--baseline main] [--repeats 5] [--rebuild-repeats 3] [--copies 4]
                                     [--details] [--fallbacks] [--rebuild-only]

On ../shared/data/news_html (31 pages: 20 from Readability's fixtures, 11 from goose3's; see its
PROVENANCE.md), each page read as saved (its bytes, no URL given):
1. body text: bag-of-words precision, recall and F1 against Readability's expected.html (20 pages),
   and recall of goose3's expected start of the body (10 pages), for plain `trafilatura.extract`, the
   baseline commit's parser and this checkout's (with --fallbacks, also each candidate fallback
   extractor used alone on every page);
2. metadata: titles, dates and authors matched against expected-metadata.json and goose3's JSON;
3. pages per second in one process, each parser timed interleaved with `trafilatura.extract`;
4. pages per second of `rebuild` on --copies copies of the folder (each run a fresh process), for
   the baseline and for this checkout on 1 and on 2 page workers.
The baseline commit is exported with `git archive` and run by the same script (page_runs.py). Prints
tables, the load average around each section, and last one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from pathlib import Path

from tests.news_pages import (
    PageCase,
    byline_matches,
    html_text,
    dates_match,
    page_cases,
    precision_recall_f1,
    titles_equal,
    titles_match,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
RUNNER = Path(__file__).resolve().with_name("page_runs.py")


def main() -> None:
    """Measure both parsers and print the tables."""
    options = _arguments()
    cases = page_cases(options.data / "news_html")
    results: dict = {"commit": describe_revision("HEAD"), "baseline": describe_revision(options.baseline), "pages": len(cases)}
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as scratch:
        baseline_tree = export_revision(options.baseline, Path(scratch) / "baseline")
        trees = {"baseline": baseline_tree, "this": REPOSITORY}
        if not options.rebuild_only:
            load_before = os.getloadavg()
            runs = {name: _parse_run(tree, cases, options.repeats) for name, tree in trees.items()}
            results["load_parse"] = [load_before, os.getloadavg()]
            results["body"] = body_section(cases, runs)
            results["metadata"] = metadata_section(cases, runs)
            results["speed"] = speed_section(runs)
            results["trafilatura_version"] = runs["this"]["trafilatura_version"]
            if options.fallbacks:
                results["fallbacks"] = fallback_section(cases)
            if options.details:
                print_details(cases, runs)
        if options.rebuild_repeats:
            folder = _copies(options.data / "news_html", options.copies, Path(scratch) / "pages")
            results["rebuild"] = rebuild_section(trees, folder, options.rebuild_repeats)
    print(json.dumps(results))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--baseline", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over the pages in one process")
    parser.add_argument("--rebuild-repeats", type=int, default=3, help="rebuilds per configuration (0: skip)")
    parser.add_argument("--copies", type=int, default=4, help="times news_html is linked into the rebuilt folder")
    parser.add_argument("--details", action="store_true", help="also print per-page figures and misses")
    parser.add_argument("--fallbacks", action="store_true", help="also score each candidate fallback extractor alone")
    parser.add_argument("--rebuild-only", action="store_true", help="measure only the rebuilds (section 4)")
    return parser.parse_args()


# --- running the parsers -------------------------------------------------------------------------


def describe_revision(revision: str) -> str:
    """Return a revision's short hash (with '+changes' for a working tree that differs from HEAD)."""
    short = subprocess.run(["git", "rev-parse", "--short", revision], cwd=REPOSITORY, capture_output=True, text=True)
    if revision != "HEAD":
        return short.stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPOSITORY, capture_output=True, text=True)
    return short.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def export_revision(revision: str, folder: Path) -> Path:
    """Write the files of a git revision into a folder and return it."""
    archive = subprocess.run(["git", "archive", revision], cwd=REPOSITORY, capture_output=True, check=True).stdout
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _run(tree: Path, arguments: list[str], stdin: str = "") -> dict:
    """Run page_runs.py with a checkout first on the import path; return its JSON output."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.run(
        [sys.executable, str(RUNNER), *arguments], input=stdin, cwd=tree, env=environment, capture_output=True, text=True
    )
    if process.returncode != 0:
        raise SystemExit(f"page_runs.py {' '.join(arguments)} failed in {tree}:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def _parse_run(tree: Path, cases: list[PageCase], repeats: int) -> dict:
    """Parse and time every page with one checkout's parser."""
    request = {"cases": [{"name": case.name, "path": str(case.path)} for case in cases], "repeats": repeats}
    return _run(tree, ["parse"], json.dumps(request))


def _copies(source: Path, copies: int, folder: Path) -> Path:
    """Return a temporary folder holding `copies` copies of the source folder (links would be read once)."""
    folder.mkdir()
    for number in range(copies):
        shutil.copytree(source, folder / f"copy{number}")
    return folder


# --- sections --------------------------------------------------------------------------------


def body_section(cases: list[PageCase], runs: dict) -> dict:
    """Print and return body F1 (full references) and recall of expected starts, per extractor."""
    extractors = {
        "trafilatura.extract": [page["trafilatura_body"] for page in runs["this"]["pages"]],
        "archive, baseline": [page["body"] for page in runs["baseline"]["pages"]],
        "archive, this": [page["body"] for page in runs["this"]["pages"]],
    }
    full = [index for index, case in enumerate(cases) if case.body]
    prefixed = [index for index, case in enumerate(cases) if case.body_prefix]
    print(f"1. Body text: against Readability's expected.html ({len(full)} pages) and goose3's expected start ({len(prefixed)} pages)")
    print(f"   {'extractor':<22} {'F1':>6} {'prec.':>6} {'recall':>6}   {'start recall':>12}")
    figures = {}
    for name, bodies in extractors.items():
        scores = [precision_recall_f1(bodies[index], cases[index].body) for index in full]
        starts = [precision_recall_f1(bodies[index], cases[index].body_prefix)[1] for index in prefixed]
        row = {
            "f1": statistics.mean(score[2] for score in scores),
            "precision": statistics.mean(score[0] for score in scores),
            "recall": statistics.mean(score[1] for score in scores),
            "start_recall": statistics.mean(starts),
        }
        figures[name] = row
        print(f"   {name:<22} {row['f1']:>6.3f} {row['precision']:>6.3f} {row['recall']:>6.3f}   {row['start_recall']:>12.3f}")
    print()
    return figures


METADATA_FIELDS = {
    "title, exact": ("title", lambda page, case: titles_equal(page["title"], case.title)),
    "title, site affix aside": ("title", lambda page, case: titles_match(page["title"], case.title)),
    "date": ("date", lambda page, case: dates_match(_datetime(page["published"]), case.date)),
    "author": ("byline", lambda page, case: byline_matches(page["authors"], case.byline)),
}


def metadata_section(cases: list[PageCase], runs: dict) -> dict:
    """Print and return how many expected titles, dates and authors each parser matches."""
    print("2. Metadata: matches / pages with an expected value (wrong = a different value, missing = none)")
    print(f"   {'field':<24} {'baseline':>28} {'this':>28}")
    figures: dict = {}
    for label, (field, check) in METADATA_FIELDS.items():
        cells = []
        for name in ("baseline", "this"):
            judged = [(page, case) for page, case in zip(runs[name]["pages"], cases, strict=True) if getattr(case, field)]
            right = sum(check(page, case) for page, case in judged)
            missing = sum(not _value(page, field) for page, _ in judged)
            figures.setdefault(label, {})[name] = {"right": right, "of": len(judged), "missing": missing}
            cells.append(f"{right}/{len(judged)} ({len(judged) - right - missing} wrong, {missing} missing)")
        print(f"   {label:<24} {cells[0]:>28} {cells[1]:>28}")
    dated = {name: sum(bool(page["published"]) for page in runs[name]["pages"]) for name in runs}
    figures["pages with a date"] = dated
    print(f"   {'pages with any date':<24} {dated['baseline']:>28} {dated['this']:>28}   (of {len(cases)})")
    print()
    return figures


def fallback_section(cases: list[PageCase]) -> dict:
    """Print and return the body F1 of each candidate fallback extractor used alone on every page.

    The references are Readability.js's output, so readability-lxml (a port of an older Readability)
    is favoured by construction; it is scored only if installed.
    """
    import trafilatura

    from archive.html import fallback_body, load_page
    from archive.model import join_paragraphs

    def trafilatura_text(**options) -> Callable[[bytes], str]:
        def extract(data: bytes) -> str:
            document = trafilatura.bare_extraction(load_page(data).root, include_comments=False, include_tables=True, **options)
            return join_paragraphs(document.text.split("\n")) if document and document.text else ""
        return extract

    candidates: dict[str, Callable[[bytes], str]] = {
        "trafilatura, balanced": trafilatura_text(),
        "trafilatura, recall mode": trafilatura_text(favor_recall=True),
        "trafilatura, fast": trafilatura_text(fast=True),
        "archive <p> blocks": lambda data: fallback_body(load_page(data).root),
    }
    try:
        from readability import Document

        candidates["readability-lxml"] = lambda data: html_text(Document(data).summary(html_partial=True).encode("utf-8"))
    except ImportError:
        print("   (readability-lxml is not installed: pip install readability-lxml to score it)")
    judged = [case for case in cases if case.body]
    print(f"1b. Candidate fallbacks, each used alone on all {len(judged)} pages with a full reference")
    figures = {}
    for name, extract in candidates.items():
        scores = [precision_recall_f1(extract(case.path.read_bytes()), case.body) for case in judged]
        figures[name] = {"f1": statistics.mean(score[2] for score in scores), "per_page": [round(score[2], 3) for score in scores]}
        print(f"   {name:<30} F1 {figures[name]['f1']:.3f}   lowest {min(score[2] for score in scores):.3f}")
    print()
    return figures


def _value(page: dict, field: str) -> object:
    """Return what a parser output holds for an expected field."""
    return {"title": page["title"], "date": page["published"], "byline": page["authors"]}[field]


def _datetime(value: str | None) -> datetime | None:
    """Return an ISO timestamp as a datetime."""
    return datetime.fromisoformat(value) if value else None


def speed_section(runs: dict) -> dict:
    """Print and return pages per second in one process, each checkout beside trafilatura.extract.

    The ratio is the median of the ratios of neighbouring passes, which ran under nearly the same load;
    the same figures in CPU time follow, which the machine's other work disturbs far less.
    """
    print("3. In one process: pages per second over all pages (medians of the interleaved passes)")
    print(f"   {'checkout':<10} {'clock:':>6} {'archive':>8} {'trafilatura':>12} {'ratio':>6}   {'CPU:':>4} {'archive':>8} {'trafilatura':>12} {'ratio':>6}")
    figures = {}
    for name, run in runs.items():
        pages = len(run["pages"])
        row = {}
        for clock, key in (("wall", "seconds"), ("cpu", "cpu_seconds")):
            archive, plain = run[key]["archive"], run[key]["trafilatura"]
            row[clock] = {
                "archive": pages / statistics.median(archive),
                "trafilatura": pages / statistics.median(plain),
                "ratio": statistics.median(theirs / ours for ours, theirs in zip(archive, plain, strict=True)),
            }
        figures[name] = {**row["wall"], "cpu": row["cpu"]}
        cells = [f"{row[clock]['archive']:>8.1f} {row[clock]['trafilatura']:>12.1f} {row[clock]['ratio']:>6.2f}" for clock in ("wall", "cpu")]
        print(f"   {name:<10} {'':>6} {cells[0]}   {'':>4} {cells[1]}")
    print()
    return figures


def rebuild_section(trees: dict[str, Path], folder: Path, repeats: int) -> dict:
    """Time `rebuild` of the linked folder for each configuration, interleaved; print pages per second."""
    configurations = {"baseline": (trees["baseline"], None), "this, 1 worker": (trees["this"], 1), "this, 2 workers": (trees["this"], 2)}
    runs: dict[str, list[dict]] = {name: [] for name in configurations}
    pages = sum(1 for _ in folder.rglob("*.html"))
    load_before = os.getloadavg()
    for _ in range(repeats):
        for name, (tree, workers) in configurations.items():
            runs[name].append(_run(tree, ["rebuild", str(folder)] + ([str(workers)] if workers else [])))
    load_after = os.getloadavg()
    print(f"4. Rebuild of {len(list(folder.iterdir()))} copies of news_html ({pages} pages): pages per second (median of {repeats} runs)")
    print("   (cores busy = CPU seconds of the rebuild's processes / wall seconds: what the machine let it use)")
    figures: dict = {"load": [load_before, load_after], "pages": pages}
    for name in configurations:
        seconds = [run["seconds"] for run in runs[name]]
        pages_per_second = pages / statistics.median(seconds)
        cores = statistics.median(run["cpu_seconds"] / run["seconds"] for run in runs[name])
        figures[name] = {"pages_per_second": pages_per_second, "seconds": seconds, "cores_busy": cores}
        print(f"   {name:<16} {pages_per_second:>7.1f}   cores busy {cores:.2f}   (runs {', '.join(f'{s:.1f}' for s in seconds)} s)")
    ratio = figures["this, 2 workers"]["pages_per_second"] / figures["this, 1 worker"]["pages_per_second"]
    figures["ratio_2_vs_1"] = ratio
    print(f"   2 workers / 1 worker: {ratio:.2f}x   load average before {_load(load_before)}, after {_load(load_after)}")
    print()
    return figures


def _load(load: tuple[float, float, float]) -> str:
    """Return a load average triple as text."""
    return "/".join(f"{value:.2f}" for value in load)


def print_details(cases: list[PageCase], runs: dict) -> None:
    """Print each page's body F1 per extractor and each metadata miss."""
    print("Per page: body F1 (trafilatura / baseline / this)")
    for index, case in enumerate(cases):
        reference = case.body or case.body_prefix
        if reference:
            scores = [
                precision_recall_f1(body, reference)[2 if case.body else 1]
                for body in (runs["this"]["pages"][index]["trafilatura_body"], runs["baseline"]["pages"][index]["body"], runs["this"]["pages"][index]["body"])
            ]
            print(f"   {case.name:<34} " + " ".join(f"{score:.3f}" for score in scores))
    print("Metadata misses (this checkout):")
    for label, (field, check) in METADATA_FIELDS.items():
        for page, case in zip(runs["this"]["pages"], cases, strict=True):
            if getattr(case, field) and not check(page, case):
                print(f"   {label:<24} {case.name:<34} got {_value(page, field)!r}, expected {getattr(case, field)!r}")
    print()


if __name__ == "__main__":
    main()
