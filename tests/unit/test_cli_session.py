"""The command line's session: each command opens the database once, in its mode, and closes it
when it ends, whether it succeeded or was refused; both entry points reach the same commands."""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stratus_commander.cli import main


@pytest.fixture
def no_collector() -> Iterator[None]:
    """What is closed must be closed by the command itself, not by a collection."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def open_files(folder: Path) -> list[str]:
    """The files in ``folder`` this process holds open."""
    fds = Path("/proc/self/fd")
    links = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            links.append(os.readlink(fd))
    return sorted(link for link in links if link.startswith(str(folder)))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")
@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("incidents", "note", "INC-1", "Stripe status page green"), 0),  # records
        (("incidents", "show", "1"), 0),  # reads
        (("incidents", "note", "INC-9", "no such incident"), 2),  # refused
        (("--runbook", "missing.toml", "incidents", "show", "1"), 2),  # refused after opening
    ],
)
def test_a_command_closes_the_database_when_it_ends(
    tmp_path: Path, no_collector: None, args: tuple[str, ...], code: int
) -> None:
    db = tmp_path / "incidents.db"
    declare = ("incidents", "declare", "--title", "Payment API down", "--impact", "Major")
    assert run(db, *declare)[0] == 0
    assert open_files(tmp_path) == []
    assert run(db, *args)[0] == code
    assert open_files(tmp_path) == []


def test_python_dash_m_and_the_console_script_are_the_same_command_line(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    out = subprocess.run(
        [sys.executable, "-m", "stratus_commander", "--db", str(db), "incidents", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (out.returncode, out.stderr) == (2, f"Error: no database at {db} (a mistyped --db or "
                                                "STRATUS_COMMANDER_DB? `incidents declare` "
                                                "creates one)\n")  # fmt: skip
    assert run(db, "incidents", "list")[1] == out.stderr


def _readme_commands() -> list[list[str]]:
    """The command lines in the README's "Command line" section, continuation lines joined."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    lines = [line.split("#", 1)[0].split() for line in block.splitlines()]
    return [words[1:] for words in lines if words[:1] == ["stratus-commander"]]


def _leaves(group: click.Group, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            if command.invoke_without_command:  # `drill [SCENARIO]` is a command itself
                out.add((*path, name))
            out |= _leaves(command, (*path, name))
        else:
            out.add((*path, name))
    return out


def test_the_readme_lists_every_command_with_options_it_really_has() -> None:
    documented: set[tuple[str, ...]] = set()
    for words in _readme_commands():
        command: click.Command = main
        path: list[str] = []
        while isinstance(command, click.Group) and words[len(path) :][:1] != []:
            sub = command.commands.get(words[len(path)])
            if sub is None:
                break
            command, path = sub, [*path, words[len(path)]]
        documented.add(tuple(path))
        known = {opt for param in command.params for opt in param.opts}
        flags = {w.strip("[]").split("=")[0] for w in words if w.strip("[").startswith("-")}
        assert flags <= known, (path, flags - known)
    assert documented == {(), *_leaves(main)}
