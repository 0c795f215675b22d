"""Hostile endpoints (issue 10): every case stands its misbehaving server up for real on loopback with real TLS
(the fake tenant's trustme CA), runs the scanner's own code against it, and shows that

* the read, or the sign-in, ends within the case's stated bound (measured and printed as `HOSTILE case ...`),
* the affected read fails with a reason naming the cause (a sign-in failure is an AuthError, i.e. exit 4),
* and an attacker listener that the hostile server points at received nothing: no token, no secret.

The library cases run in-process (the same `open_live_scan` the plugin calls); the command-line cases run a
whole scan in a child process and check its exit status, its output and its reports.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from requests.adapters import HTTPAdapter

from o365cis.auth import AuthError
from o365cis.catalogue import load_catalogue
from o365cis.collectors import reads
from o365cis.config import load_config
from o365cis.findings import FailureKind, ReadError
from o365cis.http import BodyTooLarge, BudgetExhausted, DeadlineExceeded, HttpSession, Limits, RetryPolicy, send
from o365cis.scan import ScanContext, open_live_scan
from o365cis.settings import ScanSettings, Secret
from tests.fake_exchange.exchange_handler import INVOKE_PATH
from tests.fake_tenant.errors import identity_error
from tests.fake_tenant.identity import openid_configuration
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.server import FakeRequest
from tests.harness.scan import FakeCloud, fake_cloud

from .conftest import SECRET, PytestRun, client_id_of, live_scan, run_pytest
from .hostile import RawServer, attacker_server, dripping, dripping_head, flooding, stall

#: Small limits so each case ends in seconds: the retry budget, one request's deadline, the body cap.
RETRY_BUDGET = 2.0
REQUEST_DEADLINE = 1.0
MAX_RESPONSE_MB = 1
#: Slack over the budget for the sign-in, the organisation read and a loaded machine.
SLACK = 3.0
#: What a single request may take past its deadline: the watchdog's wake-up and unwinding on a loaded machine.
DEADLINE_SLACK = 0.5
USERS_PATH = "/v1.0/users"
TOKEN_PATH = r"/[^/]+/oauth2/v2.0/token"
DISCOVERY_PATH = r"/[^/]+/v2.0/.well-known/openid-configuration"
CMDLET = "Get-OrganizationConfig"
_JSON = {"Content-Type": "application/json"}

Handler = Callable[[FakeRequest], tuple[int, dict[str, str], Any]]


@pytest.fixture
def cloud(golden: Scenario) -> Iterator[FakeCloud]:
    """A fresh fake cloud per case: the mounts of one hostile case never reach another."""
    with fake_cloud([golden]) as running:
        yield running


@pytest.fixture
def attacker(cloud: FakeCloud) -> Iterator[RawServer]:
    """The host a hostile answer points at; it must never be contacted."""
    with attacker_server(cloud.server.ca) as server:
        yield server


@pytest.fixture(autouse=True)
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365CIS_RETRY_BUDGET", str(RETRY_BUDGET))
    monkeypatch.setenv("O365CIS_REQUEST_DEADLINE", str(REQUEST_DEADLINE))
    monkeypatch.setenv("O365CIS_MAX_RESPONSE_MB", str(MAX_RESPONSE_MB))


def settings_for(cloud: FakeCloud, scenario: Scenario, *, authority_url: str | None = None) -> ScanSettings:
    url = cloud.server.url
    return ScanSettings(
        tenant_id=scenario.tenant_id,
        client_id=client_id_of(scenario),
        client_secret=Secret(SECRET),
        authority_url=authority_url or url,
        graph_url=url,
        exchange_url=url,
        compliance_url=url,
        ca_bundle=cloud.server.ca_pem_path,
    )


def open_scan(cloud: FakeCloud, scenario: Scenario, *, record: bool = False) -> ScanContext:
    config = load_config(None, frozenset(load_catalogue()))
    return open_live_scan(settings_for(cloud, scenario), config, record=record)


@contextmanager
def bounded(case: str, bound: float, outcome: list[str]) -> Iterator[None]:
    """Time the block, fail when it took longer than `bound`; the line for the report table is printed by
    `report` once the outcome is known."""
    started = time.monotonic()
    yield
    outcome.insert(0, f"{time.monotonic() - started:.2f}")
    outcome.insert(0, f"{bound:.1f}")
    outcome.insert(0, case)
    assert float(outcome[2]) <= bound, f"{case} took {outcome[2]} s, bound {bound} s"


def report(outcome: list[str], said: str) -> None:
    """Print `HOSTILE | case | bound | measured | outcome` (collected into the issue's table)."""
    case, bound, measured = outcome[:3]
    print(f"HOSTILE | {case} | {bound} s | {measured} s | {said}")


def graph_failure(context: ScanContext) -> ReadError:
    data, failure = context.tenant.attempt(reads.USERS)
    assert failure is not None, f"the users read succeeded: {data!r}"
    return failure


def exchange_failure(context: ScanContext) -> ReadError:
    with pytest.raises(ReadError) as caught:
        context.exchange().invoke(CMDLET)
    return caught.value


def failure_under(cloud: FakeCloud, scenario: Scenario, case: str, service: str, handler: Handler) -> ReadError:
    """Sign in, then let `handler` answer the users read (service "graph") or Get-OrganizationConfig ("exchange");
    the read must fail within the budget; its line for the table is printed."""
    context = open_scan(cloud, scenario)
    if service == "graph":
        cloud.server.mount("GET", USERS_PATH, handler)
    else:
        cloud.server.mount("POST", INVOKE_PATH, handler, first=True)
    outcome: list[str] = []
    with bounded(case, RETRY_BUDGET + SLACK, outcome):
        failure = graph_failure(context) if service == "graph" else exchange_failure(context)
    report(outcome, f"error: {failure}")
    return failure


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: (status, {**_JSON, **(headers or {})}, body)


def assert_untouched(attacker: RawServer, *secrets: str) -> None:
    assert attacker.connections == 0, f"the attacker was contacted: {bytes(attacker.received)[:200]!r}"
    for secret in (SECRET, *secrets):
        assert secret.encode() not in attacker.received


# Graph ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "link", "reason"),
    [
        ("Graph self-looping nextLink", "https://{host}/v1.0/users?$skiptoken=same", "repeats a nextLink"),
        ("Graph nextLink joined without a slash", ".evil.test/v1.0/users?$skiptoken=x", "neither absolute nor a path"),
        ("Graph nextLink to another host", "{attacker}/v1.0/users?$skiptoken=x", "another host"),
        ("Graph nextLink to another port", "https://127.0.0.1:1/v1.0/users?$skiptoken=x", "another host"),
    ],
)
def test_graph_next_links_stay_on_the_graph_origin_and_never_loop(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, case: str, link: str, reason: str
) -> None:
    next_link = link.format(host=cloud.server.url.removeprefix("https://"), attacker=attacker.url)
    page = {"value": [{"id": "1"}], "@odata.nextLink": next_link}
    failure = failure_under(cloud, golden, case, "graph", answer(200, page))
    assert failure.kind is FailureKind.SERVICE and reason in str(failure)
    assert failure.request == "GET /v1.0/users"
    served = [r for r in cloud.server.requests if r.path == USERS_PATH]
    assert len(served) <= 2, "the pager kept asking"
    assert_untouched(attacker)


