"""Category names: normalize free-form labels to slugs and show them readably."""

from __future__ import annotations

import re
import unicodedata

UNCATEGORIZED = "uncategorized"

# Common section names in news feeds and pages, mapped to one slug each.
ALIASES = {
    "world-news": "world",
    "international": "world",
    "global": "world",
    "us": "us",
    "u-s": "us",
    "us-news": "us",
    "national": "us",
    "uk-news": "uk",
    "politics-news": "politics",
    "business-news": "business",
    "economy": "business",
    "finance": "business",
    "markets": "business",
    "money": "business",
    "technology": "tech",
    "sci-tech": "tech",
    "science-technology": "tech",
    "tech-news": "tech",
    "sports": "sport",
    "entertainment-news": "entertainment",
    "arts": "entertainment",
    "culture": "entertainment",
    "showbiz": "entertainment",
    "health-news": "health",
    "opinion-news": "opinion",
    "monde": "world",
    "mundo": "world",
    "internacional": "world",
    "economie": "business",
    "economia": "business",
    "deportes": "sport",
    "comment": "opinion",
    "editorial": "opinion",
    "editorials": "opinion",
}

KNOWN_CATEGORIES = frozenset(ALIASES.values()) | {
    "world", "politics", "business", "tech", "science", "health", "sport", "entertainment",
    "opinion", "culture", "lifestyle", "travel", "education", "environment", "local", "weather",
}

LABELS = {
    "us": "US",
    "uk": "UK",
    "tech": "Technology",
    UNCATEGORIZED: "Uncategorized",
}

_NON_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 40


def slugify(text: str) -> str:
    """Return a lowercase ASCII slug of words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", ascii_text.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")


def normalize_category(raw: str | None) -> str:
    """Return the category slug for a raw label, or `uncategorized`."""
    slug = slugify(raw or "")
    if not slug:
        return UNCATEGORIZED
    return ALIASES.get(slug, slug)


def category_label(slug: str) -> str:
    """Return a readable label for a category slug."""
    return LABELS.get(slug, slug.replace("-", " ").capitalize())


def looks_like_category_line(line: str) -> bool:
    """Tell whether a trailing line is a bare category label rather than the end of the prose."""
    line = line.strip()
    words = line.split()
    if not 0 < len(words) <= 3 or len(line) > MAX_SLUG_LENGTH or not slugify(line):
        return False
    # A short capitalised last line is usually a byline or a name ("K Clark"), not a label.
    return line == line.lower() or normalize_category(line) in KNOWN_CATEGORIES
