"""Every command of the CLI is in the README's command list and in docs/cli-contract.md,
and its help shows an example.

The list is the ```text block under "## Commands" in README.md; each of its entries starts
with ``runback`` and the command's words (``runback diary add --pain N ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from runback.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The word path of every command under ``group`` (groups too), depth first."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


def leaves(group: click.Group) -> list[tuple[str, ...]]:
    """The commands that run something (not groups)."""
    paths = list(walk(group))
    return [p for p in paths if not any(q[:len(p)] == p and q != p for q in paths)]


def command_list(readme: str) -> list[str]:
    """The lines of the ```text block under "## Commands" that start with ``runback``.

    Raises
    ------
    ValueError
        When the README has no such section or block.
    """
    section = re.search(r"^## Commands\s*$(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        raise ValueError("README.md has no '## Commands' section")
    block = re.search(r"^```text\s*$(.*?)^```\s*$", section.group(1), re.M | re.S)
    if block is None:
        raise ValueError("README.md's '## Commands' section has no ```text block")
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip().startswith("runback ")]


def documented(path: tuple[str, ...], lines: list[str]) -> bool:
    """Whether a line of the list names the command ``path`` (``runback diary add ...``)."""
    words = re.escape("runback " + " ".join(path))
    return any(re.match(rf"{words}(\s|$)", line) for line in lines)


def listed_commands(lines: list[str], group: click.Group) -> list[tuple[str, ...]]:
    """The command word paths the list names: ``runback`` and then words that are
    commands of ``group`` (and of its sub-groups), up to the first other word; the word
    after ``runback`` when it is no command."""
    out = []
    for line in lines:
        words = line.split()[1:]
        path: tuple[str, ...] = ()
        command: click.Command = group
        while words and isinstance(command, click.Group) and words[0] in command.commands:
            command = command.commands[words[0]]
            path = (*path, words.pop(0))
        out.append(path if path else (line.split()[1],))
    return out


def example_lines(help_text: str) -> list[str]:
    """The lines under ``Example:`` (or ``Examples:``) of a command's help."""
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() in ("Example:", "Examples:"):
            out = []
            for after in lines[i + 1:]:
                if not after.startswith((" ", "\t")) or not after.strip():
                    break
                out.append(after.strip())
            return out
    return []


COMMANDS = list(walk(main))


def test_the_walk_finds_the_commands_and_the_sub_commands():
    assert ("report",) in COMMANDS
    assert ("diary",) in COMMANDS
    assert ("diary", "add") in COMMANDS and ("diary", "show") in COMMANDS
    assert ("diary",) not in leaves(main)


@pytest.mark.parametrize("path", leaves(main), ids=" ".join)
def test_every_command_is_in_the_readme_command_list(path):
    lines = command_list(README.read_text(encoding="utf-8"))
    assert documented(path, lines), (
        f"'runback {' '.join(path)}' is missing from the command list under "
        "'## Commands' in README.md"
    )


@pytest.mark.parametrize("path", leaves(main), ids=" ".join)
def test_every_command_is_in_the_command_line_contract(path):
    contract = (README.parent / "docs" / "cli-contract.md").read_text(encoding="utf-8")
    rows = [cell.strip().strip("`") for line in contract.splitlines()
            if line.startswith("| `runback ") for cell in line.split("|")[1:2]]
    assert documented(path, rows), (
        f"'runback {' '.join(path)}' has no row in the command table of docs/cli-contract.md"
    )


def test_the_readme_lists_only_commands_that_exist():
    lines = command_list(README.read_text(encoding="utf-8"))
    runnable = leaves(main)
    unknown = [" ".join(p) for p in listed_commands(lines, main) if p not in runnable]
    assert not unknown, f"README.md lists commands the CLI does not have: {unknown}"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_help_has_an_example_of_itself(path):
    r = CliRunner().invoke(main, [*path, "--help"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    examples = example_lines(r.output)
    assert examples, f"'runback {' '.join(path)} --help' has no Example"
    # a group's examples may run its sub-commands: they start with the group's words too
    commands = [re.sub(r"^(\w+=\S+\s+)+", "", e) for e in examples]  # VAR=value runback ...
    assert any(documented(path, [c]) for c in commands), (
        f"no example of 'runback {' '.join(path)}' runs it: {examples}"
    )


# --- the checks themselves catch what they should --------------------------------------

@click.group()
def _toy():
    """A toy CLI."""


@_toy.command()
def alpha():
    """Alpha.

    \b
    Example:
      runback alpha x
    """


@_toy.group()
def box():
    """Box."""


@box.command("open")
def box_open():
    """Open, without an example."""


TOY_README = """# toy

## Commands

```text
runback alpha PATH        the first
runback box shut          the second
```

## Next
runback box open is mentioned here, outside the list
"""


def test_a_command_missing_from_the_list_is_found():
    lines = command_list(TOY_README)
    assert lines == ["runback alpha PATH        the first", "runback box shut          the second"]
    assert leaves(_toy) == [("alpha",), ("box", "open")]
    assert documented(("alpha",), lines)
    assert not documented(("box", "open"), lines)  # named only outside the block
    assert not documented(("alp",), lines)  # a prefix of a word is not the command


def test_a_listed_command_that_does_not_exist_is_found():
    lines = command_list(TOY_README)
    # "box shut" stops at the group: a group alone runs nothing, so it is not a command
    assert listed_commands(lines, _toy) == [("alpha",), ("box",)]
    assert [p for p in listed_commands(lines, _toy) if p not in leaves(_toy)] == [("box",)]
    assert listed_commands(["runback nothing --x"], _toy) == [("nothing",)]


def test_a_help_without_an_example_is_found():
    runner = CliRunner()
    assert example_lines(runner.invoke(_toy, ["alpha", "--help"]).output) == ["runback alpha x"]
    assert example_lines(runner.invoke(_toy, ["box", "open", "--help"]).output) == []


def test_a_readme_without_the_list_is_an_error():
    with pytest.raises(ValueError, match="no '## Commands' section"):
        command_list("# toy\n\n## Usage\n")
    with pytest.raises(ValueError, match="no ```text block"):
        command_list("# toy\n\n## Commands\n\nnone yet\n\n## Next\n```text\nrunback x\n```\n")
