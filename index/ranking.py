"""Ranking: BM25F over title and body, documents holding more of the typed words first.

BM25F as in Robertson, Zaragoza and Taylor, "Simple BM25 extension to multiple weighted fields" (2004):
one idf per term over whole articles; each field's term frequency normalised by that field's length
and weighted; the weighted frequencies added, then saturated once. Summing a BM25 per field instead
gives a common word that is rare among titles the weight of a rare word whenever it stands in a title.

A term belongs to an analysis family (the English "peac", the French "journal"), but a typed word's
rarity is one for all its families (the articles holding any of its analyses: "três" as the Portuguese
"tres" and the Spanish "tres", over the whole archive) and each field's lengths are normalised by one
average over every article, as when one field held every language. Counting idf within each family (as
Lucene counts per field) made a word of a small family common: a French word in one of two French
articles ranked it below English articles with the same word; counting each family's holders over the
whole archive made it rare: the one Spanish article with "tres" outranked the Portuguese ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from index.engine.postings import candidate_positions
from index.matching import clause_terms
from index.querying import Clause
from index.analysis import analysis_family
from index.schema import SEARCH_PARTS, field_family, is_search_field, search_field, search_fields
from index.snapshot import NO_DATE, Snapshot

TIER_RULES = ("strict", "all-first")
# Documents ranked again by how close the query's words stand: the first this many by BM25F.
PROXIMITY_DEPTH = 100
# Feedback weighs the rarity of this many times `feedback_terms` of the words most present in the first results.
FEEDBACK_CANDIDATES = 5


@dataclass(frozen=True)
class RankingSettings:
    """The parameters of the ranking, chosen by cross-validation (python -m tests.benchmarks.ranking --tune)."""

    k1: float = 2.0
    title_b: float = 0.75
    body_b: float = 0.75
    title_weight: float = 1.5
    body_weight: float = 1.0
    # "strict": fewer missing words always rank first; "all-first": documents with every word first, then by score.
    tiers: str = "all-first"
    # How much the query's words standing close together count (0: not at all), and within how many words.
    proximity: float = 0.5
    proximity_window: int = 5
    # Pseudo-relevance feedback for questions of at least `feedback_min_words` words: the words that stand out in
    # the first `feedback_documents` results add to every result's score, up to `feedback_weight` each (0: off).
    feedback_weight: float = 0.7
    feedback_documents: int = 5
    feedback_terms: int = 20
    feedback_min_words: int = 5

    def b(self, fieldname: str) -> float:
        """Return how strongly a field's term frequencies are normalised by its length (0 to 1)."""
        return getattr(self, f"{fieldname}_b")

    def weight(self, fieldname: str) -> float:
        """Return how much a word in a field counts, against one in the body."""
        return getattr(self, f"{fieldname}_weight")


def bm25f_scores(snapshot: Snapshot, clauses: Sequence[Clause], masks: Sequence[np.ndarray], settings: RankingSettings) -> np.ndarray:
    """Return every document's BM25F score for the clauses, each clause counting only where it matches."""
    scores = np.zeros(snapshot.size, dtype=np.float64)
    for clause, mask in zip(clauses, masks):
        texts: dict[tuple[str, str], float] = {}
        wildcard = 0.0
        for leaf in clause_terms(clause):
            if not is_search_field(leaf.fieldname):
                continue  # a language's articles held by a word it drops as a stop word: nothing to score
            family = field_family(leaf.fieldname)
            if isinstance(leaf, wq.Term):
                texts[family, leaf.text] = max(texts.get((family, leaf.text), 0.0), leaf.boost)
            elif isinstance(leaf, wq.Phrase):
                texts.update(((family, word), max(texts.get((family, word), 0.0), leaf.boost)) for word in leaf.words)
            else:
                wildcard = max(wildcard, leaf.boost)
        if wildcard:
            # A wildcard counts as one rare-or-common word, whatever it expands to (as Lucene's constant-score
            # rewrite): reading every expansion's postings again would cost more than the matching did.
            scores[mask] += wildcard * _idf(snapshot.live_count(), int(np.count_nonzero(mask & snapshot.live())))
        holding = word_holdings(snapshot, [clause], settings)
        for (family, text), weight in texts.items():
            documents, saturated = _cached_term_scores(snapshot, family, text, settings)
            contributions = _idf(snapshot.live_count(), holding[family, text]) * saturated
            if not isinstance(clause.query, wq.Or) or not all(isinstance(sub, wq.Term) for sub in clause.query.subqueries):
                counted = mask[documents]  # a phrase or group counts its words only where it matches
                documents, contributions = documents[counted], contributions[counted]
            scores[documents] += weight * contributions
    return scores


