"""Shared by the bench scripts: child processes that are always cleaned up, ports, stats, RSS, tables.

Nothing here measures anything by itself. Every script starts the processes it compares in the
same run (these machines are shared and noisy, so figures from different runs do not compare).
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = sys.executable
BENCH_API_KEY = "cal_bench_key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    """Block until ``port`` accepts a TCP connection; returns the seconds waited."""
    start = time.perf_counter()
    deadline = start + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - start
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{proc.args!r} did not listen on {port} within {timeout:g} s")
        time.sleep(0.01)


def child_env(**extra: str) -> dict[str, str]:
    """The caller's environment without CAL_* settings, and with Python's bytecode cache allowed.

    PYTHONDONTWRITEBYTECODE would make every cold start recompile cal-mcp's modules (installed
    packages ship compiled), which is neither what users run nor fair to the comparison.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAL_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def cal_env(upstream: str, **extra: str) -> dict[str, str]:
    return child_env(
        CAL_API_BASE_URL=upstream,
        CAL_API_KEY=BENCH_API_KEY,
        CAL_MCP_RATE_LIMIT="0",  # the local budget toward Cal would cap a benchmark at 120 calls/min
        **extra,
    )


class Children:
    """Starts processes and ends every one of them (TERM, then KILL) however the script exits."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_all()

    def start(self, args: Sequence[str], *, env: dict[str, str] | None = None, quiet: bool = True,
              stdin: int | IO[Any] | None = None, stdout: int | IO[Any] | None = None,
              stderr: int | IO[Any] | None = None) -> subprocess.Popen[bytes]:
        """Start a child; unless ``quiet`` is False, output not redirected here is discarded."""
        default = subprocess.DEVNULL if quiet else None
        proc = subprocess.Popen(
            list(args), env=env, cwd=REPO, stdin=stdin,
            stdout=default if stdout is None else stdout, stderr=default if stderr is None else stderr,
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)

    def http_server(self, args: Sequence[str], port: int, *, env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = self.start(args, env=env)
        wait_for_port(port, proc)
        return proc

    def upstream(self) -> str:
        """The loopback fake Cal (bench/upstream.py) in its own process; returns its base URL."""
        port = free_port()
        self.http_server([PYTHON, str(BENCH / "upstream.py"), "--port", str(port)], port, env=child_env())
        return f"http://127.0.0.1:{port}"

    def cal_mcp_http(self, upstream: str, *flags: str) -> Served:
        """``python -m cal_mcp --transport http`` pointed at ``upstream``."""
        port = free_port()
        args = [PYTHON, "-m", "cal_mcp", "--transport", "http", "--port", str(port), *flags]
        proc = self.http_server(args, port, env=cal_env(upstream))
        return Served(f"http://127.0.0.1:{port}/mcp", proc)

    def bare_http(self, upstream: str, *flags: str) -> Served:
        """The one-tool low-level SDK proxy (bench/bare_server.py)."""
        port = free_port()
        args = [PYTHON, str(BENCH / "bare_server.py"), "--transport", "http", "--port", str(port),
                "--upstream", upstream, *flags]
        proc = self.http_server(args, port, env=child_env())
        return Served(f"http://127.0.0.1:{port}/mcp", proc)


@dataclass(frozen=True)
class Served:
    url: str
    proc: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid


# ---- statistics ---------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


# ---- resident memory and CPU time of a child (Linux /proc) ---------------------------------------

def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


# ---- output -------------------------------------------------------------------------------------

def machine_line() -> str:
    from importlib.metadata import version

    return (f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
            f"mcp {version('mcp')}, {platform.system()} {platform.release()}")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in
                                                             range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    print(f"\n## {title}", flush=True)
    yield
    sys.stdout.flush()
