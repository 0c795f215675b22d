"""One GET on an admin REST API (Teams, SharePoint) through the scan's HttpSession, recorded and replayable.

The call goes through the same bounded session, retry policy, rate limiter and redaction as Graph and Exchange;
each distinct request is sent at most once per scan (failures included). The snapshot key is the catalogue's
request string (`GET {teams}/...`), so a snapshot replays whatever host the recorded scan used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from o365cis.exchange.errors import BUDGET_CODE, NOT_IN_SNAPSHOT_CODE
from o365cis.findings import ReadError
from o365cis.http import (
    BudgetExhausted,
    HttpSession,
    RateLimiter,
    RetryPolicy,
    TransportError,
    decoded,
    redact_body,
    send,
)
from o365cis.settings import Secret

#: Transport failures carry status 0 and a code (BUDGET_CODE, NOT_IN_SNAPSHOT_CODE: the Exchange client's convention).
TOKEN_CODE = "TokenAcquisitionFailed"

#: (status, body) -> the ReadError of a failed answer, per API.
Classifier = Callable[[int, Any, str], ReadError]
Recorder = Callable[[str, int, Any], None]


class AdminReader(Protocol):
    """What a source needs: the JSON body of one catalogue request, or a ReadError."""

    def get(self, request: str) -> Any: ...


@dataclass(frozen=True)
class Endpoint:
    """One admin API of one scan: its base URL, how to get a token and what its failures mean."""

    base_url: str
    token: Callable[[bool], str]  # force_refresh -> access token
    classify: Classifier
    placeholder: str  # "{teams}" or "{sharepoint_admin}": how the catalogue writes the base URL
    headers: Mapping[str, str]


class AdminApiClient:
    """GETs catalogue requests (`GET {placeholder}/path`) on one admin API; each at most once per scan."""

    def __init__(
        self,
        endpoint: Endpoint,
        session: requests.Session | None = None,
        *,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._session = session or HttpSession()
        self._policy = policy or RetryPolicy()
        self._limiter = limiter
        self._recorder = recorder
        self._done: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, request: str) -> Any:
        """The JSON body of a 200 answer; raises the API's ReadError otherwise."""
        with self._lock:  # two reads at once would only send the same GET twice; the lock keeps it once
            if request not in self._done:
                status, body = self._call(request)
                self._done[request] = (status, body)
                if self._recorder is not None:
                    # Error bodies may echo the Authorization header: never store them raw.
                    self._recorder(request, status, body if status == 200 else redact_body(body))
            status, body = self._done[request]
        if status == 200:
            return body
        raise self._endpoint.classify(status, body, request)

    def _call(self, request: str) -> tuple[int, Any]:
        endpoint = self._endpoint
        method, _, target = request.partition(" ")
        url = endpoint.base_url.rstrip("/") + target.removeprefix(endpoint.placeholder)
        try:
            token = Secret(endpoint.token(False))
        except Exception as exc:  # noqa: BLE001 - the auth module's errors are one-line and secret-free
            return 0, {"error": {"code": TOKEN_CODE, "message": str(exc)[:300]}}

        def refreshed() -> dict[str, str] | None:
            # A long scan can outlive the token: ask for a new one once and resend.
            try:
                return {"Authorization": Secret(f"Bearer {endpoint.token(True)}")}
            except Exception:  # noqa: BLE001 - the 401 then stands as the answer
                return None

        try:
            response = send(
                self._session,
                method,
                url,
                policy=self._policy,
                limiter=self._limiter,
                on_unauthorized=refreshed,
                headers={**endpoint.headers, "Authorization": Secret(f"Bearer {token}")},
            )
        except BudgetExhausted as exc:
            return 0, {"error": {"code": BUDGET_CODE, "message": str(exc)}}
        except TransportError as exc:
            return 0, {"error": {"code": type(exc).__name__, "message": str(exc)}}
        except requests.RequestException as exc:
            return 0, {"error": {"code": type(exc).__name__, "message": "request failed"}}
        return decoded(response)


class AdminApiReplay:
    """Answers catalogue requests from a snapshot, failures included."""

    def __init__(self, lookup: Callable[[str], Any], classify: Classifier) -> None:
        self._lookup = lookup
        self._classify = classify

    def get(self, request: str) -> Any:
        recorded = self._lookup(request)
        if recorded is None:
            missing = {
                "error": {"code": NOT_IN_SNAPSHOT_CODE, "message": "the snapshot holds no answer to this request"}
            }
            raise self._classify(0, missing, request)
        body: Any
        if isinstance(recorded, Mapping):
            status, body = int(recorded.get("status", 0)), recorded.get("body")
        else:
            status, body = int(recorded.status), recorded.body
        if status == 200:
            return body
        raise self._classify(status, body, request)
