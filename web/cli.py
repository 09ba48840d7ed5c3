"""The `archive` command: serve, rebuild, update, add, search and stats (how they look in a terminal: web/terminal.py)."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app, url_for
from flask.cli import ScriptInfo, with_appcontext

from archive.categories import CategoryRules
from archive.tables import TableSettings, table_settings
from index import Backend, BuildSummary, IndexBusy, IndexLocation, IndexUnavailable, IndexWriteFailed, SearchRequest, open_backend
from web import DISTRIBUTION, serving, terminal
from web.serialize import search_result_to_dict

Answer = TypeVar("Answer")


def _options(*decorators: Callable) -> Callable:
    """Return one decorator applying several Click options, in the order given."""

    def apply(command: Callable) -> Callable:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


index_option = click.option(
    "--index",
    "index_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index folder [default: $ARCHIVE_INDEX, else INDEX_PATH in config.py, else index/ in the instance folder].",
)
# What rebuild and update share.
writing_options = _options(
    click.argument("sources", nargs=-1, type=click.Path(path_type=Path)),
    index_option,
    click.option("--max-file-mb", type=click.IntRange(min=1), help="Skip files larger than this [default: 10]."),
    click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        help="Skip a web page whose text takes longer than this many seconds to extract [default: 30].",
    ),
    click.option("-v", "--verbose", is_flag=True, help="List every skipped file with its reason."),
)


@click.command("rebuild", short_help="Index folders of articles into a fresh index.")
@with_appcontext
@writing_options
@click.option("--force", is_flag=True, help="Start even when the disk looks too full for the new index.")
def rebuild_command(
    sources: tuple[Path, ...], index_path: Path | None, max_file_mb: int | None, time_limit: float | None, verbose: bool, force: bool
) -> None:
    """Index every article under SOURCES (default: the sample articles) into a fresh index, then switch to it."""
    tried = _sources(sources)
    summary = _write(_backend(index_path).rebuild, "Indexing", tried, max_file_mb, time_limit, verbose, force=force)
    if not summary.published:
        raise click.ClickException(
            f"{terminal.nothing_read(tried)}, so the previous index was kept. "
            "Check the paths, or run with --verbose to see why each file was skipped."
        )


@click.command("update", short_help="Index only what changed since the last run.")
@with_appcontext
@writing_options
def update_command(
    sources: tuple[Path, ...], index_path: Path | None, max_file_mb: int | None, time_limit: float | None, verbose: bool
) -> None:
    """Index new and changed files under SOURCES and drop articles whose files were deleted."""
    tried = _sources(sources)
    summary = _write(_backend(index_path).update, "Updating", tried, max_file_mb, time_limit, verbose)
    if not summary.files:
        _warn(f"{terminal.nothing_read(tried)}: no file was found there. Check the paths.")


@click.command("add", short_help="Fetch pages by their address, keep them and index them at once.")
@with_appcontext
@click.argument("urls", nargs=-1)
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="Fetch this feed and add every article it links to (repeatable).")
@index_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Give up on a server silent this many seconds [default: 30].")
@click.option("--max-file-mb", type=click.IntRange(min=1), help="Refuse pages larger than this [default: 10].")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Refuse a page whose text takes longer than this many seconds to extract [default: 30].",
)
def add_command(
    urls: tuple[str, ...], feeds: tuple[str, ...], index_path: Path | None, timeout: float | None, max_file_mb: int | None,
    time_limit: float | None,
) -> None:
    """Fetch the pages at URLS (`-`: one address a line from standard input), keep each in a WARC file and index it."""
    # httpx, warcio and feedparser take a while to import; only this command needs them.
    from archive.fetching import FetchError, FetchLimits
    from index import NotAdded, add_pages, feed_links

    if not urls and not feeds:
        raise click.UsageError("Give the addresses of pages, `-` to read them from standard input, or --feed URL.")
    location = _location(index_path)
    config = current_app.config
    seconds = timeout or config["FETCH_TIMEOUT"]
    limits = FetchLimits(min(seconds, 10.0), seconds, 4 * seconds, (max_file_mb or config["MAX_FILE_MB"]) * 1024 * 1024)
    addresses = [line.strip() for url in urls for line in (sys.stdin.read().splitlines() if url == "-" else [url])]
    failed = False
    for feed in feeds:
        try:
            addresses += feed_links(feed, limits)
        except FetchError as error:
            click.echo(terminal.not_added_line(feed, str(error)), err=True)
            failed = True
    captures = Path(config["CAPTURES_PATH"])
    with _writing():
        outcomes = add_pages(
            location,
            captures,
            [address for address in addresses if address and not address.startswith("#")],
            limits=limits,
            time_limit=time_limit or config["EXTRACTION_TIME_LIMIT"],
            first_build_sources=_configured_sources() + [captures],
            tables=_tables(),
            report=_print_outcome,
        )
    if failed or any(isinstance(outcome, NotAdded) for outcome in outcomes):
        raise SystemExit(1)


@click.command("search", short_help="Search the archive from the terminal.")
@with_appcontext
@click.argument("query", nargs=-1)
@index_option
@click.option("--category", "-c", multiple=True, help="Only this category (repeat for several).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True, help="Results to show.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--all-words", is_flag=True, help="Only articles holding every word (by default, fewer words rank lower).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search_command(
    query: tuple[str, ...],
    index_path: Path | None,
    category: tuple[str, ...],
    sort: str,
    limit: int,
    page: int,
    all_words: bool,
    as_json: bool,
) -> None:
    """Search the archive: words, "phrases", OR, -word, word*, category:world, date:2024-01..2024-03."""
    request = SearchRequest(
        query=" ".join(query),
        filters={"category": category} if category else {},
        sort=sort,
        page=page,
        per_page=limit,
        match="all" if all_words else "best",
        time_limit=current_app.config["SEARCH_TIME_LIMIT"],
    )
    result = _answer(lambda: _backend(index_path).search(request))
    if as_json:
        click.echo(json.dumps(search_result_to_dict(result), ensure_ascii=False, indent=2))
    else:
        _echo(terminal.result_lines(result))


@click.command("stats", short_help="Show what the index holds.")
@with_appcontext
@index_option
def stats_command(index_path: Path | None) -> None:
    """Show how many articles the index holds, its facets, size and last build."""
    _echo(terminal.stats_lines(_answer(_backend(index_path).stats)))


@click.command("serve", short_help="Serve the archive in a browser.")
@with_appcontext
# allow_from_autoenv=False: Flask's command line would otherwise read FLASK_SERVE_HOST, and opening the
# archive to the network must take an explicit --host.
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    allow_from_autoenv=False,
    help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every network).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes answering at once, each on its own core [default: the number of cores; 1 where gunicorn does not run].",
)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Requests each process handles at once.")
def serve_command(host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve the archive in a browser (building an index of the default sources first if there is none)."""
    app = current_app._get_current_object()
    backend: Backend = app.extensions["archive"]
    # Only a first run builds on its own: a damaged index is reported below, never silently replaced.
    if not backend.has_index():
        tried = _sources(())
        click.echo(f"No index yet: building one from {', '.join(map(str, tried))}")
        try:
            summary = _write(backend.rebuild, "Indexing", tried, None, None, verbose=False)
            if not summary.published:
                _warn(f"{terminal.nothing_read(tried)}. Run `archive rebuild` with the folders of your articles.")
        except DiskRefused as error:  # a full or read-only disk: said once, and the pages say there is no index
            click.echo(click.style(f"Error: {error.message}", fg="red"), err=True)
    health = backend.health()
    if not health.ready:
        _warn(f"{health.message}. Until then the pages say so.")
    if workers is None:
        workers = serving.default_workers() if serving.has_gunicorn() else 1
    elif workers > 1 and not serving.has_gunicorn():
        _warn("several workers need gunicorn, which does not run on this system: serving from one process.")
        workers = 1
    try:
        _check_can_listen(host, port)
        serving.serve(app, serving.ServeOptions(host, port, workers, threads), announce=lambda bound: _announce(host, bound, workers))
    except OSError as error:
        raise click.ClickException(f"Cannot listen on {host}:{port} ({error.strerror or error}). Choose another with --port.") from None
    except KeyboardInterrupt:
        pass
    click.echo("Stopped.")


