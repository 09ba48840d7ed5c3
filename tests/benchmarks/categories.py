"""Category prediction: the archive's classifier against LinearSVC and the majority class, in the same run.

    python -m tests.benchmarks.categories [--folds 5] [--sections bbc,ag,rebuild,cost] [--smoke]

1. BBC News (read by the archive's own parser, duplicates dropped) and 2. AG News test.csv (read here:
title and description): k-fold accuracy and macro-F1 of archive.classifier, of scikit-learn's LinearSVC
on tf-idf word 1-2 grams, of the majority class, and of the method with no new dependency: a vote of the
nearest neighbours found by the index's own similar-articles search, all on the same folds; with the
share of held-out articles the archive would categorize at its confidence threshold, and how many of
those are right.
3. The realistic case through `archive rebuild` itself: a copy of BBC News with 20% of each category's
files left in their category folder and 80% moved into one folder, `saved/`, that names no category.
4. The cost at 113,614 documents (bench/corpus.jsonl, every line labelled): `archive rebuild` with
prediction on and off, interleaved, in fresh processes; and once more with 80% of the labels removed.
Prints a table per section and, last, one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from archive import classifier
from archive.categories import DEFAULT_CONFIDENCE, PREDICTED, CategoryRules
from archive.model import Article
from archive.sources import drop_duplicates, read_sources
from archive.training import model_text

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
SECTIONS = ("bbc", "ag", "rebuild", "cost")
MOVED_FOLDER = "saved"
LABELLED_SHARE = 0.2
SEED = 0
NEIGHBOURS = 10
SIMILAR_TERMS = 12  # as the article page's similar articles (index/articles.py)
MODEL_NAMES = {"archive": "archive (SGD linear SVM, calibrated)", "linearsvc": "LinearSVC, tf-idf 1-2 grams",
               "knn": f"{NEIGHBOURS} nearest (index's similar articles)", "majority": "majority class"}


def main() -> None:
    """Run the chosen sections and print their figures."""
    options = _arguments()
    results: dict = {"commit": _commit(), "folds": options.folds, "confidence": DEFAULT_CONFIDENCE}
    if "bbc" in options.sections:
        articles, labels = bbc_news(options.data / "bbc_news")
        results["bbc"] = cross_validation("1. BBC News", articles, labels, options.folds, options.limit)
    if "ag" in options.sections:
        articles, labels = ag_news(options.data / "ag_news")
        results["ag"] = cross_validation("2. AG News test.csv", articles, labels, options.folds, options.limit)
    if "rebuild" in options.sections:
        results["rebuild"] = rebuild_section(options.data / "bbc_news")
    if "cost" in options.sections:
        results["cost"] = cost_section(options.data / "bench" / "corpus.jsonl", options.cost_lines, options.repeats)
    print(json.dumps(results))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--repeats", type=int, default=1, help="rebuilds of each kind in the cost section")
    parser.add_argument("--limit", type=int, default=None, help="articles per corpus in sections 1 and 2")
    parser.add_argument("--cost-lines", type=int, default=None, help="lines of corpus.jsonl in the cost section")
    parser.add_argument("--smoke", action="store_true", help="a few hundred articles each: checks that the benchmark still runs")
    options = parser.parse_args()
    if options.smoke:
        options.folds, options.limit, options.cost_lines = 3, 600, 2000
    options.sections = [name for name in options.sections.split(",") if name in SECTIONS]
    return options


# --- corpora -----------------------------------------------------------------------------------


def bbc_news(folder: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Return BBC News as the archive reads it (duplicates dropped): titles and bodies, and folder categories."""
    articles = [item for item in drop_duplicates(read_sources([folder])) if isinstance(item, Article)]
    return [(a.title, a.body) for a in articles], [a.category for a in articles]