def word_holdings(snapshot: Snapshot, clauses: Sequence[Clause], settings: RankingSettings) -> dict[tuple[str, str], int]:
    """Return how many live articles hold each (family, word) of the clauses, a typed word's analyses in every family counted as one."""
    holding: dict[tuple[str, str], int] = {}
    live = snapshot.live()
    for clause in clauses:
        for group in same_word_groups(clause):
            found = [_cached_term_scores(snapshot, family, word, settings)[0] for family, word in group]
            documents = found[0] if len(found) == 1 else np.unique(np.concatenate(found))
            holding.update(dict.fromkeys(group, int(np.count_nonzero(live[documents]))))
    return holding


def same_word_groups(clause: Clause) -> list[tuple[tuple[str, str], ...]]:
    """Return the clause's words grouped as the same typed word analysed by each family ("journaux" and "journal").

    The n-th word of each family's analysis stands for the n-th typed word; when the families read the
    clause as different numbers of words (a stop word dropped by one language), each word stands alone.
    """
    words: dict[str, dict[str, None]] = {}
    for leaf in clause_terms(clause):
        if is_search_field(leaf.fieldname):
            found = [leaf.text] if isinstance(leaf, wq.Term) else list(leaf.words) if isinstance(leaf, wq.Phrase) else []
            words.setdefault(field_family(leaf.fieldname), {}).update(dict.fromkeys(found))
    lists = {family: list(found) for family, found in words.items()}
    if len({len(found) for found in lists.values()}) == 1:
        return [tuple((family, found[n]) for family, found in lists.items()) for n in range(len(next(iter(lists.values()))))]
    return [((family, word),) for family, found in lists.items() for word in found]


