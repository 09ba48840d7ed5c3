"""Facet counts: each facet counted over the matches filtered by every other facet's selection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from index.schema import FACETS
from index.snapshot import Snapshot


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with its exact count among the matches."""

    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    """A facet field with its values, most frequent (or newest year) first."""

    name: str
    values: tuple[FacetValue, ...]
    more: int  # values with matches that were left out to keep the list short


def count_facets(
    snapshot: Snapshot,
    matches: np.ndarray,
    selections: Mapping[str, np.ndarray],
    selected_values: Mapping[str, tuple[str, ...]],
    limit: int,
) -> tuple[Facet, ...]:
    """Count every facet over the matches narrowed by all selections except the facet's own."""
    facets = []
    bases: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
    for facet in FACETS:
        others = tuple(name for name in selections if name != facet.field)
        if others not in bases:  # with no selection, every facet counts over the same documents
            base = matches
            for other in others:
                base = base & selections[other]
            bases[others] = base, np.flatnonzero(base)
        base, chosen = bases[others]
        tally = snapshot.facet_table(facet.field).counts(base, chosen)
        facets.append(_count_one(snapshot, facet.field, tally, selected_values.get(facet.field, ()), limit, facet.chronological))
    return tuple(facets)


def _count_one(
    snapshot: Snapshot, fieldname: str, tally: np.ndarray, selected: tuple[str, ...], limit: int, chronological: bool
) -> Facet:
    """Order one facet's values by their counts (tally, by ordinal) and keep the first few."""
    table = snapshot.facet_table(fieldname)
    present = np.flatnonzero(tally)
    if not chronological and len(present) > limit:
        # Only values that can be among the first `limit` are sorted by name (authors and tags run to thousands).
        present = present[tally[present] >= np.partition(tally[present], -limit)[-limit]]
    counts = {table.values[ordinal]: int(tally[ordinal]) for ordinal in present}
    for value in selected:
        counts.setdefault(value, int(tally[table.ordinals[value]]) if value in table.ordinals else 0)
    if chronological:
        ordered = sorted(counts, reverse=True)
    else:
        ordered = sorted(counts, key=lambda value: (-counts[value], value.casefold()))
    shown = ordered[:limit] + [value for value in ordered[limit:] if value in selected]
    with_matches = int(np.count_nonzero(tally)) + sum(1 for value in selected if not counts[value])
    return Facet(
        name=fieldname,
        values=tuple(FacetValue(value, counts[value], value in selected) for value in shown),
        more=with_matches - len(shown),
    )
