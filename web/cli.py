"""The `archive` command: rebuild, update, search, stats (and serve), registered on app.cli."""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import FlaskGroup, with_appcontext

from archive.sources import KIND_LABELS
from archive.tables import TableSettings, table_settings
from index.searching import SearchRequest, SearchResult, search
from index.snapshot import LiveIndex
from index.stats import index_stats
from index.storage import IndexBusy, IndexLocation, IndexMissing
from index.writing import BuildSummary, rebuild, update
from web.serialize import search_result_to_dict

ARCHIVE_HELP = """Search and maintain a news archive.

\b
  archive rebuild [SOURCES...]   index folders of articles (default: seeds/)
  archive update [SOURCES...]    index only what changed since
  archive add URL...             fetch pages, keep them and index them at once
  archive search QUERY           search from the terminal
  archive stats                  what the index holds
"""
_MARK = re.compile(r"<mark>(.*?)</mark>")
_TAG = re.compile(r"<[^>]+>")


def register(app: Flask) -> None:
    """Add the archive commands to the app's command line."""
    for command in (rebuild_command, update_command, add_command, search_command, stats_command, serve_command):
        app.cli.add_command(command)


def main() -> None:
    """Run the `archive` console script."""
    from web import create_app

    FlaskGroup(create_app=create_app, add_version_option=False, help=ARCHIVE_HELP)(prog_name="archive")


time_limit_option = click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Skip a web page whose text takes longer than this many seconds to extract [default: 30].",
)
index_option = click.option(
    "--index",
    "index_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index folder [default: instance/index, or $ARCHIVE_INDEX].",
)


def _location(index_path: Path | None) -> IndexLocation:
    """Return the index location from the option or the app's configuration."""
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


def _reading(max_file_mb: int | None, time_limit: float | None) -> dict:
    """Return how rebuild and update read files: the size and time limits, and the CSV settings."""
    return {"max_bytes": _max_bytes(max_file_mb), "time_limit": _time_limit(time_limit), "tables": _tables()}


def _tables() -> TableSettings:
    """Return the instance's settings for CSV and TSV files, or stop naming the bad one."""
    try:
        return table_settings(current_app.config["CSV_COLUMNS"], current_app.config["CSV_FILES"])
    except (ValueError, AttributeError, TypeError) as error:
        raise click.ClickException(f"CSV_COLUMNS or CSV_FILES in instance/config.py: {error}. See the README: CSV and TSV files.") from None


@click.command("rebuild")
@with_appcontext
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--max-file-mb", type=click.IntRange(min=1), help="Skip files larger than this [default: 10].")
@time_limit_option
@click.option("-v", "--verbose", is_flag=True, help="List every skipped file with its reason.")
def rebuild_command(
    sources: tuple[Path, ...], index_path: Path | None, max_file_mb: int | None, time_limit: float | None, verbose: bool
) -> None:
    """Index every article under SOURCES (default: seeds/) into a fresh index, then switch to it."""
    location = _location(index_path)
    with _writing(), _progress("Indexing") as progress:
        summary = rebuild(location, _sources(sources), progress=progress, **_reading(max_file_mb, time_limit))
    _print_summary(summary, verbose)
    if not summary.published:
        raise click.ClickException(
            "No article could be read from those sources, so the previous index was kept. "
            "Check the paths, or run with --verbose to see why each file was skipped."
        )


@click.command("update")
@with_appcontext
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--max-file-mb", type=click.IntRange(min=1), help="Skip files larger than this [default: 10].")
@time_limit_option
@click.option("-v", "--verbose", is_flag=True, help="List every skipped file with its reason.")
def update_command(
    sources: tuple[Path, ...], index_path: Path | None, max_file_mb: int | None, time_limit: float | None, verbose: bool
) -> None:
    """Index new and changed files under SOURCES and drop articles whose files were deleted."""
    location = _location(index_path)
    with _writing(), _progress("Updating") as progress:
        summary = update(location, _sources(sources), progress=progress, **_reading(max_file_mb, time_limit))
    _print_summary(summary, verbose)


