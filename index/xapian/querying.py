"""The query language on Xapian: the clauses index.querying reads (Whoosh query objects) turned into Xapian queries.

Title and body share one term space here, so a word looked for "in the title or the body" is one
Xapian term, and a group of words split from one typed chunk ("U.S.") is matched anywhere in the
article rather than within one field.
"""

from __future__ import annotations

import fnmatch
import re

import xapian
from whoosh import query as wq

from index.matching import clause_terms
from index.querying import Clause, ParsedQuery
from index.schema import SEARCH_FIELDS
from index.xapian.documents import filter_term

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
        return xapian.Query(query.text) if query.fieldname in SEARCH_FIELDS else xapian.Query.MatchNothing
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
        words = [xapian.Query(word) for word in query.words]
        if len(words) == 1:
            return words[0]
        return xapian.Query(xapian.Query.OP_PHRASE, words, len(words) + max(query.slop, 1) - 1)
    if isinstance(query, wq.Prefix):
        return xapian.Query(xapian.Query.OP_WILDCARD, query.text)
    if isinstance(query, wq.Wildcard):
        return _combine(xapian.Query.OP_SYNONYM, [xapian.Query(term) for term in expand_wildcard(query.text, terms)])
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


def highlighted_terms(parsed: ParsedQuery, terms) -> frozenset[str]:
    """Return the analyzed words a query looks for in the text (not the ones it excludes), wildcards expanded."""
    found: set[str] = set()
    for clause in parsed.wanted:
        for leaf in clause_terms(clause):
            if isinstance(leaf, wq.Phrase):
                found.update(leaf.words)
            elif isinstance(leaf, wq.Prefix):
                found.update(leaf.text + rest for rest in terms(leaf.text))
            elif isinstance(leaf, wq.Wildcard):
                found.update(expand_wildcard(leaf.text, terms))
            elif isinstance(leaf, wq.Term) and leaf.fieldname in SEARCH_FIELDS:
                found.add(leaf.text)
    return frozenset(found)


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
