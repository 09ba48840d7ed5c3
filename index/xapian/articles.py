"""One article from the shards: its page with the query's words found, and similar articles."""

from __future__ import annotations

import math

import xapian

from index.analysis import analysis_family
from index.articles import SIMILAR_ARTICLES, ArticlePage, article_from_fields
from index.highlight import mark_text
from index.searching import hit_from_fields
from index.xapian.cluster import ClusterSnapshot
from index.deadline import Deadline
from index.xapian.documents import KEY_PREFIX, stored_fields
from index.xapian.querying import highlighted_terms
from index.xapian.searching import XapianRanking, ranked

# The words that stand out in an article (Bo1, as Whoosh's more_like weighs them) that make the query for similar ones.
SIMILAR_TERMS = 12


def article_page(snapshot: ClusterSnapshot, key: str, query: str = "", ranking: XapianRanking = XapianRanking()) -> ArticlePage | None:
    """Return the article with this key, its words matching the query found, or None."""
    with snapshot.lock:
        docid = next((posting.docid for posting in snapshot.database.postlist(KEY_PREFIX + key)), None)
        if docid is None:
            return None
        article = article_from_fields(stored_fields(snapshot.database.get_document(docid)))
        family = analysis_family(article.language)
        terms = highlighted_terms(snapshot.parser().parse(query), snapshot.words).get(family, frozenset()) if query else frozenset()
        return ArticlePage(
            article=article,
            key=key,
            marked_title=mark_text(article.title, terms, family),
            marked_paragraphs=tuple(mark_text(paragraph, terms, family) for paragraph in article.paragraphs),
            similar=_similar(snapshot, docid, ranking),
        )


def _similar(snapshot: ClusterSnapshot, docid: int, ranking: XapianRanking):
    """Return the articles ranked best for the words that stand out in this one.

    The words are chosen here from the article's own terms and the whole archive's frequencies (Xapian's
    expansion set over remote shards depends on how the archive is split), so every layout agrees.
    """
    database = snapshot.database
    documents = max(database.get_doccount(), 1)
    weights = {}
    for item in database.get_document(docid).termlist():
        term = item.term.decode("utf-8", "surrogatepass")
        if term[:1].isupper() or not term:  # filter terms, not words
            continue
        frequency = database.get_collection_freq(item.term) / documents
        weights[term] = item.wdf * math.log2((1 + frequency) / frequency) + math.log2(1 + frequency)
    words = sorted(weights, key=lambda term: (-weights[term], term))[:SIMILAR_TERMS]
    if not words:
        return ()
    query = xapian.Query(xapian.Query.OP_OR, [xapian.Query(word) for word in words])
    found = ranked(snapshot, query, 0, SIMILAR_ARTICLES + 1, "relevance", ranking, Deadline(float("inf")))
    return tuple(hit_from_fields(fields, score) for number, score, fields in found if number != docid)[:SIMILAR_ARTICLES]