@click.command("add")
@with_appcontext
@click.argument("urls", nargs=-1)
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="Fetch this feed and add every article it links to (repeatable).")
@index_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Give up on a server silent this many seconds [default: 30].")
@click.option("--max-file-mb", type=click.IntRange(min=1), help="Refuse pages larger than this [default: 10].")
@time_limit_option
def add_command(
    urls: tuple[str, ...], feeds: tuple[str, ...], index_path: Path | None, timeout: float | None, max_file_mb: int | None,
    time_limit: float | None,
) -> None:
    """Fetch the pages at URLS (`-`: one address a line from standard input), keep each in a WARC file and index it."""
    # httpx, warcio and feedparser take a while to import; only this command needs them.
    from archive.fetching import FetchError, FetchLimits
    from index.adding import NotAdded, add_pages, feed_links

    if not urls and not feeds:
        raise click.UsageError("Give the addresses of pages, `-` to read them from standard input, or --feed URL.")
    seconds = timeout or current_app.config["FETCH_TIMEOUT"]
    limits = FetchLimits(min(seconds, 10.0), seconds, 4 * seconds, _max_bytes(max_file_mb))
    addresses = [line.strip() for url in urls for line in (_stdin_lines() if url == "-" else [url])]
    failures = 0
    for feed in feeds:
        try:
            addresses += feed_links(feed, limits)
        except FetchError as error:
            click.echo(f"Not added: {feed}: {error}", err=True)
            failures += 1
    addresses = [address for address in addresses if address and not address.startswith("#")]
    with _writing():
        outcomes = add_pages(
            _location(index_path),
            Path(current_app.config["CAPTURES_PATH"]),
            addresses,
            limits=limits,
            time_limit=_time_limit(time_limit),
            first_build_sources=_configured_sources() + [Path(current_app.config["CAPTURES_PATH"])],
            tables=_tables(),
            report=_print_outcome,
        )
    if failures or any(isinstance(outcome, NotAdded) for outcome in outcomes):
        raise SystemExit(1)


def _stdin_lines() -> list[str]:
    """Return the lines of standard input."""
    return sys.stdin.read().splitlines()


def _print_outcome(outcome) -> None:
    """Print one added page's address in the archive, or why an address was not added."""
    from index.adding import NotAdded

    if isinstance(outcome, NotAdded):
        click.echo(f"Not added: {outcome.url}: {outcome.reason}", err=True)
        return
    app = current_app._get_current_object()
    with app.test_request_context(base_url=app.config["PUBLIC_URL"]):
        address = url_for("views.article", key=outcome.key, _external=True)
    note = "  (the same text was already in the archive)" if outcome.already else ""
    click.echo(f"{address}  {outcome.title}{note}")