def ag_news(folder: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Return AG News test.csv: each row's title and description, and its class name."""
    names = (folder / "classes.txt").read_text(encoding="utf-8").split()
    articles, labels = [], []
    with open(folder / "test.csv", newline="", encoding="utf-8") as rows:
        for label, title, description in csv.reader(rows):
            articles.append((title, description))
            labels.append(names[int(label) - 1])
    return articles, labels


# --- 1, 2: cross-validation --------------------------------------------------------------------


def cross_validation(title: str, articles: list[tuple[str, str]], labels: list[str], folds: int, limit: int | None) -> dict:
    """Cross-validate the archive's classifier, k nearest neighbours and both baselines on the same folds."""
    if limit:
        chosen = sorted(random.Random(SEED).sample(range(len(articles)), min(limit, len(articles))))
        articles, labels = [articles[i] for i in chosen], [labels[i] for i in chosen]
    texts = [model_text(title, body) for title, body in articles]
    truth = np.array(labels)
    predicted = {name: np.empty(len(texts), dtype=object) for name in ("archive", "linearsvc", "knn", "majority")}
    confidence = np.zeros(len(texts))
    seconds = Counter()
    splitter = StratifiedKFold(folds, shuffle=True, random_state=SEED)
    for train, test in splitter.split(texts, labels):
        train_texts, test_texts = [texts[i] for i in train], [texts[i] for i in test]
        train_labels = [labels[i] for i in train]
        started = time.perf_counter()
        predictions = classifier.fit(train_texts, train_labels).predict(test_texts)
        seconds["archive"] += time.perf_counter() - started
        predicted["archive"][test] = [p.category for p in predictions]
        confidence[test] = [p.confidence for p in predictions]
        for name, model in (("linearsvc", make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LinearSVC())),
                            ("majority", DummyClassifier(strategy="most_frequent"))):
            started = time.perf_counter()
            predicted[name][test] = model.fit(train_texts, train_labels).predict(test_texts)
            seconds[name] += time.perf_counter() - started
        started = time.perf_counter()
        predicted["knn"][test] = nearest_neighbours([articles[i] for i in train], train_labels, test_texts)
        seconds["knn"] += time.perf_counter() - started
    figures = {
        name: {"accuracy": accuracy_score(truth, guesses), "macro_f1": f1_score(truth, guesses, average="macro"),
               "seconds": seconds[name]}
        for name, guesses in predicted.items()
    }
    kept = confidence >= DEFAULT_CONFIDENCE
    figures["archive"]["categorized"] = float(kept.mean())
    figures["archive"]["categorized_right"] = float((predicted["archive"][kept] == truth[kept]).mean()) if kept.any() else 0.0
    figures["articles"], figures["categories"] = len(texts), len(set(labels))
    figures["points_vs_linearsvc"] = 100 * (figures["archive"]["accuracy"] - figures["linearsvc"]["accuracy"])
    figures["knn_points_vs_archive"] = 100 * (figures["knn"]["accuracy"] - figures["archive"]["accuracy"])
    _table(
        f"{title}: {len(texts):,} articles, {figures['categories']} categories, {folds}-fold",
        ["model", "accuracy", "macro-F1", "categorized", "of those right", "seconds"],
        [[MODEL_NAMES[name], f"{row['accuracy']:.4f}", f"{row['macro_f1']:.4f}",
          f"{row['categorized']:.3f}" if "categorized" in row else "", f"{row['categorized_right']:.4f}" if "categorized" in row else "",
          f"{row['seconds']:.1f}"] for name, row in figures.items() if name in predicted],
    )
    print(f"archive - LinearSVC: {figures['points_vs_linearsvc']:+.2f} points of accuracy; "
          f"k nearest neighbours - archive: {figures['knn_points_vs_archive']:+.2f} points "
          f"(categorized: confidence >= {DEFAULT_CONFIDENCE}, the rest left uncategorized)")
    return figures


def nearest_neighbours(train: list[tuple[str, str]], categories: list[str], texts: list[str]) -> list[str]:
    """Return each text's category by a score-weighted vote of its K most similar articles, by the index's own search."""
    from archive.languages import article_language
    from index.analysis import analysis_family
    from index.schema import search_field
    from index.snapshot import LiveIndex
    from index.storage import IndexLocation
    from index.writing import rebuild

    with tempfile.TemporaryDirectory(prefix="archive-knn-") as scratch:
        source = Path(scratch) / "train.jsonl"
        with open(source, "w", encoding="utf-8") as lines:
            for number, ((title, body), category) in enumerate(zip(train, categories)):
                lines.write(json.dumps({"id": str(number), "title": title, "body": body, "category": category}) + "\n")
        location = IndexLocation(Path(scratch) / "index")
        rebuild(location, [source], categories=CategoryRules(predict=False))
        snapshot = LiveIndex(location).snapshot()
        guesses = []
        for text in texts:
            votes: Counter = Counter()
            # The archive page's "More like this": Whoosh's key terms of the text, searched in the bodies.
            # The body field of the text's language, as the article page looks up its similar articles.
            body = search_field("body", analysis_family(article_language("", "", text)))
            for hit in snapshot.searcher.more_like(-1, body, text=text, top=NEIGHBOURS, numterms=SIMILAR_TERMS):
                votes[categories[int(hit["id"])]] += hit.score  # the label as given (the index stores it normalized)
            guesses.append(votes.most_common(1)[0][0] if votes else Counter(categories).most_common(1)[0][0])
        snapshot.close()
    return guesses


