"""Run a command while other programs hold the usual ports, as on a developer's machine.

    python -m heavy.testing.hold_ports 8000 8080 8089 -- make test

A developer tests with ``make run`` on 8000, ``make cluster`` on 8080 or Locust's web UI on
8089 still open. Here each of those ports answers every connection with a 503 and closes it,
so a test that reaches for a fixed port fails at once instead of passing by luck. A port
already in use is held by someone else anyway: it is named and left alone. Exits with the
command's exit code.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence

BUSY_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 35\r\n"
    b"Connection: close\r\n\r\nThis port is held by hold_ports.py\n"
)


def hold(port: int) -> socket.socket | None:
    """A socket listening on 127.0.0.1:``port``, or None if the port is taken already."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", port))
    except OSError:
        listener.close()
        return None
    listener.listen()
    threading.Thread(target=_answer_busy, args=(listener,), daemon=True).start()
    return listener


def _answer_busy(listener: socket.socket) -> None:
    while True:
        try:
            connection, _address = listener.accept()
        except OSError:  # closed: the command has finished
            return
        with connection, contextlib.suppress(OSError):
            connection.sendall(BUSY_ANSWER)


def main(argv: Sequence[str] | None = None) -> int:
    """Hold the ports, run the command, release the ports; the command's exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    if "--" not in words or not words[words.index("--") + 1 :]:
        raise SystemExit(
            f"usage: python -m {__spec__.name if __spec__ else 'hold_ports'} PORT... -- COMMAND..."
        )
    split = words.index("--")
    ports, command = [int(port) for port in words[:split]], words[split + 1 :]
    held = {port: hold(port) for port in ports}
    mine = ", ".join(str(port) for port, listener in held.items() if listener is not None)
    taken = ", ".join(str(port) for port, listener in held.items() if listener is None)
    print(
        f"hold_ports: holding {mine or 'no port'}" + (f" ({taken} in use already)" if taken else ""),
        flush=True,
    )
    try:
        return subprocess.run(command, check=False).returncode
    finally:
        for listener in held.values():
            if listener is not None:
                listener.close()


if __name__ == "__main__":
    sys.exit(main())
