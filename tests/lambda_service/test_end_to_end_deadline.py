"""A scan killed at its deadline leaves the warm process healthy: end to end through `lambda_handler`, with the
request function's KMS-sealed hand-over, the real runner in its child process, moto and an SMTP server.

Its own module, so the module-scoped fake tenant is fresh: other end-to-end tests mount handlers on it.
"""

from __future__ import annotations

import json
import logging
import sys
import time

import pytest

import lambda_handler
from o365cis.lambda_service.handlers import RequestServices, handle_request
from o365cis.lambda_service.status import StatusStore
from tests.fake_tenant.golden import GOLDEN_CLIENT_SECRET
from tests.fake_tenant.server import FakeTenantServer

from .fakes import FakeContext, RecordingInvoker
from .servers import SCAN_FUNCTION, MotoEndpoint, SmtpServer
from .test_end_to_end import answer, received, request_event, scan_env, scan_servers  # noqa: F401 - fixtures

#: How long the fake tenant holds each answer, and what killing, reaping and the failure email may add.
DEADLINE_HOLD_MS = 30_000
DEADLINE_SLACK_SECONDS = 8.0


def test_a_scan_killed_at_its_deadline_leaves_the_warm_process_healthy(
    monkeypatch: pytest.MonkeyPatch,
    scan_env: FakeTenantServer,  # noqa: F811 - the imported fixture
    smtp_server: SmtpServer,
    moto_server: MotoEndpoint,
    kms_key: str,
    table_name: str,
) -> None:
    """KMS-sealed hand-over; a scan stuck on Graph is killed at its deadline; a healthy scan follows, same process."""
    monkeypatch.setenv("SECRET_KMS_KEY_ID", kms_key)
    services = RequestServices.from_env()
    services.invoker = recorder = RecordingInvoker(moto_server.client("lambda"), SCAN_FUNCTION, services.invoker.seal)
    for request_id in ("e2e-stuck", "e2e-after"):
        assert answer(handle_request(request_event(request_id), FakeContext(), services))[0] == 202
    stuck, after = recorder.echoes
    assert GOLDEN_CLIENT_SECRET not in json.dumps(recorder.echoes)
    state = (sys.stdout, sys.stderr, list(logging.getLogger().handlers), logging.getLogger().level)

    scan_env.faults.delay(DEADLINE_HOLD_MS)  # every Graph/Exchange answer held far past the deadline
    started = time.monotonic()
    # 66 s left, 60 s kept back to record and email: the scan gets 6 s.
    killed = lambda_handler.scan_handler(stuck, FakeContext(remaining_ms=66_000))
    elapsed = time.monotonic() - started
    scan_env.faults.clear()
    assert killed["status"] == "FAILED" and killed["error"].startswith("timeout: the scan did not finish within 6 s")
    assert elapsed < 6 + DEADLINE_SLACK_SECONDS
    record = StatusStore(moto_server.client("dynamodb"), table_name).get("e2e-stuck")
    assert record is not None and record["status"] == "FAILED" and record["error"].startswith("timeout:")
    assert smtp_server.messages[0]["Subject"].endswith(": failed")

    healthy = lambda_handler.scan_handler(after, FakeContext())
    assert healthy["status"] == "COMPLETED", healthy["error"]
    assert (sys.stdout, sys.stderr, list(logging.getLogger().handlers), logging.getLogger().level) == state
    message, _, results = received(smtp_server, 1)
    assert len(results["results"]) == 84 and "pass" in message["Subject"]
    record = StatusStore(moto_server.client("dynamodb"), table_name).get("e2e-after")
    assert record is not None and record["status"] == "COMPLETED"
