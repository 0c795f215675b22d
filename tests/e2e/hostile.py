"""Misbehaving servers on loopback for the hostile-endpoint tests: a listener that never finishes the TLS
handshake, one that drips its body a byte at a time, and an attacker that records whoever reaches it.

Every server here is bounded: it serves on 127.0.0.1 only, its threads are daemons that give up after
`MAX_SECONDS`, and `stop()` ends them; nothing outlives the test that started it.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType

import trustme

#: No connection handler of these servers lives longer than this, whatever the client does.
MAX_SECONDS = 10.0
#: Bytes the drip server sends at most (one per DRIP_INTERVAL): it would take 20 s, far past any test bound.
DRIP_BYTES = 200
DRIP_INTERVAL = 0.1

Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A TCP listener on 127.0.0.1 handing each connection to `behaviour` in a daemon thread."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._threads: list[threading.Thread] = []
        self.connections = 0
        #: Every byte any client sent (an attacker checks it holds no token and no secret).
        self.received = bytearray()
        self._lock = threading.Lock()
        self._accepter = threading.Thread(target=self._accept, name="raw-server", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._accepter.join(timeout=2)
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()

    def record(self, data: bytes) -> None:
        with self._lock:
            self.received.extend(data)

    def _accept(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set() and time.monotonic() - started < MAX_SECONDS * 6:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(MAX_SECONDS)
        try:
            self._behaviour(connection, self._stop)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                connection.close()


def stall(connection: socket.socket, stop: threading.Event) -> None:
    """Accept TCP and never answer: the client's TLS ClientHello goes unanswered."""
    stop.wait(MAX_SECONDS)


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """A TLS server context with a 127.0.0.1 certificate issued by the fake tenant's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


def _read_request(stream: ssl.SSLSocket, server: RawServer | None = None) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = stream.recv(4096)
        if not chunk:
            break
        data += chunk
    if server is not None:
        server.record(data)
    return data


def dripping(ca: trustme.CA) -> Behaviour:
    """TLS, then headers announcing a large JSON body sent one byte every DRIP_INTERVAL seconds."""
    context = server_context(ca)

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(connection, server_side=True) as stream:
            _read_request(stream)
            stream.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {DRIP_BYTES}\r\n\r\n".encode()
            )
            for _ in range(DRIP_BYTES):
                if stop.wait(DRIP_INTERVAL):
                    return
                stream.sendall(b" ")

    return behaviour


#: A response head padded so that, at one byte per DRIP_INTERVAL, it would take DRIP_BYTES intervals to send.
_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
DRIPPED_HEAD = _HEAD + b"X-Pad: " + b"a" * (DRIP_BYTES - len(_HEAD) - 11) + b"\r\n\r\n{}"


def dripping_head(ca: trustme.CA) -> Behaviour:
    """TLS, then the status line and headers one byte every DRIP_INTERVAL seconds (each well within any read
    timeout): only a deadline over the whole request ends it."""
    context = server_context(ca)

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(connection, server_side=True) as stream:
            _read_request(stream)
            for index in range(len(DRIPPED_HEAD)):
                if stop.wait(DRIP_INTERVAL):
                    return
                stream.sendall(DRIPPED_HEAD[index : index + 1])

    return behaviour


#: What the flooding server sends at most: 4 MiB in chunks, with no Content-Length to refuse it by.
FLOOD_BYTES = 4 * 2**20
_FLOOD_CHUNK = 64 * 1024


def flooding(ca: trustme.CA) -> Behaviour:
    """TLS, then a chunked JSON body of FLOOD_BYTES sent as fast as the client reads it."""
    context = server_context(ca)

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(connection, server_side=True) as stream:
            _read_request(stream)
            stream.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = f"{_FLOOD_CHUNK:x}\r\n".encode() + b" " * _FLOOD_CHUNK + b"\r\n"
            for _ in range(FLOOD_BYTES // _FLOOD_CHUNK):
                if stop.is_set():
                    return
                stream.sendall(chunk)
            stream.sendall(b"0\r\n\r\n")

    return behaviour


def attacker(ca: trustme.CA, server: list[RawServer]) -> Behaviour:
    """TLS, then record the whole request (headers and any body) and answer an empty 200."""
    context = server_context(ca)

    def behaviour(connection: socket.socket, stop: threading.Event) -> None:
        with context.wrap_socket(connection, server_side=True) as stream:
            head = _read_request(stream, server[0])
            with contextlib.suppress(OSError):
                stream.settimeout(0.5)
                server[0].record(stream.recv(65536))  # a form body (client_secret) would follow the headers
            del head
            stream.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    return behaviour


def attacker_server(ca: trustme.CA) -> RawServer:
    """A listener that records every byte sent to it (it must receive none in these tests)."""
    holder: list[RawServer] = []
    server = RawServer(attacker(ca, holder))
    holder.append(server)
    return server
