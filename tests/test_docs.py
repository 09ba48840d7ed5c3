"""The README's command-line section names every command and option of `archive`, and nothing else."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from tests.conftest import REPOSITORY
from web.cli import archive_command

HELP_OPTION = re.compile(r"^  (-[\w-]+(?:, -[\w-]+)*)", re.MULTILINE)  # "  -c, --category TEXT  Only this..."
HELP_COMMAND = re.compile(r"^  ([a-z]+)\b", re.MULTILINE)  # "  rebuild  Index every article..."
OPTION = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def _help(*command: str) -> str:
    """Return what `archive [COMMAND] --help` prints."""
    result = CliRunner().invoke(archive_command, [*command, "--help"], prog_name="archive", terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _section(help_text: str, heading: str) -> str:
    """Return the lines of a help text under a heading such as "Options:"."""
    after = help_text.split(f"\n{heading}\n", 1)[1]
    return after.split("\n\n", 1)[0]


def _help_options(*command: str) -> set[str]:
    """Return every option `archive [COMMAND] --help` lists, short and long forms."""
    listed = HELP_OPTION.findall(_section(_help(*command), "Options:"))
    return {name for names in listed for name in names.split(", ")}


def _help_commands() -> set[str]:
    """Return the commands `archive --help` lists."""
    return set(HELP_COMMAND.findall(_section(_help(), "Commands:")))


def _readme_section() -> str:
    """Return the README's "Command line" section, up to the next section of the same level."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Command line\n")
    return readme[start : readme.index("\n## ", start + 1)]


def _synopsis() -> dict[str, str]:
    """Return the synopsis lines of the section's first code block by command ('' for `archive --option`)."""
    block = _readme_section().split("```")[1]
    lines = {}
    for line in block.splitlines():
        if line.startswith("archive "):
            words = line.split()
            command = "" if words[1].startswith("-") else words[1]
            lines[command] = lines.get(command, "") + " " + " ".join(words[1 if command == "" else 2 :])
    return lines


def test_the_synopsis_lists_exactly_the_commands_of_archive_help():
    assert set(_synopsis()) - {""} == _help_commands()


def test_every_command_has_its_paragraph():
    section = _readme_section()
    for command in _help_commands():
        assert re.search(rf"^- `{command}`", section, re.MULTILINE), f"no paragraph for `archive {command}`"


def test_the_synopsis_lists_exactly_the_options_of_archive_help():
    assert set(OPTION.findall(_synopsis()[""])) == _help_options()


@pytest.mark.parametrize("command", sorted(archive_command.commands))
def test_each_synopsis_lists_exactly_the_options_of_its_command_help(command):
    # Every command takes --help; the synopsis says so once, on the line of `archive --help`.
    assert set(OPTION.findall(_synopsis()[command])) == _help_options(command) - {"--help"}


@pytest.mark.parametrize("command", sorted(archive_command.commands))
def test_each_synopsis_names_the_arguments_and_choices_of_its_command(command):
    line = _synopsis()[command]
    for parameter in archive_command.commands[command].params:
        if parameter.param_type_name == "argument":
            assert parameter.name.upper() in line, f"{parameter.name.upper()} is missing from `archive {command}`"
        for choice in getattr(parameter.type, "choices", ()):
            assert choice in line, f"{choice} is missing from `archive {command}`"
