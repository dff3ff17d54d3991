"""The README's generated tables match tool_specs/ (UPDATE_README=1 rewrites them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client

from cal_mcp.specs import load_specs
from tests.conftest import REPO, free_port
from tests.fake_upstream import Child, wait_until_healthy
from tests.readme_tables import replace_block, tools_table, toolsets_table


def test_readme_tool_and_toolset_tables_are_current() -> None:
    specs = load_specs()
    path = REPO / "README.md"
    text = path.read_text()
    fresh = replace_block(replace_block(text, "toolsets", toolsets_table(specs)), "tools", tools_table(specs))
    if os.environ.get("UPDATE_README") == "1":
        path.write_text(fresh)
        text = fresh
    assert text == fresh, "README tables are stale: run UPDATE_README=1 pytest tests/test_readme.py"


def test_readme_gives_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    assert "cal-mcp --sandbox --transport http" in text
    assert "python -m pytest" in text


# -- the Quick start's two commands (issue 15: a running server must survive running the tests) ------------

QUICK_START = "## Quick start"


def quick_start_commands() -> tuple[str, str]:
    """The run command and the test command, as the README's Quick start gives them."""
    text = (REPO / "README.md").read_text()
    section = text[text.index(QUICK_START):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
    run = next(b for b in blocks if "cal-mcp --sandbox" in b)
    test = next(b for b in blocks if "pytest" in b)
    return run.strip(), test.strip()


def venvs_used(command: str) -> set[str]:
    return set(re.findall(r"(?:^|\s)(\.[\w-]+)/bin/", command)) | set(re.findall(r"-m venv (\S+)", command))


def test_the_run_and_test_commands_use_separate_environments() -> None:
    run, test = quick_start_commands()
    run_venvs, test_venvs = venvs_used(run), venvs_used(test)
    assert len(run_venvs) == 1 and len(test_venvs) == 1, (run_venvs, test_venvs)
    assert not run_venvs & test_venvs, "the test command must not reinstall into the venv the server runs from"
    assert " -e " not in run  # the server runs from an installed copy, not from the working tree
    assert run.endswith("cal-mcp --sandbox --transport http") and "python -m pytest" in test
    ignored = (REPO / ".gitignore").read_text().split()
    assert {f"{v}/" for v in run_venvs | test_venvs} <= set(ignored)


def test_the_install_by_name_lines_name_the_distribution_and_a_command_it_installs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    name, scripts = project["name"], project["scripts"]
    assert name != "cal-mcp", "cal-mcp on PyPI is another project's"
    assert scripts["cal-mcp"] == "cal_mcp.cli:main"
    text = (REPO / "README.md").read_text()
    uvx = re.findall(r"uvx (\S+)", text)
    pipx = re.findall(r"pipx run (\S+)", text)
    assert uvx and pipx and set(uvx) == set(pipx) == {name}
    # uvx/pipx run the command named like the package: it must exist and be the server.
    assert scripts[name] == "cal_mcp.cli:main"


def copy_checkout(destination: Path) -> None:
    """The checkout's files (tracked and new, not ignored: no venvs, no caches), as a fresh clone has them."""
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard"],
                           capture_output=True, text=True, check=False)
    if files.returncode != 0:
        pytest.skip("not a git checkout: cannot make a clean copy of it")
    for name in files.stdout.splitlines():
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)


def shell(command: str, cwd: Path, env: dict[str, str]) -> None:
    """Run a README command line with bash; skip (fail under CI) when it cannot install."""
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    if done.returncode != 0:
        message = f"{command!r} failed (it needs the package index):\n{done.stderr[-1500:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def start_script(script: Path, args: list[str], cwd: Path, env: dict[str, str], stderr_path: Path) -> Child:
    with stderr_path.open("wb") as errors:
        process = subprocess.Popen([str(script), *args], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
    return Child(process, stderr_path)


@pytest.mark.slow
async def test_a_server_started_by_the_run_command_survives_the_test_commands_install(tmp_path: Path) -> None:
    """The two commands as written, in a copy of this checkout: the install of the second leaves the first alone.

    Before they had separate venvs, the second command's editable reinstall broke the running server
    (every call failed with "No module named 'cal_mcp.errors'" while /healthz said ok).
    """
    run, test = quick_start_commands()
    run_setup, _, run_server = run.rpartition(" && ")
    test_setup, _, _ = test.rpartition(" && ")  # installing is what disturbed the server; the suite is not rerun
    clone = tmp_path / "clone"
    copy_checkout(clone)
    # Nothing of this checkout on PYTHONPATH: the server must run from its own venv, as a user's would.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    await anyio.to_thread.run_sync(shell, run_setup, clone, env)
    port = free_port()
    script, *args = run_server.split()
    child = start_script(clone / script, [*args, "--port", str(port)], clone, env, tmp_path / "server.txt")
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(child, url)

        async def list_event_types() -> None:
            async with Client(f"{url}/mcp") as client:
                result = await client.call_tool("CAL_LIST_EVENT_TYPES", {})
            assert not result.is_error, result.content

        await list_event_types()
        await anyio.to_thread.run_sync(shell, test_setup, clone, env)
        await list_event_types()  # still serving tools, not just /healthz
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{url}/healthz")).status_code == 200
    finally:
        child.stop()
    assert "No module named" not in child.stderr()
