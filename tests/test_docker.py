"""The Dockerfile and .dockerignore, checked by reading them (no image can be built here: no registry access).

What a user of the image would notice: a small build context, a dependency layer that survives source
edits, reproducible versions, `docker run IMAGE --sandbox` serving HTTP, a healthcheck on the port the
server really listens on. The container's command line and healthcheck are also run for real, as processes.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO, free_port
from tests.fake_upstream import child_env, start_child, wait_until_healthy


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list), f"{self.keyword} is not in exec (JSON array) form: {self.args}"
        return [str(v) for v in value]


def instructions(text: str) -> list[Instruction]:
    """Dockerfile instructions, continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, args = whole.partition(" ")
        found.append(Instruction(keyword.upper(), args.strip()))
    return found


DOCKERFILE = instructions((REPO / "Dockerfile").read_text())


def final_stage() -> list[Instruction]:
    starts = [i for i, ins in enumerate(DOCKERFILE) if ins.keyword == "FROM"]
    return DOCKERFILE[starts[-1]:]


def env_of(stage: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for ins in stage:
        if ins.keyword == "ENV":
            for pair in shlex.split(ins.args):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def test_every_base_image_is_pinned_to_a_full_version() -> None:
    images = [ins.args.split()[0] for ins in DOCKERFILE if ins.keyword == "FROM"]
    assert images
    for image in images:
        # name:MAJOR.MINOR.PATCH[-variant][@sha256:...]; never "latest", never a moving "3.11" or "3".
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+(-[\w.]+)*(@sha256:[0-9a-f]{64})?", image), image
    assert len(set(images)) == 1, "build and runtime stages should use the same base"
    python = re.search(r":(\d+\.\d+)\.", images[0])
    assert python and python.group(1) == "3.11", "the lock is resolved for Python 3.11"


def test_dependencies_install_from_the_lock_in_a_layer_before_any_source() -> None:
    stage = final_stage()
    lock_install = next(i for i, ins in enumerate(stage) if ins.keyword == "RUN" and "requirements.lock" in ins.args)
    assert "--no-deps" in stage[lock_install].args  # exactly the locked set, nothing resolved at build time
    lock_copy = next(i for i, ins in enumerate(stage) if ins.keyword == "COPY" and "requirements.lock" in ins.args)
    assert lock_copy < lock_install
    sources = [i for i, ins in enumerate(stage) if ins.keyword in ("COPY", "ADD") and i != lock_copy]
    assert sources and all(i > lock_install for i in sources), "source must be copied after the dependency layer"
    server_install = next(i for i, ins in enumerate(stage) if ins.keyword == "RUN" and ".whl" in ins.args)
    assert "--no-deps" in stage[server_install].args


def test_the_build_stage_pins_its_build_backend() -> None:
    build = DOCKERFILE[: [i for i, ins in enumerate(DOCKERFILE) if ins.keyword == "FROM"][-1]]
    assert any(ins.keyword == "RUN" and "requirements-build.lock" in ins.args for ins in build)
    assert any(ins.keyword == "RUN" and "--no-build-isolation" in ins.args for ins in build)
    pins = lock_pins(REPO / "requirements-build.lock")
    assert "hatchling" in pins
    required = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    for spec in map(Requirement, required):
        assert spec.specifier.contains(pins[canonicalize_name(spec.name)]), spec


def lock_pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep, f"{path.name}: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def runtime_closure() -> set[str]:
    """Every distribution the runtime dependencies pull in (as installed here), by canonical name."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    seen: set[str] = set()
    todo = [Requirement(r) for r in project["dependencies"]]
    while todo:
        requirement = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for extra in requirement.extras:  # e.g. mcp's own extras, if it ever asks for one
            todo.extend(r for r in map(Requirement, metadata.requires(name) or [])
                        if r.marker and r.marker.evaluate({"extra": extra}))
        todo.extend(Requirement(r) for r in metadata.requires(name) or [])
    return seen


def test_the_lock_pins_every_runtime_dependency_within_pyprojects_bounds() -> None:
    pins = lock_pins(REPO / "requirements.lock")
    missing = runtime_closure() - set(pins)
    assert not missing, f"requirements.lock lacks {sorted(missing)}: the image would install without them"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for spec in map(Requirement, project["dependencies"]):
        assert spec.specifier.contains(pins[canonicalize_name(spec.name)]), f"{spec} vs lock"


def test_the_entrypoint_takes_extra_arguments_and_the_defaults_serve_http() -> None:
    stage = final_stage()
    (entrypoint,) = [ins for ins in stage if ins.keyword == "ENTRYPOINT"]
    assert entrypoint.exec_form() == ["cal-mcp"]
    commands = [ins for ins in stage if ins.keyword == "CMD"]
    # No transport/host/port in CMD: `docker run IMAGE --sandbox` replaces CMD, and must still serve HTTP.
    assert all(not any(a.startswith(("--transport", "--host", "--port")) for a in c.exec_form()) for c in commands)
    env = env_of(stage)
    assert env["CAL_MCP_TRANSPORT"] == "http" and env["CAL_MCP_HOST"] == "0.0.0.0"
    assert env["CAL_MCP_PORT"].isdigit()
    assert any(ins.keyword == "USER" and ins.args not in ("root", "0") for ins in stage)


def healthcheck_command() -> list[str]:
    (check,) = [ins for ins in final_stage() if ins.keyword == "HEALTHCHECK"]
    command = check.args[check.args.index("CMD") + len("CMD"):].strip()
    return json.loads(command)


def test_the_healthcheck_asks_the_configured_port() -> None:
    command = " ".join(healthcheck_command())
    assert "CAL_MCP_PORT" in command and "8000" not in command


def run_healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    python, *args = healthcheck_command()
    assert python == "python"  # the image's interpreter; here, the one running the tests
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.slow
async def test_the_containers_command_line_serves_the_sandbox_over_http_and_passes_its_healthcheck(
    tmp_path: Path,
) -> None:
    """`docker run IMAGE --sandbox --allow-unauthenticated`, as the image would run it, minus the container."""
    stage = final_stage()
    (entrypoint,) = [ins for ins in stage if ins.keyword == "ENTRYPOINT"]
    assert entrypoint.exec_form() == ["cal-mcp"]  # run below as `python -m cal_mcp` (this checkout)
    port = free_port()
    # The image's environment, but on loopback and a free port (tests share this machine).
    env = child_env(**{**env_of(stage), "CAL_MCP_HOST": "127.0.0.1", "CAL_MCP_PORT": str(port)})
    child = start_child("cal_mcp", "--sandbox", "--allow-unauthenticated", env=env, stderr_path=tmp_path / "err")
    try:
        await wait_until_healthy(child, f"http://127.0.0.1:{port}")
        check = run_healthcheck(env)
        assert check.returncode == 0, check.stderr
        wrong = run_healthcheck({**env, "CAL_MCP_PORT": str(free_port())})
        assert wrong.returncode != 0  # the check really asks that port
    finally:
        child.stop()
    assert "SANDBOX MODE" in child.stderr()


# -- .dockerignore --------------------------------------------------------------------------------------------


def ignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern excludes a path it matches, or any path under a directory it matches."""
    result = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(p) for p in prefixes):
            result = not negate
    return result


