"""HTTPS plumbing shared by every service client: CA handling, one retry policy, one rate limiter."""

from __future__ import annotations

import email.utils
import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import pool_classes_by_scheme as _URLLIB3_POOLS

#: Statuses worth retrying: throttling and the transient gateway errors Graph documents
#: (https://learn.microsoft.com/graph/throttling and /graph/best-practices-concept#handling-expected-errors).
RETRYABLE_STATUSES = frozenset({429, 503, 504})

#: Seconds to open a connection, TLS handshake included (urllib3 keeps the connect timeout on the socket
#: until the handshake is done, so a server that accepts TCP and never answers the ClientHello is bounded).
CONNECT_TIMEOUT = 10.0
#: Seconds of silence tolerated while waiting for a response's headers or its next body bytes.
READ_TIMEOUT = 60.0
#: Seconds one request may take from sending to the last body byte: a server dripping bytes cannot extend it.
REQUEST_DEADLINE = 120.0
#: Largest response body read, in bytes: far above Graph's largest page (999 objects) and Exchange's (1000).
MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024


class TransportError(requests.RequestException):
    """A response refused by this scanner's own rules; the message is one line, names the cause, holds no secret."""


class RedirectRefused(TransportError):
    """A 3xx answer: never followed, since the token, the Exchange body or a client secret would go along."""


class BodyTooLarge(TransportError):
    """The response body exceeds the configured cap."""


class UndecodableBody(TransportError):
    """The body is not JSON the scanner can read (invalid, badly encoded, or nested too deep for the decoder)."""


class DeadlineExceeded(TransportError, requests.Timeout):
    """The request outlived its overall deadline (a slow drip); retried like any timeout, within the budget."""


@dataclass(frozen=True)
class Limits:
    """The bounds every request of a scan lives within (O365CIS_* variables override them, see scan.py)."""

    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    request_deadline: float = REQUEST_DEADLINE
    max_body_bytes: int = MAX_BODY_BYTES


#: The watch of the request in progress on this thread (requests and urllib3 do all their I/O on the caller's thread).
_current = threading.local()


class _Watch:
    """One request's deadline, kept by a timer: when it passes, every socket the request used is shut down.

    Socket timeouts bound each recv, not their sum: a server sending its status line and headers a byte at a time
    (or its TLS handshake) keeps a request alive as long as it likes. Shutting the socket down from the timer
    thread wakes the blocked recv at once, whatever phase the request is in. The watch holds duplicates of the
    sockets' descriptors (shutdown acts on the connection, not the descriptor), so it never touches urllib3's own
    socket objects, and closes only its duplicates when the request ends.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        try:
            twin = socket.fromfd(sock.fileno(), sock.family, sock.type)  # a dup(): an SSLSocket cannot dup()
        except OSError:
            return
        with self._lock:
            self._sockets.append(twin)
            fired = self.fired
        if fired:  # the deadline passed while the connection was being made
            _shut(twin)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the other side or by urllib3
        pass


def _watch_socket(sock: socket.socket | None) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None and sock is not None:
        watch.attach(sock)


class _Watched:
    """Mixed into urllib3's connection classes: hands the socket to the current request's watch when it is made
    (before any TLS handshake) and each time the connection is used again."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch_socket(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch_socket(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter with connections that report their sockets to the request's watch.

    Direct connections and HTTP(S) proxies (CONNECT tunnels included) are watched; a SOCKS proxy manager keeps its
    own connection classes, so through SOCKS only the timeouts and the body-phase deadline check apply.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if manager.pool_classes_by_scheme is _URLLIB3_POOLS:  # not a SOCKS manager
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


