"""Faults switched on at run time: throttling, 5xx answers, delays, expired tokens, the CA throttle.

Every fault is counted, never random, so a test that arms one knows exactly which requests it hits.
A rule with `path_prefix=None` targets every API route (Graph and mounted handlers such as the
Exchange admin API), not the identity endpoints; give a prefix (e.g. "/<tenant>/oauth2") to hit those.
Throttling follows https://learn.microsoft.com/graph/throttling (429 with or without Retry-After).
"""

from __future__ import annotations

import collections
import email.utils
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Graph error codes for the statuses a fault can answer with.
_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    429: ("TooManyRequests", "Too many requests were sent for this application and tenant; retry later."),
    500: ("generalException", "An unspecified error has occurred."),
    502: ("badGateway", "The gateway received an invalid response from the service."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable for maintenance or is overloaded."),
    504: ("timeout", "The gateway did not receive a response from the service in time."),
}

_CONDITIONAL_ACCESS = "/identity/conditionalaccess/"


@dataclass
class FaultRule:
    """One armed fault; `remaining` None means until cleared. `served` counts the requests it hit."""

    kind: str  # "status" or "delay"
    remaining: int | None
    path_prefix: str | None
    status: int = 0
    retry_after: float | None = None
    retry_after_as_date: bool = False
    delay_ms: int = 0
    served: int = 0

    def matches(self, path: str, api: bool) -> bool:
        """Whether this rule applies to a request for `path`."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path_prefix is None:
            return api
        return path.lower().startswith(self.path_prefix.lower())


@dataclass(frozen=True)
class InjectedError:
    """The error a fault substitutes for the real answer."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class Faults:
    """Thread-safe registry of armed faults, consulted by the server before each answer."""

    def __init__(self, on_expire_tokens: Callable[[], None]) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._on_expire_tokens = on_expire_tokens
        self._clock_offset = 0.0
        self._ca_limit: int | None = None
        self._ca_recent: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    # ---------------------------------------------------------------- arming
    def throttle(
        self,
        count: int = 1,
        *,
        retry_after: float | None = 1,
        as_http_date: bool = False,
        path_prefix: str | None = None,
    ) -> FaultRule:
        """Answer the next `count` matching requests with 429; Retry-After in seconds, as an HTTP date, or
        absent (`retry_after=None`)."""
        return self._arm(
            FaultRule(
                "status",
                count,
                path_prefix,
                status=429,
                retry_after=retry_after,
                retry_after_as_date=as_http_date,
            )
        )

    def fail(
        self, count: int = 1, *, status: int = 503, retry_after: float | None = None, path_prefix: str | None = None
    ) -> FaultRule:
        """Answer the next `count` matching requests with a 5xx (503 and 504 are Graph's transient ones)."""
        return self._arm(FaultRule("status", count, path_prefix, status=status, retry_after=retry_after))

    def delay(self, ms: int, *, count: int | None = None, path_prefix: str | None = None) -> FaultRule:
        """Hold matching answers back by `ms` milliseconds (`count` None: until cleared)."""
        return self._arm(FaultRule("delay", count, path_prefix, delay_ms=ms))

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far: the client must fetch a new one."""
        self._on_expire_tokens()

    def shift_clock(self, seconds: float) -> None:
        """Move the server clock (used to issue and validate tokens) forward by `seconds`."""
        with self._lock:
            self._clock_offset += seconds

    @property
    def clock_offset(self) -> float:
        """Seconds the server clock runs ahead of the wall clock."""
        with self._lock:
            return self._clock_offset

    def now(self) -> float:
        """The server clock: wall-clock seconds plus the offset."""
        return time.time() + self.clock_offset

    def conditional_access_throttle(self, max_per_second: int | None = 1) -> None:
        """Throttle /identity/conditionalAccess/ like Graph does: more than `max_per_second` requests in any
        one-second window for a tenant get 429 without Retry-After. None switches it off."""
        with self._lock:
            self._ca_limit = max_per_second
            self._ca_recent.clear()

    def clear(self) -> None:
        """Disarm every fault and reset the clock offset (tokens already expired stay expired)."""
        with self._lock:
            self._rules.clear()
            self._clock_offset = 0.0
            self._ca_limit = None
            self._ca_recent.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """A snapshot of the armed rules, in arming order."""
        with self._lock:
            return list(self._rules)

    # ---------------------------------------------------------------- consulted by the server
    def delay_for(self, path: str, api: bool) -> float:
        """Seconds to wait before answering this request (consumes one use of the delay rule)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == "delay" and rule.matches(path, api):
                    self._consume(rule)
                    return rule.delay_ms / 1000
        return 0.0

    def error_for(self, path: str, api: bool, tenant: str | None) -> InjectedError | None:
        """The injected error for this request, if a rule or the CA throttle claims it."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == "status" and rule.matches(path, api):
                    self._consume(rule)
                    return _injected(rule.status, rule.retry_after, rule.retry_after_as_date)
            if self._ca_limit is not None and api and _CONDITIONAL_ACCESS in path.lower():
                window = self._ca_recent[tenant or ""]
                now = time.monotonic()
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if len(window) >= self._ca_limit:
                    return _injected(429, None, False)
                window.append(now)
        return None

    def _arm(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    @staticmethod
    def _consume(rule: FaultRule) -> None:
        rule.served += 1
        if rule.remaining is not None:
            rule.remaining -= 1


def _injected(status: int, retry_after: float | None, as_date: bool) -> InjectedError:
    code, message = _STATUS_ERRORS.get(status, ("UnknownError", "The service answered with an error."))
    headers: dict[str, str] = {}
    if retry_after is not None:
        if as_date:
            # An HTTP date has one-second resolution: round up so the client never retries too early.
            headers["Retry-After"] = email.utils.formatdate(time.time() + math.ceil(retry_after), usegmt=True)
        else:
            headers["Retry-After"] = str(math.ceil(retry_after))
    return InjectedError(status, code, message, headers)
