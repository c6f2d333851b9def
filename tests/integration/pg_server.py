"""A real, throwaway PostgreSQL server for integration tests.

``pg_server`` (session-scoped) runs ``initdb`` + ``pg_ctl start`` in a fresh temp dir, listening on
127.0.0.1 at a free port and on a unix socket inside that dir, with ``max_connections=20``; it is
stopped (``-m immediate``) and the dir removed at the end of the session. PostgreSQL refuses to run
as root, so under root the server runs as the ``postgres`` (or ``nobody``) system user. When no
server binaries exist the tests using it skip, saying how to install them.

Two roles exist: the bootstrap superuser ``admin`` (trust over the unix socket, for test set-up)
and ``probe``, a password-authenticated non-superuser with ``pg_monitor`` (what a probe should use).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MAX_CONNECTIONS = 20
PROBE_PASSWORD = "probe-Pa55-not-a-secret"  # a throwaway password for a throwaway server
INSTALL_HINT = "PostgreSQL server binaries not found: apt-get install postgresql"


@dataclass(frozen=True)
class PgServer:
    datadir: Path
    socket_dir: Path
    port: int

    def admin_dsn(self, dbname: str = "postgres") -> str:
        """Superuser over the unix socket (trust auth): set-up and fault injection."""
        return f"host={self.socket_dir} port={self.port} user=admin dbname={dbname}"

    def probe_dsn(self, dbname: str = "postgres", password: str = PROBE_PASSWORD) -> str:
        """The non-superuser a probe connects as, over TCP with a password (as in production)."""
        return f"postgresql://probe:{password}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Kill the server (``-m immediate``: its clients see the connection drop, as in a crash).

        This throwaway server runs with ``synchronous_commit=off`` for speed, which a real one
        does not: a checkpoint first keeps every commit it acknowledged, as a real server would.
        """
        import psycopg

        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
        _pg_ctl(self, "-m", "immediate", "stop")

    def start(self) -> None:
        """Start it (again), on the same port and data; returns once it accepts connections."""
        log = str(self.socket_dir / "server.log")
        _pg_ctl(self, "-l", log, "-o", _options(self), "-w", "-t", "60", "start")


def _options(server: PgServer) -> str:
    return " ".join(
        [
            f"-c port={server.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={server.socket_dir}",
            f"-c max_connections={MAX_CONNECTIONS}",
            "-c fsync=off",
            "-c full_page_writes=off",
            "-c synchronous_commit=off",
            "-c shared_buffers=16MB",
            "-c deadlock_timeout=100ms",
        ]
    )


def _pg_ctl(server: PgServer, *args: str) -> None:
    bin_dir = find_bin_dir()
    assert bin_dir is not None  # the server runs: its binaries were found
    _run([str(bin_dir / "pg_ctl"), "-D", str(server.datadir), *args], **_runner(_run_as()))


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's versioned layout."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for candidate in reversed(versions):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as, or None to run as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    pytest.skip("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _runner(user: pwd.struct_passwd | None) -> dict[str, Any]:
    """subprocess kwargs that drop root to ``user`` (with its own group only)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
    if user is None:
        return {"env": env}
    env["HOME"] = user.pw_dir
    return {"env": env, "user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _run(cmd: list[str], **kw: Any) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120, **kw)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(INSTALL_HINT)
    user = _run_as()
    run_kw = _runner(user)
    # Not under pytest's tmp dir: that is private to root, and the server user must enter it.
    root = Path(tempfile.mkdtemp(prefix="stratus-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PgServer(datadir=root / "data", socket_dir=root, port=_free_port())
    pwfile = root / "pw"
    pwfile.write_text("unused-bootstrap-password\n")
    if user is not None:
        os.chown(pwfile, user.pw_uid, user.pw_gid)
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(server.datadir),
                "-U",
                "admin",
                "--pwfile",
                str(pwfile),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            **run_kw,
        )
        server.start()
        _bootstrap(server)
        yield server
    finally:
        # Also after a failed or timed-out start: a postmaster may be running all the same.
        if (server.datadir / "postmaster.pid").exists():
            subprocess.run(
                [str(bin_dir / "pg_ctl"), "-D", str(server.datadir), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
                timeout=60,
                **run_kw,
            )
        shutil.rmtree(root, ignore_errors=True)


def _bootstrap(server: PgServer) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server.admin_dsn(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE probe LOGIN PASSWORD {} IN ROLE pg_monitor").format(
                sql.Literal(PROBE_PASSWORD)
            )
        )
