"""Run tests in the warm pytest daemon (``make test-daemon``) and show their output here.

    python -m heavy_stack_dev.pytest_daemon_client tests/backend -k layers   # any pytest arguments

It sends the arguments, the working directory and the environment to the daemon, prints what
pytest prints there, and exits with pytest's exit code. ``pytest_daemon_plugin`` does the same
from inside ``pytest`` (that is how VS Code's test runner reaches the daemon).

The daemon writes where it listens, with a secret token, to ``.data/pytest-daemon.json``
(readable by its owner only): only processes of the same user can ask it to run anything.
This module uses the standard library only, so the client starts in a few milliseconds.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

# The project folder, found without importing the package's settings (and pydantic).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ADDRESS_FILE = PROJECT_ROOT / ".data" / "pytest-daemon.json"
CONNECT_TIMEOUT = 2.0
EXIT_NO_DAEMON = 2  # like a command-line error: nothing ran


class DaemonUnavailableError(ConnectionError):
    """No daemon answers (none started, or it stopped); the message says how to start one."""


@dataclass(frozen=True)
class DaemonAddress:
    """Where a running daemon listens, and the token it expects."""

    host: str
    port: int
    token: str
    pid: int

    def save(self, path: Path = ADDRESS_FILE) -> None:
        """Write the address, readable and writable by this user only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(asdict(self), file)

    @classmethod
    def load(cls, path: Path = ADDRESS_FILE) -> DaemonAddress | None:
        """The saved address, or ``None`` when no daemon has written one."""
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def run_in_daemon(
    args: Sequence[str], *, out: TextIO, address: DaemonAddress | None = None, cwd: str | None = None
) -> int:
    """Run ``pytest ARGS`` in the daemon, writing its output to ``out``; returns pytest's exit code.

    Raises DaemonUnavailableError when no daemon answers.
    """
    address = address or DaemonAddress.load()
    if address is None:
        raise DaemonUnavailableError("No pytest daemon is running: start one with `make test-daemon`.")
    try:
        connection = socket.create_connection((address.host, address.port), timeout=CONNECT_TIMEOUT)
    except OSError as error:
        raise DaemonUnavailableError(
            f"The pytest daemon at {address.host}:{address.port} does not answer ({error}): "
            "start one with `make test-daemon`."
        ) from None
    with connection:
        connection.settimeout(None)  # a test run takes as long as it takes
        connection.sendall(_request(args, address.token, cwd or os.getcwd()) + b"\n")
        return _relay_replies(connection, out)


def _request(args: Sequence[str], token: str, cwd: str) -> bytes:
    # The environment and path go along: tests see the caller's variables, and plugins the
    # caller can import (VS Code's, for one) can be imported in the daemon too.
    request = {"token": token, "args": list(args), "cwd": cwd, "env": dict(os.environ), "sys_path": sys.path}
    return json.dumps(request).encode()


def _relay_replies(connection: socket.socket, out: TextIO) -> int:
    with connection.makefile("r", encoding="utf-8") as replies:
        for line in replies:
            reply: dict[str, Any] = json.loads(line)
            if "out" in reply:
                out.write(reply["out"])
                out.flush()
            elif "exit" in reply:
                return int(reply["exit"])
            elif "error" in reply:
                raise DaemonUnavailableError(f"The pytest daemon refused the run: {reply['error']}")
    raise DaemonUnavailableError("The pytest daemon closed the connection before the run ended.")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: pytest's own arguments, run in the daemon."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if sys.stdout.isatty() and not any(arg.startswith("--color") for arg in args):
        args.append("--color=yes")  # the daemon writes to a socket, not a terminal
    started = time.monotonic()
    try:
        code = run_in_daemon(args, out=sys.stdout)
    except DaemonUnavailableError as error:
        print(error, file=sys.stderr)
        return EXIT_NO_DAEMON
    print(f"(ran in the pytest daemon in {time.monotonic() - started:.2f} s)", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
