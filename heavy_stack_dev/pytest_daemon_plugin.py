"""``pytest -p heavy_stack_dev.pytest_daemon_plugin ...``: run in the pytest daemon when one is up.

With a daemon running (``make test-daemon``), the whole run (this command line, working
directory and environment) goes to the daemon, and its output and exit code come back here;
without one, pytest runs here as usual. VS Code's test runner passes this plugin (see
``.vscode/settings.json``), so running a test from the editor uses the warm daemon whenever it
is up. Debugging a test runs it in the process being debugged; to stop on breakpoints in the
daemon instead, start it with the "Pytest Daemon" launch profile and run the test.

The hand-over happens before pytest imports any ``conftest.py``: importing the project would
cost the client the seconds the daemon is there to save.
"""

from __future__ import annotations

import sys

import pytest

from heavy_stack_dev import pytest_daemon_client

_forwarding = True
_DAEMON_EXIT_CODE = pytest.StashKey[int]()


def disable_forwarding() -> None:
    """Run here from now on: the daemon calls this, as its own runs load this plugin too."""
    global _forwarding
    _forwarding = False


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Hand the run to the daemon if one answers; then skip loading conftests here."""
    if not _forwarding or _debugger_attached():
        return  # under a debugger, the tests must run in the process being debugged
    try:
        code = pytest_daemon_client.run_in_daemon(
            early_config.invocation_params.args,
            out=sys.stdout,
            cwd=str(early_config.invocation_params.dir),
        )
    except pytest_daemon_client.DaemonUnavailableError:
        return  # no daemon: an ordinary local run
    print("(ran in the pytest daemon)", file=sys.stderr)
    early_config.stash[_DAEMON_EXIT_CODE] = code
    early_config.known_args_namespace.noconftest = True


def _debugger_attached() -> bool:
    return "debugpy" in sys.modules or "pydevd" in sys.modules or sys.gettrace() is not None


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Stop with the daemon's exit code when the daemon ran the tests."""
    return config.stash.get(_DAEMON_EXIT_CODE, None)
