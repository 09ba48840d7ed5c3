"""Measure ranking quality on judged questions, typed into the search box as written.

    python -m tests.benchmarks.ranking                   # CISI, Cranfield and MEDLINE: archive, FTS5, previous ranking
    python -m tests.benchmarks.ranking --tune [--folds 5]   # plus the cross-validated choice of the ranking settings
    python -m tests.benchmarks.ranking --backend xapian     # also through the Xapian backend (2 shards), compared

Each collection's documents (title and abstract) are written to a temporary .jsonl file and indexed
through the archive's real ingest path (`index.rebuild`). Each judged question is sent, as written, through
the function the search page calls (`web.params.search_request` then `index.search`, 10 per page);
MAP reads the same ranking deeper (pages of 100, to rank 1000). Figures: nDCG@10 (binary relevance,
log2 discount, ideal over all relevant documents), MAP to rank 1000, P@10, and the questions that
found nothing, averaged over the judged questions.

Rankings compared on the same documents and questions, in the same run:
- archive: `index.search` with its defaults (or the settings being tuned);
- FTS5: SQLite FTS5, tokenize='porter', columns title and body, the question's words OR-ed, ranked by bm25()
  (fts5), and by bm25() with the title counted double (fts5_title2); the ratio is against the better of the two;
- previous: the archive before graded matching and BM25F (every word required; per-field BM25 with
  Robertson's idf, K1 1.2, B 0.9, title boost 1.5), re-created here with Whoosh's own searcher.

--tune chooses the ranking settings by k-fold cross-validation over the questions of all three
collections together (folds by question): for each fold, the setting with the best mean nDCG@10 on
the other folds is scored on it. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import product
from math import log
from pathlib import Path

from werkzeug.datastructures import MultiDict
from whoosh import query as wq
from whoosh.qparser import AndGroup, FieldsPlugin, MultifieldParser, PlusMinusPlugin, RangePlugin
from whoosh.scoring import BM25F

from index import BuildSummary, IndexLocation, LiveIndex, SearchRequest, SearchResult, rebuild, search
from index.analysis import TOKEN_PATTERN
from index.ranking import RankingSettings
from index.schema import search_fields
from web.params import search_request

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DEPTH = 1000  # ranks kept per question, for MAP
CUTOFF = 10  # for nDCG@10 and P@10
DEEP_PAGE = 100

Ranking = list[str]  # document ids, best first
Searcher = Callable[[SearchRequest], SearchResult]  # a backend's search, as the page calls it


@dataclass(frozen=True)
class Document:
    """One test-collection document: its id, title and abstract."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Collection:
    """A judged test collection: documents, questions by id, and the relevant documents of each question."""

    name: str
    documents: tuple[Document, ...]
    questions: dict[str, str]
    relevant: dict[str, set[str]]


# ---------------------------------------------------------------- reading the collections


_RECORD_START = re.compile(r"^\.I\s+(\S+)\s*$")
_FIELD_START = re.compile(r"^\.([A-Z])\s*$")