@pytest.mark.parametrize(("service", "status"), [("graph", 302), ("graph", 307), ("exchange", 307)])
def test_an_api_redirect_is_a_service_failure_naming_the_location(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, service: str, status: int
) -> None:
    location = {"Location": f"{attacker.url}{USERS_PATH}"}
    case = f"{service.title()} {status} to another host"
    failure = failure_under(cloud, golden, case, service, answer(status, None, location))
    assert attacker.url.removeprefix("https://") in str(failure) and "redirect" in str(failure)
    assert_untouched(attacker)


def echo_authorization(status: int) -> Handler:
    """A proxy that echoes the request's Authorization header into its error body."""

    def handler(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        said = f"denied for {request.headers.get('Authorization')}"
        return status, _JSON, {"error": {"code": "Forbidden", "message": said, "details": [{"message": said}]}}

    return handler


def test_an_echoed_authorization_header_is_redacted_in_errors_and_snapshots(cloud: FakeCloud, golden: Scenario) -> None:
    context = open_scan(cloud, golden, record=True)
    assert context.tokens is not None and context.recorder is not None
    token = str(context.tokens.token(cloud.server.url).access_token)
    cloud.server.mount("GET", USERS_PATH, echo_authorization(400))
    cloud.server.mount("POST", INVOKE_PATH, echo_authorization(400), first=True)
    outcome: list[str] = []
    with bounded("echoed Authorization (Graph and Exchange)", 2 * RETRY_BUDGET + SLACK, outcome):
        failures = [graph_failure(context), exchange_failure(context)]
    report(outcome, "error, token redacted: " + " / ".join(str(f) for f in failures))
    for failure in failures:
        assert token not in str(failure) and token not in repr(failure) and "[redacted]" in str(failure)
    saved = json.dumps(context.recorder.to_json())
    assert token not in saved and token[:40] not in saved


HOSTILE_BODIES = {
    "deep JSON": (b"[" * 100_000, "not JSON"),
    "oversized body": (b"[" + b"0," * (MAX_RESPONSE_MB * 2**20) + b"0]", "cap"),
    "invalid UTF-8": (b'{"value": ["\xff\xfe"]}', "not JSON"),
}


@pytest.mark.parametrize("service", ["graph", "exchange"])
@pytest.mark.parametrize("kind", list(HOSTILE_BODIES))
def test_hostile_bodies_are_read_failures(cloud: FakeCloud, golden: Scenario, service: str, kind: str) -> None:
    body, reason = HOSTILE_BODIES[kind]
    failure = failure_under(cloud, golden, f"{service.title()} {kind}", service, answer(200, body))
    assert reason in str(failure)


def test_an_endless_retry_after_ends_within_the_budget(cloud: FakeCloud, golden: Scenario) -> None:
    context = open_scan(cloud, golden)
    cloud.server.mount("GET", USERS_PATH, answer(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "3600"}))
    cloud.server.mount(
        "POST", INVOKE_PATH, answer(429, {"error": {"code": "TooMany"}}, {"Retry-After": "1"}), first=True
    )
    outcome: list[str] = []
    with bounded("endless Retry-After (Graph 3600 s, Exchange 1 s)", 2 * RETRY_BUDGET + SLACK, outcome):
        failures = [graph_failure(context), exchange_failure(context)]
    report(outcome, "error: " + " / ".join(str(f) for f in failures))
    assert all(f.kind is FailureKind.BUDGET for f in failures)


