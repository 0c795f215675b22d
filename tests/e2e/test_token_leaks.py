"""No token and no client secret in any traceback, `pytest -l` included (issue 10, item 6).

A traceback shown with locals prints the repr of every local of every frame it passes through, and the frames
below the scanner's own code (http.client, urllib3, msal) hold the raw request bytes, the token answer and the
client secret. So the scanner lets no exception out of those layers: whatever the HTTP stack or msal raises
becomes the read's failure (or the sign-in's, exit 4), and objects of its own that hold a token show none.

Each whole-scan case runs the real command line with `-l --tb=long -vv` against the fake tenant, makes the HTTP
stack itself raise (tests/e2e/fault_plugin.py) or msal choke on a token answer, and greps every byte of output
and every report for the bearer tokens actually sent and the client secret.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest._io.saferepr import saferepr_unlimited

from o365cis.collectors import reads
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.server import FakeRequest
from tests.harness.scan import FakeCloud, fake_cloud

from .conftest import REPO_ROOT, SECRET, PytestRun, live_scan
from .test_hostile_endpoints import CMDLET, TOKEN_PATH, USERS_PATH, answer, open_scan

#: Show every local of every frame, unabridged.
SHOW_LOCALS = ["-l", "--tb=long", "-vv"]
#: A syntactically plausible token msal is handed but cannot store (expires_in is null).
MARKER_TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJsZWFrIn0.MARKER-TOKEN-THAT-MUST-NOT-APPEAR"


@pytest.fixture
def cloud(golden: Scenario) -> Iterator[FakeCloud]:
    """A fresh fake cloud per case: the mounts of one case never reach another."""
    with fake_cloud([golden]) as running:
        yield running


def scan_with_fault(
    cloud: FakeCloud, scenario: Scenario, tmp_path: Path, request_line: str
) -> tuple[PytestRun, set[str]]:
    """A whole scan with the fault plugin failing requests starting with `request_line`; the tokens it sent."""
    tokens = tmp_path / "tokens.txt"
    tokens.touch()
    env = {
        "FAULT_TOKENS_FILE": str(tokens),
        "FAULT_REQUEST_LINE": request_line,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    run = live_scan(cloud, scenario, tmp_path / "out", ["-p", "tests.e2e.fault_plugin", *SHOW_LOCALS], env=env)
    return run, set(tokens.read_text().split())


def assert_nothing_secret(run: PytestRun, tokens: set[str]) -> None:
    """No token (nor its first 24 characters) and no secret in the output or any file the run wrote."""
    texts = {"output": run.output}
    texts.update({str(p): p.read_text(encoding="utf-8", errors="replace") for p in run.written_files()})
    for where, text in texts.items():
        for token in tokens:
            assert token[:24] not in text, f"a token in {where}"
        assert SECRET not in text, f"the client secret in {where}"
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output, run.describe()


@pytest.mark.parametrize(
    ("case", "request_line", "code"),
    [
        ("Graph request", "GET /v1.0/users", pytest.ExitCode.TESTS_FAILED),
        ("Exchange request", "POST /adminapi", pytest.ExitCode.TESTS_FAILED),
        ("token request at sign-in", "POST /{tenant}/oauth2/v2.0/token", pytest.ExitCode.USAGE_ERROR),
    ],
)
def test_an_exception_inside_the_http_stack_is_a_failure_not_a_traceback(
    cloud: FakeCloud, golden: Scenario, tmp_path: Path, case: str, request_line: str, code: int
) -> None:
    started = time.monotonic()
    run, tokens = scan_with_fault(cloud, golden, tmp_path, request_line.format(tenant=golden.tenant_id))
    measured = time.monotonic() - started
    print(
        f"HOSTILE | whole scan, -l: RuntimeError inside http.client ({case}) | 60.0 s | {measured:.2f} s | "
        f"exit {run.returncode}"
    )
    assert run.returncode == code, run.describe()
    assert_nothing_secret(run, tokens)
    if code == pytest.ExitCode.USAGE_ERROR:
        assert len(run.error_lines()) == 1 and "the HTTP stack failed (RuntimeError)" in run.error_lines()[0]
    else:
        assert tokens, "the scan sent no token: the case proves nothing"
        # The failed read is named in the results (as an error, or as the failure a fallback source stood in for).
        assert "the HTTP stack failed (RuntimeError)" in json.dumps(run.document()), run.describe()


def test_a_token_answer_msal_cannot_process_mid_scan_is_the_reads_failure(
    cloud: FakeCloud, golden: Scenario, tmp_path: Path
) -> None:
    """Graph answers 401; the refresh's token answer makes msal raise TypeError with the token in its locals."""
    broken = answer(200, {"access_token": MARKER_TOKEN, "token_type": "Bearer", "expires_in": None})

    def users(request: FakeRequest) -> tuple[int, dict[str, str], Any]:
        cloud.server.mount("POST", TOKEN_PATH, broken, first=True)
        return 401, {"Content-Type": "application/json"}, {"error": {"code": "InvalidAuthenticationToken"}}

    cloud.server.mount("GET", USERS_PATH, users, first=True)
    started = time.monotonic()
    run, tokens = scan_with_fault(cloud, golden, tmp_path, "NO REQUEST STARTS SO")
    measured = time.monotonic() - started
    print(
        f"HOSTILE | whole scan, -l: msal TypeError on a refreshed token | 60.0 s | {measured:.2f} s | "
        f"exit {run.returncode}"
    )
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.describe()
    assert_nothing_secret(run, {*tokens, MARKER_TOKEN})
    assert "could not be processed (TypeError)" in json.dumps(run.document()), run.describe()


def test_no_object_holding_a_token_shows_it(cloud: FakeCloud, golden: Scenario) -> None:
    """repr and str, unabridged as `pytest -l -vv` prints them, of every object of a live scan holding a token."""
    context = open_scan(cloud, golden)
    assert context.tokens is not None and context.http is not None
    exchange = context.exchange()
    exchange.invoke(CMDLET)
    assert context.tenant.attempt(reads.USERS)[1] is None
    graph_token = str(context.tokens.token(cloud.server.url).access_token)
    app = context.tokens._application()
    held: dict[str, object] = {
        "ScanContext": context,
        "TokenProvider": context.tokens,
        "HttpSession": context.http,
        "TokenProvider.session": context.tokens.session,
        "GraphClient": context.tenant.client,
        "TenantReader": context.tenant,
        "ExchangeClient": exchange,
        "msal app": app,
        "msal token cache": app.token_cache,
        "AppToken": context.tokens.token(cloud.server.url),
        "ScanSettings": context.settings,
    }
    cached = [str(t.get("secret")) for t in app.token_cache.search(app.token_cache.CredentialType.ACCESS_TOKEN)]
    cached_graph_token = graph_token in cached  # a bool: a failing assert must not print the token either
    assert cached_graph_token, "msal's cache holds the token the scan uses"
    for name, holder in held.items():
        for shown in (repr(holder), str(holder), saferepr_unlimited(holder)):
            assert not [t for t in cached if t[:24] in shown], f"{name} shows a token"
            assert SECRET not in shown, f"{name} shows the client secret"
