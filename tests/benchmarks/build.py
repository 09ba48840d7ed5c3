"""Build one engine's index in a fresh process and print its figures as JSON (used by the suite).

    python -m tests.benchmarks.build ENGINE SOURCE.jsonl LIMIT FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.benchmarks.engines import ENGINES, XAPIAN_ENGINES, peak_rss_megabytes, timed


def main() -> None:
    """Build, then print documents, seconds, peak RSS and size."""
    engine_name, source, limit, folder = sys.argv[1:5]
    engine = {**ENGINES, **XAPIAN_ENGINES}[engine_name](Path(folder))
    seconds, documents = timed(engine.build, Path(source), int(limit) if limit != "all" else None)
    print(json.dumps({"engine": engine_name, "documents": documents, "seconds": seconds,
                      "rss_mb": peak_rss_megabytes(), "size_mb": engine.size() / 1024 / 1024}))


if __name__ == "__main__":
    main()
