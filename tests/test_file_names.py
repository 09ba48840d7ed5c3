"""Any name a file can have: bytes that are not UTF-8, line breaks, names as long as the filesystem allows.

Each odd file is rebuilt, searched, shown on its article page and in the API, and found again by
`update`, unchanged or edited.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.names import escape_undecodable
from index.schema import path_term, url_key
from index.searching import SearchRequest, search
from index.snapshot import LiveIndex
from index.storage import IndexLocation
from index.writing import rebuild, update
from web import create_app

NAME_MAX = 255  # bytes in one file name on Linux filesystems
# Each file's name as bytes, the id the archive gives it, and a word only its article holds.
ODD_NAMES = [
    (b"caf\xe9/art\xe9.txt", r"caf\xe9/art\xe9.txt", "quillon"),  # Latin-1, as copied from an old Windows disk
    (b"\xff\xfe broken.txt", r"\xff\xfe broken.txt", "brassard"),  # bytes no encoding would write
    (b"\x93\xfa\x96{.txt", r"\x93\xfa\x96{.txt", "gorget"),  # Shift-JIS
    (b"\x80lone.txt", r"\x80lone.txt", "pauldron"),  # a continuation byte with nothing before it
    ("café-utf8.txt".encode(), "café-utf8.txt", "vambrace"),
    (b"line\nbreak.txt", "line\nbreak.txt", "greave"),
    (("é" * 125 + ".txt").encode(), "é" * 125 + ".txt", "sabaton"),  # 254 bytes of UTF-8
    (b"\xe9" * (NAME_MAX - 4) + b".txt", r"\xe9" * (NAME_MAX - 4) + ".txt", "tasset"),  # 255 bytes of Latin-1
    (b"page-\xe9t\xe9.html", r"page-\xe9t\xe9.html", "couter"),  # a saved page, parsed in the page worker
    (b"/".join([b"d\xe9" + b"x" * 240] * 12) + b"/deep.txt",  # a path of about 3,000 bytes
     "/".join([r"d\xe9" + "x" * 240] * 12) + "/deep.txt", "bevor"),
]


@pytest.fixture(scope="module")
def odd_index(tmp_path_factory) -> IndexLocation:
    """Return an index of the odd names, built once for the module (do not write to it)."""
    return _build_odd(tmp_path_factory.mktemp("odd"))[0]


@pytest.fixture
def odd_build(tmp_path) -> tuple[IndexLocation, Path]:
    """Return an index of the odd names for one test to write to, and its sources."""
    return _build_odd(tmp_path)


@pytest.mark.parametrize(("name", "expected_id", "word"), ODD_NAMES, ids=[word for _, _, word in ODD_NAMES])
def test_an_odd_name_is_searched_shown_and_served_under_its_escaped_id(name, expected_id, word, odd_index):
    (hit,) = _search(odd_index, word).hits
    assert hit.id == expected_id
    assert hit.key == url_key(expected_id)

    client = create_app({"TESTING": True, "INDEX_PATH": str(odd_index.root)}).test_client()
    results = client.get(f"/?q={word}")
    assert results.status_code == 200
    assert f'href="/articles/{hit.key}?q={word}' in results.get_data(as_text=True)
    page = client.get(f"/articles/{hit.key}?q={word}")
    assert page.status_code == 200
    assert f"<mark>{word}</mark>" in page.get_data(as_text=True)
    assert client.get(f"/api/articles/{hit.key}").get_json()["id"] == expected_id
    assert client.get(f"/search.atom?q={word}").status_code == 200


def test_update_recognises_every_odd_name_and_finds_an_edited_one(odd_build):
    odd_index, odd_sources = odd_build
    live = odd_index.current_generation()
    keys = {word: _search(odd_index, word).hits[0].key for _, _, word in ODD_NAMES}

    unchanged = update(odd_index, [odd_sources])

    assert (unchanged.indexed, unchanged.unchanged, unchanged.deleted, unchanged.documents_in_index) == (0, len(ODD_NAMES), 0, len(ODD_NAMES))
    assert odd_index.current_generation() == live  # nothing written
    latin1 = os.path.join(os.fsencode(odd_sources), b"caf\xe9/art\xe9.txt")
    with open(latin1, "wb") as handle:
        handle.write(_article(b"caf\xe9/art\xe9.txt", "morion"))
    os.utime(latin1, ns=(os.stat(latin1).st_atime_ns, os.stat(latin1).st_mtime_ns + 10**9))

    edited = update(odd_index, [odd_sources])

    assert (edited.indexed, edited.unchanged, edited.duplicates, edited.documents_in_index) == (1, len(ODD_NAMES) - 1, 0, len(ODD_NAMES))
    assert _search(odd_index, "quillon").total == 0
    (hit,) = _search(odd_index, "morion").hits
    assert (hit.id, hit.key) == (r"caf\xe9/art\xe9.txt", keys["quillon"])


def test_a_rebuild_gives_odd_names_the_same_addresses_again(odd_build):
    odd_index, odd_sources = odd_build
    keys = {word: _search(odd_index, word).hits[0].key for _, _, word in ODD_NAMES}
    rebuild(odd_index, [odd_sources])
    assert {word: _search(odd_index, word).hits[0].key for _, _, word in ODD_NAMES} == keys


def test_the_command_line_prints_odd_names_escaped(odd_build):
    odd_index, odd_sources = odd_build
    with open(os.path.join(os.fsencode(odd_sources), b"notes-\xe9.pdf"), "wb") as handle:
        handle.write(b"%PDF-1.4")
    runner = create_app({"TESTING": True, "INDEX_PATH": str(odd_index.root), "SOURCES": [str(odd_sources)]}).test_cli_runner()

    found = runner.invoke(args=["search", "quillon"])
    rebuilt = runner.invoke(args=["rebuild", "-v"])

    assert found.exit_code == 0 and r"id: caf\xe9/art\xe9.txt" in found.output
    assert rebuilt.exit_code == 0
    assert rf"skipped {odd_sources}/notes-\xe9.pdf: unsupported file type (.pdf)" in rebuilt.output


def test_escaping_keeps_every_odd_byte_and_leaves_text_as_it_is():
    assert escape_undecodable(os.fsdecode(b"caf\xe9 \x80\xff")) == r"caf\xe9 \x80\xff"
    assert escape_undecodable("\ud800 lone") == r"\ud800 lone"  # a lone surrogate from a JSON escape
    assert escape_undecodable("naïve café 𝔘 \\x41") == "naïve café 𝔘 \\x41"


def test_path_terms_tell_apart_a_latin1_name_and_one_that_spells_its_escape():
    latin1 = os.fsdecode(b"/news/caf\xe9.txt")
    spelt = "/news/caf\\xe9.txt"
    assert path_term(latin1) != path_term(spelt)
    assert path_term("/news/café.txt") == "/news/café.txt"  # valid names are indexed as they are
    assert url_key(latin1) != url_key(os.fsdecode(b"/news/caf\xe8.txt"))  # a key even for text that is not UTF-8


def _build_odd(folder: Path) -> tuple[IndexLocation, Path]:
    """Write one article under each odd name into the folder, index them, and return the index and the sources."""
    sources = folder / "odd"
    for name, _, word in ODD_NAMES:
        path = os.path.join(os.fsencode(sources), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(_article(name, word))
    location = IndexLocation(folder / "index")
    summary = rebuild(location, [sources])
    assert (summary.indexed, summary.skipped) == (len(ODD_NAMES), ())
    return location, sources


def _article(name: bytes, word: str) -> bytes:
    """Return a plain-text article (or a saved page, for an .html name) holding the word."""
    title = f"Dispatch about the {word}"
    body = f"The {word} was found in a file whose name is not plain. It is searchable like any other."
    if name.endswith(b".html"):
        return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p><p>{body}</p></article></body></html>".encode()
    return f"{title}\n\n{body}\n".encode()


def _search(location: IndexLocation, query: str):
    """Return the result of a search of the live index."""
    snapshot = LiveIndex(location).snapshot()
    try:
        return search(snapshot, SearchRequest(query=query, with_snippets=False))
    finally:
        snapshot.close()
