"""o365cis.http against real servers on 127.0.0.1: CA bundle, retries, Retry-After, budget, 401 refresh."""

from __future__ import annotations

import email.utils
import threading
import time
import warnings
from typing import Any

import pytest
import requests

from o365cis import http
from o365cis.http import BudgetExhausted, HttpSession, RateLimiter, RetryPolicy, parse_retry_after, send

USERS = "/v1.0/users"


def recording_policy(
    waits: list[float],
    *,
    max_attempts: int = 5,
    base_delay: float = 0.01,
    budget_seconds: float = 300.0,
    timeout: float = 5.0,
) -> RetryPolicy:
    """A policy that records its waits instead of sleeping, with a tiny backoff and a generous cap."""
    return RetryPolicy(
        max_attempts=max_attempts,
        base_delay=base_delay,
        max_delay=60.0,
        budget_seconds=budget_seconds,
        timeout=timeout,
        sleep=waits.append,
    )


# parse_retry_after / delay_for ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("5", 5.0), (" 12 ", 12.0), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0)],
)
def test_retry_after_in_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize("header", [None, "", "   ", "soon", "Thu, 99 Foo 2024"])
def test_retry_after_absent_or_unreadable_gives_none(header: str | None) -> None:
    assert parse_retry_after(header) is None


def test_retry_after_as_http_date_counts_from_now() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(42.0)


def test_retry_after_date_in_the_past_means_no_wait() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now - 600, usegmt=True), now=now) == 0.0


