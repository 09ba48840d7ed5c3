"""Categories: the one place that decides an article's category from its label, folders, sections and URL, and names it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from archive.model import Article

UNCATEGORIZED = "uncategorized"

# Where an article's category came from, in the order they are trusted.
GIVEN = "given"  # an explicit label: a Category: header, a trailing label line, a record's category field
FOLDER = "folder"  # a folder named after a category (or mapped to one)
SECTION = "section"  # the page's section metadata, when it names a category
URL = "url"  # a part of the page's address that names a category
PREDICTED = "predicted"  # learned from the archive's own labelled articles
ORIGINS = (GIVEN, FOLDER, SECTION, URL, PREDICTED)
# What the classifier learns from: labels people or publishers gave. A URL's folder is a weaker hint.
TRUSTED_ORIGINS = frozenset({GIVEN, FOLDER, SECTION})
DEFAULT_CONFIDENCE = 0.5  # a prediction is kept when the model thinks it more likely right than wrong

# Section names of news sites and feeds, mapped to one category each: synonyms, translations, and
# sub-sections that always belong to one category (a paper's "Film" or "Africa" pages).
ALIASES = {
    "world-news": "world", "international": "world", "international-news": "world", "global": "world",
    "foreign": "world", "world-affairs": "world", "africa": "world", "asia": "world", "asia-pacific": "world",
    "europe": "world", "americas": "world", "latin-america": "world", "middle-east": "world",
    "monde": "world", "mundo": "world", "internacional": "world", "welt": "world", "ausland": "world", "esteri": "world",
    "us": "us", "u-s": "us", "us-news": "us", "national": "us",
    "uk-news": "uk", "uknews": "uk",
    "politics-news": "politics", "political": "politics", "election": "politics", "elections": "politics",
    "politique": "politics", "politica": "politics", "politik": "politics",
    "business-news": "business", "economy": "business", "economics": "business", "finance": "business",
    "markets": "business", "money": "business", "companies": "business", "economie": "business",
    "economia": "business", "wirtschaft": "business",
    "technology": "tech", "sci-tech": "tech", "science-technology": "tech", "tech-news": "tech",
    "information-technology": "tech", "gadgets": "tech", "technologie": "tech", "tecnologia": "tech",
    "science-news": "science", "sciences": "science", "ciencia": "science", "wissenschaft": "science",
    "sports": "sport", "sports-news": "sport", "deportes": "sport",
    "entertainment-news": "entertainment", "arts": "entertainment", "culture": "entertainment",
    "showbiz": "entertainment", "film": "entertainment", "films": "entertainment", "movies": "entertainment",
    "music": "entertainment", "tv": "entertainment", "television": "entertainment", "celebrity": "entertainment",
    "health-news": "health", "wellness": "health", "sante": "health", "salud": "health",
    "opinion-news": "opinion", "comment": "opinion", "commentisfree": "opinion", "editorial": "opinion",
    "editorials": "opinion", "op-ed": "opinion", "opinions": "opinion",
    "life-and-style": "lifestyle", "style": "lifestyle", "fashion": "lifestyle",
    "climate": "environment", "climate-change": "environment",
}

KNOWN_CATEGORIES = frozenset(ALIASES.values()) | {
    "world", "politics", "business", "tech", "science", "health", "sport", "entertainment",
    "opinion", "lifestyle", "travel", "education", "environment", "local", "weather",
}

LABELS = {
    "us": "US",
    "uk": "UK",
    "tech": "Technology",
    UNCATEGORIZED: "Uncategorized",
}

_NON_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 40
# Host names' first labels that name no section.
_PLAIN_HOST_LABELS = frozenset({"www", "m", "mobile", "amp", "edition", "news"})


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


def same_category(typed: str, stored: str) -> bool:
    """Tell whether a category as someone typed it names a stored category."""
    return normalize_category(typed) == normalize_category(stored)


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


@dataclass(frozen=True)
class CategoryClues:
    """What a parser found that may name an article's category, before the rules decide which counts."""

    label: str = ""  # an explicit label, trusted whatever it says
    sections: tuple[str, ...] = ()  # section metadata, in the page's order
    folders: tuple[str, ...] = ()  # the folders between the source folder and the file, outermost first
    url: str = ""  # the article's address


@dataclass(frozen=True)
class CategoryRules:
    """How categories are decided: known names and aliases, the user's own mapping, and prediction settings."""

    # Names (slugified) mapped to a category, or to "" for a name that is never a category.
    mapping: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    predict: bool = True  # learn categories from labelled articles and predict the others'
    confidence: float = DEFAULT_CONFIDENCE  # below it, a prediction is not kept

    @classmethod
    def from_settings(
        cls, mapping: Mapping[str, str | None] | None = None, predict: bool = True, confidence: float = DEFAULT_CONFIDENCE
    ) -> CategoryRules:
        """Return rules from the CATEGORIES, PREDICT_CATEGORIES and CATEGORY_CONFIDENCE settings; raise ValueError if unusable."""
        if mapping is not None and not isinstance(mapping, Mapping):
            raise ValueError("CATEGORIES must map folder or section names to categories, like {'ars-1': 'tech'}.")
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence <= 1:
            raise ValueError(f"CATEGORY_CONFIDENCE must be above 0 and at most 1, not {confidence!r}.")
        names = {}
        for name, category in (mapping or {}).items():
            if not isinstance(name, str) or not slugify(name) or not (category is None or isinstance(category, str)):
                raise ValueError(f"CATEGORIES maps names to category names (or None to ignore one), not {name!r}: {category!r}.")
            names[slugify(name)] = normalize_category(category) if category and slugify(category) else ""
        return cls(MappingProxyType(names), bool(predict), float(confidence))

    def named_category(self, name: str) -> str | None:
        """Return the category a folder, section or URL part names, or None when it is not a category's name."""
        slug = slugify(name)
        if slug in self.mapping:
            return self.mapping[slug] or None
        slug = ALIASES.get(slug, slug)
        return slug if slug in KNOWN_CATEGORIES else None

    def labelled_category(self, label: str) -> str | None:
        """Return the category an explicit label gives (any label counts), or None for an empty or ignored one."""
        slug = slugify(label)
        if not slug:
            return None
        if slug in self.mapping:
            return self.mapping[slug] or None
        return normalize_category(slug)

    def decide(self, clues: CategoryClues) -> tuple[str, str | None]:
        """Return the category and where it came from: the label, the nearest category folder, a section, the URL."""
        candidates = (
            (GIVEN, [self.labelled_category(clues.label)]),
            (FOLDER, [self.named_category(name) for name in reversed(clues.folders)]),
            (SECTION, [self.named_category(name) for name in clues.sections]),
            (URL, [self.named_category(part) for part in url_parts(clues.url)]),
        )
        for origin, categories in candidates:
            found = next((category for category in categories if category), None)
            if found:
                return found, origin
        return UNCATEGORIZED, None

    def apply(self, article: Article) -> Article:
        """Return the article with its category decided by these rules (the parser used the built-in ones)."""
        if not self.mapping:
            return article
        category, origin = self.decide(article.clues)
        return replace(article, category=category, category_origin=origin, category_confidence=None)


def url_parts(url: str) -> list[str]:
    """Return the parts of an address that may name a section: its folders, then the host's first label."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return []
    folders = [segment for segment in parts.path.split("/") if segment][:-1]  # the last one names the article
    labels = host.split(".")
    subdomain = [labels[0]] if len(labels) > 2 and labels[0] not in _PLAIN_HOST_LABELS else []
    return folders + subdomain