@click.command("search")
@with_appcontext
@click.argument("query", nargs=-1)
@index_option
@click.option("--category", "-c", multiple=True, help="Only this category (repeat for several).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True, help="Results to show.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def search_command(
    query: tuple[str, ...], index_path: Path | None, category: tuple[str, ...], sort: str, limit: int, page: int, as_json: bool
) -> None:
    """Search the archive: words, "phrases", OR, -word, word*, category:world, date:2024-01..2024-03."""
    live = LiveIndex(_location(index_path))
    request = SearchRequest(
        query=" ".join(query), filters={"category": category} if category else {}, sort=sort, page=page, per_page=limit
    )
    result = search(_open(live), request)
    if as_json:
        click.echo(json.dumps(search_result_to_dict(result), ensure_ascii=False, indent=2))
    else:
        _print_result(result)


@click.command("stats")
@with_appcontext
@index_option
def stats_command(index_path: Path | None) -> None:
    """Show how many articles the index holds, its facets, size and last build."""
    live = LiveIndex(_location(index_path))
    _open(live)
    stats = index_stats(live)
    click.echo(f"Index       {stats.path}")
    click.echo(f"Documents   {stats.documents:,}")
    click.echo(f"Size        {stats.size_bytes / 1024 / 1024:.1f} MB")
    click.echo(f"Last build  {stats.built:%Y-%m-%d %H:%M:%S} UTC")
    for facet in stats.facets:
        values = ", ".join(f"{value.label} ({value.count:,})" for value in facet.values) or "none"
        more = f", and {facet.more:,} more" if facet.more else ""
        click.echo(f"{_plural(facet.label):<12}{values}{more}")


@click.command("serve")
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
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Requests served at once.")
def serve_command(host: str, port: int, threads: int) -> None:
    """Serve the archive in a browser (building an index of the default sources first if there is none)."""
    import waitress

    app = current_app._get_current_object()
    live: LiveIndex = app.extensions["archive"]
    # Only a first run builds on its own: a damaged index is reported below, never silently replaced.
    if not live.location.has_generations():
        click.echo(f"No index yet: building one from {', '.join(app.config['SOURCES'])}")
        with _writing(), _progress("Indexing") as progress:
            summary = rebuild(live.location, _sources(()), progress=progress, **_reading(None, None))
        _print_summary(summary, verbose=False)
    try:
        live.snapshot()
    except IndexMissing as error:
        click.echo(click.style(f"Warning: {error}. Until then the pages say so.", fg="yellow"), err=True)
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="news-archive")
    except OSError as error:
        raise click.ClickException(f"Cannot listen on {host}:{port} ({error.strerror}). Choose another with --port.") from None
    click.echo(f"The archive is running at http://{_url_host(host)}:{server.effective_port}/ (press Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.close()


def _url_host(host: str) -> str:
    """Return the host as written in a URL (bracketed IPv6; the loopback for a wildcard address)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _open(live: LiveIndex):
    """Return a snapshot, or stop with the command that builds an index."""
    try:
        return live.snapshot()
    except IndexMissing as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def _writing() -> Iterator[None]:
    """Turn a busy or missing index and an interruption into clear messages."""
    try:
        yield
    except (IndexBusy, IndexMissing) as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        click.echo("\nInterrupted. The index that was live before is still the one being served.", err=True)
        raise SystemExit(130) from None


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a progress callback drawing a bar on a terminal (and nothing elsewhere)."""
    bar = None
    shown = 0
    stream = sys.stderr

    def advance(done: int, total: int) -> None:
        nonlocal bar, shown
        if not stream.isatty():
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=stream, show_percent=True, show_eta=True)
            bar.__enter__()
        bar.update(done - shown)
        shown = done

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _print_summary(summary: BuildSummary, verbose: bool) -> None:
    """Print the figures of a rebuild or update."""
    done = "Rebuilt" if summary.mode == "rebuild" else "Updated"
    click.echo(f"{done} the index at {summary.index_path} in {summary.elapsed:.1f} s")
    rows = [
        ("files found", summary.files),
        ("parsed", summary.parsed),
        ("indexed", summary.indexed),
    ]
    if summary.mode == "update":
        rows += [("unchanged", summary.unchanged), ("deleted", summary.deleted)]
    rows += [("duplicates", summary.duplicates), ("skipped", len(summary.skipped))]
    for name, value in rows:
        click.echo(f"  {name:<20}{value:>9,}")
    for reason, count in sorted(summary.skipped_by_reason.items(), key=lambda item: -item[1]):
        click.echo(f"    {count:>6,}  {reason}")
    if summary.files_by_kind:
        click.echo(f"  {'by kind':<20}{'files':>9}{'indexed':>10}")
    for kind, label in KIND_LABELS.items():
        if kind in summary.files_by_kind:
            click.echo(f"    {label:<18}{summary.files_by_kind[kind]:>9,}{summary.indexed_by_kind.get(kind, 0):>10,}")
    click.echo(f"  {'documents per second':<20}{summary.documents_per_second:>9,.0f}")
    click.echo(f"  {'documents in index':<20}{summary.documents_in_index:>9,}")
    if verbose:
        for skipped in summary.skipped:
            click.echo(f"  skipped {skipped.path}: {skipped.reason}")


def _print_result(result: SearchResult) -> None:
    """Print search results for a terminal."""
    for note in result.notes:
        click.echo(click.style(f"Note: {note}", fg="yellow"))
    if result.suggestion:
        click.echo(click.style(f"Did you mean: {result.suggestion}", fg="yellow"))
    first = (result.page - 1) * result.per_page + 1
    if not result.total:
        click.echo("No articles found.")
        return
    last = first + len(result.hits) - 1
    click.echo(f"{first}-{last} of {result.total:,} articles ({result.elapsed_ms:.0f} ms)\n")
    for number, hit in enumerate(result.hits, start=first):
        date = f"{hit.published:%Y-%m-%d}  " if hit.published else ""
        click.echo(f"{number}. " + click.style(hit.title, bold=True))
        click.echo(f"   {date}{hit.category}  {hit.source}  id: {hit.id}".rstrip())
        click.echo("   " + _terminal_snippet(str(hit.snippet)) + "\n")


def _terminal_snippet(snippet: str) -> str:
    """Turn snippet markup into plain text with matches in bold."""
    bold = _MARK.sub(lambda match: click.style(match.group(1), bold=True), " ".join(snippet.split()))
    return html.unescape(_TAG.sub("", bold))


def _plural(label: str) -> str:
    """Return the plural of a facet label."""
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def _max_bytes(max_file_mb: int | None) -> int:
    """Return the per-file size limit in bytes."""
    return (max_file_mb or current_app.config["MAX_FILE_MB"]) * 1024 * 1024


def _time_limit(seconds: float | None) -> float:
    """Return the per-page extraction time limit in seconds."""
    return seconds or current_app.config["EXTRACTION_TIME_LIMIT"]
