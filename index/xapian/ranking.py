"""What the Whoosh backend's ranking adds to BM25, done on Xapian: pseudo-relevance feedback for questions.

The words that stand out in the first results are chosen as index/ranking.py chooses them (their share
of each result's text, weighed by the result's score, times their rarity over the whole archive, each
word in its language's analysis), and join the ranking as optional words: they add to the score of
results that hold them, never to the matches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import xapian

from index.analysis import analysis_family
from index.querying import Clause
from index.ranking import FEEDBACK_CANDIDATES, RankingSettings, _idf, clause_words
from index.xapian.cluster import ClusterSnapshot
from index.xapian.documents import word_term


def feedback_query(
    snapshot: ClusterSnapshot, clauses: Sequence[Clause], first: Sequence[tuple[float, dict]], settings: RankingSettings
) -> xapian.Query | None:
    """Return the words standing out in the first results ((score, stored fields) each), weighted, or None when there are none."""
    typed = set(clause_words(clauses))
    top = max((score for score, _ in first), default=1.0) or 1.0
    shares: dict[tuple[str, str], float] = {}
    for score, fields in first:
        family = analysis_family(fields.get("language", ""))
        analyzer = snapshot.parser().analyzers[family]  # the parser's families are those the archive holds
        terms = [term for term, _ in analyzer.index_terms(f"{fields.get('title', '')}\n{fields.get('body', '')}")]
        for term, count in Counter(terms).items():
            if (family, term) not in typed and len(term) > 2 and not term.isdigit():
                shares[family, term] = shares.get((family, term), 0.0) + score / top * count / len(terms)
    frequent = sorted(shares, key=lambda key: (-shares[key], key))[: FEEDBACK_CANDIDATES * settings.feedback_terms]
    # Title and body share one term space per family here, so a term's frequency is the number of articles holding it.
    weights = {key: shares[key] * _idf(snapshot.size, max(1, snapshot.database.get_termfreq(word_term(*key)))) for key in frequent}
    # First results that scored nothing (held only by a stop word of their language) lend no words.
    best = sorted((item for item in weights.items() if item[1] > 0), key=lambda item: (-item[1], item[0]))[: settings.feedback_terms]
    if not best:
        return None
    scaled = [
        xapian.Query(xapian.Query.OP_SCALE_WEIGHT, xapian.Query(word_term(*key)), settings.feedback_weight * weight / best[0][1])
        for key, weight in best
    ]
    return xapian.Query(xapian.Query.OP_OR, scaled)