def _check_can_listen(host: str, port: int) -> None:
    """Raise OSError now if the address is taken or not ours (the server would otherwise retry for seconds)."""
    if port:
        socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET).close()


def _announce(host: str, port: int, workers: int) -> None:
    """Print the address the archive answers at."""
    processes = f" from {workers} processes" if workers > 1 else ""
    click.echo(f"The archive is running at http://{terminal.url_host(host)}:{port}/{processes} (press Ctrl-C to stop)")


@click.group("shards", short_help="Run and check the Xapian shard servers.")
@index_option
def shards_command(index_path: Path | None) -> None:
    """Run the shard servers of a Xapian archive on this machine, or check every server the topology lists.

    For BACKEND = "xapian": the servers listen only on the loopback or a private network (they have no
    authentication); see the README's deployment section for several machines.
    """


@shards_command.command("start", short_help="Start the topology's servers on this machine.")
@with_appcontext
def shards_start_command() -> None:
    """Start xapian-tcpsrv for each shard server (and xapian-replicate for each replica) on this machine."""
    backend = _xapian()
    _echo([f"Started {process}" for process in _answer(backend.start_servers)])
    _echo(terminal.health_lines(backend.health()))


@shards_command.command("status", short_help="Say what each shard server serves.")
@with_appcontext
def shards_status_command() -> None:
    """Ask every server of every shard what it serves; exit 1 when the archive cannot answer."""
    health = _xapian().health()
    _echo(terminal.health_lines(health))
    if not health.ready:
        raise SystemExit(1)


