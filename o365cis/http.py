"""HTTPS plumbing shared by every service client: CA handling, one retry policy, one rate limiter."""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

#: Statuses worth retrying: throttling and the transient gateway errors Graph documents
#: (https://learn.microsoft.com/graph/throttling and /graph/best-practices-concept#handling-expected-errors).
RETRYABLE_STATUSES = frozenset({429, 503, 504})


class HttpSession(requests.Session):
    """A requests session that trusts one CA bundle on every request.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify` (it merges the
    environment per request), so a configured bundle is passed explicitly on each call instead.
    Proxy variables from the environment still apply.
    """

    def __init__(self, ca_bundle: str | None = None, user_agent: str = "o365-cis") -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.ca_bundle and kwargs.get("verify") is None:
            kwargs["verify"] = self.ca_bundle
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def json_body(response: requests.Response) -> Any:
    """The JSON body of an answer (None when empty); a non-JSON answer becomes a Graph-shaped error body."""
    try:
        return response.json() if response.content else None
    except ValueError:
        kind = response.headers.get("Content-Type", "?")
        return {"error": {"code": "InvalidJson", "message": f"non-JSON answer ({kind})"}}


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
    for attempt in range(1, policy.max_attempts + 1):
        if limiter is not None:
            limiter.wait()
        retry_after: str | None = None
        try:
            response = session.request(method, url, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = f"{type(exc).__name__}"
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
