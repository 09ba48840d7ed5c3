"""A least-recently-used cache bounded by the bytes of what it holds."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

Value = TypeVar("Value")
# What an entry costs beside its arrays' buffers: its key, its slot, the objects around the arrays (measured
# with tracemalloc at 200-300 bytes for a term's postings).
ENTRY_BYTES = 256


def array_bytes(*arrays: np.ndarray) -> int:
    """Return the bytes an entry holding these arrays takes."""
    return ENTRY_BYTES + sum(array.nbytes for array in arrays)


class BoundedCache(Generic[Value]):
    """Keeps the most recently used values while the bytes they take stay within a capacity.

    `size_of` says how many bytes a value takes (ENTRY_BYTES by default, for small values); the most
    recent value is always kept, even when it alone is over the capacity.
    """

    def __init__(self, capacity: int, size_of: Callable[[Value], int] = lambda value: ENTRY_BYTES) -> None:
        self.capacity = capacity
        self.size_of = size_of
        self.size = 0
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Value | None:
        """Return the value cached under key (marking it recently used), or None."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Value) -> Value:
        """Cache a value under key, dropping the least recently used ones past the capacity; return the value."""
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.size -= self.size_of(previous)
        self._entries[key] = value
        self.size += self.size_of(value)
        while self.size > self.capacity and len(self._entries) > 1:
            _, evicted = self._entries.popitem(last=False)
            self.size -= self.size_of(evicted)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """Return the cached value under key, making and caching it first if it is not there."""
        found = self.get(key)
        return found if found is not None else self.put(key, make())