# --- 3: the realistic case ---------------------------------------------------------------------


def rebuild_section(bbc: Path) -> dict:
    """Rebuild a copy of BBC News with 80% of the files moved out of their category folders; score the predictions."""
    with tempfile.TemporaryDirectory(prefix="archive-categories-") as scratch:
        sources, truth = _partly_labelled_copy(bbc, Path(scratch) / "sources")
        index = Path(scratch) / "index"
        started = time.perf_counter()
        output = _archive("rebuild", str(sources), "--index", str(index))
        seconds = time.perf_counter() - started
        outcome = _score(index, truth)
    outcome["rebuild_seconds"] = seconds
    outcome["categorizing_seconds"] = _summary_figure(output, "categorizing s")
    outcome["categorized"] = outcome["predicted"] / outcome["moved"]
    outcome["categorized_right"] = outcome["right"] / outcome["predicted"] if outcome["predicted"] else 0.0
    _table(
        f"3. archive rebuild of BBC News, {LABELLED_SHARE:.0%} of each category left in its folder, the rest in {MOVED_FOLDER}/",
        ["moved articles", "predicted", "right", "categorized", "of those right", "uncategorized", "labels kept", "rebuild s"],
        [[outcome["moved"], outcome["predicted"], outcome["right"], f"{outcome['categorized']:.3f}",
          f"{outcome['categorized_right']:.4f}", outcome["uncategorized"], f"{outcome['labels_kept']}/{outcome['labelled']}",
          f"{seconds:.1f}"]],
    )
    return outcome


def _partly_labelled_copy(bbc: Path, target: Path) -> tuple[Path, dict[str, str]]:
    """Copy BBC News, keeping a seeded 20% of each category in its folder; return the copy and each moved file's category."""
    truth = {}
    rng = random.Random(SEED)
    for folder in sorted(path for path in bbc.iterdir() if path.is_dir()):
        files = sorted(folder.glob("*.txt"))
        rng.shuffle(files)
        kept = round(len(files) * LABELLED_SHARE)
        for number, file in enumerate(files):
            destination = target / folder.name / file.name if number < kept else target / MOVED_FOLDER / f"{folder.name}-{file.name}"
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
            truth[str(destination)] = folder.name
    return target, truth


def _score(index: Path, truth: dict[str, str]) -> dict:
    """Compare the indexed categories with the true ones: predictions for moved files, labels for the rest."""
    from index.snapshot import LiveIndex
    from index.storage import IndexLocation

    counts = Counter()
    snapshot = LiveIndex(IndexLocation(index)).snapshot()
    for fields in snapshot.searcher.all_stored_fields():
        real = truth[fields["path"]]
        if f"/{MOVED_FOLDER}/" not in fields["path"]:
            counts["labelled"] += 1
            counts["labels_kept"] += fields["category"] == real and fields.get("category_origin") == "folder"
            continue
        counts["moved"] += 1
        if fields.get("category_origin") == PREDICTED:
            counts["predicted"] += 1
            counts["right"] += fields["category"] == real
        else:
            counts["uncategorized"] += fields["category"] == "uncategorized"
    snapshot.close()
    return dict(counts)


# --- 4: the cost at scale ----------------------------------------------------------------------