class HttpSession(requests.Session):
    """A requests session that trusts one CA bundle, follows no redirect and bounds every request.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify` (it merges the
    environment per request), so a configured bundle is passed explicitly on each call instead.
    Proxy variables from the environment still apply. msal is handed this session and ignores its own
    timeout then, so the bounds live here and hold for the token endpoint and OpenID discovery too.
    """

    def __init__(
        self, ca_bundle: str | None = None, user_agent: str = "o365-cis", limits: Limits | None = None
    ) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.limits = limits or Limits()
        self.headers["User-Agent"] = user_agent
        for prefix in ("https://", "http://"):
            self.mount(prefix, _WatchedAdapter())

    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, *args: Any, deadline: float | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send one request; `deadline` (time.monotonic()) may shorten the overall per-request deadline."""
        if self.ca_bundle and kwargs.get("verify") is None:
            kwargs["verify"] = self.ca_bundle
        limits = self.limits
        ends = time.monotonic() + limits.request_deadline
        ends = min(ends, deadline) if deadline is not None else ends
        remaining = max(0.1, ends - time.monotonic())
        # The caller's timeout may only be shorter; msal passes none, or its own.
        kwargs["timeout"] = _tighter(kwargs.get("timeout"), (limits.connect_timeout, limits.read_timeout), remaining)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        # No phase of the request (TCP connect, TLS handshake, status line and headers, body) outlives `ends`.
        watch = _Watch(remaining)
        outer, _current.watch = getattr(_current, "watch", None), watch
        watch.start()
        unexpected: str | None = None
        try:
            response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
            try:
                if 300 <= response.status_code < 400:
                    raise RedirectRefused(
                        f"{_host(str(url))} answered {response.status_code} redirecting to "
                        f"{_host(response.headers.get('Location') or '') or 'a path'}; redirects are never followed"
                    )
                _read_bounded(response, ends, limits.max_body_bytes)
            finally:
                response.close()
        except Exception as exc:
            if watch.fired:  # whatever the shut socket made urllib3 or ssl raise, the cause is the deadline
                raise DeadlineExceeded(
                    f"{_host(str(url))} had not finished answering when the request deadline ({remaining:.3g} s) passed"
                ) from None
            if isinstance(exc, requests.RequestException):
                raise
            # Anything else the HTTP stack raises (a bug, an answer no layer expected) is this request's
            # failure, never the scan's. The frames it came through hold the raw request (Authorization header,
            # token form with the client secret): the exception is dropped and the new one raised outside this
            # block, so it carries no context whose traceback `pytest -l` or an INTERNALERROR could print.
            unexpected = type(exc).__name__
            del exc
        finally:
            watch.stop()
            _current.watch = outer
        if unexpected is not None:
            raise TransportError(f"{_host(str(url))}: the HTTP stack failed ({unexpected})")
        return response


def _host(url: str) -> str:
    """host[:port] of a URL, without any user information (which could hold a credential)."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
    except ValueError:  # a malformed port
        return "(malformed URL)"


def _tighter(given: Any, default: tuple[float, float], remaining: float) -> tuple[float, float]:
    """(connect, read) timeouts no longer than the defaults, the caller's, and the time left."""
    connect, read = default
    if isinstance(given, (int, float)):
        connect, read = min(connect, given), min(read, given)
    elif isinstance(given, tuple) and len(given) == 2:
        connect = min(connect, given[0]) if given[0] is not None else connect
        read = min(read, given[1]) if given[1] is not None else read
    return min(connect, remaining), min(read, remaining)


def _read_bounded(response: requests.Response, ends: float, max_bytes: int) -> None:
    """Read the body in chunks, checking the deadline and the size cap between chunks; store it on `response`."""
    host = _host(response.url or "")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"{host} announced a {int(declared)}-byte body; the cap is {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := _read_some(response, host):
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"{host} sent a body over the {max_bytes}-byte cap")
        if time.monotonic() > ends:
            raise DeadlineExceeded(f"{host} was still sending after the request deadline")
        chunks.append(chunk)
    response._content = b"".join(chunks)
    response._content_consumed = True


def _read_some(response: requests.Response, host: str) -> bytes:
    """The bytes one socket read brings (b"" at the end), each read bounded by the read timeout.

    read1, not read(n): read(n) waits for all n bytes, so a drip of a byte a second would only be looked at
    every n seconds, and the deadline could not be checked in between.
    """
    try:
        return bytes(response.raw.read1(_CHUNK, decode_content=True))
    except urllib3.exceptions.ReadTimeoutError:
        raise requests.exceptions.ReadTimeout(f"{host} sent nothing for the read timeout") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise TransportError(f"{host} sent a broken body ({type(exc).__name__})") from None


def json_body(response: requests.Response) -> Any:
    """The JSON body of an answer (None when empty); raises UndecodableBody for anything else.

    Every decode failure counts: invalid JSON, bad encodings and nesting too deep for the decoder
    (RecursionError from `[` x 100,000). The read then fails: an answer the scanner cannot read is never data.
    """
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        kind = response.headers.get("Content-Type", "?")
        raise UndecodableBody(
            f"{_host(response.url or '')} answered {response.status_code} with a body that is not JSON ({kind})"
        ) from None


def decoded(response: requests.Response) -> tuple[int, Any]:
    """(status, JSON body) of an answer, in the clients' convention (status 0: transport failure).

    An error answer that is not JSON (a proxy's HTML page) keeps its status with a Graph-shaped error body, so a
    403 still reads as a refusal; a success that is not JSON is a failure, never data.
    """
    try:
        return response.status_code, json_body(response)
    except UndecodableBody as exc:
        code = "InvalidJson" if response.status_code >= 400 else type(exc).__name__
        return (response.status_code if response.status_code >= 400 else 0), {
            "error": {"code": code, "message": str(exc)}
        }