@shards_command.command("stop", short_help="Stop the servers `archive shards start` started.")
@with_appcontext
def shards_stop_command() -> None:
    """Stop the local cluster's processes (by the pids it recorded)."""
    stopped = _xapian().stop_servers()
    _echo([f"Stopped {process}" for process in stopped] or ["No shard server of this index was running."])


@shards_command.command("commands", short_help="Print the command lines of a local cluster.")
@with_appcontext
def shards_commands_command() -> None:
    """Print the xapian-tcpsrv, xapian-replicate-server and xapian-replicate command lines `start` runs."""
    _echo(_answer(_xapian().server_commands))


COMMANDS = (serve_command, rebuild_command, update_command, add_command, search_command, stats_command, shards_command)


@click.group("archive", commands=COMMANDS)
@click.version_option(package_name=DISTRIBUTION, prog_name="archive", message="%(prog)s %(version)s")
def archive_command() -> None:
    """Search and maintain a news archive.

    Settings come from config.py in the instance folder (instance/ of a checkout, else a per-user data
    folder such as ~/.local/share/news-archive), then $ARCHIVE_INDEX and $ARCHIVE_SOURCES, then the
    options. `archive stats` shows which index is in use.
    """


def register(app: Flask) -> None:
    """Add the archive commands to the app's command line (`flask --app web ...` and the tests' runner)."""
    for command in COMMANDS:
        app.cli.add_command(command)


def main() -> None:
    """Run the `archive` console script."""
    from web import create_app

    archive_command.main(prog_name="archive", obj=ScriptInfo(create_app=create_app, set_debug_flag=False))


def _write(
    build: Callable[..., BuildSummary],
    label: str,
    sources: Sequence[Path],
    max_file_mb: int | None,
    time_limit: float | None,
    verbose: bool,
    **options,
) -> BuildSummary:
    """Run a rebuild or an update with a progress bar, the configured limits unless given, and print its summary."""
    config = current_app.config
    with _writing(), terminal.progress_bar(label) as progress:
        summary = build(
            sources,
            max_bytes=(max_file_mb or config["MAX_FILE_MB"]) * 1024 * 1024,
            progress=progress,
            time_limit=time_limit or config["EXTRACTION_TIME_LIMIT"],
            categories=_category_rules(),
            tables=_tables(),
            **options,
        )
    _echo(terminal.summary_lines(summary, verbose))
    return summary


