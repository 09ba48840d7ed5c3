"""Measure ranking quality on the CISI test collection: the archive against SQLite FTS5 and Whoosh's default BM25F.

    python -m tests.benchmarks.ranking [--cisi ../shared/data/cisi]          # current defaults and baselines (~40 s)
    python -m tests.benchmarks.ranking --tune [--folds 5]                    # plus the cross-validated grid (~2.5 min)

The 1,460 CISI documents (title from .T, abstract from .W, id from .I) are written to a temporary
.jsonl file and indexed through the archive's real ingest path (`index.writing.rebuild`). Each of the
76 judged queries (.W text) is searched as an OR of its words: characters the query language reads as
syntax removed, words lowercased (so a stray AND/OR/NOT stays a word), joined with " OR ". Figures:
nDCG@10 (binary relevance, log2 discount, ideal over all relevant documents), MAP over the top 1000
and P@10, averaged over the judged queries.

Rankings compared on the same documents and the same query words:
- archive: the live snapshot's searcher, i.e. RobertsonBM25F with FIELD_BOOSTS, on the query parsed by
  `index.querying.parse_query` (queries longer than its 1,000-character cap are parsed in pieces and
  ORed); `index.searching.search` is checked to give the same top 10 for the queries within the cap;
- FTS5: SQLite FTS5, tokenize='porter', columns title and body, bm25(docs, 2.0, 1.0); it counts a
  word repeated in the query once per repeat, which the archive's parser does not, so it is also run
  on the distinct non-stop words alone;
- Whoosh default: whoosh.scoring.BM25F() (Whoosh's idf) over the same index and parsed query.

--tune grid-searches K1, B and the title boost, re-weighting the same index without rebuilding, and
chooses by k-fold cross-validation over the queries. The last line printed is one JSON object with
every figure.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from whoosh import query as wq
from whoosh.scoring import BM25F, WeightingModel

from index.analysis import TOKEN_PATTERN, text_analyzer
from index.querying import MAX_QUERY_LENGTH, parse_query
from index.scoring import FIELD_BOOSTS, RobertsonBM25F, ranking_model
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation
from index.writing import BuildSummary, rebuild

REPOSITORY = Path(__file__).resolve().parents[2]
CISI = REPOSITORY.parent / "shared" / "data" / "cisi"
DEPTH = 1000  # ranks kept per query, for MAP
CUTOFF = 10  # for nDCG@10 and P@10
# Characters the archive's query language reads as syntax: phrases, groups, -word, word*, field:value, ranges, boosts.
OPERATOR_CHARACTERS = re.compile(r"""["'()\[\]{}\-*?:^~+!\\/<>=]""")

# The grid --tune searches. K1 and B bracket the conventional values; title boosts from none to strong.
GRID_K1 = (0.6, 0.9, 1.2, 1.5, 2.0)
GRID_B = (0.3, 0.45, 0.6, 0.75, 0.9)
GRID_TITLE_BOOST = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)
# The part of the grid the defaults are chosen from: values that also suit news (short titles,
# short-to-medium bodies, two- or three-word queries), unlike CISI's paragraph-long queries.
CONVENTIONAL = {"K1": (0.9, 1.5), "B": (0.4, 0.9), "title": (1.5, 3.0)}

Ranking = list[str]  # document ids, best first


@dataclass(frozen=True)
class CisiDocument:
    """One CISI document: its .I id, .T title and .W abstract."""

    id: str
    title: str
    body: str


# ---------------------------------------------------------------- parsing CISI


_RECORD_START = re.compile(r"^\.I\s+(\S+)\s*$")
_FIELD_START = re.compile(r"^\.([A-Z])\s*$")


def parse_records(text: str) -> list[tuple[str, dict[str, str]]]:
    """Split CISI's `.I id` records into (id, {field letter: text}); a field's lines keep their line breaks."""
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


def parse_documents(text: str) -> list[CisiDocument]:
    """Return the documents of CISI.ALL: title lines joined by spaces, the abstract as it stands."""
    return [
        CisiDocument(id=key, title=" ".join(fields.get("T", "").split()), body=fields.get("W", ""))
        for key, fields in parse_records(text)
    ]