def _cached_term_scores(snapshot: Snapshot, family: str, text: str, settings: RankingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Return _term_scores through the snapshot's cache."""
    return snapshot.term_scores.get_or_make((family, text, settings), lambda: _term_scores(snapshot, family, text, settings))


def _term_scores(snapshot: Snapshot, family: str, text: str, settings: RankingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Return the documents holding a term of an analysis family (in any of its fields) and its saturated BM25F frequency in each (before idf)."""
    documents, frequency = np.empty(0, np.intp), np.empty(0, np.float64)
    for part, fieldname in zip(SEARCH_PARTS, search_fields((family,))):
        found = snapshot.postings(fieldname, text)
        if len(found.documents):
            b = settings.b(part)
            lengths = snapshot.field_lengths(fieldname)[found.documents]
            normalised = found.frequencies / ((1 - b) + b * lengths / snapshot.average_length(fieldname))
            documents, frequency = _add_sparse(documents, frequency, found.documents, settings.weight(part) * normalised)
    return documents, frequency * (settings.k1 + 1) / (settings.k1 + frequency)


def _add_sparse(documents: np.ndarray, values: np.ndarray, more: np.ndarray, more_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Add two sparse vectors given as sorted, distinct document numbers and their values (the result is not sorted)."""
    if not len(documents):
        return more, more_values.astype(np.float64)
    position = np.minimum(np.searchsorted(documents, more), len(documents) - 1)
    shared = documents[position] == more
    values = values.copy()
    values[position[shared]] += more_values[shared]
    return np.concatenate([documents, more[~shared]]), np.concatenate([values, more_values[~shared]])


def clause_words(clauses: Sequence[Clause]) -> dict[tuple[str, str], float]:
    """Return the distinct analyzed words of the clauses (wildcards aside) as (family, word), each with its query weight."""
    words: dict[tuple[str, str], float] = {}
    for clause in clauses:
        for leaf in clause_terms(clause):
            if not is_search_field(leaf.fieldname):
                continue
            found = [leaf.text] if isinstance(leaf, wq.Term) else list(leaf.words) if isinstance(leaf, wq.Phrase) else []
            for word in found:
                key = (field_family(leaf.fieldname), word)
                words[key] = max(words.get(key, 0.0), leaf.boost)
    return words


def proximity_scores(
    snapshot: Snapshot, words: dict[tuple[str, str], float], holding: dict[tuple[str, str], int], documents: Sequence[int], settings: RankingSettings
) -> dict[int, float]:
    """Return, for each document, how much the query's words stand close together (BM25TP's term-pair weight).

    Every two different query words at most `proximity_window` positions apart in a field add 1/distance²;
    the sum is saturated like a term frequency and weighted by the rarer word's idf (Rasolofo and Savoy, 2003).
    Words are (family, word) pairs: a document holds only its own family's words.
    """
    if len(words) < 2 or not len(documents):
        return {}
    ordered = sorted(documents)
    idf = {key: _idf(snapshot.live_count(), holding[key]) for key in words}
    pairs: dict[int, dict[tuple[tuple[str, str], tuple[str, str]], float]] = {docnum: {} for docnum in ordered}
    for family in dict.fromkeys(family for family, _ in words):
        for fieldname in search_fields((family,)):
            found = {key: candidate_positions(snapshot.reader, fieldname, key[1], ordered) for key in words if key[0] == family}
            for docnum in ordered:
                occurrences = sorted((position, key) for key, where in found.items() for position in where.get(docnum, ()))
                _add_pairs(pairs[docnum], occurrences, settings.proximity_window)
    k1 = settings.k1
    return {
        docnum: sum(min(idf[a], idf[b]) * weight * (k1 + 1) / (k1 + weight) for (a, b), weight in found.items())
        for docnum, found in pairs.items()
        if found
    }


def _add_pairs(pairs: dict[tuple, float], occurrences: list[tuple[int, tuple[str, str]]], window: int) -> None:
    """Add 1/distance² for every two different words at most `window` positions apart."""
    for first, (position, word) in enumerate(occurrences):
        for later, other in occurrences[first + 1 :]:
            distance = later - position
            if distance > window:
                break
            if other != word:
                key = (word, other) if word < other else (other, word)
                pairs[key] = pairs.get(key, 0.0) + 1.0 / (distance * distance)


def feedback_scores(snapshot: Snapshot, clauses: Sequence[Clause], first: Sequence[tuple[int, float]], settings: RankingSettings) -> np.ndarray:
    """Return every document's score for the words that stand out in the first results (Rocchio's feedback, tf-idf).

    Each first result's words are weighed by their share of its text times their idf; the best
    `feedback_terms` add their BM25F contributions, scaled so the best word counts `feedback_weight`.
    """
    typed = set(clause_words(clauses))
    top = max((score for _, score in first), default=1.0) or 1.0
    shares: dict[tuple[str, str], float] = {}
    for docnum, score in first:
        fields = snapshot.searcher.stored_fields(docnum)
        family = analysis_family(fields.get("language", ""))
        analyzer = snapshot.schema[search_field("body", family)].analyzer
        terms = [term for term, _ in analyzer.index_terms(f"{fields.get('title', '')}\n{fields.get('body', '')}")]
        for term, count in Counter(terms).items():
            if (family, term) not in typed and len(term) > 2 and not term.isdigit():
                shares[family, term] = shares.get((family, term), 0.0) + score / top * count / len(terms)
    # Only the words most present are weighed by their rarity: looking up every word's frequency cost more than the rest.
    frequent = sorted(shares, key=lambda key: (-shares[key], key))[: FEEDBACK_CANDIDATES * settings.feedback_terms]
    documents = snapshot.live_count()
    weights: dict[tuple[str, str], float] = {}
    for family, term in frequent:
        # The larger field frequency stands in for the article's: it is read without the postings.
        holding = max(1, *(snapshot.reader.doc_frequency(fieldname, term) for fieldname in search_fields((family,))))
        weights[family, term] = shares[family, term] * _idf(documents, holding)
    scores = np.zeros(snapshot.size, dtype=np.float64)
    # First results that scored nothing (held only by a stop word of their language) lend no words.
    best = sorted((item for item in weights.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))[: settings.feedback_terms]
    for (family, term), weight in best:
        found, saturated = _cached_term_scores(snapshot, family, term, settings)
        idf = _idf(documents, int(np.count_nonzero(snapshot.live()[found])))
        scores[found] += settings.feedback_weight * weight / best[0][1] * idf * saturated
    return scores


def _idf(documents: int, holding: int) -> float:
    """Return Robertson–Spärck Jones' idf, log(1 + (N - n + 0.5) / (n + 0.5)), as Lucene computes it."""
    return float(np.log(1 + (documents - holding + 0.5) / (holding + 0.5)))


def top_ranked(
    snapshot: Snapshot,
    clauses: Sequence[Clause],
    candidates: np.ndarray,
    scores: np.ndarray,
    missing: np.ndarray,
    settings: RankingSettings,
    limit: int,
    closeness: dict[int, float] | None = None,
) -> list[tuple[int, float]]:
    """Return the best (docnum, score) pairs among the candidates (a mask): fewer missing words first, by the tier rule.

    With a proximity weight, the first PROXIMITY_DEPTH by BM25F are ranked again with their words' closeness
    added; `closeness` keeps each document's closeness for the next call with the same query.
    """
    documents = np.flatnonzero(candidates)
    tiers = (missing[documents] if settings.tiers == "strict" else (missing[documents] > 0)).astype(np.float64)
    order = _first(max(limit, PROXIMITY_DEPTH) if settings.proximity else limit, tiers, -scores[documents], documents)
    ranked_scores = scores[documents[order]]
    if settings.proximity and len(order) > 1:
        head = order[:PROXIMITY_DEPTH]
        closeness = {} if closeness is None else closeness
        unseen = [docnum for docnum in documents[head].tolist() if docnum not in closeness]
        closeness.update(dict.fromkeys(unseen, 0.0))
        closeness.update(proximity_scores(snapshot, clause_words(clauses), word_holdings(snapshot, clauses, settings), unseen, settings))
        boosted = ranked_scores[: len(head)] + settings.proximity * np.array([closeness[int(docnum)] for docnum in documents[head]])
        again = np.lexsort((documents[head], -boosted, tiers[head]))
        order = np.concatenate([head[again], order[len(head) :]])
        ranked_scores = np.concatenate([boosted[again], ranked_scores[len(head) :]])
    return [(int(documents[i]), float(score)) for i, score in zip(order[:limit], ranked_scores[:limit])]


def newest_first(snapshot: Snapshot, candidates: np.ndarray, missing: np.ndarray, limit: int, newest: bool) -> list[tuple[int, float]]:
    """Return the first candidates by publication date, as (docnum, 0.0) pairs: those with every word, then the others.

    Within each, undated articles come last.
    """
    documents = np.flatnonzero(candidates)
    published = snapshot.published()[documents]
    order_of_date = (missing[documents] > 0) * 2 + (published == NO_DATE)
    moment = published.astype(np.float64)
    order = _first(limit, order_of_date.astype(np.float64), -moment if newest else moment, documents)
    return [(int(documents[i]), 0.0) for i in order]


def _first(limit: int, *keys: np.ndarray) -> np.ndarray:
    """Return the positions of the `limit` smallest rows by the keys (the first key first), in order."""
    if not len(keys[-1]):
        return np.empty(0, dtype=np.int64)
    if limit < len(keys[-1]):
        # Only the rows that can be in the first `limit` by the first two keys are sorted in full.
        primary = keys[0] * (np.abs(keys[1]).max() * 2 + 1) + keys[1]
        kept = np.argpartition(primary, limit - 1)[:limit]
        cutoff = primary[kept].max()
        kept = np.flatnonzero(primary <= cutoff)
    else:
        kept = np.arange(len(keys[-1]))
    order = np.lexsort(tuple(key[kept] for key in reversed(keys)))
    return kept[order][:limit]
