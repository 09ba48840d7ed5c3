"""Finding and reading files: skips with reasons, hidden files, duplicates."""

from __future__ import annotations

import os

import pytest

from archive.model import Article
from archive.sources import Duplicate, Skipped, drop_duplicates, find_files, read_sources


def _write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _outcomes(root, **kwargs):
    return {os.path.relpath(item.path, root) if isinstance(item, (Skipped, Duplicate)) else item.path: item
            for item in drop_duplicates(read_sources([root], **kwargs))}


def test_every_bad_file_is_skipped_with_a_reason(tmp_path):
    _write(tmp_path / "good.txt", "A title\n\nA body paragraph.")
    _write(tmp_path / "empty.txt", "")
    _write(tmp_path / "blank.txt", "  \n\n  ")
    _write(tmp_path / "junk.html", bytes(range(256)) * 4)
    _write(tmp_path / "photo.jpg", b"\xff\xd8\xff")
    _write(tmp_path / "big.txt", "Big\n\n" + "word " * 300_000)
    _write(tmp_path / "title-only.txt", "Just a title")
    locked = _write(tmp_path / "locked.txt", "Locked\n\nBody.")
    locked.chmod(0)
    try:
        outcomes = _outcomes(tmp_path, max_bytes=1024 * 1024)
    finally:
        locked.chmod(0o644)
    reasons = {name: item.reason for name, item in outcomes.items() if isinstance(item, Skipped)}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "empty file"
    assert reasons["junk.html"] == "binary file, not text"
    assert reasons["photo.jpg"] == "unsupported file type (.jpg)"
    assert reasons["big.txt"] == "larger than the 1 MB limit"
    assert reasons["title-only.txt"] == "title but no article text"
    if os.geteuid() != 0:  # root reads any file
        assert reasons["locked.txt"] == "unreadable: permission denied"
    articles = [item for item in outcomes.values() if isinstance(item, Article)]
    assert "A title" in {article.title for article in articles}


def test_hidden_files_and_folders_are_ignored_and_order_is_stable(tmp_path):
    _write(tmp_path / ".hidden.txt", "x\n\ny")
    _write(tmp_path / ".git" / "a.txt", "x\n\ny")
    _write(tmp_path / "b" / "2.txt", "x\n\ny")
    _write(tmp_path / "b" / "1.txt", "x\n\ny")
    _write(tmp_path / "a.txt", "x\n\ny")
    found = [item.relative_path for item in find_files([tmp_path])]
    assert found == ["a.txt", "b/1.txt", "b/2.txt"]


def test_missing_source_is_reported(tmp_path):
    assert list(find_files([tmp_path / "nope"])) == [Skipped(str(tmp_path / "nope"), "not found")]


def test_symlink_loop_does_not_hang_and_is_reported(tmp_path):
    _write(tmp_path / "a" / "one.txt", "One\n\nBody.")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "self.txt").symlink_to(tmp_path / "a" / "self.txt")
    found = list(find_files([tmp_path]))
    assert [item.relative_path for item in found if not isinstance(item, Skipped)] == ["a/one.txt"]
    assert set(item for item in found if isinstance(item, Skipped)) == {
        Skipped(str(tmp_path / "a" / "loop"), "a link to a folder already read (a symbolic link loop?)"),
        Skipped(str(tmp_path / "a" / "self.txt"), "symbolic link loop"),
    }


def test_linked_folders_are_followed_and_broken_links_reported(tmp_path):
    _write(tmp_path / "elsewhere" / "world" / "1.txt", "One\n\nBody.")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "archive" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    found = list(find_files([tmp_path / "archive"]))
    assert [(item.relative_path, item.folders) for item in found if not isinstance(item, Skipped)] == [
        ("linked/world/1.txt", ("linked", "world"))
    ]
    assert [item for item in found if isinstance(item, Skipped)] == [
        Skipped(str(tmp_path / "archive" / "gone.txt"), "broken symbolic link (its target is missing)")
    ]


def test_a_named_pipe_is_skipped_instead_of_blocking_the_run(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would wait forever for a writer
    assert list(find_files([tmp_path])) == [Skipped(str(tmp_path / "pipe.txt"), "not a regular file (a pipe, socket or device)")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder")
def test_an_unreadable_folder_is_reported(tmp_path):
    _write(tmp_path / "locked" / "1.txt", "One\n\nBody.")
    (tmp_path / "locked").chmod(0)
    try:
        found = list(find_files([tmp_path]))
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert found == [Skipped(str(tmp_path / "locked"), "unreadable: permission denied")]


def test_exact_duplicates_are_reported_once_and_the_first_wins(tmp_path):
    _write(tmp_path / "a.txt", "Same\n\nText here.")
    _write(tmp_path / "b.txt", "Same\n\nText   here.")
    _write(tmp_path / "c.txt", "Same\n\nText\n\nhere.")  # different paragraphs: a different article
    outcomes = _outcomes(tmp_path)
    assert isinstance(outcomes["b.txt"], Duplicate)
    assert outcomes["b.txt"].duplicate_of == "a.txt"
    assert sum(isinstance(item, Article) for item in outcomes.values()) == 2


def test_folder_name_is_the_category_only_for_nested_files(tmp_path):
    _write(tmp_path / "politics" / "1.txt", "Vote\n\nA vote was held.")
    _write(tmp_path / "2.txt", "Loose\n\nNo folder.")
    articles = {a.id: a for a in read_sources([tmp_path]) if isinstance(a, Article)}
    assert articles["politics/1.txt"].category == "politics"
    assert articles["2.txt"].category == "uncategorized"


def test_sources_are_never_modified(tmp_path):
    path = _write(tmp_path / "a.txt", "Title\n\nBody.")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    list(read_sources([tmp_path]))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_bbc_news_has_2127_articles_and_98_duplicates(bbc_news):
    outcomes = list(drop_duplicates(read_sources([bbc_news])))
    assert sum(isinstance(item, Article) for item in outcomes) == 2127
    assert sum(isinstance(item, Duplicate) for item in outcomes) == 98
    latin1 = next(item for item in outcomes if isinstance(item, Article) and item.id == "sport/199.txt")
    assert "£" in latin1.body