def parse_queries(text: str) -> dict[str, str]:
    """Return the query text (.W) of each query in CISI.QRY, by id."""
    return {key: " ".join(fields.get("W", "").split()) for key, fields in parse_records(text)}


def parse_qrels(text: str) -> dict[str, set[str]]:
    """Return the relevant document ids of each judged query in CISI.REL (`query doc 0 0.0` per line)."""
    relevant: dict[str, set[str]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            relevant.setdefault(parts[0], set()).add(parts[1])
    return relevant


def load_cisi(folder: Path = CISI) -> tuple[list[CisiDocument], dict[str, str], dict[str, set[str]]]:
    """Read the documents, the judged queries and their judgments."""
    read = lambda name: (folder / name).read_text(encoding="utf-8", errors="replace")  # noqa: E731
    documents = parse_documents(read("CISI.ALL"))
    qrels = parse_qrels(read("CISI.REL"))
    queries = {key: text for key, text in parse_queries(read("CISI.QRY")).items() if key in qrels}
    return documents, queries, qrels


# ---------------------------------------------------------------- query words


def query_words(text: str) -> list[str]:
    """Return a query's words as written, lowercased, with the characters the query language reads as syntax removed.

    Lowercasing keeps a stray AND/OR/NOT in the text a word; repeats and stop words are kept (each engine
    treats them its own way: the archive's parser drops stop words and repeated terms, FTS5 counts repeats).
    """
    return [match.group(0).lower() for match in re.finditer(TOKEN_PATTERN, OPERATOR_CHARACTERS.sub(" ", text))]


def distinct_words(words: Sequence[str]) -> list[str]:
    """Return the words the archive would search: stop words dropped, one word per stem, in order."""
    analyzer = text_analyzer()
    by_stem: dict[str, str] = {}
    for word in words:
        stems = " ".join(token.text for token in analyzer(word))
        if stems:  # no stem: a stop word
            by_stem.setdefault(stems, word)
    return list(by_stem.values())


def or_query(words: Sequence[str]) -> str:
    """Return the words as an OR query in the archive's query language."""
    return " OR ".join(words)


def fts5_query(words: Sequence[str]) -> str:
    """Return the words as an FTS5 OR query, each word quoted."""
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


def parsed_or_query(words: Sequence[str], schema) -> wq.Query | None:
    """Parse the OR query with the archive's parser; queries over its length cap are parsed in pieces and ORed."""
    pieces: list[list[str]] = [[]]
    for word in words:
        if pieces[-1] and len(or_query(pieces[-1] + [word])) > MAX_QUERY_LENGTH:
            pieces.append([])
        pieces[-1].append(word)
    parsed = [parse_query(or_query(piece), schema).text_query for piece in pieces if piece]
    parsed = [query for query in parsed if query is not None and query is not wq.NullQuery]
    if not parsed:
        return None
    return parsed[0] if len(parsed) == 1 else wq.Or(parsed).normalize()


def with_field_boosts(query: wq.Query, boosts: Mapping[str, float]) -> wq.Query:
    """Return a copy of a parsed query whose terms carry the given per-field boosts (as the parser would set them)."""

    def reboost(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term) and node.fieldname in boosts:
            # The parsed boost is the field's default times the word's repeats in the query; keep the repeats.
            return node.with_boost(boosts[node.fieldname] * node.boost / FIELD_BOOSTS[node.fieldname])
        return node

    return query.accept(reboost)


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


def evaluate(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]], queries: Iterable[str]) -> dict:
    """Return mean nDCG@10, MAP and P@10 over the queries (a query with no ranking scores zero)."""
    queries = list(queries)
    mean = lambda metric: statistics.fmean(metric(rankings.get(q, []), qrels[q]) for q in queries)  # noqa: E731
    return {"ndcg@10": mean(ndcg_at), "map": mean(average_precision), "p@10": mean(precision_at), "queries": len(queries)}