def same_origin(url: str, base: str) -> bool:
    """True when `url` has the scheme, host and port of `base` (default ports spelt out or not)."""
    try:
        link, origin = urlsplit(url), urlsplit(base)
        return (link.scheme, link.hostname, _port(link)) == (origin.scheme, origin.hostname, _port(origin))
    except ValueError:  # a malformed port
        return False


def _port(parts: Any) -> int | None:
    return parts.port or {"https": 443, "http": 80}.get(parts.scheme)


#: Anything shaped like a bearer token or a JWT (a proxy may echo the Authorization header in an error).
_TOKEN_LIKE = re.compile(r"(Bearer\s+\S+|eyJ[\w-]+\.[\w-]+\.?[\w-]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """Drop anything shaped like a bearer token."""
    return _TOKEN_LIKE.sub("[redacted]", text)


def redact_body(body: Any) -> Any:
    """A JSON body with every string (keys included) redacted, for error bodies before they are recorded."""
    if isinstance(body, str):
        return redact(body)
    if isinstance(body, dict):
        return {redact(str(k)): redact_body(v) for k, v in body.items()}
    if isinstance(body, list):
        return [redact_body(item) for item in body]
    return body


class PagingLimits:
    """Bounds of one collection read: no link twice, at most `max_pages` pages and `max_items` items.

    A server whose nextLink points to itself (or cycles) would otherwise page for ever.
    """

    max_pages = 10_000
    max_items = 5_000_000

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self._seen: set[str] = set()
        self._pages = 0
        self._items = 0

    def problem(self, link: str, items: int) -> str | None:
        """Why paging must stop after a page of `items` items pointing to `link`, or None to go on."""
        self._pages += 1
        self._items += items
        if self._items > self.max_items:
            return f"{self.collection} returned more than {self.max_items} items; paging stopped"
        if self._pages >= self.max_pages:
            return f"{self.collection} has more than {self.max_pages} pages; paging stopped"
        if link in self._seen:
            return f"{self.collection} repeats a nextLink (a paging loop); paging stopped"
        self._seen.add(link)
        return None


class BudgetExhausted(Exception):
    """The retry policy's time budget or attempt count ran out; the message names the last answer."""


@dataclass
class RetryPolicy:
    """When to retry a request and how long to wait.

    429/503/504 are retried; the wait is the server's Retry-After (seconds or an HTTP date) when
    given, else exponential backoff with full jitter, since Conditional Access and the reports
    endpoints often throttle without Retry-After. The whole request, retries included, must finish
    within `budget_seconds`.
    """

    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 30.0
    budget_seconds: float = 300.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay_for(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
        parsed = parse_retry_after(retry_after)
        if parsed is not None:
            return min(parsed, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: an integer, or an HTTP date (RFC 9110 section 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RateLimiter:
    """Caps requests per second across threads (a simple token bucket of one token)."""

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("rate limit must be positive")
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    limiter: RateLimiter | None = None,
    on_unauthorized: Callable[[], dict[str, str] | None] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send one request under the retry policy and return the final response.

    Retryable statuses are retried until the attempts or the time budget run out, then
    BudgetExhausted is raised. Connection errors and timeouts are retried the same way. A 401 calls
    `on_unauthorized` once (which returns fresh headers, e.g. a new token) and resends. Any other
    response, success or not, is returned to the caller, which maps it to a meaning.
    """
    deadline = time.monotonic() + policy.budget_seconds
    refreshed = False
    last = "no answer"
    kwargs.setdefault("timeout", policy.timeout)
    if isinstance(session, HttpSession):
        # No single attempt may outlive the budget, however slowly the server drips its answer.
        kwargs["deadline"] = deadline
    for attempt in range(1, policy.max_attempts + 1):
        if limiter is not None:
            limiter.wait()
        retry_after: str | None = None
        if time.monotonic() >= deadline:
            raise BudgetExhausted(
                f"{last} after {attempt - 1} attempts; retry budget of {policy.budget_seconds:g} s exhausted"
            )
        try:
            response = session.request(method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = str(exc) if isinstance(exc, TransportError) else f"{type(exc).__name__}"
        else:
            if response.status_code == 401 and on_unauthorized is not None and not refreshed:
                refreshed = True
                headers = on_unauthorized()
                if headers:
                    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
                    continue
            if response.status_code not in RETRYABLE_STATUSES:
                return response
            retry_after = response.headers.get("Retry-After")
            last = f"HTTP {response.status_code}"
            response.close()
        if attempt == policy.max_attempts:
            break
        wait = policy.delay_for(attempt, retry_after)
        if time.monotonic() + wait > deadline:
            raise BudgetExhausted(
                f"{last} after {attempt} attempts; retry budget of {policy.budget_seconds:g} s exhausted"
            )
        policy.sleep(wait)
    raise BudgetExhausted(f"{last} after {policy.max_attempts} attempts")
