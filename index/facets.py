"""Facet counts: each facet counted over the matches filtered by every other facet's selection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archive.categories import category_label, normalize_category
from index.schema import FACET_FIELDS
from index.snapshot import Snapshot

FACET_LABELS = {"category": "Category", "source": "Source", "authors": "Author", "year": "Year", "tags": "Tag"}
# Years read best in time order (a histogram); other facets by how many articles they hold.
CHRONOLOGICAL_FACETS = frozenset({"year"})


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with its exact count among the matches."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    """A facet field with its values, most frequent (or newest year) first."""

    name: str
    label: str
    values: tuple[FacetValue, ...]
    more: int  # values with matches that were left out to keep the list short


def resolve_values(snapshot: Snapshot, fieldname: str, typed: tuple[str, ...]) -> tuple[str, ...]:
    """Map values as the user typed them to the values stored in the index, ignoring case."""
    if fieldname == "category":
        return tuple(dict.fromkeys(normalize_category(value) for value in typed))
    stored = {value.casefold(): value for value in snapshot.value_documents(fieldname)}
    return tuple(dict.fromkeys(stored.get(value.casefold(), value) for value in typed))


def selection_documents(snapshot: Snapshot, fieldname: str, values: tuple[str, ...]) -> frozenset[int]:
    """Return the documents having any of the values (OR within a facet)."""
    table = snapshot.value_documents(fieldname)
    return frozenset().union(*(table.get(value, frozenset()) for value in values))


def count_facets(
    snapshot: Snapshot,
    matches: frozenset[int],
    selections: Mapping[str, frozenset[int]],
    selected_values: Mapping[str, tuple[str, ...]],
    limit: int,
) -> tuple[Facet, ...]:
    """Count every facet over the matches narrowed by all selections except the facet's own."""
    facets = []
    for fieldname in FACET_FIELDS:
        base = matches
        for other, documents in selections.items():
            if other != fieldname:
                base = base & documents
        facets.append(_count_one(snapshot, fieldname, base, selected_values.get(fieldname, ()), limit))
    return tuple(facets)


def _count_one(snapshot: Snapshot, fieldname: str, base: frozenset[int], selected: tuple[str, ...], limit: int) -> Facet:
    """Count one facet's values over a set of documents."""
    counts = {}
    for value, documents in snapshot.value_documents(fieldname).items():
        count = len(base & documents)
        if count or value in selected:
            counts[value] = count
    for value in selected:
        counts.setdefault(value, 0)  # a selected value stays visible even when nothing matches it
    if fieldname in CHRONOLOGICAL_FACETS:
        ordered = sorted(counts, reverse=True)
    else:
        ordered = sorted(counts, key=lambda value: (-counts[value], value.casefold()))
    shown = ordered[:limit] + [value for value in ordered[limit:] if value in selected]
    label = category_label if fieldname == "category" else str
    return Facet(
        name=fieldname,
        label=FACET_LABELS[fieldname],
        values=tuple(FacetValue(value, label(value), counts[value], value in selected) for value in shown),
        more=len(ordered) - len(shown),
    )