# Exchange ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "reason"),
    [("Exchange self-looping nextLink", "repeats a nextLink"), ("Exchange nextLink to another host", "another host")],
)
def test_exchange_next_links_stay_on_the_host_and_never_loop(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, case: str, reason: str
) -> None:
    def handler(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        target = attacker.url if "another host" in case else cloud.server.url
        return 200, _JSON, {"value": [{"Name": "x"}], "@odata.nextLink": f"{target}{request.path}"}

    failure = failure_under(cloud, golden, case, "exchange", handler)
    assert reason in str(failure) and CMDLET in str(failure)
    assert_untouched(attacker)


def test_a_failed_token_refresh_is_the_reads_failure(cloud: FakeCloud, golden: Scenario) -> None:
    """Exchange answers 401, the forced refresh is refused: that read fails; nothing escapes the client."""
    context = open_scan(cloud, golden)
    cloud.server.mount("POST", INVOKE_PATH, answer(401, {"error": {"code": "Unauthorized"}}), first=True)
    refused = identity_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    cloud.server.mount("POST", TOKEN_PATH, lambda request: refused, first=True)
    outcome: list[str] = []
    with bounded("failing token refresh after an Exchange 401", RETRY_BUDGET + SLACK, outcome):
        failure = exchange_failure(context)
    report(outcome, f"error: {str(failure)}")
    assert "token refresh failed" in str(failure) and "client secret was rejected" in str(failure)


# Identity platform and transport ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "path"), [("token endpoint 307", TOKEN_PATH), ("OpenID discovery 302", DISCOVERY_PATH)]
)
def test_identity_redirects_end_the_sign_in(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, case: str, path: str
) -> None:
    method, status = ("POST", 307) if path == TOKEN_PATH else ("GET", 302)
    cloud.server.mount(method, path, answer(status, None, {"Location": f"{attacker.url}/evil/token"}), first=True)
    outcome: list[str] = []
    with bounded(case, REQUEST_DEADLINE + SLACK, outcome), pytest.raises(AuthError) as caught:
        open_scan(cloud, golden)
    report(outcome, f"AuthError (exit 4): {caught.value}")
    assert attacker.url.removeprefix("https://") in str(caught.value) and "\n" not in str(caught.value)
    assert_untouched(attacker)


