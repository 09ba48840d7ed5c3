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

    def expired(self) -> bool:
        """Tell whether the time is up."""
        return time.monotonic() - self.started >= self.seconds

    def skip(self) -> bool:
        """Tell whether to skip the next unit of work (time is up), and if so record that the results are partial."""
        if self.expired():
            self.cut = True
        return self.cut
