"""Split a byline into person names, in the ways English, French, Spanish, Portuguese and German write them."""

from __future__ import annotations

import re

MAX_NAME_WORDS = 5

# 'By', 'Par', 'Por', 'Von' before the names, with an optional colon.
_BY_PREFIX = re.compile(r"^\s*(?:by|par|por|von)\b[\s:]*", re.IGNORECASE)
# A credit phrase in lowercase before the name: 'additional reporting by', 'text by', 'reportage par'.
_CREDIT_PREFIX = re.compile(r"^(?:[a-zà-ÿ]+\s+)*?(?:by|par|por|von)\s+")
# A byline often runs on into a handle, a date or a role: cut the name at the first of these.
_NAME_TAIL = re.compile(
    r"(?:@|\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\s[-|–—]\s).*$",
    re.IGNORECASE | re.DOTALL,
)
# Between names: punctuation, brackets, and the words for 'and' and 'with'. The one-letter words
# ('e', 'y') and 'et' count only in lowercase, so an initial such as 'E.' or 'Y' stays in its name.
_NAME_SEPARATOR = re.compile(
    r"\s*(?:[,;&/()\[\]\n|+]"
    r"|\b(?i:and|with|avec|con|com|und|mit|sowie)\b"
    r"|(?<=\s)(?:et|e|y)(?=\s))\s*"
)
# Job titles written beside a name ('Jane Doe, Staff Writer', 'Reporter Jane Doe'): never part of it.
ROLE_WORDS = frozenset(
    """
    reporter reporters staff writer writers correspondent correspondents editor editors contributor
    contributors columnist photographer photographers senior chief special associate deputy managing
    contributing correspondant correspondante envoyé envoyée spécial spéciale journaliste rédaction
    redacción corresponsal periodista enviado enviada especial redação repórter jornalista
    korrespondent korrespondentin redakteur redakteurin redaktion autor autorin
    """.split()
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def split_names(byline: str) -> list[str]:
    """Split a byline such as 'By A and B, Staff Writers, March 3, 2015' into names."""
    pieces = _NAME_SEPARATOR.split(_NAME_TAIL.sub("", _BY_PREFIX.sub("", byline)))
    names = [name for name in map(clean_name, pieces) if name]
    # In 'Jane Doe, MA' or 'Ed Hornick, CNN' a lone one-word piece is a credential or an employer.
    if any(len(name.split()) > 1 for name in names):
        names = [name for name in names if len(name.split()) > 1 or _CJK.search(name)]
    # In 'Jane Doe with the Associated Press' a piece in lowercase is not a person.
    if any(name[0].isupper() for name in names):
        names = [name for name in names if not name[0].islower()]
    return names


def clean_name(piece: str) -> str:
    """Return one piece of a byline as a name: credit phrase and job titles removed, '' if nothing is left."""
    words = _CREDIT_PREFIX.sub("", " ".join(piece.split())).strip(" .:|-–—").split()
    while words and words[0].strip(".:,").casefold() in ROLE_WORDS:
        words.pop(0)
    while words and words[-1].strip(".:,").casefold() in ROLE_WORDS:
        words.pop()
    name = " ".join(words).strip(" .:|-–—")
    if not any(ch.isalpha() for ch in name) or len(words) > MAX_NAME_WORDS:
        return ""
    # 'JEFFREY GETTLEMAN' is the byline's style, not the name: keep one spelling per person in the facets.
    return name.title() if name.isupper() and len(name) > 3 else name
