"""Generated articles on a few topics, each with its own words, for tests of learned categories."""

from __future__ import annotations

import random
from pathlib import Path

TOPIC_WORDS = {
    "sport": "goal striker match league coach stadium penalty referee season championship tournament goalkeeper "
             "midfielder transfer derby fixture trophy cup final scored".split(),
    "business": "shares profits market investors bank earnings revenue merger stock dividend quarterly economy "
                "inflation interest company chief executive growth sales".split(),
    "tech": "software computer internet users device smartphone broadband chip processor network digital online "
            "website data apps gadget security virus laptop".split(),
    "cooking": "recipe oven flour butter sugar bake simmer garlic onion pastry dough whisk roast salad vinegar".split(),
}
COMMON_WORDS = "said year people new told would also could time last first".split()


def topic_text(topic: str, rng: random.Random, words: int = 40, common: float = 0.4) -> str:
    """Return a paragraph of one topic's words, with a share of words common to every topic."""
    return " ".join(rng.choice(COMMON_WORDS) if rng.random() < common else rng.choice(TOPIC_WORDS[topic]) for _ in range(words))


def write_article(path: Path, topic: str, rng: random.Random, header: str = "", common: float = 0.4) -> Path:
    """Write a plain-text article on a topic (with an optional header block) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"{topic_text(topic, rng, 6, common).capitalize()} {path.stem}"
    paragraphs = "\n\n".join(topic_text(topic, rng, common=common) for _ in range(2))
    path.write_text(f"{header}{title}\n\n{paragraphs}\n", encoding="utf-8")
    return path


def write_labelled(folder: Path, topics: tuple[str, ...], per_topic: int, seed: int = 0) -> None:
    """Write per_topic articles of each topic into a folder named after it."""
    rng = random.Random(seed)
    for topic in topics:
        for number in range(per_topic):
            write_article(folder / topic / f"{topic}-{number:03d}.txt", topic, rng)