def folds_of(keys: Iterable[str], folds: int) -> list[list[str]]:
    """Deal keys, in numeric order, into folds round-robin."""
    ordered = sorted(keys, key=lambda key: (int(key) if key.isdigit() else math.inf, key))
    return [ordered[start::folds] for start in range(folds)]


# ---------------------------------------------------------------- the rankers


def build_index(documents: Sequence[CisiDocument], folder: Path) -> tuple[IndexLocation, BuildSummary]:
    """Write the documents as .jsonl and index them with the archive's rebuild; return the location and summary."""
    source = folder / "cisi"
    source.mkdir()
    with open(source / "cisi.jsonl", "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps({"id": document.id, "title": document.title, "body": document.body}) + "\n")
    location = IndexLocation(folder / "index")
    return location, rebuild(location, [source])


class WhooshRanker:
    """Ranks the queries, parsed once by the archive's parser, over one index with any weighting model."""

    def __init__(self, index, queries: Mapping[str, str]):
        self.index = index
        self.queries = {key: parsed_or_query(query_words(text), index.schema) for key, text in queries.items()}
        with index.searcher() as searcher:
            self.ids = {number: fields["id"] for number, fields in searcher.iter_docs()}

    def rankings(
        self, weighting: WeightingModel, depth: int = DEPTH, boosts: Mapping[str, float] | None = None
    ) -> dict[str, Ranking]:
        """Return each query's top documents under the weighting (and, if given, other field boosts)."""
        with self.index.searcher(weighting=weighting) as searcher:
            return {key: self.rank(searcher, parsed, depth, boosts) for key, parsed in self.queries.items()}

    def rank(self, searcher, parsed: wq.Query | None, depth: int, boosts: Mapping[str, float] | None = None) -> Ranking:
        """Return one query's top documents from a searcher."""
        if parsed is None:
            return []
        if boosts is not None:
            parsed = with_field_boosts(parsed, boosts)
        return [self.ids[number] for _, number in searcher.search(parsed, limit=depth).top_n]

    def field_scores(self, searcher, key: str) -> dict[str, dict[int, float]]:
        """Return, per search field, each matching document's unboosted score for one query's terms in that field.

        An OR of words parses to a flat OR of per-field terms whose boosted scores Whoosh adds up, so a
        document's score is the sum over fields of boost x these; the grid re-weights fields from them.
        """
        parsed = self.queries[key]
        if parsed is None:
            return {}
        terms = [parsed] if isinstance(parsed, wq.Term) else list(parsed.subqueries) if isinstance(parsed, wq.Or) else []
        if not terms or not all(isinstance(term, wq.Term) for term in terms):
            raise ValueError(f"query {key} is not a flat OR of terms: {parsed!r}")
        scores = {}
        for fieldname in FIELD_BOOSTS:
            # The parser's boost is the field's boost times the word's repeats in the query; keep the repeats.
            mine = [wq.Term(fieldname, term.text, boost=term.boost / FIELD_BOOSTS[fieldname]) for term in terms if term.fieldname == fieldname]
            if mine:
                scores[fieldname] = {number: score for score, number in searcher.search(wq.Or(mine), limit=None).top_n}
        return scores


def combine(scores: Mapping[str, Mapping[int, float]], boosts: Mapping[str, float], depth: int) -> list[int]:
    """Return the top document numbers by the boosted sum of per-field scores (ties: lower number first, as Whoosh)."""
    total: dict[int, float] = {}
    for fieldname, field in scores.items():
        boost = boosts[fieldname]
        for number, score in field.items():
            total[number] = total.get(number, 0.0) + boost * score
    return [number for number, _ in heapq.nsmallest(depth, total.items(), key=lambda item: (-item[1], item[0]))]


def archive_rankings(
    location: IndexLocation, ranker: WhooshRanker, queries: Mapping[str, str], check: int | None = None, depth: int = DEPTH
) -> tuple[dict[str, Ranking], dict]:
    """Rank with the live snapshot's searcher (the archive's weighting), and compare with `index.searching.search`.

    search() is asked for the first `check` queries (all when None) as typed in the search box; those
    within the archive's query length cap must give the same top 10. Returns the rankings and the check.
    """
    snapshot = LiveIndex(location).snapshot()
    typed: dict[str, Ranking] = {}
    within = agree = 0
    try:
        rankings = {key: ranker.rank(snapshot.searcher, parsed, depth) for key, parsed in ranker.queries.items()}
        for key in list(queries)[:check]:
            query = or_query(query_words(queries[key]))
            typed[key] = [hit.id for hit in search(snapshot, SearchRequest(query=query, per_page=CUTOFF)).hits]
            if len(query) <= MAX_QUERY_LENGTH:
                within += 1
                agree += typed[key] == rankings[key][:CUTOFF]
    finally:
        snapshot.close()
    return rankings, {"searched": len(typed), "within_length_cap": within, "top10_agree": agree, "typed": typed}


def fts5_rankings(
    documents: Sequence[CisiDocument], queries: Mapping[str, str], words: Callable[[str], list[str]] = query_words,
    depth: int = DEPTH,
) -> dict[str, Ranking]:
    """Rank with SQLite FTS5 (porter, bm25 with title weight 2) over the same documents and query words."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter')")
        connection.executemany(
            "INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", [(int(d.id), d.title, d.body) for d in documents]
        )
        out: dict[str, Ranking] = {}
        for key, text in queries.items():
            terms = words(text)
            rows = connection.execute(
                "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 2.0, 1.0), rowid LIMIT ?",
                (fts5_query(terms), depth),
            ) if terms else []
            out[key] = [str(row[0]) for row in rows]
        return out
    finally:
        connection.close()


# ---------------------------------------------------------------- tuning


@dataclass(frozen=True)
class Setting:
    """One grid point: BM25 parameters and the title boost (other fields keep their FIELD_BOOSTS)."""

    K1: float
    B: float
    title: float

    def describe(self) -> str:
        """Return the setting as people write it."""
        return f"K1={self.K1:g} B={self.B:g} title={self.title:g}"

    def boosts(self) -> dict[str, float]:
        """Return the field boosts of this setting."""
        return {**FIELD_BOOSTS, "title": self.title}

    def weighting(self) -> RobertsonBM25F:
        """Return the archive's weighting model with these parameters."""
        return RobertsonBM25F(B=self.B, K1=self.K1)


# Lucene's K1 and B with the title counted double: the archive's defaults before they were tuned here.
TEXTBOOK = Setting(K1=1.2, B=0.75, title=2.0)


def grid() -> list[Setting]:
    """Return the settings --tune tries."""
    return [Setting(k1, b, title) for k1, b, title in product(GRID_K1, GRID_B, GRID_TITLE_BOOST)]


def current_setting() -> Setting:
    """Return the archive's current defaults as a grid point."""
    model = ranking_model()
    return Setting(model.K1, model.B, FIELD_BOOSTS["title"])


def per_query_ndcg(
    ranker: WhooshRanker, qrels: Mapping[str, set[str]], settings: Sequence[Setting]
) -> dict[Setting, dict[str, float]]:
    """Return nDCG@10 of every query under every setting, re-ranking the same index without rebuilding.

    Each (K1, B) scores every query's title and body terms once; each title boost then re-weights them.
    """
    table: dict[Setting, dict[str, float]] = {setting: {} for setting in settings}
    groups: dict[tuple[float, float], list[Setting]] = {}
    for setting in settings:
        groups.setdefault((setting.K1, setting.B), []).append(setting)
    for group in groups.values():
        with ranker.index.searcher(weighting=group[0].weighting()) as searcher:
            for key in ranker.queries:
                scores = ranker.field_scores(searcher, key)
                for setting in group:
                    ranking = [ranker.ids[number] for number in combine(scores, setting.boosts(), CUTOFF)]
                    table[setting][key] = ndcg_at(ranking, qrels[key])
    return table


def best_setting(table: Mapping[Setting, Mapping[str, float]], queries: Sequence[str]) -> Setting:
    """Return the setting with the highest mean nDCG@10 over the queries; ties go to the earlier grid point."""
    order = list(table)
    return max(order, key=lambda s: (round(statistics.fmean(table[s][q] for q in queries), 12), -order.index(s)))


def cross_validate(
    table: Mapping[Setting, Mapping[str, float]], folds: Sequence[Sequence[str]],
    select: Callable[[Mapping[Setting, Mapping[str, float]], Sequence[str]], Setting] = best_setting,
) -> dict:
    """Pick a setting on all folds but one (by `select`) and score it on the held-out fold, for every fold."""
    held_out: dict[str, float] = {}
    rows = []
    for number, fold in enumerate(folds):
        training = [key for other, keys in enumerate(folds) if other != number for key in keys]
        best = select(table, training)
        rows.append({
            "setting": best.describe(),
            "train_ndcg@10": statistics.fmean(table[best][q] for q in training),
            "heldout_ndcg@10": statistics.fmean(table[best][q] for q in fold),
            "queries": len(fold),
        })
        held_out.update({q: table[best][q] for q in fold})
    return {
        "folds": rows,
        "heldout_ndcg@10": statistics.fmean(held_out.values()),  # each query scored once, by a setting not tuned on it
        "heldout_ndcg@10_mean_of_folds": statistics.fmean(row["heldout_ndcg@10"] for row in rows),
    }


def conventional(setting: Setting) -> bool:
    """Tell whether a setting lies in the range known to suit news as well (see CONVENTIONAL)."""
    return all(low <= getattr(setting, name) <= high for name, (low, high) in CONVENTIONAL.items())


def paired_test(a: Mapping[str, float], b: Mapping[str, float], rounds: int = 20000, seed: int = 0) -> dict:
    """Compare per-query scores: mean difference b - a, queries better and worse, two-sided sign-flip randomization p."""
    differences = [b[key] - a[key] for key in a]
    observed = abs(statistics.fmean(differences))
    generator = random.Random(seed)
    extreme = sum(
        abs(statistics.fmean(d if generator.random() < 0.5 else -d for d in differences)) >= observed - 1e-12
        for _ in range(rounds)
    )
    return {
        "mean_difference": statistics.fmean(differences),
        "better": sum(d > 1e-12 for d in differences),
        "worse": sum(d < -1e-12 for d in differences),
        "p_value": (extreme + 1) / (rounds + 1),
    }


def tune(ranker: WhooshRanker, qrels: Mapping[str, set[str]], folds: int, current: Setting) -> dict:
    """Grid-search with cross-validation, over the whole grid and over its conventional part.

    Each rule (best mean nDCG@10 over the whole grid, or over its conventional part) is cross-validated
    (chosen on the other folds, scored on the held-out one) and then applied to all queries. The
    conventional part's choice is the one for the defaults: CISI's paragraph-long queries and abstracts
    are not news. Those settings and the current defaults are ranked again directly through Whoosh for
    MAP and P@10, and compared query by query, also against moving the title boost alone.
    """
    settings = grid()
    settings += [extra for extra in (current, TEXTBOOK) if extra not in settings]
    table = per_query_ndcg(ranker, qrels, settings)
    keys = list(ranker.queries)
    split = folds_of(keys, folds)
    full = {setting: statistics.fmean(table[setting][q] for q in keys) for setting in settings}
    box = {setting: table[setting] for setting in settings if conventional(setting)}
    cv, direct = {}, {}
    for name, candidates in {"best_whole_grid": table, "best_conventional": box}.items():
        cv[name] = cross_validate(candidates, split)
        direct[name] = best_setting(candidates, keys)
    chosen = direct["best_conventional"]
    direct.update(current=current, textbook=TEXTBOOK)
    for name, setting in direct.items():
        rankings = ranker.rankings(setting.weighting(), boosts=setting.boosts())
        direct[name] = {"setting": setting.describe(), **evaluate(rankings, qrels, keys), "ndcg@10_from_grid": full[setting]}
    title_only = Setting(TEXTBOOK.K1, TEXTBOOK.B, chosen.title)
    if title_only not in table:
        table.update(per_query_ndcg(ranker, qrels, [title_only]))
    pairs = [(TEXTBOOK, current), (current, chosen), (TEXTBOOK, title_only), (title_only, chosen)]
    comparisons = {
        f"{one.describe()} -> {other.describe()}": paired_test(table[one], table[other])
        for one, other in dict.fromkeys(pairs) if one != other
    }

    def marginal(of: Callable[[Setting], float]) -> dict[str, float]:
        best_by_value: dict[float, float] = {}
        for setting, score in full.items():
            best_by_value[of(setting)] = max(best_by_value.get(of(setting), 0.0), score)
        return {f"{value:g}": score for value, score in sorted(best_by_value.items())}

    return {
        "grid": {"K1": list(GRID_K1), "B": list(GRID_B), "title": list(GRID_TITLE_BOOST), "settings": len(settings)},
        "conventional": {**{name: list(bounds) for name, bounds in CONVENTIONAL.items()}, "settings": len(box)},
        "fold_count": folds,
        "cross_validation": cv,
        "all_queries": direct,
        "chosen": chosen.describe(),
        "paired": comparisons,
        "full_data_top": [{"setting": s.describe(), "ndcg@10": full[s]} for s in sorted(settings, key=lambda s: -full[s])[:10]],
        "best_by_title_boost": marginal(lambda s: s.title),
        "best_by_K1": marginal(lambda s: s.K1),
        "best_by_B": marginal(lambda s: s.B),
        "table": {s.describe(): full[s] for s in settings},
    }


# ---------------------------------------------------------------- the whole run


def run(
    folder: Path = CISI, *, tuning: bool = False, folds: int = 5, baselines: bool = True, check: int | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict:
    """Index CISI through the archive, rank every judged query, and return every figure as a dict.

    check: how many queries to also send through `index.searching.search` (None: all; it is the slow part).
    """
    started = time.perf_counter()
    documents, queries, qrels = load_cisi(folder)
    keys = list(queries)
    figures: dict = {"documents": len(documents), "judged_queries": len(queries)}
    with tempfile.TemporaryDirectory() as temporary:
        location, summary = build_index(documents, Path(temporary))
        figures.update(indexed=summary.indexed, duplicates=summary.duplicates, skipped=len(summary.skipped))
        log(f"indexed {summary.indexed:,} of {len(documents):,} CISI documents through the archive in {summary.elapsed:.1f} s "
            f"({summary.duplicates} duplicate, {len(summary.skipped)} skipped)")
        index = location.open()
        try:
            ranker = WhooshRanker(index, queries)
            current = current_setting()
            rankings, check_report = archive_rankings(location, ranker, queries, check)
            typed = check_report.pop("typed")
            systems = {"archive": evaluate(rankings, qrels, keys)}
            if check is None:
                check_report["ndcg@10_as_typed"] = evaluate(typed, qrels, keys)["ndcg@10"]
            figures["archive_setting"] = current.describe()
            figures["search_check"] = check_report
            if baselines:
                systems["fts5"] = evaluate(fts5_rankings(documents, queries), qrels, keys)
                systems["fts5_distinct_words"] = evaluate(
                    fts5_rankings(documents, queries, lambda text: distinct_words(query_words(text))), qrels, keys
                )
                systems["whoosh_default"] = evaluate(ranker.rankings(BM25F()), qrels, keys)
            figures["systems"] = systems
            if tuning:
                log(f"tuning: {len(grid())} settings x {len(keys)} queries ...")
                figures["tuning"] = tune(ranker, qrels, folds, current)
        finally:
            index.close()
    figures["elapsed_s"] = round(time.perf_counter() - started, 1)
    return figures


# ---------------------------------------------------------------- command line

RULES = {
    "best_whole_grid": "whole grid, best mean",
    "best_conventional": "conventional part, best mean",
    "current": "current defaults (index/scoring.py)",
    "textbook": "textbook (Lucene K1/B, title x2)",
}
LABELS = {
    "archive": "archive: RobertsonBM25F, FIELD_BOOSTS",
    "fts5": "FTS5 porter, bm25(2.0, 1.0)",
    "fts5_distinct_words": "FTS5, distinct non-stop words only",
    "whoosh_default": "Whoosh BM25F() (its idf), same boosts",
}


def report(figures: Mapping) -> list[str]:
    """Return the human-readable lines for a run's figures."""
    lines = [f"{'ranking':<42} {'nDCG@10':>8} {'MAP':>7} {'P@10':>7}"]
    for name, row in figures["systems"].items():
        label = LABELS.get(name, name) + (f" ({figures['archive_setting']})" if name == "archive" else "")
        lines.append(f"{label:<42} {row['ndcg@10']:>8.4f} {row['map']:>7.4f} {row['p@10']:>7.4f}")
    check = figures["search_check"]
    lines.append(
        f"index.searching.search gave the same top 10 for {check['top10_agree']} of {check['within_length_cap']} queries "
        f"within its {MAX_QUERY_LENGTH}-character cap ({check['searched'] - check['within_length_cap']} longer ones were cut)"
        + (f"; nDCG@10 as typed there: {check['ndcg@10_as_typed']:.4f}" if "ndcg@10_as_typed" in check else "")
    )
    tuning = figures.get("tuning")
    if tuning:
        grid_text = ", ".join(f"{name} {values}" for name, values in tuning["grid"].items() if name != "settings")
        box_text = ", ".join(f"{name} {v[0]:g}-{v[1]:g}" for name, v in tuning["conventional"].items() if name != "settings")
        lines.append(f"\ngrid ({tuning['grid']['settings']} settings): {grid_text}")
        lines.append(f"conventional part ({tuning['conventional']['settings']} settings): {box_text}")
        for name, cv in tuning["cross_validation"].items():
            lines.append(f"{tuning['fold_count']}-fold cross-validation, {RULES[name]} (chosen on the other folds, scored on the held-out one):")
            for number, row in enumerate(cv["folds"], start=1):
                lines.append(f"  fold {number} ({row['queries']} queries): chose {row['setting']:<24} "
                             f"train {row['train_ndcg@10']:.4f}  held-out {row['heldout_ndcg@10']:.4f}")
            lines.append(f"  held-out nDCG@10: {cv['heldout_ndcg@10']:.4f} over all queries "
                         f"({cv['heldout_ndcg@10_mean_of_folds']:.4f} mean of folds)")
        lines.append("the rules applied to all queries (ranked again directly through Whoosh):")
        for name, row in tuning["all_queries"].items():
            lines.append(f"  {RULES[name] + ':':<44} {row['setting']:<24} nDCG@10 {row['ndcg@10']:.4f}  "
                         f"MAP {row['map']:.4f}  P@10 {row['p@10']:.4f}  (grid: {row['ndcg@10_from_grid']:.4f})")
        lines.append(f"chosen for the defaults (best of the conventional part on all queries): {tuning['chosen']}")
        for pair, versus in tuning["paired"].items():
            lines.append(f"  {pair}: per-query nDCG@10 {versus['mean_difference']:+.4f} on average, "
                         f"{versus['better']} better, {versus['worse']} worse, randomization p = {versus['p_value']:.3f}")
        lines.append("best settings on all queries: " + "; ".join(f"{r['setting']} {r['ndcg@10']:.4f}" for r in tuning["full_data_top"]))
        for name in ("best_by_title_boost", "best_by_K1", "best_by_B"):
            lines.append(f"{name} (others free): " + "  ".join(f"{value}: {score:.4f}" for value, score in tuning[name].items()))
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Evaluate, print a table, and end with one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cisi", type=Path, default=CISI, help="folder with CISI.ALL, CISI.QRY and CISI.REL")
    parser.add_argument("--tune", action="store_true", help="grid-search K1, B and the title boost with cross-validation")
    parser.add_argument("--folds", type=int, default=5, help="folds for --tune (default 5)")
    options = parser.parse_args(argv)
    figures = run(options.cisi, tuning=options.tune, folds=options.folds, log=print)
    print("\n".join(report(figures)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