def test_a_stalled_tls_handshake_at_sign_in_is_bounded(cloud: FakeCloud, golden: Scenario) -> None:
    config = load_config(None, frozenset(load_catalogue()))
    outcome: list[str] = []
    with RawServer(stall) as stalled:
        settings = settings_for(cloud, golden, authority_url=stalled.url)
        with bounded("stalled TLS handshake (sign-in)", REQUEST_DEADLINE + SLACK, outcome):
            with pytest.raises(AuthError) as caught:
                open_live_scan(settings, config)
    report(outcome, f"AuthError (exit 4): {caught.value}")
    assert caught.value.kind == "unreachable"


@pytest.mark.parametrize(
    "case", ["stalled TLS handshake (API)", "slow drip body", "dripped headers", "chunked flood past the cap"]
)
def test_a_request_cannot_outlive_the_retry_budget_nor_the_body_cap(cloud: FakeCloud, case: str) -> None:
    behaviours = {
        "stalled": stall,
        "slow": dripping(cloud.server.ca),
        "dripped": dripping_head(cloud.server.ca),
        "chunked": flooding(cloud.server.ca),
    }
    session = HttpSession(cloud.server.ca_pem_path, limits=Limits(1.0, 1.0, REQUEST_DEADLINE, 2**20))
    policy = RetryPolicy(budget_seconds=RETRY_BUDGET, timeout=RETRY_BUDGET)
    outcome: list[str] = []
    expected = BodyTooLarge if "flood" in case else BudgetExhausted
    with RawServer(behaviours[case.split()[0]]) as server, bounded(case, RETRY_BUDGET + 1.5, outcome):
        with pytest.raises(expected) as caught:
            send(session, "GET", f"{server.url}/v1.0/users", policy=policy)
    report(outcome, f"error: {caught.value}")


def test_headers_dripped_a_byte_at_a_time_end_at_the_request_deadline(cloud: FakeCloud) -> None:
    """Status line and headers at a byte per 0.1 s: every recv is within the 1 s read timeout, so only the
    request's own deadline can end it, and it does, however far the head has got."""
    session = HttpSession(cloud.server.ca_pem_path, limits=Limits(1.0, 1.0, REQUEST_DEADLINE, 2**20))
    outcome: list[str] = []
    with RawServer(dripping_head(cloud.server.ca)) as server:
        with bounded("dripped headers (one request)", REQUEST_DEADLINE + DEADLINE_SLACK, outcome):
            with pytest.raises(DeadlineExceeded) as caught:
                session.get(f"{server.url}/v1.0/users")
        assert server.connections == 1
    report(outcome, f"error: {caught.value}")
    assert "request deadline" in str(caught.value) and "127.0.0.1" in str(caught.value)


