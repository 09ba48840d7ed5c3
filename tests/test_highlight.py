"""Where the matched words are: snippets and whole texts as plain text with match spans, and their rendering."""

from markupsafe import Markup

from index.highlight import Marked, analyzed, mark_text, snippet
from web.presenting import render_marked


def spans_text(marked: Marked) -> list[str]:
    """Return the marked pieces of a text."""
    return [marked.text[start:end] for start, end in marked.spans]


def test_marks_stemmed_matches_and_keeps_the_text_plain():
    marked = mark_text('Talks <b>"ended"</b>; the talk & talking went on.', frozenset({analyzed("talks")}))
    assert marked.text == 'Talks <b>"ended"</b>; the talk & talking went on.'
    assert spans_text(marked) == ["Talks", "talk", "talking"]


def test_the_web_renders_marks_and_escapes_everything_else():
    marked = mark_text('Talks <b>"ended"</b>; the talk & talking went on.', frozenset({analyzed("talks")}))
    rendered = render_marked(marked)
    assert isinstance(rendered, Markup)
    assert str(rendered) == '<mark>Talks</mark> &lt;b&gt;&#34;ended&#34;&lt;/b&gt;; the <mark>talk</mark> &amp; <mark>talking</mark> went on.'


def test_adjacent_matches_read_as_one_phrase():
    marked = mark_text("The prime minister spoke.", frozenset({analyzed("prime"), analyzed("minister")}))
    assert spans_text(marked) == ["prime minister"]


def test_snippet_picks_the_window_with_the_matches_and_trims_to_words():
    text = ("Filler words here. " * 40) + "The budget vote passed today. " + ("More filler text. " * 40)
    result = snippet(text, frozenset({analyzed("budget")}))
    assert spans_text(result) == ["budget"]
    assert result.text.startswith("… ") and result.text.endswith(" …")
    assert len(result.text) < 260
    assert "\n" not in result.text


def test_snippet_covers_terms_in_two_places():
    text = "Alpha starts here. " + ("Nothing to see. " * 60) + "Omega ends there."
    result = snippet(text, frozenset({analyzed("alpha"), analyzed("omega")}))
    assert spans_text(result) == ["Alpha", "Omega"]
    assert " … " in result.text


def test_snippet_without_matches_is_the_opening():
    assert snippet("Plain <text>.", frozenset({"zebra"})) == Marked("Plain <text>.")
