"""Real Redis, PostgreSQL and haproxy for the tests, from the machine's packages, in temp dirs.

Each is started on a free loopback port with its files in a fresh directory and stopped (and the
directory removed) afterwards. Missing binaries skip the test locally and fail it under CI=true,
where ``.ci/run`` installs them (Debian: ``redis-server``, ``postgresql``, ``haproxy``).

PostgreSQL refuses to run as root, so as root its commands run as the ``postgres`` system user the
Debian package creates (``Popen(user=...)``), with the data directory owned by that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port


def require_binary(name: str, *extra_dirs: str) -> str:
    """The path of ``name``; skip when it is absent (fail under CI, which installs it)."""
    found = shutil.which(name)
    for pattern in extra_dirs:
        if found:
            break
        candidates = sorted(glob.glob(os.path.join(pattern, name)))
        found = candidates[-1] if candidates else None
    if not found:
        message = f"{name} is not installed (Debian: see .ci/run)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return found


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:g} s:\n{log.read_text(errors='replace')}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """redis-server on ``port`` (no persistence), its files and log in ``workdir``; returns once it listens."""
    binary = require_binary("redis-server")
    log = workdir / "redis.log"
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=sink, stderr=subprocess.STDOUT,
        )
    wait_for_port(port, proc, "redis-server", log)
    return proc


@contextlib.contextmanager
def running_redis() -> Iterator[str]:
    """A private redis-server (no persistence) on a free port; yields its ``redis://`` URL."""
    require_binary("redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="cal-mcp-redis-"))
    port = free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc = start_redis(port, workdir)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def _postgres_user() -> dict[str, str]:
    """Popen arguments that run a PostgreSQL command as ``postgres`` when this process is root."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """A private PostgreSQL cluster (trust auth, loopback only); yields a ``postgresql://`` URL."""
    pg_dirs = ("/usr/lib/postgresql/*/bin",)
    initdb = require_binary("initdb", *pg_dirs)
    postgres = require_binary("postgres", *pg_dirs)
    workdir = Path(tempfile.mkdtemp(prefix="cal-mcp-pg-"))
    data, sockets = workdir / "data", workdir / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    port = free_port()
    log = workdir / "postgres.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [initdb, "-D", str(data), "-U", "cal_mcp", "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, cwd=workdir, **_postgres_user(),  # type: ignore[call-overload]
        )
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [postgres, "-D", str(data), "-p", str(port), "-k", str(sockets),
                 "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
                stdout=sink, stderr=subprocess.STDOUT, cwd=workdir, **_postgres_user(),  # type: ignore[call-overload]
            )
        wait_for_port(port, proc, "postgres", log)
        yield f"postgresql://cal_mcp@127.0.0.1:{port}/postgres"
    finally:
        if proc is not None:
            # SIGINT: PostgreSQL's "fast" shutdown (SIGTERM would wait for clients to leave).
            if proc.poll() is None:
                proc.send_signal(2)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