def token_endpoint_at(cloud: FakeCloud, scenario: Scenario, url: str) -> None:
    """Point the tenant's OpenID discovery document at another token endpoint (the discovery itself is fine)."""
    document = {**openid_configuration(cloud.server.url, scenario), "token_endpoint": f"{url}/t/oauth2/v2.0/token"}
    cloud.server.mount("GET", DISCOVERY_PATH, answer(200, document), first=True)


def test_a_token_endpoint_dripping_its_headers_ends_the_sign_in(cloud: FakeCloud, golden: Scenario) -> None:
    """msal's token request goes through the project's session, so the same deadline ends it: AuthError (exit 4)."""
    outcome: list[str] = []
    with RawServer(dripping_head(cloud.server.ca)) as server:
        token_endpoint_at(cloud, golden, server.url)
        with bounded("dripped token-endpoint headers (sign-in)", REQUEST_DEADLINE + 1.0, outcome):
            with pytest.raises(AuthError) as caught:
                open_scan(cloud, golden)
        assert server.connections >= 1, "the sign-in never reached the dripping token endpoint"
    report(outcome, f"AuthError (exit 4): {caught.value}")
    assert caught.value.kind == "unreachable" and "request deadline" in str(caught.value)
    assert "\n" not in str(caught.value) and SECRET not in str(caught.value)


# Whole scans from the command line -------------------------------------------------------------------------------


