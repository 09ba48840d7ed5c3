"""Ranking: BM25F with the standard Robertson idf."""

from __future__ import annotations

from math import log

from whoosh.scoring import BM25F

# A word in the title says more about what an article is about than the same word in the body. Title and
# body are scored separately and added, so a title match already counts on top of the body; 1.5 rather than
# 2.0 was chosen by cross-validation on CISI (python -m tests.benchmarks.ranking --tune).
FIELD_BOOSTS = {"title": 1.5, "body": 1.0}


class RobertsonBM25F(BM25F):
    """BM25F whose idf is Robertson–Spärck Jones' (as in Lucene), not Whoosh's log(N/(n+1))+1."""

    def idf(self, searcher, fieldname, text):
        """Return log(1 + (N - n + 0.5) / (n + 0.5)) over the whole index."""
        parent = searcher.get_parent()
        documents = parent.doc_count_all()
        frequency = parent.doc_frequency(fieldname, text)
        return log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def ranking_model() -> RobertsonBM25F:
    """Return the weighting model the archive ranks with (K1 and B cross-validated on CISI, kept in the usual range)."""
    return RobertsonBM25F(B=0.9, K1=1.5)
