"""Every command documents itself with an example (after sqlite-utils' test_docs.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from enews.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"

# "Example" (or "Examples"), then, on a later line, a command line of enews.
EXAMPLE = re.compile(r"Example.*?\n(?:.*\n)*?[ \t]*enews(?:[ \t]|$)", re.MULTILINE)


def command_paths(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The path of every command below ``group``, groups included."""
    context = click.Context(group, info_name="enews")
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


COMMANDS = [(), *command_paths(cli)]


def test_command_tree_is_complete():
    # Guards the walk itself: a broken walk would make the tests below vacuous.
    names = {" ".join(path) for path in COMMANDS}
    expected = {
        "", "init", "demo", "build", "import", "archive", "check",
        "db", "db upgrade", "db current",
        "item", "item add", "item list", "item show", "item edit", "item rm",
        "issue", "issue new", "issue list", "issue show", "issue add",
        "issue remove", "issue move", "issue set",
    }  # fmt: skip
    assert expected <= names


def help_param(path: tuple[str, ...]) -> object:
    return pytest.param(path, id=" ".join(path) or "enews")


@pytest.mark.parametrize("path", [help_param(path) for path in COMMANDS])
def test_help_has_example(path: tuple[str, ...]):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="enews")
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Usage: enews" in result.output
    assert EXAMPLE.search(result.output), result.output


def test_readme_mentions_every_top_level_command():
    readme = README.read_text(encoding="utf-8")
    missing = [
        name
        for name in cli.list_commands(click.Context(cli))
        if not re.search(rf"\benews {re.escape(name)}\b", readme)
    ]
    assert missing == []
