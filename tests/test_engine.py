"""The shape of index/: Whoosh's private names only in index/engine/, no import cycle, one public surface for web/."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from index import IndexLocation, IndexOutdated, LiveIndex, rebuild
from index.engine import INSTANCE_NAMES, PRIVATE_NAMES, missing_private_names
from index.engine.writers import open_writer
from index.storage import FORMAT_FILE
from tests.conftest import REPOSITORY, SEEDS

PACKAGES = ("archive", "index", "web")


def modules(package: str) -> dict[str, ast.Module]:
    """Return every module of a package by dotted name, parsed."""
    root = REPOSITORY / package
    found = {}
    for path in sorted(root.rglob("*.py")):
        name = ".".join(path.relative_to(REPOSITORY).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def imported_modules(tree: ast.Module) -> set[str]:
    """Return the modules a module imports at its top level (type-checking imports aside)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_whoosh_has_every_private_name_the_engine_uses():
    assert missing_private_names() == []


def test_the_instance_attributes_the_engine_reads_exist_on_real_objects(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    snapshot = LiveIndex(location).snapshot()
    leaf, _ = snapshot.reader.leaf_readers()[0]
    matcher = leaf.postings("body_en", "istanbul")
    matcher._read_ids(), matcher._read_weights(), matcher._read_values()
    analyzer = snapshot.schema["body_en"].analyzer.chain
    writer = open_writer(location.open(), procs=2)
    try:
        objects = {
            "whoosh.codec.whoosh3.W3LeafMatcher": matcher,
            "whoosh.reading.SegmentReader": leaf,
            "whoosh.analysis.CompositeAnalyzer": analyzer,
            "whoosh.analysis.RegexTokenizer": analyzer.items[0],
            "whoosh.analysis.StopFilter": analyzer.items[2],
            "whoosh.analysis.CharsetFilter": analyzer.items[3],
            "whoosh.analysis.StemFilter": analyzer.items[4],
            "whoosh.multiproc.MpWriter": writer,
        }
        for dotted, names in INSTANCE_NAMES.items():
            module, _, class_name = dotted.rpartition(".")
            assert isinstance(objects[dotted], getattr(importlib.import_module(module), class_name)), dotted
            assert [name for name in names if not hasattr(objects[dotted], name)] == [], dotted
    finally:
        writer.cancel()


def test_no_module_outside_the_engine_uses_a_private_whoosh_name():
    offenders = []
    for package in PACKAGES:
        for name, tree in modules(package).items():
            if name.startswith("index.engine") or not any(module.startswith("whoosh") for module in imported_modules(tree)):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
                    offenders += [f"{name}: from {node.module} import {alias.name}" for alias in node.names if alias.name.startswith("_")]
                if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                    owner = node.value.id if isinstance(node.value, ast.Name) else ""
                    if owner not in ("self", "cls"):
                        offenders.append(f"{name}: .{node.attr}")
    assert offenders == []
    assert set(PRIVATE_NAMES) >= {"whoosh.codec.whoosh3.W3LeafMatcher", "whoosh.multiproc.MpWriter"}


def test_index_has_no_import_cycle():
    graph = {name: {other for other in imported_modules(tree) if other.startswith("index.")} for name, tree in modules("index").items()}
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for other in graph.get(name, ()):
            if state.get(other) == "open":
                pytest.fail("import cycle: " + " -> ".join(path + [other]))
            if other not in state:
                visit(other, path + [other])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_the_web_uses_only_the_public_surface_of_index():
    for name, tree in modules("web").items():
        deep = sorted(module for module in imported_modules(tree) if module.startswith("index."))
        assert deep == [], f"{name} imports {deep}; import from `index` instead"


def test_archive_imports_neither_index_nor_web():
    for name, tree in modules("archive").items():
        assert not {module.split(".")[0] for module in imported_modules(tree)} & {"index", "web", "whoosh", "flask"}, name


def test_an_index_of_an_older_format_is_reported_as_needing_a_rebuild(tmp_path):
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    (location.current_generation() / FORMAT_FILE).unlink()
    with pytest.raises(IndexOutdated, match="built by another version of the archive. Rebuild it with: archive rebuild"):
        LiveIndex(location).snapshot()


@pytest.mark.parametrize("older", ["news-archive index 1", "news-archive index 2"])
def test_an_older_format_is_told_before_its_files_are_read(tmp_path, older):
    """An index from before the analyzer and codec classes moved (1), or before `captured` (2), must say rebuild."""
    location = IndexLocation(tmp_path / "index")
    rebuild(location, [SEEDS])
    generation = location.current_generation()
    (generation / FORMAT_FILE).write_text(f"{older}\n", encoding="utf-8")
    for table_of_contents in Path(generation).glob("*.toc"):
        table_of_contents.write_bytes(b"not a pickle")
    with pytest.raises(IndexOutdated, match="Rebuild it with: archive rebuild"):
        LiveIndex(location).snapshot()