def cost_section(corpus: Path, lines: int | None, repeats: int) -> dict:
    """Time rebuilds of corpus.jsonl with prediction on and off (interleaved), and with 80% of its labels removed."""
    with tempfile.TemporaryDirectory(prefix="archive-categories-cost-") as scratch:
        work = Path(scratch)
        source = _first_lines(corpus, lines, work / "corpus.jsonl")
        unlabelled = _without_labels(source, work / "unlabelled" / "corpus.jsonl")
        runs: dict[str, list[dict]] = {"labelled, on": [], "labelled, off": [], "80% unlabelled, on": []}
        for repeat in range(repeats):
            for name, path, predict in (("labelled, on", source, True), ("labelled, off", source, False),
                                        ("80% unlabelled, on", unlabelled, True)):
                runs[name].append(_timed_rebuild(path, work / f"index-{repeat}-{len(runs[name])}-{predict}", predict))
    figures = {name: {key: statistics.median(run[key] for run in measured) for key in measured[0]} for name, measured in runs.items()}
    on, off = figures["labelled, on"], figures["labelled, off"]
    figures["share_of_rebuild"] = on["categorizing_seconds"] / on["seconds"]
    figures["on_over_off"] = on["seconds"] / off["seconds"]
    figures["unlabelled_share_of_rebuild"] = figures["80% unlabelled, on"]["categorizing_seconds"] / figures["80% unlabelled, on"]["seconds"]
    _table(
        f"4. Cost: archive rebuild of {on['indexed']:,.0f} documents of corpus.jsonl (median of {repeats})",
        ["labels, prediction", "rebuild s", "categorizing s", "share", "predicted"],
        [[name, f"{row['seconds']:.1f}", f"{row['categorizing_seconds']:.1f}", f"{row['categorizing_seconds'] / row['seconds']:.3f}",
          f"{row['predicted']:,.0f}"] for name, row in figures.items() if name in runs],
    )
    print(f"learning and predicting: {figures['share_of_rebuild']:.1%} of the labelled rebuild; "
          f"rebuild with prediction on / off: {figures['on_over_off']:.3f}x; "
          f"{figures['unlabelled_share_of_rebuild']:.1%} of the rebuild with 80% unlabelled")
    return figures


def _first_lines(corpus: Path, lines: int | None, target: Path) -> Path:
    """Copy the corpus, or its first lines."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(corpus, "rb") as source, open(target, "wb") as copy:
        for number, line in enumerate(source, start=1):
            if lines is not None and number > lines:
                break
            copy.write(line)
    return target


def _without_labels(corpus: Path, target: Path) -> Path:
    """Write the corpus with the category of a seeded 80% of its lines removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    with open(corpus, encoding="utf-8") as source, open(target, "w", encoding="utf-8") as copy:
        for line in source:
            record = json.loads(line)
            if rng.random() >= LABELLED_SHARE:
                record.pop("category", None)
            copy.write(json.dumps(record) + "\n")
    return target


def _timed_rebuild(source: Path, index: Path, predict: bool) -> dict:
    """Run `archive rebuild` in a fresh process and return its figures."""
    program = (
        "import json, sys; from pathlib import Path; from archive.categories import CategoryRules; "
        "from index.storage import IndexLocation; from index.writing import rebuild; "
        f"s = rebuild(IndexLocation(Path({str(index)!r})), [Path({str(source)!r})], categories=CategoryRules(predict={predict})); "
        "print(json.dumps({'seconds': s.elapsed, 'categorizing_seconds': s.categorizing_seconds, 'indexed': s.indexed, "
        "'predicted': s.predicted}))"
    )
    output = subprocess.run([sys.executable, "-c", program], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    shutil.rmtree(index, ignore_errors=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- helpers -----------------------------------------------------------------------------------


def _archive(*arguments: str) -> str:
    """Run the `archive` command and return what it printed."""
    command = [sys.executable, "-c", "import sys; from web.cli import main; sys.argv[0] = 'archive'; main()", *arguments]
    return subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True, check=True).stdout


def _summary_figure(output: str, name: str) -> float:
    """Return a figure from a rebuild's printed summary (0 when it is not there)."""
    for line in output.splitlines():
        if line.strip().startswith(name):
            return float(line.strip()[len(name):].split()[0].replace(",", ""))
    return 0.0


def _table(title: str, header: list[str], rows: list[list]) -> None:
    """Print a titled table with aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  " + "  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)))


def _commit() -> str:
    """Return the git commit being measured."""
    output = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    return output.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
