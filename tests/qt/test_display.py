"""Which displays answer: a listening X11 TCP port or Wayland socket does, a dead one does not."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus_commander.qt.display import unreachable_display

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="unix sockets")


@pytest.fixture
def x11_port() -> Iterator[int]:
    """A listening loopback port an X11 display number can name (6000 + n)."""
    server = socket.socket()
    for port in range(6100, 6400):
        try:
            server.bind(("127.0.0.1", port))
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port in 6100–6399")
    server.listen()
    with server:
        yield port


def test_a_listening_x11_display_answers(x11_port: int) -> None:
    assert unreachable_display({"DISPLAY": f"127.0.0.1:{x11_port - 6000}.0"}) is None


def test_a_closed_x11_port_or_a_missing_local_socket_is_named(x11_port: int) -> None:
    free = x11_port - 6000 + 1  # the fixture took the first free port: the next may be free too
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 6000 + free)) == 0:
            pytest.skip("the next port is in use")
    problem = unreachable_display({"DISPLAY": f"127.0.0.1:{free}"})
    assert problem is not None and f"DISPLAY=127.0.0.1:{free}" in problem
    problem = unreachable_display({"DISPLAY": ":987"})
    assert problem is not None and "(DISPLAY=:987;" in problem


def test_a_wayland_socket_answers_and_a_stale_one_does_not(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "wayland-1"))
        server.listen()
        env = {"XDG_RUNTIME_DIR": str(tmp_path), "WAYLAND_DISPLAY": "wayland-1"}
        assert unreachable_display(env) is None
        # Either display answering is enough: Qt falls back to the other.
        assert unreachable_display(env | {"DISPLAY": ":987"}) is None
    (tmp_path / "wayland-1").unlink()
    problem = unreachable_display(
        {"XDG_RUNTIME_DIR": str(tmp_path), "WAYLAND_DISPLAY": "wayland-1"}
    )
    assert problem is not None and "WAYLAND_DISPLAY=wayland-1" in problem


@pytest.mark.parametrize("odd", ["host:99999", "x" * 300 + ":0", ":0\0", "nonsense", "a..b:1"])
def test_odd_display_values_never_raise(odd: str) -> None:
    problem = unreachable_display({"DISPLAY": odd})
    assert problem is None or f"DISPLAY={odd}" in problem