def _category_rules() -> CategoryRules:
    """Return how categories are decided, from the CATEGORIES, PREDICT_CATEGORIES and CATEGORY_CONFIDENCE settings."""
    config = current_app.config
    try:
        return CategoryRules.from_settings(config["CATEGORIES"], config["PREDICT_CATEGORIES"], config["CATEGORY_CONFIDENCE"])
    except (TypeError, ValueError) as error:
        raise click.ClickException(f"{error} Fix it in config.py.") from None


def _backend(index_path: Path | None) -> Backend:
    """Return the app's backend, or the configured kind of backend on the index folder the option names."""
    if index_path is None:
        return current_app.extensions["archive"]
    from web import topology_path

    return open_backend(current_app.config["BACKEND"], index_path, topology_path(current_app))


def _location(index_path: Path | None) -> IndexLocation:
    """Return the Whoosh index folder the option or the configuration names; stop when the Xapian backend is chosen."""
    if current_app.config["BACKEND"] != "whoosh":
        raise click.ClickException(
            'archive add works on the Whoosh backend only: with BACKEND = "xapian", save the pages in a folder and run archive update on it'
        )
    return IndexLocation(Path(index_path or current_app.config["INDEX_PATH"]))


def _sources(sources: tuple[Path, ...]) -> list[Path]:
    """Return the sources given, or the configured defaults and the folder of pages added with `archive add`."""
    if sources:
        return list(sources)
    captures = Path(current_app.config["CAPTURES_PATH"])
    return _configured_sources() + ([captures] if captures.is_dir() else [])


def _configured_sources() -> list[Path]:
    """Return the SOURCES setting as paths."""
    return [Path(source) for source in current_app.config["SOURCES"]]


def _tables() -> TableSettings:
    """Return the instance's settings for CSV and TSV files, or stop naming the bad one."""
    try:
        return table_settings(current_app.config["CSV_COLUMNS"], current_app.config["CSV_FILES"])
    except (ValueError, AttributeError, TypeError) as error:
        raise click.ClickException(f"CSV_COLUMNS or CSV_FILES in config.py: {error}. See the README: CSV and TSV files.") from None


def _print_outcome(outcome) -> None:
    """Print one added page's address in the archive, or why an address was not added."""
    from index import NotAdded

    if isinstance(outcome, NotAdded):
        click.echo(terminal.not_added_line(outcome.url, outcome.reason), err=True)
        return
    app = current_app._get_current_object()
    with app.test_request_context(base_url=app.config["PUBLIC_URL"]):
        address = url_for("views.article", key=outcome.key, _external=True)
    click.echo(terminal.added_line(address, outcome.title, outcome.already))


def _xapian():
    """Return the Xapian backend (on the folder `archive shards --index` names), or stop saying how to choose it."""
    backend = _backend(click.get_current_context().parent.params.get("index_path"))
    if backend.name != "xapian":
        raise click.ClickException('archive shards is for BACKEND = "xapian" (set BACKEND and TOPOLOGY in config.py, or $ARCHIVE_BACKEND and $ARCHIVE_TOPOLOGY)')
    if not hasattr(backend, "start_servers"):  # a setting that cannot work: say which
        raise click.ClickException(backend.where())
    return backend


def _answer(read: Callable[[], Answer]) -> Answer:
    """Return what a read of the index gives, or stop with the message that says what to do."""
    try:
        return read()
    except IndexUnavailable as error:
        raise click.ClickException(str(error)) from None


class DiskRefused(click.ClickException):
    """A write the disk refused (full, read-only, not ours), said in one line; exit status 1."""


@contextmanager
def _writing() -> Iterator[None]:
    """Turn a busy or missing index, a disk that refuses a write and an interruption into clear messages."""
    try:
        yield
    except (IndexBusy, IndexUnavailable) as error:
        raise click.ClickException(str(error)) from None
    except IndexWriteFailed as error:
        raise DiskRefused(str(error)) from None
    except KeyboardInterrupt:
        click.echo("\nInterrupted. The index that was live before is still the one being served.", err=True)
        raise SystemExit(130) from None


def _echo(lines: list[str]) -> None:
    """Print lines of text."""
    for line in lines:
        click.echo(line)


def _warn(message: str) -> None:
    """Print a warning on standard error."""
    click.echo(click.style(f"Warning: {message}", fg="yellow"), err=True)