def test_server_delay_is_capped_at_max_delay() -> None:
    assert RetryPolicy(max_delay=10.0).delay_for(1, "120") == 10.0
    assert RetryPolicy(max_delay=10.0).delay_for(1, "3") == 3.0


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (10, 15.0, 30.0)])
def test_backoff_without_retry_after_is_jittered_exponential_and_capped(attempt: int, low: float, high: float) -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    delays = [policy.delay_for(attempt, None) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    assert len(set(delays)) > 1, "full jitter: the waits must not all be equal"


# RateLimiter ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0, -1.0])
def test_rate_limiter_refuses_non_positive_rates(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)


def test_rate_limiter_spaces_requests_by_its_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a frozen clock, the n-th caller waits n intervals: one slot per request."""
    slept: list[float] = []
    monkeypatch.setattr(http.time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(http.time, "sleep", slept.append)
    limiter = RateLimiter(4.0)
    for _ in range(4):
        limiter.wait()
    assert slept == pytest.approx([0.25, 0.5, 0.75])


def test_rate_limiter_gives_each_thread_its_own_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(http.time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(http.time, "sleep", slept.append)
    limiter = RateLimiter(10.0)
    threads = [threading.Thread(target=limiter.wait) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(s, 6) for s in slept) == [round(0.1 * n, 6) for n in range(1, 20)]


# HttpSession and the CA bundle ------------------------------------------------------------------


def test_ca_bundle_wins_over_requests_ca_bundle_variable(
    https_server: Any, ca_bundle: str, system_bundle_env: str
) -> None:
    https_server.script(USERS, (200, {"value": []}))
    with HttpSession(ca_bundle=ca_bundle) as session:
        response = session.get(https_server.url + USERS, timeout=5)
    assert response.status_code == 200
    assert response.json() == {"value": []}


def test_plain_session_verify_loses_to_the_variable(https_server: Any, ca_bundle: str, system_bundle_env: str) -> None:
    """Why HttpSession exists: requests lets REQUESTS_CA_BUNDLE override Session.verify."""
    https_server.script(USERS, (200, {"value": []}))
    with requests.Session() as session:
        session.verify = ca_bundle
        with pytest.raises(requests.exceptions.SSLError):
            session.get(https_server.url + USERS, timeout=5)


def test_without_a_ca_bundle_the_private_ca_is_not_trusted(https_server: Any, system_bundle_env: str) -> None:
    https_server.script(USERS, (200, {"value": []}))
    with HttpSession() as session, pytest.raises(requests.exceptions.SSLError):
        session.get(https_server.url + USERS, timeout=5)


def test_an_explicit_verify_argument_is_left_alone(https_server: Any, ca_bundle: str, system_bundle_env: str) -> None:
    https_server.script(USERS, (200, {"value": []}))
    with HttpSession(ca_bundle=ca_bundle) as session, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert session.get(https_server.url + USERS, timeout=5, verify=False).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            session.get(https_server.url + USERS, timeout=5, verify=system_bundle_env)


def test_session_sends_its_user_agent(http_server: Any) -> None:
    http_server.script(USERS, (200, {}))
    with HttpSession(user_agent="o365-cis/test") as session:
        session.get(http_server.url + USERS, timeout=5)
    assert http_server.seen[0].headers["User-Agent"] == "o365-cis/test"


def test_send_retries_over_tls_with_the_ca_bundle(https_server: Any, ca_bundle: str, system_bundle_env: str) -> None:
    https_server.script(USERS, (429, {}, {"Retry-After": "1"}), (200, {"value": [1]}))
    waits: list[float] = []
    with HttpSession(ca_bundle=ca_bundle) as session:
        response = send(session, "GET", https_server.url + USERS, policy=recording_policy(waits))
    assert response.json() == {"value": [1]}
    assert waits == [1.0]


# send: retries ---------------------------------------------------------------------------------


def test_429_waits_retry_after_seconds_then_succeeds(http_server: Any) -> None:
    http_server.script(
        USERS, (429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "7"}), (200, {"value": ["a"]})
    )
    waits: list[float] = []
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits))
    assert response.status_code == 200
    assert response.json() == {"value": ["a"]}
    assert waits == [7.0]
    assert http_server.targets() == [USERS, USERS]


def test_429_waits_until_retry_after_http_date(http_server: Any) -> None:
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    http_server.script(USERS, (429, {}, {"Retry-After": when}), (200, {}))
    waits: list[float] = []
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits))
    assert response.status_code == 200
    assert len(waits) == 1
    # The date has one-second resolution and a little time passes before it is read.
    assert 15.0 < waits[0] <= 20.0


def test_429_without_retry_after_backs_off_exponentially(http_server: Any) -> None:
    http_server.script(USERS, (429, {}), (429, {}), (429, {}), (200, {}))
    waits: list[float] = []
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits, base_delay=0.01))
    assert response.status_code == 200
    assert len(waits) == 3
    for attempt, wait in enumerate(waits, start=1):
        ceiling = 0.01 * 2 ** (attempt - 1)
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("status", [503, 504])
def test_gateway_errors_are_retried(http_server: Any, status: int) -> None:
    http_server.script(USERS, (status, "<html>busy</html>"), (200, {"value": []}))
    waits: list[float] = []
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits))
    assert response.status_code == 200
    assert len(http_server.seen) == 2
    assert len(waits) == 1


@pytest.mark.parametrize("status", [400, 403, 404, 500, 502])
def test_non_retryable_answers_are_returned_at_once(http_server: Any, status: int) -> None:
    body = {"error": {"code": "Request_ResourceNotFound", "message": "gone"}}
    http_server.script(USERS, (status, body))
    waits: list[float] = []
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits))
    assert response.status_code == status
    assert response.json() == body
    assert waits == []
    assert len(http_server.seen) == 1


def test_attempts_exhausted_raises_budget_exhausted_naming_the_last_answer(http_server: Any) -> None:
    http_server.script(USERS, (503, {}))
    waits: list[float] = []
    with pytest.raises(BudgetExhausted) as caught:
        send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits, max_attempts=3))
    assert str(caught.value) == "HTTP 503 after 3 attempts"
    assert len(http_server.seen) == 3
    assert len(waits) == 2


def test_time_budget_exhausted_before_a_long_retry_after(http_server: Any) -> None:
    http_server.script(USERS, (429, {}, {"Retry-After": "30"}))
    waits: list[float] = []
    with pytest.raises(BudgetExhausted) as caught:
        send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy(waits, budget_seconds=5))
    message = str(caught.value)
    assert "HTTP 429" in message
    assert "retry budget of 5 s exhausted" in message
    assert "\n" not in message
    assert waits == [], "a wait that would overrun the budget is not started"
    assert len(http_server.seen) == 1


def test_connection_refused_is_retried_then_budget_exhausted(refused_url: str) -> None:
    waits: list[float] = []
    with pytest.raises(BudgetExhausted) as caught:
        send(requests.Session(), "GET", refused_url, policy=recording_policy(waits, max_attempts=3))
    assert str(caught.value) == "ConnectionError after 3 attempts"
    assert len(waits) == 2


def test_read_timeout_is_retried_then_budget_exhausted(silent_url: str) -> None:
    waits: list[float] = []
    with pytest.raises(BudgetExhausted, match=r"^ReadTimeout after 2 attempts$"):
        send(requests.Session(), "GET", silent_url, policy=recording_policy(waits, max_attempts=2, timeout=0.1))
    assert len(waits) == 1


def test_connection_refused_then_recovery(http_server: Any, refused_url: str) -> None:
    """A refused attempt is retried; the service comes back during the wait (the sleep hook points at it)."""
    http_server.script(USERS, (200, {"value": ["ok"]}))
    target = {"url": refused_url}

    class Switching(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            return super().request(method, target["url"], *args, **kwargs)

    def sleep(seconds: float) -> None:
        target["url"] = http_server.url + USERS

    policy = RetryPolicy(max_attempts=3, base_delay=0.01, sleep=sleep)
    response = send(Switching(), "GET", refused_url, policy=policy)
    assert response.json() == {"value": ["ok"]}


def test_rate_limiter_is_consulted_before_every_attempt(http_server: Any) -> None:
    http_server.script(USERS, (503, {}), (503, {}), (200, {}))

    class CountingLimiter(RateLimiter):
        calls = 0

        def wait(self) -> None:
            CountingLimiter.calls += 1

    send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy([]), limiter=CountingLimiter(1.0))
    assert CountingLimiter.calls == 3


# send: 401 and the token refresh --------------------------------------------------------------


def test_401_refreshes_once_and_resends_with_the_new_header(http_server: Any) -> None:
    def by_token(seen: Any) -> tuple[int, dict[str, Any]]:
        if seen.headers.get("Authorization") == "Bearer new":
            return (200, {"value": ["fresh"]})
        return (401, {"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed"}})

    http_server.script(USERS, by_token)
    calls: list[str] = []

    def refresh() -> dict[str, str]:
        calls.append("refresh")
        return {"Authorization": "Bearer new"}

    response = send(
        requests.Session(),
        "GET",
        http_server.url + USERS,
        policy=recording_policy([]),
        on_unauthorized=refresh,
        headers={"Authorization": "Bearer old", "ConsistencyLevel": "eventual"},
    )
    assert response.status_code == 200
    assert calls == ["refresh"]
    first, second = http_server.seen
    assert first.headers["Authorization"] == "Bearer old"
    assert second.headers["Authorization"] == "Bearer new"
    assert second.headers["ConsistencyLevel"] == "eventual", "other headers survive the refresh"


def test_a_second_401_is_returned_without_another_refresh(http_server: Any) -> None:
    http_server.script(USERS, (401, {"error": {"code": "InvalidAuthenticationToken"}}))
    calls: list[int] = []

    def refresh() -> dict[str, str]:
        calls.append(1)
        return {"Authorization": "Bearer still-bad"}

    response = send(
        requests.Session(), "GET", http_server.url + USERS, policy=recording_policy([]), on_unauthorized=refresh
    )
    assert response.status_code == 401
    assert calls == [1]
    assert len(http_server.seen) == 2


def test_401_without_fresh_headers_is_returned(http_server: Any) -> None:
    http_server.script(USERS, (401, {}))
    response = send(
        requests.Session(), "GET", http_server.url + USERS, policy=recording_policy([]), on_unauthorized=lambda: None
    )
    assert response.status_code == 401
    assert len(http_server.seen) == 1


def test_401_without_a_refresh_hook_is_returned(http_server: Any) -> None:
    http_server.script(USERS, (401, {}))
    response = send(requests.Session(), "GET", http_server.url + USERS, policy=recording_policy([]))
    assert response.status_code == 401
    assert len(http_server.seen) == 1
