"""A websocket client on a plain blocking socket, for load generators that run on gevent (Locust).

``websockets``' own sync client starts a thread per connection that reads frames and hands
them over through locks and condition variables; under gevent each of those is a greenlet and
a switch per message, which made about half of a Locust user's CPU per event. This client does
the websocket protocol with ``websockets``' sans-I/O ``ClientProtocol`` and reads and writes the
socket itself, in the caller's own greenlet (or thread): no thread, no lock, no timer. It does
what a replay needs: connect with headers, send text, receive with a timeout, close.
"""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Mapping
from types import TracebackType

from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

_READ_BYTES = 65536
_DATA = (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)


class BlockingWebSocket:
    """One websocket connection, read and written by whoever calls it (see the module)."""

    def __init__(
        self, url: str, *, headers: Mapping[str, str] | None = None, open_timeout: float = 10.0
    ) -> None:
        uri = parse_uri(url)
        self._protocol = ClientProtocol(uri)
        self._messages: deque[bytes] = deque()
        self._fragments: list[bytes] = []  # of a message that came in several frames
        self._socket = _connect(uri.host, uri.port, open_timeout)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._handshake(dict(headers or {}), open_timeout)
        except BaseException:
            self._socket.close()
            raise

    def _handshake(self, headers: dict[str, str], timeout: float) -> None:
        request = self._protocol.connect()
        for name, value in headers.items():
            request.headers[name] = value
        self._protocol.send_request(request)
        self._flush()
        while self._protocol.state is State.CONNECTING:
            try:
                self._read(timeout)
            except TimeoutError:
                raise TimeoutError(f"no answer to the websocket handshake in {timeout} s") from None
        if self._protocol.handshake_exc is not None:
            raise self._protocol.handshake_exc
        if self._protocol.state is not State.OPEN:
            raise InvalidHandshake("the server did not open the websocket")

    def send(self, message: str | bytes) -> None:
        """Send ``message`` as one text frame (UTF-8 ``bytes`` are sent as they are)."""
        self._protocol.send_text(message.encode() if isinstance(message, str) else message)
        self._flush()

    def recv(self, timeout: float | None = None) -> bytes:
        """The next message, as its UTF-8 bytes (a JSON parser takes them without a decode);
        ``TimeoutError`` if none came within ``timeout`` seconds (0: only one already here),
        ``ConnectionClosed`` once the connection is closed."""
        while not self._messages:
            self._read(timeout)
        return self._messages.popleft()

    def close(self) -> None:
        """Say goodbye (a close frame) and close the socket."""
        try:
            if self._protocol.state is State.OPEN:
                self._protocol.send_close()
                self._flush()
        except OSError:
            pass  # the other side has gone: nothing to say goodbye to
        finally:
            self._socket.close()

    def __enter__(self) -> BlockingWebSocket:
        return self

    def __exit__(
        self, _kind: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def _read(self, timeout: float | None) -> None:
        if self._closed():
            raise ConnectionClosed(self._protocol.close_rcvd, self._protocol.close_sent)
        self._socket.settimeout(timeout)
        try:
            data = self._socket.recv(_READ_BYTES)
        except BlockingIOError:  # timeout 0 and nothing there
            raise TimeoutError("no message yet") from None
        except TimeoutError:
            raise TimeoutError(f"no message in {timeout} s") from None
        if data:
            self._protocol.receive_data(data)
        else:
            self._protocol.receive_eof()
        for event in self._protocol.events_received():
            if isinstance(event, Frame) and event.opcode in _DATA:
                self._fragments.append(bytes(event.data))
                if event.fin:
                    self._messages.append(b"".join(self._fragments))
                    self._fragments.clear()
        self._flush()  # pongs and the close handshake the protocol answers by itself
        if self._closed() and not self._messages:
            raise ConnectionClosed(self._protocol.close_rcvd, self._protocol.close_sent)

    def _closed(self) -> bool:
        return self._protocol.state is State.CLOSED

    def _flush(self) -> None:
        data = self._protocol.data_to_send()
        if data:
            self._socket.sendall(b"".join(data))


def _connect(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to ``host`` (as ``parse_uri`` gives it: an IPv6 address without its
    brackets); an address (``127.0.0.1``, ``::1``) is not looked up.

    ``socket.create_connection`` looks every host up with ``getaddrinfo``, which gevent hands to
    a thread of its pool and back: about a tenth of a Locust user's CPU when each replay opens
    a new page. gevent's ``connect`` takes an address as it is."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        connection = socket.socket(family, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        try:
            connection.connect((host, port))
        except BaseException:
            connection.close()
            raise
        return connection
    return socket.create_connection((host, port), timeout=timeout)  # a name: looked up
