"""One article from the shards: its page with the query's words found, and similar articles."""

from __future__ import annotations

import xapian

from index.articles import SIMILAR_ARTICLES, ArticlePage, article_from_fields
from index.highlight import mark_text
from index.searching import hit_from_fields
from index.xapian.cluster import ClusterSnapshot
from index.xapian.documents import KEY_PREFIX, SEQUENCE_SLOT, stored_fields
from index.xapian.querying import highlighted_terms
from index.xapian.searching import XapianRanking

# The words of an article that stand out (Xapian's expansion set) that make the query for similar ones.
SIMILAR_TERMS = 12


class _Words(xapian.ExpandDecider):
    """Keeps the words of the text (filter terms, which start with a capital letter, are left out)."""

    def __call__(self, term: bytes) -> bool:
        return not term[:1].isupper()


def article_page(snapshot: ClusterSnapshot, key: str, query: str = "", ranking: XapianRanking = XapianRanking()) -> ArticlePage | None:
    """Return the article with this key, its words matching the query found, or None."""
    with snapshot.lock:
        docid = next((posting.docid for posting in snapshot.database.postlist(KEY_PREFIX + key)), None)
        if docid is None:
            return None
        article = article_from_fields(stored_fields(snapshot.database.get_document(docid)))
        terms = highlighted_terms(snapshot.parser().parse(query), snapshot.words) if query else frozenset()
        return ArticlePage(
            article=article,
            key=key,
            marked_title=mark_text(article.title, terms),
            marked_paragraphs=tuple(mark_text(paragraph, terms) for paragraph in article.paragraphs),
            similar=_similar(snapshot, docid, ranking),
        )


def _similar(snapshot: ClusterSnapshot, docid: int, ranking: XapianRanking):
    """Return the articles ranked best for the words that stand out in this one (Xapian's relevance feedback)."""
    enquire = xapian.Enquire(snapshot.database)
    relevant = xapian.RSet()
    relevant.add_document(docid)
    expansion = enquire.get_eset(SIMILAR_TERMS, relevant, _Words())
    words = [xapian.Query(item.term) for item in expansion]
    if not words:
        return ()
    enquire.set_query(xapian.Query(xapian.Query.OP_OR, words))
    enquire.set_weighting_scheme(ranking.weight())
    enquire.set_sort_by_relevance_then_value(SEQUENCE_SLOT, False)
    found = enquire.get_mset(0, SIMILAR_ARTICLES + 1)
    found.fetch()
    return tuple(hit_from_fields(stored_fields(item.document), item.weight) for item in found if item.docid != docid)[:SIMILAR_ARTICLES]