def test_a_scan_with_a_refused_refresh_and_echoing_proxy_ends_cleanly(
    cloud: FakeCloud, golden: Scenario, tmp_path: Path
) -> None:
    """Exchange answers 401 echoing the token, the refresh is refused: no INTERNALERROR, no token anywhere,
    every report written 0600, and the Exchange recommendations `error` naming the refused refresh."""
    token = cloud.server.issue_token(golden.tenant_id)
    seen: list[str] = []

    def exchange(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        seen.append(str(request.headers.get("Authorization")))
        # From the first Exchange call on, the identity platform refuses this app (a secret revoked mid-scan).
        cloud.server.mount("POST", TOKEN_PATH, lambda _: refused, first=True)
        return echo_authorization(401)(request)

    refused = identity_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
    cloud.server.mount("POST", INVOKE_PATH, exchange, first=True)
    started = time.monotonic()
    out = tmp_path / "out"
    snapshot = out / "snapshot.json"
    budget = {"O365CIS_RETRY_BUDGET": str(RETRY_BUDGET)}
    run: PytestRun = live_scan(cloud, golden, out, [f"--snapshot-save={snapshot}"], env=budget)
    measured = time.monotonic() - started
    errors = {k: v for k, v in run.results().items() if v["status"] == "error"}
    print(
        f"HOSTILE | whole scan: Exchange 401 + refused refresh + echo | 120.0 s | {measured:.2f} s | "
        f"exit {run.returncode}, {len(errors)} error"
    )
    assert measured < 120
    assert run.returncode == 1, run.describe()
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert any("token refresh failed" in str(r.get("reason")) for r in errors.values()), run.describe()
    assert snapshot in run.written_files(), "the snapshot is checked below with the reports: 0600, no secret"
    secrets = [SECRET, token, *(s.removeprefix("Bearer ") for s in seen)]
    for path in run.written_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not [s for s in secrets if s and s in text], f"a secret in {path}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} is not 0600"
    assert not [s for s in secrets if s and s in run.output]


def test_a_token_endpoint_redirect_stops_the_command_line_with_exit_4(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, tmp_path: Path
) -> None:
    cloud.server.mount("POST", TOKEN_PATH, answer(307, None, {"Location": f"{attacker.url}/steal"}), first=True)
    started = time.monotonic()
    run = live_scan(cloud, golden, tmp_path / "out")
    measured = time.monotonic() - started
    print(f"HOSTILE | whole scan: token endpoint 307 | 60.0 s | {measured:.2f} s | exit {run.returncode}")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    assert len(run.error_lines()) == 1 and attacker.url.removeprefix("https://") in run.error_lines()[0]
    assert "Traceback" not in run.output and SECRET not in run.output
    assert run.written_files() == [], "a usage error leaves no report behind"
    assert_untouched(attacker)


def test_a_token_endpoint_dripping_its_headers_stops_the_command_line_with_exit_4(
    cloud: FakeCloud, golden: Scenario, tmp_path: Path
) -> None:
    with RawServer(dripping_head(cloud.server.ca)) as server:
        token_endpoint_at(cloud, golden, server.url)
        started = time.monotonic()
        run = live_scan(cloud, golden, tmp_path / "out", env={"O365CIS_REQUEST_DEADLINE": str(REQUEST_DEADLINE)})
        measured = time.monotonic() - started
    print(f"HOSTILE | whole scan: token endpoint drips its headers | 60.0 s | {measured:.2f} s | exit {run.returncode}")
    assert measured < 60
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    assert len(run.error_lines()) == 1 and "request deadline" in run.error_lines()[0], run.describe()
    assert "Traceback" not in run.output and SECRET not in run.output
    assert run.written_files() == []


# Bad snapshots and unwritable outputs: one line, exit 4, before any recommendation ------------------------------

BAD_SNAPSHOTS: dict[str, dict[str, Any]] = {
    "a response that is a string": {"responses": {"GET /v1.0/users": "str"}},
    "a tenant that is a string": {"tenant": "x"},
    "roles that are a list": {"roles": ["User.Read.All"]},
    "a status that is a string": {"responses": {"GET /v1.0/users": {"status": "200", "body": {}}}},
    "dns that is a list": {"dns": []},
}
OUTPUT_OPTIONS = ("--cis-json", "--cis-csv", "--html", "--junitxml", "--snapshot-save")


def one_line_usage_error(run: PytestRun, *fragments: str) -> None:
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.describe()
    lines = run.error_lines()
    assert len(lines) == 1 and lines[0].startswith("ERROR: o365-cis: "), run.describe()
    assert all(fragment in lines[0] for fragment in fragments), run.describe()
    assert "collected" not in run.stdout and "Traceback" not in run.output


@pytest.mark.parametrize("case", list(BAD_SNAPSHOTS))
def test_a_malformed_snapshot_is_a_one_line_usage_error(tmp_path: Path, case: str) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"format": "o365cis-snapshot", "version": 1, **BAD_SNAPSHOTS[case]}), encoding="utf-8")
    run = run_pytest(["--snapshot", str(path)], out=tmp_path / "out")
    one_line_usage_error(run, str(path))