@pytest.mark.parametrize("path", [
    ".venv/lib/python3.11/site-packages/mcp/__init__.py", ".venv-test/bin/python", ".ci-venv/bin/pip",
    ".ci-dist/calcom_mcp_server-0.1.0-py3-none-any.whl", ".git/objects/ab/cdef", ".git",
    "server/cal_mcp/__pycache__/cli.cpython-311.pyc", ".pytest_cache/v/cache/nodeids", ".mypy_cache/3.11/x.json",
    ".ruff_cache/CACHEDIR.TAG", ".hypothesis/examples/x", "tests/__toolsnaps__/CAL_X.json", "bench/cold_start.py",
])
def test_dockerignore_leaves_out_what_the_image_does_not_need(path: str) -> None:
    assert ignored(path, ignore_patterns())


def test_dockerignore_keeps_every_file_the_dockerfile_copies() -> None:
    patterns = ignore_patterns()
    copied = [src for ins in DOCKERFILE if ins.keyword == "COPY" and "--from=" not in ins.args
              for src in ins.args.split()[:-1]]
    assert {"pyproject.toml", "README.md", "server", "tool_specs", "requirements.lock"} <= set(copied)
    for source in copied:
        root = REPO / source
        files = [root] if root.is_file() else [
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files, source
        for file in files:
            assert not ignored(file.relative_to(REPO).as_posix(), patterns), file


def test_transport_host_and_port_default_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from cal_mcp.cli import parse_args

    monkeypatch.setenv("CAL_MCP_TRANSPORT", "http")
    monkeypatch.setenv("CAL_MCP_HOST", "0.0.0.0")
    monkeypatch.setenv("CAL_MCP_PORT", "9123")
    args = parse_args(["--sandbox"])
    assert (args.transport, args.host, args.port, args.sandbox) == ("http", "0.0.0.0", 9123, True)
    assert parse_args(["--port", "9200", "--transport", "sse"]).port == 9200  # a flag still wins

    monkeypatch.setenv("CAL_MCP_TRANSPORT", "websocket")
    with pytest.raises(SystemExit) as refused:
        parse_args([])
    assert refused.value.code == 2
    assert "CAL_MCP_TRANSPORT must be one of stdio, sse, http" in capsys.readouterr().err
