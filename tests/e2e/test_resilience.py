"""A whole scan under throttling, transient failures, an exhausted retry budget, tokens that expire mid-scan, the
Conditional Access throttle and a request-rate cap: the verdicts are the clean scan's, except where a read the
recommendation needs really failed (https://learn.microsoft.com/graph/throttling)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fake_tenant.faults import FaultRule
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.server import FakeTenantServer, LoggedRequest
from tests.harness.scan import fake_cloud

from .conftest import PytestRun, ids_where, live_scan, run_concurrently

#: Graph and Exchange paths answered 429 once each (one rule per path, so every one of them is retried).
THROTTLED_PATHS = (
    "/v1.0/identity/conditionalAccess/policies",
    "/v1.0/users",
    "/v1.0/security/secureScores",
    "/beta/admin/forms",
    "/adminapi/",
)
#: Paths answered 503 or 504 once each.
FAILING_PATHS = (
    "/v1.0/organization",
    "/v1.0/domains",
    "/v1.0/admin/sharepoint/settings",
    "/v1.0/policies/authorizationPolicy",
    "/beta/deviceManagement/deviceConfigurations",
)
#: The read that answers 503 for ever in the retry-budget scan, and who depends on it (catalogue requests):
#: 3.6 and 6.1 have no other source; 1.4, 6.2 and 6.3 fall back on Secure Score, which the golden tenant has full
#: (6.3 always ends there: the golden tenant allows Anyone links, so its Graph rule hands over).
ENDLESS_503_PATH = "/v1.0/admin/sharepoint/settings"
ONLY_SOURCE_FAILED = ("3.6", "6.1")
SECURE_SCORE_FALLBACK = ("1.4", "6.2", "6.3")
#: More answers than any retry budget lets one read ask for: the failure never lifts during the scan.
ENDLESS = 10_000
SECTION4 = ids_where(lambda r: r["section"].startswith("4 "))
#: How long the request a mid-scan action waits for is held back: ample time for the watcher to act.
HOLD_MS = 1000
TOKEN_PATH_SUFFIX = "/oauth2/v2.0/token"


class MidScanAction:
    """Holds the first request for `path_prefix` back and, while it is held, runs `action` on the server.

    The action therefore lands between two requests of the scan, at a known point of it, instead of at a time.
    """

    def __init__(self, server: FakeTenantServer, path_prefix: str, action: Callable[[], None]) -> None:
        self.path_prefix = path_prefix
        self._rule: FaultRule = server.faults.delay(HOLD_MS, count=1, path_prefix=path_prefix)
        self._action = action
        self._stop = threading.Event()
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"mid-scan {path_prefix}", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self._rule.served:
                self._action()
                self.done.set()
                return
            self._stop.wait(0.005)

    def stop(self) -> None:
        """Stop watching (the scan is over)."""
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class FaultedScan:
    """A scan on fake services of its own, the faults it met and what the server answered."""

    run: PytestRun
    requests: list[LoggedRequest]
    rules: list[FaultRule]
    actions: list[MidScanAction] = field(default_factory=list)

    def answered(self, status: int) -> list[str]:
        """Paths answered with this status, in order."""
        return [r.path for r in self.requests if r.status == status]


Arm = Callable[[FakeTenantServer], list[MidScanAction]]


def scan_with_faults(
    scenario: Scenario,
    config: Path,
    out: Path,
    arm: Arm,
    *,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
    page_size: int = 25,
) -> FaultedScan:
    """Start fake services for `scenario`, arm their faults, scan, and stop them."""
    with fake_cloud([scenario], page_size=page_size) as cloud:
        actions = arm(cloud.server)
        try:
            run = live_scan(cloud, scenario, out, [f"--cis-config={config}", *extra], env=env)
        finally:
            for action in actions:
                action.stop()
        return FaultedScan(run, cloud.server.requests, cloud.server.faults.rules, actions)


def throttled_and_failing(status: int, *, retry_after: float | None, as_http_date: bool = False) -> Arm:
    """429 once on each THROTTLED_PATHS entry (with this Retry-After) and `status` once on each FAILING_PATHS one."""

    def arm(server: FakeTenantServer) -> list[MidScanAction]:
        for path in THROTTLED_PATHS:
            server.faults.throttle(1, retry_after=retry_after, as_http_date=as_http_date, path_prefix=path)
        for path in FAILING_PATHS:
            server.faults.fail(1, status=status, path_prefix=path)
        return []

    return arm


def nothing_armed(server: FakeTenantServer) -> list[MidScanAction]:
    return []


def endless_503(server: FakeTenantServer) -> list[MidScanAction]:
    server.faults.fail(ENDLESS, status=503, path_prefix=ENDLESS_503_PATH)
    return []


def conditional_access_throttle(server: FakeTenantServer) -> list[MidScanAction]:
    server.faults.conditional_access_throttle(1)
    return []


def graph_tokens_expire(server: FakeTenantServer) -> list[MidScanAction]:
    """Revoke every token during the Conditional Access read, then move the server clock two hours on during
    the (later, sequential) risk-detections read: both are followed by further Graph reads."""
    return [
        MidScanAction(server, "/v1.0/identity/conditionalAccess/policies", server.faults.expire_tokens),
        MidScanAction(server, "/v1.0/identityProtection/riskDetections", lambda: server.faults.shift_clock(7200)),
    ]


def exchange_token_expires(server: FakeTenantServer) -> list[MidScanAction]:
    """Revoke every token during the first Exchange admin API call: the next call is an Exchange one too."""
    return [MidScanAction(server, "/adminapi/", server.faults.expire_tokens)]


@pytest.fixture(scope="module")
def faulted(
    golden: Scenario, golden_config_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, FaultedScan]:
    """One scan per fault scenario, each on its own fake services (faults are per server), a few at a time."""
    root = tmp_path_factory.mktemp("resilience")

    def job(
        name: str, arm: Arm, *, extra: Sequence[str] = (), env: dict[str, str] | None = None, page_size: int = 25
    ) -> Callable[[], FaultedScan]:
        out = root / name
        return lambda: scan_with_faults(golden, golden_config_file, out, arm, extra=extra, env=env, page_size=page_size)

    return run_concurrently(
        {
            "429 Retry-After seconds, 503s": job("seconds", throttled_and_failing(503, retry_after=1)),
            "429 Retry-After HTTP date, 504s": job(
                "date", throttled_and_failing(504, retry_after=1, as_http_date=True)
            ),
            "429 without Retry-After, 503s": job("bare", throttled_and_failing(503, retry_after=None)),
            "Conditional Access throttle": job("ca-throttle", conditional_access_throttle, page_size=2),
            "tokens expire mid-scan": job("tokens", graph_tokens_expire),
            "--rate-limit 50": job("rate-limit", nothing_armed, extra=["--rate-limit", "50"]),
            "retry budget exhausted": job("budget", endless_503, env={"O365CIS_RETRY_BUDGET": "2"}),
            "Exchange token expires": job("exchange-token", exchange_token_expires, extra=["-m", "section4"]),
        }
    )


SAME_VERDICTS = [
    "429 Retry-After seconds, 503s",
    "429 Retry-After HTTP date, 504s",
    "429 without Retry-After, 503s",
    "Conditional Access throttle",
    "tokens expire mid-scan",
    "--rate-limit 50",
]


@pytest.mark.parametrize("case", SAME_VERDICTS)
def test_scan_under_faults_gives_the_clean_verdicts(
    faulted: dict[str, FaultedScan], golden_scan: PytestRun, case: str
) -> None:
    scan = faulted[case]

    assert scan.run.returncode == pytest.ExitCode.OK, scan.run.describe()
    assert scan.run.statuses() == golden_scan.statuses()


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("429 Retry-After seconds, 503s", 503),
        ("429 Retry-After HTTP date, 504s", 504),
        ("429 without Retry-After, 503s", 503),
    ],
)
def test_every_injected_fault_was_met_and_retried(faulted: dict[str, FaultedScan], case: str, status: int) -> None:
    scan = faulted[case]

    assert [(rule.path_prefix, rule.served) for rule in scan.rules] == [
        (p, 1) for p in (*THROTTLED_PATHS, *FAILING_PATHS)
    ]
    assert len(scan.answered(429)) == len(THROTTLED_PATHS)
    assert len(scan.answered(status)) == len(FAILING_PATHS)
    for path in (*THROTTLED_PATHS, *FAILING_PATHS):
        answers = [r.status for r in scan.requests if r.path.startswith(path)]
        assert answers[0] in (429, status) and 200 in answers[1:], (path, answers)


def test_conditional_access_throttle_was_met(faulted: dict[str, FaultedScan]) -> None:
    throttled = faulted["Conditional Access throttle"].answered(429)

    # Small pages make the policy list several quick requests; Graph throttles them without Retry-After.
    assert throttled and all("/identity/conditionalAccess/" in path for path in throttled)


def test_tokens_expired_mid_scan_are_refreshed(faulted: dict[str, FaultedScan]) -> None:
    scan = faulted["tokens expire mid-scan"]

    assert all(action.done.is_set() for action in scan.actions)
    refused = scan.answered(401)
    assert refused, "no request met an expired token: the mid-scan actions missed"
    token_requests = [r for r in scan.requests if r.path.endswith(TOKEN_PATH_SUFFIX)]
    assert len(token_requests) >= 3  # the first token, and a new one after each of the two expiries
    # Every read refused for its token was answered after the refresh.
    for path in set(refused):
        assert any(r.path == path and r.status == 200 for r in scan.requests), path


def test_exchange_calls_refresh_an_expired_token(faulted: dict[str, FaultedScan], golden_scan: PytestRun) -> None:
    scan = faulted["Exchange token expires"]

    assert all(action.done.is_set() for action in scan.actions)
    # The Exchange call right after the revocation met it, and was answered once a new token was fetched
    # (Graph reads prefetched at the same time may meet it too: they refresh the same way).
    assert any(path.startswith("/adminapi/") for path in scan.answered(401))
    assert scan.run.statuses() == {rec_id: golden_scan.statuses()[rec_id] for rec_id in SECTION4}
    assert scan.run.returncode == pytest.ExitCode.OK


def test_exhausted_retry_budget_is_an_error_for_the_reads_dependents(
    faulted: dict[str, FaultedScan], golden_scan: PytestRun
) -> None:
    scan = faulted["retry budget exhausted"]
    results = scan.run.results()

    expected = dict(golden_scan.statuses())
    expected.update(dict.fromkeys(ONLY_SOURCE_FAILED, "error"))
    assert scan.run.statuses() == expected
    for rec_id in ONLY_SOURCE_FAILED:
        reason = results[rec_id]["reason"]
        assert "service failure" in reason and ENDLESS_503_PATH in reason and "retry budget" in reason, reason
    assert scan.run.returncode == pytest.ExitCode.TESTS_FAILED
    assert scan.run.document()["summary"]["error"] == len(ONLY_SOURCE_FAILED)


def test_failed_read_never_decides_compliant(faulted: dict[str, FaultedScan], golden_scan: PytestRun) -> None:
    """A source whose read failed decides nothing: the next source does, or the result is an error."""
    scan = faulted["retry budget exhausted"]
    results = scan.run.results()

    assert golden_scan.results()["1.4"]["source"] == "graph"
    for rec_id in SECURE_SCORE_FALLBACK:
        # Decided by the next source in the catalogue's chain, and the reason says why Graph could not decide.
        assert results[rec_id]["source"] == "securescore", results[rec_id]
        assert ENDLESS_503_PATH in results[rec_id]["reason"]
    assert all(
        r["source"] != "graph"
        for rec_id, r in results.items()
        if rec_id in (*ONLY_SOURCE_FAILED, *SECURE_SCORE_FALLBACK)
    )
    # Every request for the path failed: the scan gave up rather than looping.
    assert set(r.status for r in scan.requests if r.path == ENDLESS_503_PATH) == {503}
