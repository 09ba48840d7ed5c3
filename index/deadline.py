"""A time limit for one search, checked between units of work so an expensive query ends on time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Deadline:
    """The moment a search must stop, and whether any of its work was cut short by it."""

    seconds: float
    started: float = field(default_factory=time.monotonic)
    cut: bool = False

    def remaining(self) -> float:
        """Return the seconds left (zero once passed)."""
        return max(0.0, self.started + self.seconds - time.monotonic())

    def stop_here(self) -> bool:
        """Tell the caller to stop its work, and note that results are partial, once time is up."""
        if time.monotonic() - self.started < self.seconds:
            return False
        self.note_cut()
        return True

    def note_cut(self) -> None:
        """Record that some work was cut short, so the results are partial."""
        self.cut = True
