"""The README's one table of commands is the command line's own help, and a newcomer sets up with two commands."""

from __future__ import annotations

import re
from pathlib import Path

from broker.cli.readme_table import BEGIN, END, command_table, readme_table, with_table

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_table_is_what_the_command_line_generates():
    readme = README.read_text(encoding="utf-8")
    assert readme_table(readme) == command_table(), (
        "the README's command table differs from the command line: run "
        "`python -m broker.cli.readme_table --update README.md`")


def test_the_readme_holds_the_table_once_and_no_other_rows_of_commands():
    readme = README.read_text(encoding="utf-8")
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    outside = readme.split(BEGIN)[0] + readme.split(END)[1]
    assert not re.findall(r"^\| `broker ", outside, flags=re.MULTILINE)


def test_every_command_and_subcommand_has_a_row():
    table = command_table()
    for command in ("broker serve", "broker db upgrade", "broker keys shred", "broker audit verify",
                    "broker simulators serve", "broker dev-token"):
        assert f"| `{command}" in table
    assert all(row.count(" | ") == 1 for row in table.splitlines()[2:]), "a help line breaks the table"


def test_updating_writes_the_generated_table_between_the_markers():
    stale = f"intro\n\n{BEGIN}\n| command | what it does |\n|---|---|\n| `broker gone` | no more |\n{END}\n\nrest\n"
    updated = with_table(stale)
    assert readme_table(updated) == command_table()
    assert updated.startswith("intro\n\n") and updated.endswith("\n\nrest\n")


def test_a_newcomer_sets_up_with_make_run_and_make_test_only():
    readme = README.read_text(encoding="utf-8")
    getting_started = readme.split("## Getting started", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", getting_started, flags=re.DOTALL)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
