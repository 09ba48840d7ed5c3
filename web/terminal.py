"""How the `archive` commands look in a terminal: summaries, results, stats and a progress bar, as lines of text."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from archive.categories import PREDICTED, UNCATEGORIZED, category_label
from archive.names import escape_undecodable
from archive.sources import KIND_LABELS
from index import FILTERS, BuildSummary, CategoryStats, Health, IndexStats, Marked, SearchResult
from web.presenting import INTERFACE_LANGUAGE, value_label


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
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


def summary_lines(summary: BuildSummary, verbose: bool) -> list[str]:
    """Return the figures of a rebuild or update (and every skipped file when verbose)."""
    done = "Rebuilt" if summary.mode == "rebuild" else "Updated"
    rows = [("files found", summary.files), ("parsed", summary.parsed), ("indexed", summary.indexed)]
    if summary.mode == "update":
        rows += [("unchanged", summary.unchanged), ("deleted", summary.deleted)]
    rows += [("duplicates", summary.duplicates), ("skipped", len(summary.skipped))]
    if summary.predicted or summary.unsure:
        rows += [("category predicted", summary.predicted), ("model unsure", summary.unsure)]
    lines = [f"{done} the index at {summary.index_path} in {summary.elapsed:.1f} s"]
    lines += [f"  {name:<20}{value:>9,}" for name, value in rows]
    lines += [f"    {count:>6,}  {reason}" for reason, count in sorted(summary.skipped_by_reason.items(), key=lambda item: -item[1])]
    if summary.files_by_kind:
        lines.append(f"  {'by kind':<20}{'files':>9}{'indexed':>10}")
    lines += [
        f"    {label:<18}{summary.files_by_kind[kind]:>9,}{summary.indexed_by_kind.get(kind, 0):>10,}"
        for kind, label in KIND_LABELS.items()
        if kind in summary.files_by_kind
    ]
    lines.append(f"  {'documents per second':<20}{summary.documents_per_second:>9,.0f}")
    lines.append(f"  {'documents in index':<20}{summary.documents_in_index:>9,}")
    if summary.categorizing_seconds >= 0.1:
        lines.append(f"  {'categorizing s':<20}{summary.categorizing_seconds:>9.1f}  (learning and predicting categories)")
    if summary.category_note:
        lines.append(f"  {summary.category_note}")
    if verbose:
        lines += [f"  skipped {escape_undecodable(skipped.path)}: {skipped.reason}" for skipped in summary.skipped]
    return lines


def added_line(address: str, title: str, already: bool) -> str:
    """Return the line `archive add` prints for a page in the archive: its address there and its title."""
    return f"{address}  {title}" + ("  (the same text was already in the archive)" if already else "")


def not_added_line(url: str, reason: str) -> str:
    """Return the line `archive add` prints for an address it could not add."""
    return f"Not added: {url}: {reason}"


def nothing_read(sources: Sequence[Path]) -> str:
    """Return the message for a run that read no article, naming every source it tried."""
    tried = ", ".join(str(source) for source in sources) or "no source given"
    return f"No article could be read from {tried}"


def result_lines(result: SearchResult) -> list[str]:
    """Return a page of search results for a terminal, matches in bold."""
    lines = [click.style(f"Note: {note}", fg="yellow") for note in result.notes]
    if result.suggestion:
        lines.append(click.style(f"Did you mean: {result.suggestion}", fg="yellow"))
    if result.partial:
        lines.append(click.style("Partial results: the search reached its time limit (SEARCH_TIME_LIMIT).", fg="yellow"))
    if not result.total:
        return [*lines, "No articles found."]
    first = (result.page - 1) * result.per_page + 1
    last = first + len(result.hits) - 1
    lines.append(f"{first}-{last} of {result.total:,} articles ({result.elapsed_ms:.0f} ms)")
    if result.relaxed:
        holding = f"{result.every_word:,} hold every word; the others" if result.every_word else "No article holds every word; these"
        lines.append(click.style(f"{holding} lack some of: {', '.join(result.relaxed)}", fg="yellow"))
    lines.append("")
    for number, hit in enumerate(result.hits, start=first):
        date = f"{hit.published:%Y-%m-%d}  " if hit.published else ""
        lines.append(f"{number}. " + click.style(hit.title, bold=True))
        category = f"{hit.category} (predicted)" if hit.category_origin == PREDICTED else hit.category
        language = f"{value_label('language', hit.language)}  " if hit.language not in ("", INTERFACE_LANGUAGE) else ""
        lines.append(f"   {date}{category}  {language}{hit.source}  id: {hit.id}".rstrip())
        lines.append("   " + bold_marks(hit.snippet))
        if hit.title_only:
            lines.append("   only the title holds the words searched for")
        if hit.missing:
            lines.append("   missing: " + ", ".join(hit.missing))
        lines.append("")
    return lines


def bold_marks(marked: Marked) -> str:
    """Return a text on one line with its matched words in bold."""
    pieces, position = [], 0
    for start, end in marked.spans:
        pieces += [marked.text[position:start], click.style(marked.text[start:end], bold=True)]
        position = end
    pieces.append(marked.text[position:])
    return " ".join("".join(pieces).split())


def stats_lines(stats: IndexStats) -> list[str]:
    """Return what the index holds: its path, documents, size, last build and facet values."""
    lines = [
        f"Index       {stats.path}",
        f"Documents   {stats.documents:,}",
        f"Size        {stats.size_bytes / 1024 / 1024:.1f} MB",
        f"Last build  {stats.built:%Y-%m-%d %H:%M:%S} UTC",
    ]
    for facet in stats.facets:
        values = ", ".join(f"{value_label(facet.name, value.value)} ({value.count:,})" for value in facet.values) or "none"
        more = f", and {facet.more:,} more" if facet.more else ""
        lines.append(f"{_plural(FILTERS[facet.name].label):<12}{values}{more}")
    return lines + (category_lines(stats.categories) if stats.categories else [])


def category_lines(categories: CategoryStats) -> list[str]:
    """Return each category's labelled and predicted articles and what the model learned, or why it learned nothing."""
    report = categories.report
    lines = ["", "Categories"]
    if report is None:
        lines.append("  This index was built before categories were learned: run archive rebuild to learn them.")
    elif report.trained:
        learned = sum(score.learned_from for score in report.scores)
        lines.append(
            f"  Learned from {learned:,} labelled articles at the last rebuild; {report.folds}-fold cross-validated "
            f"accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f}."
        )
    else:
        lines.append(f"  Nothing is predicted: {report.reason}.")
    if report is not None and report.too_few:
        few = ", ".join(f"{category_label(category)} ({count:,})" for category, count in report.too_few)
        lines.append(f"  Too few labelled articles to learn (each category needs {report.min_examples}): {few}.")
    rows = [("category", "articles", "labelled", "predicted", "accuracy")]
    for count in categories.counts:
        labelled = "" if count.category == UNCATEGORIZED else f"{count.articles - count.predicted:,}"
        accuracy = f"{count.accuracy:.1%}" if count.accuracy is not None else ""
        rows.append((category_label(count.category), f"{count.articles:,}", labelled, f"{count.predicted:,}" if labelled else "", accuracy))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = "".join(f"  {cell:>{width}}" for cell, width in zip(row[1:], widths[1:]))
        lines.append(f"  {row[0].ljust(widths[0])}{cells}".rstrip())
    lines.append("  labelled: by the article itself, its folder, its page's section or its URL; "
                 "accuracy: of the model on the category's labelled articles, cross-validated")
    return lines


def health_lines(health: Health) -> list[str]:
    """Return each shard server's state, then whether the archive can answer."""
    lines = []
    for shard in health.shards:
        for number, server in enumerate(shard.servers):
            role = "server " if number == 0 else "replica"
            if server.answering:
                state = click.style("answering", fg="green") + f"  generation {server.generation or '-'}, {server.documents:,} articles"
            else:
                state = click.style("not answering", fg="red") + f"  {server.error}"
            lines.append(f"shard {shard.number + 1}  {role}  {server.address:<22} {state}")
    lines.append(click.style(f"Ready: {health.message}", fg="green") if health.ready else click.style(f"Not ready: {health.message}", fg="red"))
    return lines


def _plural(label: str) -> str:
    """Return the plural of a facet label."""
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def url_host(host: str) -> str:
    """Return the host as written in a URL (bracketed IPv6; the loopback for a wildcard address)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
