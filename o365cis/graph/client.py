"""The one Microsoft Graph client: a pager for @odata.nextLink, the retry policy, error mapping, snapshots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from o365cis.auth import AuthError, TokenProvider
from o365cis.findings import FailureKind, ReadError
from o365cis.http import (
    BudgetExhausted,
    PagingLimits,
    RateLimiter,
    RetryPolicy,
    TransportError,
    decoded,
    redact,
    redact_body,
    same_origin,
    send,
)
from o365cis.settings import Secret
from o365cis.snapshot import Snapshot


@dataclass(frozen=True)
class RawResponse:
    """A Graph answer reduced to what the scanner needs (and what a snapshot stores)."""

    status: int
    body: Any


# Graph wants `$`-prefixed option names literally; keep OData punctuation readable in URLs and keys.
_SAFE = "$(),:'/"

Fetch = Callable[[str, Mapping[str, str]], RawResponse]


def request_key(relative_url: str) -> str:
    """The snapshot key of a GET: method and the URL relative to the Graph host."""
    return f"GET {relative_url}"


def graph_error(body: Any) -> tuple[str, str]:
    """(code, message) of a Graph error body, as documented in /graph/errors; tokens redacted."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return redact(str(error.get("code") or "")), redact(" ".join(str(error.get("message") or "").split()))
    return "", ""


def classify_failure(status: int, body: Any, request: str, permission: str | None) -> ReadError:
    """Tell a missing permission from a missing licence from a service failure (Microsoft's own signals)."""
    code, message = graph_error(body)
    if status == 0:
        kind = {
            "RetryBudgetExhausted": FailureKind.BUDGET,
            "NotInSnapshot": FailureKind.NOT_IN_SNAPSHOT,
        }.get(code, FailureKind.SERVICE)
        return ReadError(kind, request, f"service failure: {message or code}"[:300], code=code)
    said = f"{code}: {message}" if code else f"HTTP {status}"
    said = said[:300]
    if code in {"AadPremiumLicenseRequired"}:
        return ReadError(
            FailureKind.NOT_LICENSED, request, f"not licensed: Entra ID P2 required ({said})", status=status, code=code
        )
    if code == "Authentication_RequestFromNonPremiumTenantOrB2CTenant":
        return ReadError(
            FailureKind.NOT_LICENSED, request, f"not licensed: Entra ID P1 required ({said})", status=status, code=code
        )
    if status in (400, 403) and "not applicable to target tenant" in message.lower():
        return ReadError(
            FailureKind.NOT_LICENSED,
            request,
            f"not licensed: the tenant has no Intune subscription ({said})",
            status=status,
            code=code,
        )
    if status == 403:
        grant = (
            f"grant the application permission {permission} and admin-consent it"
            if permission
            else "permission refused"
        )
        return ReadError(
            FailureKind.PERMISSION, request, f"{grant} ({said})", permission=permission, status=status, code=code
        )
    if status == 401:
        return ReadError(
            FailureKind.PERMISSION,
            request,
            f"the access token was refused ({said})",
            permission=permission,
            status=status,
            code=code,
        )
    return ReadError(FailureKind.SERVICE, request, f"Graph answered {status} ({said})", status=status, code=code)


