"""Shared fixtures: the reference data folder, the loaded registry, loopback servers in a thread."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cal_mcp.registry import Registry, load_registry
from cal_mcp.sandbox.app import create_app
from cal_mcp.sandbox.state import SandboxState
from tests.fake_upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Every spec file in tool_specs/, counted from disk rather than through the loader: the server must serve
# exactly one tool per file (the 141 seed tools and the ones added beyond them).
TOOL_SPEC_FILES = tuple(sorted(REPO.joinpath("tool_specs").glob("*/*.json")))
TOOL_COUNT = len(TOOL_SPEC_FILES)


def require_shared(*parts: str) -> Path:
    """``../shared/<parts>``; skip when absent, but fail under CI, where it must be there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"reference data {path} is absent (it lives beside the repository, in ../shared)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI=true requires it")
        pytest.skip(message)
    return path


@pytest.fixture
def cal() -> Iterator[FakeUpstream]:
    """A programmable fake Cal on loopback (``tests/fake_upstream.py``); modules may override it."""
    with FakeUpstream() as upstream:
        yield upstream


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on loopback in a background thread; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("loopback server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox in process, authenticated; a test module provides the ``state`` it serves."""
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sandbox", headers={"Authorization": "Bearer x"}
    ) as client:
        yield client
