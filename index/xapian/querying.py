"""The query language on Xapian: the clauses index.querying reads (Whoosh query objects) turned into Xapian queries.

Title and body share one term space per analysis family here, so a word looked for "in the title or
the body" of English articles is one Xapian term, and a group of words split from one typed chunk
("U.S.") is matched anywhere in the article rather than within one field.
"""

from __future__ import annotations

import fnmatch
import re

import xapian
from whoosh import query as wq

from index.matching import clause_terms
from index.querying import Clause, ParsedQuery
from index.schema import ANALYSIS_FIELD, field_family, is_search_field
from index.xapian.documents import ANALYSIS_PREFIX, filter_term, word_term

def clause_query(clause: Clause, terms) -> xapian.Query:
    """Return the Xapian query of one clause; `terms(prefix)` lists the words starting with a prefix, without it (for wildcards)."""
    return to_xapian(clause.query, terms)


def to_xapian(query: wq.Query, terms) -> xapian.Query:
    """Translate a Whoosh query over title and body into a Xapian query over the shared term space."""
    boost = getattr(query, "boost", 1.0)
    translated = _translate(query, terms)
    return xapian.Query(xapian.Query.OP_SCALE_WEIGHT, translated, boost) if boost != 1.0 else translated


def _translate(query: wq.Query, terms) -> xapian.Query:
    """Translate one node, without its boost."""
    if isinstance(query, wq.Term):
        if is_search_field(query.fieldname):
            return xapian.Query(word_term(field_family(query.fieldname), query.text))
        if query.fieldname == ANALYSIS_FIELD:  # every article of a family (which drops the word as a stop word)
            return xapian.Query(ANALYSIS_PREFIX + query.text)
        return xapian.Query.MatchNothing
    if isinstance(query, (wq.And, wq.Or)):
        operator = xapian.Query.OP_AND if isinstance(query, wq.And) else xapian.Query.OP_OR
        return _combine(operator, [to_xapian(sub, terms) for sub in query.subqueries])
    if isinstance(query, wq.AndNot):
        return xapian.Query(xapian.Query.OP_AND_NOT, to_xapian(query.a, terms), to_xapian(query.b, terms))
    if isinstance(query, wq.AndMaybe):
        return xapian.Query(xapian.Query.OP_AND_MAYBE, to_xapian(query.a, terms), to_xapian(query.b, terms))
    if isinstance(query, wq.Not):
        return xapian.Query(xapian.Query.OP_AND_NOT, xapian.Query.MatchAll, to_xapian(query.query, terms))
    if isinstance(query, wq.Phrase):
        family = field_family(query.fieldname)
        words = [xapian.Query(word_term(family, word)) for word in query.words]
        if len(words) == 1:
            return words[0]
        return xapian.Query(xapian.Query.OP_PHRASE, words, len(words) + max(query.slop, 1) - 1)
    if isinstance(query, wq.Prefix):
        return xapian.Query(xapian.Query.OP_WILDCARD, word_term(field_family(query.fieldname), query.text))
    if isinstance(query, wq.Wildcard):
        family = field_family(query.fieldname)
        expanded = expand_wildcard(query.text, _in_family(family, terms))
        return _combine(xapian.Query.OP_SYNONYM, [xapian.Query(word_term(family, word)) for word in expanded])
    if query is wq.NullQuery:
        return xapian.Query.MatchNothing
    if not query.is_leaf():
        return _combine(xapian.Query.OP_OR, [to_xapian(sub, terms) for sub in query.children()])
    return xapian.Query.MatchNothing


def _combine(operator: int, queries: list[xapian.Query]) -> xapian.Query:
    """Combine queries, each distinct one once (the title and body forms of a word are one query here)."""
    distinct = list({str(query): query for query in queries}.values())
    if not distinct:
        return xapian.Query.MatchNothing
    if len(distinct) == 1:
        return distinct[0]
    return xapian.Query(operator, distinct)


def expand_wildcard(pattern: str, terms) -> list[str]:
    """Return the words matching a pattern with * and ? (its literal start read from the index, the rest matched here)."""
    start = re.split(r"[*?]", pattern, maxsplit=1)[0]
    matcher = re.compile(fnmatch.translate(pattern))
    return [start + rest for rest in terms(start) if matcher.match(start + rest)]


def _in_family(family: str, terms):
    """Return `terms` for the words of one analysis family (a prefix of its words, the words without it)."""
    return lambda prefix: terms(word_term(family, prefix))


def highlighted_terms(parsed: ParsedQuery, terms) -> dict[str, frozenset[str]]:
    """Return the analyzed words a query looks for in the text (not the ones it excludes), wildcards expanded, by family."""
    found: dict[str, set[str]] = {}
    for clause in parsed.wanted:
        for leaf in clause_terms(clause):
            if not is_search_field(getattr(leaf, "fieldname", "")):
                continue
            family = field_family(leaf.fieldname)
            words = found.setdefault(family, set())
            if isinstance(leaf, wq.Phrase):
                words.update(leaf.words)
            elif isinstance(leaf, wq.Prefix):
                words.update(leaf.text + rest for rest in _in_family(family, terms)(leaf.text))
            elif isinstance(leaf, wq.Wildcard):
                words.update(expand_wildcard(leaf.text, _in_family(family, terms)))
            elif isinstance(leaf, wq.Term):
                words.add(leaf.text)
    return {family: frozenset(words) for family, words in found.items()}


def all_of(queries: list[xapian.Query]) -> xapian.Query:
    """Return the query matching every one of the queries (everything when there are none)."""
    if not queries:
        return xapian.Query.MatchAll
    return queries[0] if len(queries) == 1 else xapian.Query(xapian.Query.OP_AND, queries)


def any_of(queries: list[xapian.Query]) -> xapian.Query:
    """Return the query matching any of the queries (nothing when there are none)."""
    if not queries:
        return xapian.Query.MatchNothing
    return queries[0] if len(queries) == 1 else xapian.Query(xapian.Query.OP_OR, queries)


def values_filter(field: str, values: tuple[str, ...]) -> xapian.Query:
    """Return the boolean query of documents holding any of a field's values (OR within a facet)."""
    return any_of([xapian.Query(filter_term(field, value)) for value in values])