class GraphClient:
    """Reads Graph for one scan. `fetch` does the transport: live HTTPS, or a snapshot replay."""

    def __init__(
        self, base_url: str, fetch: Fetch, recorder: Snapshot | None = None, *, pin_links: bool = True
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Follow only nextLinks on base_url's scheme, host and port (off for a replay: it sends no token).
        self.pin_links = pin_links and bool(self.base_url)
        self._fetch = fetch
        self._recorder = recorder
        self._count = 0
        self._count_lock = threading.Lock()

    @property
    def request_count(self) -> int:
        """Requests sent (pages included), for the benchmarks."""
        return self._count

    def _relative(self, url: str, label: str) -> str:
        """Path and raw query of a nextLink: snapshot keys stay host-independent (national clouds, private
        endpoints) and the live transport puts its own host back.

        Only a link on the configured scheme, host and port is followed: the token must not leave the Graph
        host (`.evil.test/...` on base `https://graph.test` would otherwise become `graph.test.evil.test`).
        A replay sends no token and takes the recorded links' paths as they are.
        """
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            if self.pin_links and not same_origin(url, self.base_url):
                raise ReadError(
                    FailureKind.SERVICE, label, f"service failure: nextLink points to another host ({parts.netloc})"
                )
        elif not url.startswith("/"):
            raise ReadError(FailureKind.SERVICE, label, "service failure: nextLink is neither absolute nor a path")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _get(self, relative_url: str, headers: Mapping[str, str], permission: str | None, label: str) -> Any:
        with self._count_lock:
            self._count += 1
        response = self._fetch(relative_url, headers)
        if self._recorder is not None:
            # Error bodies may echo the request's Authorization header: never store them raw.
            body = response.body if 200 <= response.status < 300 else redact_body(response.body)
            self._recorder.record(request_key(relative_url), response.status, body)
        if response.status >= 400 or response.status == 0:
            raise classify_failure(response.status, response.body, label, permission)
        return response.body

    @staticmethod
    def _url(path: str, params: Mapping[str, str] | None) -> str:
        # Graph wants `$`-prefixed option names literally; keep '$', '(', ')', ',', ':', "'" readable.
        return f"{path}?{urlencode(params, safe=_SAFE, quote_via=quote)}" if params else path

    def get(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        permission: str | None = None,
    ) -> dict[str, Any]:
        """A singleton resource (no paging)."""
        body = self._get(self._url(path, params), headers or {}, permission, f"GET {path}")
        return body if isinstance(body, dict) else {}

    def get_all(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        permission: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a collection: follows @odata.nextLink as given, never rebuilding it."""
        items: list[dict[str, Any]] = []
        label = f"GET {path}"
        paging = PagingLimits(label)
        url: str | None = self._url(path, params)
        while url:
            body = self._get(url, headers or {}, permission, label)
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ReadError(FailureKind.SERVICE, label, "Graph answered without a value list")
            items.extend(body["value"])
            next_link = body.get("@odata.nextLink")
            url = self._relative(next_link, label) if isinstance(next_link, str) and next_link else None
            problem = paging.problem(url, len(body["value"])) if url else None
            if problem:
                raise ReadError(FailureKind.SERVICE, label, f"service failure: {problem}")
        return items


def live_fetch(
    base_url: str,
    session: requests.Session,
    tokens: TokenProvider,
    policy: RetryPolicy,
    limiter: RateLimiter | None = None,
) -> Fetch:
    """HTTPS transport to Graph with the token, the retry policy and the rate limit."""
    base = base_url.rstrip("/")

    def fetch(relative_url: str, headers: Mapping[str, str]) -> RawResponse:
        # GraphClient only hands over paths (nextLinks are checked against the base and made relative).
        url = base + relative_url
        try:
            token = tokens.token(base)
        except AuthError as exc:
            return RawResponse(0, {"error": {"code": "TokenAcquisitionFailed", "message": str(exc)}})

        def refreshed() -> dict[str, str]:
            # A long scan can outlive its token (about an hour): get a new one once and resend.
            return {"Authorization": Secret(f"Bearer {tokens.token(base, force_refresh=True).access_token}")}

        try:
            response = send(
                session,
                "GET",
                url,
                policy=policy,
                limiter=limiter,
                on_unauthorized=refreshed,
                headers={
                    "Authorization": Secret(f"Bearer {token.access_token}"),
                    "Accept": "application/json",
                    **headers,
                },
            )
        except BudgetExhausted as exc:
            return RawResponse(0, {"error": {"code": "RetryBudgetExhausted", "message": str(exc)}})
        except AuthError as exc:
            return RawResponse(0, {"error": {"code": "TokenAcquisitionFailed", "message": str(exc)}})
        except TransportError as exc:
            return RawResponse(0, {"error": {"code": type(exc).__name__, "message": str(exc)}})
        except requests.RequestException as exc:
            return RawResponse(0, {"error": {"code": type(exc).__name__, "message": "request failed"}})
        return RawResponse(*decoded(response))

    return fetch


def replay_fetch(snapshot: Snapshot) -> Fetch:
    """Transport that answers from a snapshot; a request it does not hold fails like a service error."""

    def fetch(relative_url: str, headers: Mapping[str, str]) -> RawResponse:
        recorded = snapshot.lookup(request_key(relative_url))
        if recorded is None:
            return RawResponse(
                0,
                {"error": {"code": "NotInSnapshot", "message": f"the snapshot holds no answer to GET {relative_url}"}},
            )
        return RawResponse(recorded.status, recorded.body)

    return fetch