def parse_records(text: str) -> list[tuple[str, dict[str, str]]]:
    """Split SMART-format `.I id` records into (id, {field letter: text}); a field's lines keep their line breaks."""
    records: list[tuple[str, dict[str, list[str]]]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        start = _RECORD_START.match(line)
        if start:
            records.append((start[1], {}))
            current = None
            continue
        marker = _FIELD_START.match(line)
        if marker and records:
            current = records[-1][1].setdefault(marker[1], [])
        elif current is not None:
            current.append(line)
    return [(key, {name: "\n".join(lines).strip() for name, lines in fields.items()}) for key, fields in records]


def parse_documents(text: str) -> list[Document]:
    """Return the documents of a SMART file with .T titles: title lines joined by spaces, the abstract as it stands."""
    return [Document(str(int(key)), " ".join(fields.get("T", "").split()), fields.get("W", "")) for key, fields in parse_records(text)]


def parse_medline_documents(text: str) -> list[Document]:
    """Return MEDLINE's documents: the first sentence (up to ` .`) is the title, the rest the abstract."""
    documents = []
    for key, fields in parse_records(text):
        words = " ".join(fields.get("W", "").split())
        title, _, body = words.partition(" . ")
        documents.append(Document(str(int(key)), title, body))
    return documents


def parse_questions(text: str) -> dict[str, str]:
    """Return the question text (.W) of each record, by its position in the file (1, 2, ...) as judgments number them."""
    return {str(number): " ".join(fields.get("W", "").split()) for number, (_, fields) in enumerate(parse_records(text), start=1)}


def parse_judgments(text: str, document_column: int, keep: Callable[[list[str]], bool] = lambda parts: True) -> dict[str, set[str]]:
    """Return the relevant document ids of each question, from whitespace-separated judgment lines."""
    relevant: dict[str, set[str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > document_column and keep(parts):
            relevant.setdefault(str(int(parts[0])), set()).add(str(int(parts[document_column])))
    return relevant


def load_cisi(folder: Path) -> Collection:
    """Read CISI: 1,460 documents, the 76 questions with judgments."""
    read = lambda name: (folder / name).read_text(encoding="utf-8", errors="replace")  # noqa: E731
    relevant = parse_judgments(read("CISI.REL"), 1)
    # CISI's question ids are sequential, so positions and ids agree.
    questions = {key: text for key, text in parse_questions(read("CISI.QRY")).items() if key in relevant}
    return Collection("CISI", tuple(parse_documents(read("CISI.ALL"))), questions, relevant)


def load_cranfield(folder: Path) -> Collection:
    """Read Cranfield: 1,400 documents, 225 questions numbered by position; codes 1-4 are relevant, -1 is not."""
    read = lambda name: (folder / name).read_text(encoding="utf-8", errors="replace")  # noqa: E731
    relevant = parse_judgments(read("cranqrel"), 1, keep=lambda parts: len(parts) > 2 and parts[2] != "-1")
    questions = {key: text for key, text in parse_questions(read("cran.qry")).items() if key in relevant}
    return Collection("Cranfield", tuple(parse_documents(read("cran.all.1400"))), questions, relevant)


def load_medline(folder: Path) -> Collection:
    """Read MEDLINE: 1,033 documents, 30 questions."""
    read = lambda name: (folder / name).read_text(encoding="utf-8", errors="replace")  # noqa: E731
    relevant = parse_judgments(read("MED.REL"), 2)
    questions = {key: text for key, text in parse_questions(read("MED.QRY")).items() if key in relevant}
    return Collection("MEDLINE", tuple(parse_medline_documents(read("MED.ALL"))), questions, relevant)


def load_all(shared: Path = SHARED) -> list[Collection]:
    """Read the three judged collections."""
    return [load_cisi(shared / "cisi"), load_cranfield(shared / "cran"), load_medline(shared / "med")]


# ---------------------------------------------------------------- metrics


def precision_at(ranking: Sequence[str], relevant: set[str], k: int = CUTOFF) -> float:
    """Return the share of the first k ranks holding a relevant document (k in the denominator)."""
    return sum(1 for doc in ranking[:k] if doc in relevant) / k


def ndcg_at(ranking: Sequence[str], relevant: set[str], k: int = CUTOFF) -> float:
    """Return binary nDCG@k: gains 1/log2(rank+1), normalized by the best possible ranking of all relevant documents."""
    if not relevant:
        return 0.0
    gain = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal


def average_precision(ranking: Sequence[str], relevant: set[str], depth: int = DEPTH) -> float:
    """Return average precision over the first depth ranks, divided by all relevant documents."""
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc in enumerate(ranking[:depth], start=1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def evaluate(rankings: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]], keys: Iterable[str]) -> dict:
    """Return mean nDCG@10, MAP and P@10 over the questions, and how many found nothing (a missing ranking scores zero)."""
    keys = list(keys)
    mean = lambda metric: statistics.fmean(metric(rankings.get(key, []), relevant[key]) for key in keys)  # noqa: E731
    return {
        "ndcg@10": mean(ndcg_at),
        "map": mean(average_precision),
        "p@10": mean(precision_at),
        "no_result": sum(1 for key in keys if not rankings.get(key)),
        "questions": len(keys),
    }


def folds_of(keys: Iterable[str], folds: int) -> list[list[str]]:
    """Deal keys, in their order, into folds round-robin."""
    keys = list(keys)
    return [keys[start::folds] for start in range(folds)]


# ---------------------------------------------------------------- the rankers


def write_documents(collection: Collection, source: Path) -> Path:
    """Write the documents as .jsonl into a new folder; return the folder."""
    source.mkdir(parents=True)
    with open(source / "documents.jsonl", "w", encoding="utf-8") as out:
        for document in collection.documents:
            out.write(json.dumps({"id": document.id, "title": document.title, "body": document.body}) + "\n")
    return source


def build_index(collection: Collection, folder: Path) -> tuple[IndexLocation, BuildSummary]:
    """Write the documents as .jsonl and index them with the archive's rebuild; return the location and summary."""
    source = write_documents(collection, folder / "source")
    location = IndexLocation(folder / "index")
    return location, rebuild(location, [source])


def archive_ranking(searcher: Searcher, question: str, depth: int = CUTOFF, page: bool = True) -> Ranking:
    """Return the archive's ranking of a question sent as the search page sends it, to the given depth.

    `searcher` is the search the page calls, on either backend. page=False leaves out the facet counts and
    snippets, which do not change the ranking (for tuning).
    """
    first = search_request(MultiDict({"q": question, "per_page": str(CUTOFF)}))
    if not page:
        first = replace(first, with_facets=False, with_snippets=False)
    ranking = [hit.id for hit in searcher(first).hits]
    if depth <= CUTOFF or len(ranking) < CUTOFF:
        return ranking
    ranking = []
    for page in range(1, depth // DEEP_PAGE + 1):
        deeper = replace(first, per_page=DEEP_PAGE, page=page, with_facets=False, with_snippets=False)
        result = searcher(deeper)
        ranking += [hit.id for hit in result.hits]
        if page >= result.page_count:
            break
    return ranking


def archive_rankings(snapshot, questions: Mapping[str, str], settings: RankingSettings) -> dict[str, Ranking]:
    """Return the archive's first page for every question, without facets and snippets (for tuning)."""
    return {key: archive_ranking(whoosh_searcher(snapshot, settings), text, page=False) for key, text in questions.items()}


def whoosh_searcher(snapshot, settings: RankingSettings) -> Searcher:
    """Return the Whoosh backend's search of a snapshot under given ranking settings."""
    return lambda request: search(snapshot, request, settings)


@contextmanager
def xapian_backend(collection: Collection, folder: Path, shards: int = 2) -> Iterator:
    """Index a collection's documents into Xapian shards through the archive's rebuild, serve them on the loopback, yield the backend."""
    from index import open_backend
    from index.xapian.topology import write_local_topology

    source = write_documents(collection, folder / "source")
    backend = open_backend("xapian", folder / "index", write_local_topology(folder / "cluster.toml", shards))
    backend.rebuild([source])
    backend.start_servers()
    try:
        yield backend
    finally:
        backend.stop_servers()
        backend.live.close()


def question_words(text: str) -> list[str]:
    """Return a question's words, lowercased (so a stray AND/OR/NOT stays a word), as FTS5 is given them."""
    return [match.group(0).lower() for match in re.finditer(TOKEN_PATTERN, text)]


def fts5_rankings(documents: Sequence[Document], questions: Mapping[str, str], bm25: str = "bm25(docs)", depth: int = DEPTH) -> dict[str, Ranking]:
    """Rank with SQLite FTS5 (porter tokenizer, the given bm25() call) over the same documents, the question's words OR-ed."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter')")
        connection.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", [(int(d.id), d.title, d.body) for d in documents])
        out: dict[str, Ranking] = {}
        for key, text in questions.items():
            words = question_words(text)
            match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
            rows = connection.execute(
                f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY {bm25}, rowid LIMIT ?", (match, depth)
            ) if words else []
            out[key] = [str(row[0]) for row in rows]
        return out
    finally:
        connection.close()


class _PreviousBM25F(BM25F):
    """The archive's previous weighting: BM25 per field with Robertson–Spärck Jones' idf per field, summed."""

    def idf(self, searcher, fieldname, text):
        """Return log(1 + (N - n + 0.5) / (n + 0.5)) from the field's own document frequency."""
        parent = searcher.get_parent()
        documents = parent.doc_count_all()
        frequency = parent.doc_frequency(fieldname, text)
        return log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def previous_rankings(location: IndexLocation, questions: Mapping[str, str], depth: int = DEPTH) -> dict[str, Ranking]:
    """Rank as the archive did before: every typed word required, per-field BM25 summed (title x1.5, K1 1.2, B 0.9)."""
    index = location.open()
    schema = index.schema
    title, body = search_fields(("en",))  # the collections are in English
    parser = MultifieldParser([title, body], schema, fieldboosts={title: 1.5, body: 1.0}, group=AndGroup)
    parser.remove_plugin_class(FieldsPlugin)
    parser.remove_plugin_class(RangePlugin)
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<!\S)\+", minusexpr=r"(?<!\S)-"))
    out: dict[str, Ranking] = {}
    with index.searcher(weighting=_PreviousBM25F(B=0.9, K1=1.2)) as searcher:
        ids = {number: fields["id"] for number, fields in searcher.iter_docs()}
        for key, text in questions.items():
            try:
                parsed = parser.parse(text[:1000])  # its query length cap
            except Exception:
                parsed = wq.NullQuery
            out[key] = [ids[number] for _, number in searcher.search(parsed, limit=depth).top_n] if parsed is not wq.NullQuery else []
    index.close()
    return out


# ---------------------------------------------------------------- tuning


GRID = {
    "k1": (1.2, 2.0),
    "title_weight": (1.0, 1.5, 2.0),
    "title_b": (0.5, 0.75),
    "proximity": (0.0, 0.5),
}


def grid() -> list[RankingSettings]:
    """Return the settings --tune tries."""
    names = list(GRID)
    return [RankingSettings(**dict(zip(names, values))) for values in product(*GRID.values())]


def describe(settings: RankingSettings) -> str:
    """Return settings as people write them."""
    return (f"k1={settings.k1:g} b(title)={settings.title_b:g} b(body)={settings.body_b:g} title={settings.title_weight:g} "
            f"proximity={settings.proximity:g} feedback={settings.feedback_weight:g} tiers={settings.tiers}")


def macro_mean(scores: Mapping[str, float], keys: Iterable[str]) -> float:
    """Return the mean over collections of each collection's mean score (keys are "collection:question")."""
    by_collection: dict[str, list[float]] = {}
    for key in keys:
        by_collection.setdefault(key.split(":", 1)[0], []).append(scores[key])
    return statistics.fmean(statistics.fmean(values) for values in by_collection.values())


def cross_validate(table: Mapping[RankingSettings, Mapping[str, float]], folds: Sequence[Sequence[str]]) -> dict:
    """For each fold, choose the setting best on the other folds (mean over collections) and score it on this one."""
    order = list(table)
    held_out: dict[str, float] = {}
    rows = []
    for number, fold in enumerate(folds):
        training = [key for other, keys in enumerate(folds) if other != number for key in keys]
        best = max(order, key=lambda s: (round(macro_mean(table[s], training), 12), -order.index(s)))
        rows.append({"setting": describe(best), "train": macro_mean(table[best], training), "heldout": macro_mean(table[best], fold)})
        held_out.update({key: table[best][key] for key in fold})
    return {"folds": rows, "heldout_by_question": held_out}


def tune(snapshots: Mapping[str, object], collections: Sequence[Collection], folds: int, log: Callable[[str], None]) -> dict:
    """Score every grid setting on every question, then cross-validate the choice over all questions together."""
    settings_list = grid()
    table: dict[RankingSettings, dict[str, float]] = {}
    started = time.perf_counter()
    for number, settings in enumerate(settings_list, start=1):
        scores = {}
        for collection in collections:
            rankings = archive_rankings(snapshots[collection.name], collection.questions, settings)
            scores.update({f"{collection.name}:{key}": ndcg_at(rankings[key], collection.relevant[key]) for key in collection.questions})
        table[settings] = scores
        if number % 20 == 0:
            log(f"  {number}/{len(settings_list)} settings in {time.perf_counter() - started:.0f} s")
    keys = [f"{collection.name}:{key}" for collection in collections for key in collection.questions]
    validated = cross_validate(table, folds_of(keys, folds))
    held_out = validated.pop("heldout_by_question")
    by_collection = {
        collection.name: statistics.fmean(held_out[f"{collection.name}:{key}"] for key in collection.questions) for collection in collections
    }
    full = {s: macro_mean(table[s], keys) for s in settings_list}
    best = max(settings_list, key=lambda s: full[s])
    default = RankingSettings()
    return {
        "grid": {name: list(values) for name, values in GRID.items()},
        "settings": len(settings_list),
        "folds": validated["folds"],
        "heldout_ndcg@10": macro_mean(held_out, keys),
        "heldout_ndcg@10_by_collection": by_collection,
        "best_on_all_questions": {"setting": describe(best), "ndcg@10": full[best]},
        "defaults_on_all_questions": {"setting": describe(default), "ndcg@10": full.get(default)},
        "top": [{"setting": describe(s), "ndcg@10": full[s]} for s in sorted(settings_list, key=lambda s: -full[s])[:10]],
        "table": {describe(s): {"all": full[s], **{c.name: statistics.fmean(table[s][f"{c.name}:{k}"] for k in c.questions) for c in collections}}
                  for s in settings_list},
    }


# ---------------------------------------------------------------- the whole run


def run(
    shared: Path = SHARED, *, tuning: bool = False, folds: int = 5, backends: Sequence[str] = ("whoosh",), log: Callable[[str], None] = lambda _: None
) -> dict:
    """Index each collection through the archive, rank every judged question, and return every figure as a dict.

    backends: "whoosh" (the archive's default, always measured as the baseline) and "xapian" (two shards on
    real xapian-tcpsrv servers, the same questions through the same search function).
    """
    started = time.perf_counter()
    collections = load_all(shared)
    figures: dict = {"settings": describe(RankingSettings()), "collections": {}}
    with tempfile.TemporaryDirectory() as temporary:
        snapshots = {}
        for collection in collections:
            location, summary = build_index(collection, Path(temporary) / collection.name)
            snapshot = LiveIndex(location).snapshot()
            snapshots[collection.name] = snapshot
            keys = list(collection.questions)
            timings = []
            rankings = {}
            for key, text in collection.questions.items():
                began = time.perf_counter()
                rankings[key] = archive_ranking(whoosh_searcher(snapshot, RankingSettings()), text, DEPTH)
                timings.append((time.perf_counter() - began) * 1000)
            systems = {
                "archive": evaluate(rankings, collection.relevant, keys),
                "fts5": evaluate(fts5_rankings(collection.documents, collection.questions), collection.relevant, keys),
                "fts5_title2": evaluate(fts5_rankings(collection.documents, collection.questions, "bm25(docs, 2.0, 1.0)"), collection.relevant, keys),
                "previous": evaluate(previous_rankings(location, collection.questions), collection.relevant, keys),
            }
            if "xapian" in backends:
                with xapian_backend(collection, Path(temporary) / f"{collection.name}-xapian") as backend:
                    xapian_rankings = {key: archive_ranking(backend.search, text, DEPTH) for key, text in collection.questions.items()}
                systems["xapian"] = evaluate(xapian_rankings, collection.relevant, keys)
            figures["collections"][collection.name] = {
                "documents": len(collection.documents), "indexed": summary.indexed, "questions": len(keys),
                "systems": systems, "archive_ms_median": statistics.median(timings),
            }
            log(f"{collection.name}: {summary.indexed:,} documents, {len(keys)} questions")
        systems_run = ("archive", "fts5", "fts5_title2", "previous") + (("xapian",) if "xapian" in backends else ())
        means = {system: statistics.fmean(c["systems"][system]["ndcg@10"] for c in figures["collections"].values()) for system in systems_run}
        if "xapian" in backends:
            figures["xapian_minus_whoosh_ndcg@10"] = {
                name: c["systems"]["xapian"]["ndcg@10"] - c["systems"]["archive"]["ndcg@10"] for name, c in figures["collections"].items()
            }
        figures["mean_ndcg@10"] = means
        figures["archive_over_fts5"] = means["archive"] / max(means["fts5"], means["fts5_title2"])
        if tuning:
            log(f"tuning: {len(grid())} settings x {sum(len(c.questions) for c in collections)} questions ...")
            figures["tuning"] = tune(snapshots, collections, folds, log)
        for snapshot in snapshots.values():
            snapshot.close()
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    return figures


def report(figures: Mapping) -> list[str]:
    """Return the human-readable lines for a run's figures."""
    lines = [f"archive settings: {figures['settings']}",
             f"{'collection':<10} {'ranking':<10} {'nDCG@10':>8} {'MAP':>7} {'P@10':>7} {'no result':>10}"]
    for name, collection in figures["collections"].items():
        for system, row in collection["systems"].items():
            lines.append(f"{name:<10} {system:<10} {row['ndcg@10']:>8.4f} {row['map']:>7.4f} {row['p@10']:>7.4f} "
                         f"{row['no_result']:>4} of {row['questions']}")
    means = figures["mean_ndcg@10"]
    lines.append("mean nDCG@10: " + ", ".join(f"{system} {value:.4f}" for system, value in means.items())
                 + f"; archive / the better FTS5 = {figures['archive_over_fts5']:.3f}")
    if "xapian_minus_whoosh_ndcg@10" in figures:
        lines.append("Xapian (2 shards) minus Whoosh, nDCG@10: "
                     + ", ".join(f"{name} {value:+.4f}" for name, value in figures["xapian_minus_whoosh_ndcg@10"].items()))
    tuning = figures.get("tuning")
    if tuning:
        lines.append(f"\n{tuning['settings']} settings, {len(tuning['folds'])}-fold cross-validation over all questions:")
        for number, row in enumerate(tuning["folds"], start=1):
            lines.append(f"  fold {number}: chose {row['setting']}  train {row['train']:.4f}  held-out {row['heldout']:.4f}")
        lines.append(f"  held-out nDCG@10 {tuning['heldout_ndcg@10']:.4f}; by collection: "
                     + ", ".join(f"{name} {value:.4f}" for name, value in tuning["heldout_ndcg@10_by_collection"].items()))
        lines.append(f"  best on all questions: {tuning['best_on_all_questions']['setting']} {tuning['best_on_all_questions']['ndcg@10']:.4f}")
        for row in tuning["top"]:
            lines.append(f"    {row['setting']}  {row['ndcg@10']:.4f}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Evaluate, print a table, and end with one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=SHARED, help="the folder holding cisi/, cran/ and med/")
    parser.add_argument("--tune", action="store_true", help="cross-validate the choice of ranking settings")
    parser.add_argument("--folds", type=int, default=5, help="folds for --tune (default 5)")
    parser.add_argument("--backend", choices=("whoosh", "xapian"), default="whoosh",
                        help="xapian: also rank through the Xapian backend (two shards on local xapian-tcpsrv servers) and compare")
    options = parser.parse_args(argv)
    backends = ("whoosh", "xapian") if options.backend == "xapian" else ("whoosh",)
    figures = run(options.shared, tuning=options.tune, folds=options.folds, backends=backends, log=print)
    print("\n".join(report(figures)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
