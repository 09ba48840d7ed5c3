"""The archive as pip installs it without -e: a wheel and an sdist that hold everything, and a fresh
environment in which `archive` works from an empty folder on the sample articles it ships with."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.conftest import REPOSITORY, SEEDS, running_archive

pytestmark = pytest.mark.slow
SEED_TITLE = "Russia, Ukraine Hold First Direct Talks In Istanbul"
PACKAGED = ["web/templates", "web/static"]  # what the wheel must hold besides the Python modules


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Build the sdist, and the wheel from it, with `python -m build` (as a packager would) in a copy of the
    checkout as a fresh clone has it; return the folder of both."""
    clone, dist = tmp_path_factory.mktemp("clone"), tmp_path_factory.mktemp("dist")
    _copy_clone(clone)
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(clone)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return dist


def _copy_clone(folder: Path) -> None:
    """Copy the files git knows (committed or not, but not ignored): an old build's leftovers such as
    *.egg-info/SOURCES.txt would otherwise add files to the sdist that the configuration forgot."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPOSITORY, capture_output=True, check=True
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (REPOSITORY / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPOSITORY / name, folder / name)


def _files_under(root: Path, folder: str) -> set[str]:
    """Return the files under a folder of the repository, as paths relative to the repository."""
    return {path.relative_to(root).as_posix() for path in (root / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts}


def test_the_wheel_holds_the_templates_static_files_and_sample_articles(built):
    (wheel,) = built.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in PACKAGED:
        assert _files_under(REPOSITORY, folder) <= names, folder
    assert {f"web/seeds/{path.name}" for path in SEEDS.iterdir()} <= names
    assert "web/terminal.py" in names and "index/storage.py" in names and "archive/model.py" in names
    modules = {path.relative_to(REPOSITORY).as_posix() for top in ("archive", "index", "web") for path in (REPOSITORY / top).rglob("*.py")}
    assert modules <= names, f"pyproject.toml's packages leave out {sorted(modules - names)}"
    assert not any(name.startswith(("tests/", "seeds/")) for name in names)


def test_the_sdist_holds_the_sources_templates_and_seeds(built):
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name.removeprefix(top + "/") for name in archive.getnames()}
    for folder in [*PACKAGED, "seeds"]:
        assert _files_under(REPOSITORY, folder) <= names, folder
    assert {"pyproject.toml", "README.md", "web/cli.py"} <= names


def test_an_installed_archive_serves_rebuilds_and_searches_from_an_empty_folder(built, tmp_path):
    environment = _fresh_environment(tmp_path / "venv", next(built.glob("*.whl")))
    home, empty = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    empty.mkdir()
    data = tmp_path / "data" / "news-archive"  # the per-user data folder, as platformdirs finds it
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARCHIVE_")}
    env |= {"HOME": str(home), "XDG_DATA_HOME": str(data.parent), "PATH": f"{environment / 'bin'}:{env['PATH']}"}
    installed_seeds = next((environment / "lib").glob("python*/site-packages/web/seeds"))

    def archive(*arguments: str) -> str:
        result = subprocess.run(["archive", *arguments], cwd=empty, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert archive("--version").startswith("archive ")
    with running_archive(None, program=[str(environment / "bin" / "archive")], cwd=empty, env=env) as served:
        with urlopen(served.url + "/?q=istanbul") as page:
            assert SEED_TITLE in page.read().decode()
    assert f"No index yet: building one from {installed_seeds}" in "".join(served.output)
    assert (data / "index" / "CURRENT").is_file()

    rebuilt = archive("rebuild")
    assert f"Rebuilt the index at {data / 'index'}" in rebuilt and "indexed                     1" in rebuilt
    assert SEED_TITLE in archive("search", "istanbul")
    assert list(empty.iterdir()) == []  # nothing was written to the folder it ran in


def _fresh_environment(folder: Path, wheel: Path) -> Path:
    """Make a virtual environment holding the wheel, reading its dependencies from this one's (offline, quick)."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    (site_packages,) = (folder / "lib").glob("python*/site-packages")
    # A .pth line puts this environment's packages after the new one's; the .pth files among them (this
    # checkout's editable install) are not read from there, so `web` can only come from the wheel.
    (site_packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True
    )
    return folder
