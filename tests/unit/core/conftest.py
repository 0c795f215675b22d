"""Local servers on 127.0.0.1 for the core tests: a scripted HTTP(S) server, a refused port, a silent port."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme


@dataclass
class Reply:
    """One scripted answer: a status, a body (dict/list as JSON, str as text, None as empty) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it: the request target exactly as sent, and the headers."""

    method: str
    target: str
    headers: dict[str, str]


#: A scripted answer: (status, body) or (status, body, headers), or a function of the request giving one.
Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]]
Responder = Answer | Callable[[Seen], Answer]


class ScriptedServer:
    """An HTTP(S) server on 127.0.0.1 that answers each request target from a script and records it.

    A target (path and query, exactly as sent) maps to a list of answers given in turn; the last one
    repeats. An answer is (status, body) or (status, body, headers); a body that is a dict or list is
    sent as JSON, a str as text/html, None as nothing. An unscripted target gets a Graph-shaped 404.
    """

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self._script: dict[str, list[Responder]] = {}
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler_class(), ssl_context)
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self._httpd.server_port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def script(self, target: str, *replies: Responder) -> None:
        """Answer `target` with these replies in turn (the last one repeats)."""
        with self._lock:
            self._script[target] = list(replies)

    def targets(self) -> list[str]:
        """Request targets received, in order."""
        with self._lock:
            return [s.target for s in self.seen]

    def _answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            queue = self._script.get(seen.target)
            if not queue:
                return Reply(
                    404, {"error": {"code": "Request_ResourceNotFound", "message": f"no script for {seen.target}"}}
                )
            responder = queue.pop(0) if len(queue) > 1 else queue[0]
        answer = responder(seen) if callable(responder) else responder
        return Reply(*answer)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                reply = server._answer(Seen(self.command, self.path, {k: v for k, v in self.headers.items()}))
                if isinstance(reply.body, (dict, list)):
                    payload = json.dumps(reply.body).encode()
                    content_type = "application/json"
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                    content_type = "text/html"
                else:
                    payload = b""
                    content_type = "application/json"
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers, "Content-Length": str(len(payload))}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that does the TLS handshake in the request's thread and stays quiet on errors."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext | None
    ) -> None:
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.context is None:
            super().finish_request(request, client_address)
            return
        # Handshake here, not in accept(): a client that rejects the certificate must not stall the loop.
        with self.context.wrap_socket(request, server_side=True) as tls:
            super().finish_request(tls, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that reject our certificate or time out are expected in these tests.
        pass


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A private certificate authority for the HTTPS servers."""
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The private CA as a PEM file, the way --ca-bundle takes it."""
    path = tmp_path_factory.mktemp("ca") / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """Server-side TLS context with a certificate for 127.0.0.1 issued by the private CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(autouse=True)
def no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests must never be routed through a proxy configured on the machine."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    """A plain-HTTP scripted server on 127.0.0.1."""
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def https_server(server_context: ssl.SSLContext) -> Iterator[ScriptedServer]:
    """An HTTPS scripted server on 127.0.0.1 whose certificate only the private CA vouches for."""
    server = ScriptedServer(server_context)
    yield server
    server.close()


@pytest.fixture
def refused_url() -> str:
    """A loopback URL on a port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1.0/users"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback URL that accepts the connection (kernel backlog) and never answers: a read timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1.0/users"
    listener.close()


@pytest.fixture
def system_bundle_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """REQUESTS_CA_BUNDLE pointing at the system store, which does not know the private CA."""
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if not Path(bundle).is_file():
        import certifi

        bundle = certifi.where()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    return bundle
