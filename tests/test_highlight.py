"""Snippets and marked text: the words the search matched, escaped, phrases whole."""

from index.highlight import analyzed, mark_text, snippet


def test_marks_stemmed_matches_and_escapes_everything_else():
    marked = mark_text('Talks <b>"ended"</b>; the talk & talking went on.', frozenset({analyzed("talks")}))
    assert str(marked) == '<mark>Talks</mark> &lt;b&gt;&#34;ended&#34;&lt;/b&gt;; the <mark>talk</mark> &amp; <mark>talking</mark> went on.'


def test_adjacent_matches_read_as_one_phrase():
    marked = mark_text("The prime minister spoke.", frozenset({analyzed("prime"), analyzed("minister")}))
    assert str(marked) == "The <mark>prime minister</mark> spoke."


def test_snippet_picks_the_window_with_the_matches_and_trims_to_words():
    text = ("Filler words here. " * 40) + "The budget vote passed today. " + ("More filler text. " * 40)
    result = str(snippet(text, frozenset({analyzed("budget")})))
    assert "<mark>budget</mark>" in result
    assert result.startswith("… ") and result.endswith(" …")
    assert len(result) < 320
    assert "\n" not in result


def test_snippet_covers_terms_in_two_places():
    text = "Alpha starts here. " + ("Nothing to see. " * 60) + "Omega ends there."
    result = str(snippet(text, frozenset({analyzed("alpha"), analyzed("omega")})))
    assert "<mark>Alpha</mark>" in result and "<mark>Omega</mark>" in result


def test_snippet_without_matches_is_the_opening():
    assert str(snippet("Plain <text>.", frozenset({"zebra"}))) == "Plain &lt;text&gt;."
