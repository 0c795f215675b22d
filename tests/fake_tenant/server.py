"""One HTTPS server on 127.0.0.1 that plays the Microsoft identity platform, Graph and mounted APIs.

Point the scanner at it with `--authority-url URL --graph-url URL --exchange-url URL --ca-bundle CA`.
Several tenants (scenarios) are served at once, addressed by tenant id or by any of their domains.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
import trustme
from requests.structures import CaseInsensitiveDict

from .errors import Response, graph_error, identity_error
from .faults import Faults, InjectedError
from .graph import GraphService
from .identity import BOTH, TokenCheck, TokenEndpoint, TokenIssuer, openid_configuration, roles_for, unknown_tenant
from .model import Scenario
from .odata import SkipTokens

#: A mounted route's handler: (status, headers, JSON body). A body of bytes or str is sent as is.
Handler = Callable[["FakeRequest"], Response]

_GRAPH = re.compile(r"^/(v1\.0|beta)(/.*)?$", re.IGNORECASE)
_BATCH = re.compile(r"^/(v1\.0|beta)/\$batch$", re.IGNORECASE)
_OPENID = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/([^/]+)/oauth2/v2\.0/token$")
_KEYS = re.compile(r"^/([^/]+)/discovery/v2\.0/keys$")

#: Graph's limit on requests in one JSON batch (https://learn.microsoft.com/graph/json-batching).
BATCH_LIMIT = 20


@dataclass
class FakeRequest:
    """What a mounted handler sees of a request."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    #: The tenant named in the path (id or domain), else the token's tenant; None if neither is known.
    scenario: Scenario | None
    #: Validated access-token claims (any audience this server hosts); None if missing, invalid or expired.
    claims: dict[str, Any] | None
    #: The match of the mounted path pattern.
    match: re.Match[str] | None = None
    #: Why the bearer token was refused ("missing", "expired", "signature", "malformed"), None if accepted.
    token_failure: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered (sub-requests of a $batch are logged too, with `batched` set)."""

    method: str
    path: str
    query: dict[str, str]
    tenant: str | None
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    batched: bool = False
    time: float = 0.0


@dataclass(frozen=True)
class _Mount:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class FakeTenantServer:
    """The fake identity platform + Graph over real HTTPS; a context manager."""

    def __init__(
        self,
        scenarios: Iterable[Scenario] = (),
        ca: trustme.CA | None = None,
        *,
        page_size: int = 25,
        token_lifetime: int = 3600,
    ) -> None:
        self.ca = ca or trustme.CA()
        self._registry_lock = threading.Lock()
        self._scenarios: dict[str, Scenario] = {}
        for scenario in scenarios:
            self.add_scenario(scenario)
        self.faults = Faults(lambda: self._issuer.revoke_all())
        self._issuer = TokenIssuer(token_lifetime, self.faults.now)
        self._graph = GraphService(lambda: self.url, page_size, SkipTokens(secrets.token_bytes(16)))
        self._token_endpoint = TokenEndpoint(self._issuer, lambda: self.url)
        self._mounts: list[_Mount] = []
        self._log_lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        #: Exceptions raised by mounted handlers (answered as 500); a test may assert this stays empty.
        self.handler_errors: list[BaseException] = []
        self._httpd: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._ca_file: str | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> FakeTenantServer:
        """Listen on 127.0.0.1 (a free port) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._httpd = _TLSServer(("127.0.0.1", 0), _Handler, context, self)
        handle, self._ca_file = tempfile.mkstemp(prefix="fake-tenant-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as file:
            file.write(self.ca.cert_pem.bytes())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-tenant", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and remove the CA file."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._ca_file and os.path.exists(self._ca_file):
            os.remove(self._ca_file)
        self._httpd, self._thread, self._ca_file = None, None, None

    def __enter__(self) -> FakeTenantServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- properties
    @property
    def url(self) -> str:
        """https://127.0.0.1:PORT (the authority, Graph and Exchange URL alike)."""
        if self._httpd is None:
            raise RuntimeError("the fake tenant server is not started")
        return f"https://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def ca_pem_path(self) -> str:
        """A PEM file with the CA certificate that issued the server's certificate."""
        if self._ca_file is None:
            raise RuntimeError("the fake tenant server is not started")
        return self._ca_file

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request answered so far, in order (a copy)."""
        with self._log_lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget the requests logged so far."""
        with self._log_lock:
            self._log.clear()

    @property
    def page_size(self) -> int:
        """Largest page a Graph collection answers with."""
        return self._graph.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self._graph.page_size = value

    @property
    def token_lifetime(self) -> int:
        """Seconds an access token is valid (`expires_in`)."""
        return self._issuer.lifetime

    @token_lifetime.setter
    def token_lifetime(self, value: int) -> None:
        self._issuer.lifetime = value

    def client_session(self) -> PinnedSession:
        """A requests session that trusts this server's CA on every request.

        requests lets REQUESTS_CA_BUNDLE override `Session.verify`, so the CA is passed per request.
        """
        return PinnedSession(self.ca_pem_path)

    # ---------------------------------------------------------------- tenants
    def add_scenario(self, scenario: Scenario) -> None:
        """Serve this tenant (replacing one with the same tenant id)."""
        with self._registry_lock:
            self._scenarios = {k: s for k, s in self._scenarios.items() if s.tenant_id != scenario.tenant_id}
            for key in scenario.lookup_keys():
                self._scenarios[key] = scenario

    def remove_scenario(self, tenant_id: str) -> None:
        """Stop serving this tenant."""
        with self._registry_lock:
            self._scenarios = {k: s for k, s in self._scenarios.items() if s.tenant_id != tenant_id}

    def scenario(self, key: str) -> Scenario | None:
        """The tenant addressed by this id or domain name, if served."""
        with self._registry_lock:
            return self._scenarios.get(key.lower())

    # ---------------------------------------------------------------- extension point
    def mount(self, method: str, path_regex: str, handler: Handler, *, first: bool = False) -> None:
        """Route `method` requests whose path fully matches `path_regex` to `handler` (before Graph);
        `first` puts it before the mounts already there (to override a mounted service such as Exchange)."""
        self._mounts.insert(0 if first else len(self._mounts), _Mount(method.upper(), re.compile(path_regex), handler))

    def issue_token(
        self, tenant: str, *, resource: str | None = None, roles: list[str] | None = None, client_id: str | None = None
    ) -> str:
        """Mint an access token without the token endpoint (roles default to the scenario's for the audience)."""
        scenario = self.scenario(tenant)
        if scenario is None:
            raise KeyError(tenant)
        client_id = client_id or next(iter(scenario.clients), str(uuid.uuid4()))
        app = scenario.clients.get(client_id)
        oid = app.service_principal_id if app else str(uuid.uuid4())
        claims: dict[str, Any] = {
            "aud": resource or self.url,
            "iss": f"https://sts.windows.net/{scenario.tenant_id}/",
            "tid": scenario.tenant_id,
            "appid": client_id,
            "oid": oid,
            "sub": oid,
            "idtyp": "app",
            "ver": "1.0",
        }
        granted = roles if roles is not None else roles_for(scenario, BOTH)
        if granted:
            claims["roles"] = granted
        token, _ = self._issuer.issue(claims)
        return token

    # ---------------------------------------------------------------- dispatch
    def _check_token(self, headers: Mapping[str, str]) -> TokenCheck | None:
        authorization = headers.get("Authorization", "")
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            return None
        return self._issuer.check(authorization[7:].strip())

    def _token_scenario(self, token: TokenCheck | None) -> Scenario | None:
        if token is None or token.claims is None:
            return None
        return self.scenario(str(token.claims.get("tid", "")))

    def dispatch(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request (called from the connection threads)."""
        split = urlsplit(target)
        path = unquote(split.path)
        if len(path) > 1:
            path = path.rstrip("/")
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        token = self._check_token(headers)
        tenant: str | None = None
        status, payload = 500, None
        response_headers: dict[str, str] = {}
        try:
            mount = next((m for m in self._mounts if m.method in (method, "*") and m.pattern.fullmatch(path)), None)
            if mount is not None:
                scenario = self._path_scenario(path) or self._token_scenario(token)
                tenant = scenario.tenant_id if scenario else None
                status, response_headers, payload = self._api(
                    path,
                    tenant,
                    headers,
                    lambda: self._mounted(mount, method, path, query, headers, body, scenario, token),
                )
            elif _GRAPH.match(path):
                scenario = self._token_scenario(token)
                tenant = scenario.tenant_id if scenario else None
                if method == "POST" and _BATCH.match(path):
                    handler = lambda: self._batch(path, headers, body, scenario, token, tenant)  # noqa: E731
                else:
                    handler = lambda: self._graph.handle(method, path, query, headers, scenario, token)  # noqa: E731
                status, response_headers, payload = self._api(path, tenant, headers, handler)
            else:
                tenant, (status, response_headers, payload) = self._identity(method, path, headers, body)
        except Exception as exc:  # a bug in the fake must not hang the client: answer 500 and keep it
            self.handler_errors.append(exc)
            traceback.print_exc()
            status, response_headers, payload = graph_error(
                500,
                "generalException",
                f"The fake tenant server failed: {exc!r}",
                request_id=str(uuid.uuid4()),
                client_request_id=headers.get("client-request-id") or str(uuid.uuid4()),
            )
        self._record(LoggedRequest(method, path, query, tenant, status, dict(headers), time=time.time()))
        return status, response_headers, _encode(payload, response_headers)

    def _api(
        self, path: str, tenant: str | None, headers: Mapping[str, str], answer: Callable[[], Response]
    ) -> Response:
        """Apply the armed faults to an API request, then answer it."""
        pause = self.faults.delay_for(path, api=True)
        if pause:
            time.sleep(pause)
        injected = self.faults.error_for(path, api=True, tenant=tenant)
        if injected is not None:
            return _graph_fault(injected, headers)
        return answer()

    def _path_scenario(self, path: str) -> Scenario | None:
        for segment in path.split("/"):
            if segment:
                scenario = self.scenario(segment)
                if scenario is not None:
                    return scenario
        return None

    def _mounted(
        self,
        mount: _Mount,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        body: bytes,
        scenario: Scenario | None,
        token: TokenCheck | None,
    ) -> Response:
        request = FakeRequest(
            method=method,
            path=path,
            query=query,
            headers=headers,
            body=body,
            scenario=scenario,
            claims=token.claims if token else None,
            match=mount.pattern.fullmatch(path),
            token_failure="missing" if token is None else token.failure,
        )
        return mount.handler(request)

    def _identity(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[str | None, Response]:
        for pattern, allowed in ((_OPENID, "GET"), (_TOKEN, "POST"), (_KEYS, "GET")):
            match = pattern.match(path)
            if not match:
                continue
            segment = match.group(1)
            scenario = self.scenario(segment)
            tenant = scenario.tenant_id if scenario else segment
            pause = self.faults.delay_for(path, api=False)
            if pause:
                time.sleep(pause)
            injected = self.faults.error_for(path, api=False, tenant=tenant)
            if injected is not None:
                status, fault_headers, fault_body = identity_error(
                    injected.status, "temporarily_unavailable", 90033, injected.message
                )
                return tenant, (status, {**fault_headers, **injected.headers}, fault_body)
            if method != allowed:
                return tenant, identity_error(
                    405, "invalid_request", 900561, f"The endpoint only accepts {allowed} requests."
                )
            if scenario is None:
                return tenant, unknown_tenant(segment)
            if pattern is _OPENID:
                return tenant, (
                    200,
                    {"Content-Type": "application/json; charset=utf-8"},
                    openid_configuration(self.url, scenario),
                )
            if pattern is _KEYS:
                # Access tokens here are HS256 with a server-only key: no public signing key to publish.
                return tenant, (200, {"Content-Type": "application/json; charset=utf-8"}, {"keys": []})
            return tenant, self._token_endpoint.handle(segment, scenario, headers, body)
        return None, graph_error(
            404,
            "NotFound",
            f"No route for {method} {path} on the fake tenant server.",
            request_id=str(uuid.uuid4()),
            client_request_id=headers.get("client-request-id") or str(uuid.uuid4()),
        )

    def _batch(
        self,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        scenario: Scenario | None,
        token: TokenCheck | None,
        tenant: str | None,
    ) -> Response:
        """A JSON batch: each sub-request gets its own faults, answer and log entry."""
        version = path.strip("/").split("/")[0]
        request_id, client_request_id = str(uuid.uuid4()), headers.get("client-request-id") or str(uuid.uuid4())
        try:
            requests_ = json.loads(body or b"{}").get("requests")
        except (ValueError, AttributeError):
            requests_ = None
        if not isinstance(requests_, list) or not requests_:
            return graph_error(
                400,
                "BadRequest",
                "Invalid batch payload: a non-empty 'requests' array is required.",
                request_id=request_id,
                client_request_id=client_request_id,
            )
        if len(requests_) > BATCH_LIMIT:
            return graph_error(
                400,
                "BadRequest",
                f"Number of batch requests exceeds the maximum of {BATCH_LIMIT}.",
                request_id=request_id,
                client_request_id=client_request_id,
            )
        responses = []
        for sub in requests_:
            url = str(sub.get("url", ""))
            split = urlsplit(url if url.startswith("/") else "/" + url)
            sub_path = unquote(f"/{version}{split.path}").rstrip("/")
            sub_query = dict(parse_qsl(split.query, keep_blank_values=True))
            sub_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(dict(headers))
            sub_headers.update(sub.get("headers") or {})
            method = str(sub.get("method", "GET")).upper()
            status, sub_response_headers, sub_body = self._api(
                sub_path,
                tenant,
                sub_headers,
                lambda: self._graph.handle(method, sub_path, sub_query, sub_headers, scenario, token),  # noqa: B023
            )
            self._record(
                LoggedRequest(
                    method, sub_path, sub_query, tenant, status, dict(sub_headers), batched=True, time=time.time()
                )
            )
            responses.append({"id": sub.get("id"), "status": status, "headers": sub_response_headers, "body": sub_body})
        return (
            200,
            {
                "Content-Type": "application/json;odata.metadata=minimal;charset=utf-8",
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
            {"responses": responses},
        )

    def _record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)


def _graph_fault(injected: InjectedError, headers: Mapping[str, str]) -> Response:
    status, fault_headers, body = graph_error(
        injected.status,
        injected.code,
        injected.message,
        request_id=str(uuid.uuid4()),
        client_request_id=headers.get("client-request-id") or str(uuid.uuid4()),
    )
    return status, {**fault_headers, **injected.headers}, body


def _encode(payload: Any, headers: dict[str, str]) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        return payload.encode("utf-8")
    headers.setdefault("Content-Type", "application/json; charset=utf-8")
    return json.dumps(payload).encode("utf-8")


class PinnedSession(requests.Session):
    """A session whose requests verify TLS against one CA file, whatever the environment says."""

    def __init__(self, ca_file: str) -> None:
        super().__init__()
        self.ca_file = ca_file

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.ca_file
        return super().request(method, url, *args, **kwargs)


class _TLSServer(ThreadingHTTPServer):
    """A threading HTTP server whose connections are wrapped in TLS inside their own thread.

    Doing the handshake in the connection thread keeps a slow or broken client from blocking accept().
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
        app: FakeTenantServer,
    ) -> None:
        super().__init__(address, handler)
        self.context = context
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # Idle keep-alive connections close after two minutes, like a front door would.
        request.settimeout(120)
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            self.RequestHandlerClass(connection, client_address, self)  # type: ignore[arg-type]
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                connection.close()

    def close_connections(self) -> None:
        """End idle keep-alive connections so their threads finish."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request (timeouts, retries, process exit) are normal here.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    server: _TLSServer

    def _serve(self) -> None:
        body = self._read_body()
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict({k: v for k, v in self.headers.items()})
        status, response_headers, payload = self.server.app.dispatch(self.command, self.path, headers, body)
        self.send_response(status)
        for name, value in response_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return
