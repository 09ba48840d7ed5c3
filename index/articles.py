"""Reading one article from the index: its page with the query's words found, similar articles, word completions."""

from __future__ import annotations

from dataclasses import dataclass

from archive.model import Article
from index.analysis import analysis_family
from index.highlight import Marked, mark_text, query_terms
from index.schema import search_field, split_values
from index.searching import Hit, aware, hit_from_fields
from index.snapshot import Snapshot

SIMILAR_ARTICLES = 5


@dataclass(frozen=True)
class ArticlePage:
    """An article as its page shows it: title and paragraphs with the query's words found, and similar articles."""

    article: Article
    key: str
    marked_title: Marked
    marked_paragraphs: tuple[Marked, ...]
    similar: tuple[Hit, ...]


def article_page(snapshot: Snapshot, key: str, query: str = "") -> ArticlePage | None:
    """Return the article with this key, its words matching the query found, or None."""
    with snapshot.lock:
        searcher = snapshot.searcher
        docnum = searcher.document_number(key=key)
        if docnum is None:
            return None
        fields = searcher.stored_fields(docnum)
        article = article_from_fields(fields)
        family = analysis_family(article.language)
        terms = query_terms(snapshot.parser().parse(query), snapshot.reader).get(family, frozenset()) if query else frozenset()
        # Similar articles are those of the same language holding the article's most telling words.
        similar = searcher.more_like(docnum, search_field("body", family), text=article.body, top=SIMILAR_ARTICLES + 1, numterms=12)
        return ArticlePage(
            article=article,
            key=key,
            marked_title=mark_text(article.title, terms, family),
            marked_paragraphs=tuple(mark_text(paragraph, terms, family) for paragraph in article.paragraphs),
            similar=tuple(hit_from_fields(hit.fields(), hit.score) for hit in similar if hit.docnum != docnum)[:SIMILAR_ARTICLES],
        )


def article_from_fields(fields: dict) -> Article:
    """Rebuild an Article from the fields stored in the index."""
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        category=fields.get("category", ""),
        category_origin=fields.get("category_origin"),
        category_confidence=fields.get("category_confidence"),
        published=aware(fields.get("published")),
        authors=split_values(fields.get("authors", "")),
        source=fields.get("source", ""),
        url=fields.get("url", ""),
        language=fields.get("language", ""),
        tags=split_values(fields.get("tags", "")),
        summary=fields.get("summary", ""),
        path=fields.get("path", ""),
        content_hash=fields.get("content_hash", ""),
        captured=aware(fields.get("captured")),
    )


def complete_word(snapshot: Snapshot, prefix: str, limit: int = 8) -> list[str]:
    """Return the archive's most frequent words starting with prefix."""
    prefix = prefix.strip().lower()
    return snapshot.vocabulary().complete(prefix, limit) if len(prefix) >= 2 else []