@pytest.mark.parametrize("option", OUTPUT_OPTIONS)
def test_an_unwritable_output_path_is_a_usage_error_before_the_scan(tmp_path: Path, option: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    run = run_pytest(["--demo", f"{option}={blocker / 'report.out'}"], out=tmp_path / "out")
    one_line_usage_error(run, option, "cannot be written")


#: Hostile answers in one whole scan, and the recommendations each must turn to `error` with words of the cause
#: (catalogue requests: the SharePoint settings feed 3.6 and 6.1 alone, Forms settings 2.10).
HOSTILE_GRAPH_PATHS = ("/v1.0/admin/sharepoint/settings", "/beta/admin/forms")
HOSTILE_DEPENDENTS = {"3.6": "redirect", "6.1": "redirect", "2.10": "not JSON"}
#: Exchange reads made hostile: 5.1 (Get-AdminAuditLogConfig) and 4.4 (Get-RemoteDomain) go down their chain to
#: Secure Score, which the golden tenant has, and their reason must still name the failed read and its cause.
FALLBACK_DEPENDENTS = {"5.1": "repeats a nextLink", "4.4": "cap"}
#: A proxy echoing the Authorization header into Get-SharingPolicy's error (2.2 reads it, then Secure Score).
ECHOED_CMDLET, ECHOED_DEPENDENT = "Get-SharingPolicy", "2.2"


def test_a_whole_scan_against_hostile_answers_errors_only_their_dependents(
    cloud: FakeCloud, golden: Scenario, attacker: RawServer, tmp_path: Path
) -> None:
    sharepoint, forms = HOSTILE_GRAPH_PATHS
    cloud.server.mount("GET", sharepoint, answer(307, None, {"Location": f"{attacker.url}{sharepoint}"}))
    cloud.server.mount("GET", forms, answer(200, b"[" * 100_000))

    def exchange(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        cmdlet = request.headers.get("X-CmdletName")
        if cmdlet == "Get-AdminAuditLogConfig":
            return 200, _JSON, {"value": [{"Name": "x"}], "@odata.nextLink": f"{cloud.server.url}{request.path}"}
        if cmdlet == "Get-RemoteDomain":
            return 200, _JSON, b" " * (2 * 2**20)
        if cmdlet == ECHOED_CMDLET:
            return echo_authorization(400)(request)
        return cloud.exchange(request)

    cloud.server.mount("POST", INVOKE_PATH, exchange, first=True)
    started = time.monotonic()
    snapshot = tmp_path / "out" / "snapshot.json"
    limits = {"O365CIS_MAX_RESPONSE_MB": str(MAX_RESPONSE_MB)}
    run = live_scan(cloud, golden, tmp_path / "out", [f"--snapshot-save={snapshot}"], env=limits)
    measured = time.monotonic() - started
    results = run.results()
    errors = sorted(k for k, v in results.items() if v["status"] == "error")
    print(
        "HOSTILE | whole scan: Graph redirect + deep JSON, Exchange loop + oversized + echo | 120.0 s | "
        f"{measured:.2f} s | exit {run.returncode}, error: {', '.join(errors)}"
    )
    assert measured < 120
    assert run.returncode == 1 and "INTERNALERROR" not in run.output and "Traceback" not in run.output
    for rec_id, cause in HOSTILE_DEPENDENTS.items():
        assert results[rec_id]["status"] == "error" and cause in json.dumps(results[rec_id]), (rec_id, results[rec_id])
    assert set(HOSTILE_DEPENDENTS) <= set(errors) <= {*HOSTILE_DEPENDENTS, ECHOED_DEPENDENT}, "only they fail"
    # The echoing proxy's body is recorded redacted; no file of the run holds the token it echoed.
    assert "[redacted]" in snapshot.read_text(encoding="utf-8")
    for path in run.written_files():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "Bearer ey" not in path.read_text(encoding="utf-8")
    for rec_id, cause in FALLBACK_DEPENDENTS.items():
        assert results[rec_id]["source"] == "securescore" and cause in results[rec_id]["reason"], results[rec_id]
    assert_untouched(attacker)


def test_the_watchdog_leaves_no_descriptor_nor_thread_and_keeps_connections_alive(cloud: FakeCloud) -> None:
    """Each request's watchdog holds a duplicate of its socket and a timer thread: both go when the request ends,
    and the connection itself goes back to the pool for the next request."""
    session = HttpSession(cloud.server.ca_pem_path, limits=Limits(1.0, 1.0, REQUEST_DEADLINE, 2**20))
    url = f"{cloud.server.url}/common/v2.0/.well-known/openid-configuration"
    session.get(url)  # the pool's first connection
    descriptors, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    before = len(cloud.server.requests)
    for _ in range(30):
        assert session.get(url).status_code in (200, 400)
    time.sleep(0.2)  # cancelled timer threads end at once; give the scheduler a moment
    assert len(os.listdir("/proc/self/fd")) <= descriptors and threading.active_count() <= threads
    assert len(cloud.server.requests) - before == 30
    adapter = session.get_adapter(url)
    assert isinstance(adapter, HTTPAdapter)
    pool = next(iter(adapter.poolmanager.pools._container.values()))
    assert pool.num_connections == 1, "keep-alive: one connection served every request"
