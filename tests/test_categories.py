"""Category slugs and labels."""

import pytest

from archive.categories import category_label, normalize_category


@pytest.mark.parametrize(
    ("raw", "slug"),
    [("World News", "world"), ("world", "world"), ("Sci/Tech", "tech"), ("Économie", "business"), ("", "uncategorized"),
     (None, "uncategorized"), ("  Sports ", "sport"), ("Arts & Culture", "arts-culture"), ("!!!", "uncategorized")],
)
def test_normalize_category(raw, slug):
    assert normalize_category(raw) == slug


def test_labels_are_readable():
    assert category_label("world") == "World"
    assert category_label("tech") == "Technology"
    assert category_label("arts-culture") == "Arts culture"
    assert category_label("uncategorized") == "Uncategorized"
