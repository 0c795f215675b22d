"""The request function: validation, sign-in, permission check, conditional QUEUED record, asynchronous invoke.

DynamoDB and Lambda are moto's server over HTTP; the sign-in is a fake probe (the end-to-end tests use the
fake identity platform instead).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from o365cis.auth import AuthError
from o365cis.lambda_service.config import ServiceConfig
from o365cis.lambda_service.handlers import RequestServices, handle_request
from o365cis.lambda_service.invoker import LambdaInvoker
from o365cis.lambda_service.secrets import SecretBox
from o365cis.lambda_service.status import StatusStore

from .fakes import CLIENT, RECIPIENT, SECRET, TENANT, FakeContext, FakeProbe, RecordingInvoker, all_roles, request_event
from .servers import MotoEndpoint, free_port, log_lines


@pytest.fixture
def invoker(moto_server: MotoEndpoint, scan_function: str) -> RecordingInvoker:
    """The real Lambda invoker on moto, recording what it handed over."""
    return RecordingInvoker(moto_server.client("lambda"), scan_function)


@pytest.fixture
def probe() -> FakeProbe:
    """A sign-in that grants every permission the scan needs."""
    return FakeProbe()


@pytest.fixture
def services(
    service_config: ServiceConfig, store: StatusStore, probe: FakeProbe, invoker: RecordingInvoker
) -> RequestServices:
    """The request function's collaborators on loopback servers."""
    return RequestServices(config=service_config, store=store, probe=probe, invoker=invoker)


def answer(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status code and decoded JSON body of a proxy answer."""
    assert result["headers"]["Content-Type"] == "application/json"
    return result["statusCode"], json.loads(result["body"])


def test_valid_request_is_queued_and_handed_over_asynchronously(
    services: RequestServices, store: StatusStore, invoker: RecordingInvoker
) -> None:
    status, body = answer(handle_request(request_event("req-1"), FakeContext(), services))
    assert (status, body) == (202, {"requestId": "req-1", "status": "QUEUED"})
    record = store.get("req-1")
    assert record is not None and record["status"] == "QUEUED"
    assert (record["tenantId"], record["recipient"]) == (TENANT, RECIPIENT)
    assert SECRET not in json.dumps(record)
    # Lambda (moto) received exactly the scan event, as an asynchronous invocation.
    assert invoker.invocation_types == ["Event"]
    assert invoker.echoes == [
        {
            "requestId": "req-1",
            "access_type": "credentials",
            "access_input": {"client_id": CLIENT, "client_secret": SECRET, "tenant_id": TENANT},
            "email": RECIPIENT,
        }
    ]


def test_body_as_json_string(services: RequestServices) -> None:
    status, body = answer(handle_request(request_event("req-2", as_string=True), None, services))
    assert status == 202 and body["requestId"] == "req-2"


def test_repeated_request_id_is_refused_and_never_run_twice(
    services: RequestServices, store: StatusStore, invoker: RecordingInvoker
) -> None:
    assert answer(handle_request(request_event("dup"), None, services))[0] == 202
    status, body = answer(handle_request(request_event("dup", tenant_id="fabrikam.com"), None, services))
    assert status == 409 and body["status"] == "DUPLICATE" and body["requestId"] == "dup"
    assert len(invoker.jobs) == 1
    assert store.get("dup")["tenantId"] == TENANT  # type: ignore[index]


def test_every_validation_problem_is_answered_at_once(services: RequestServices, probe: FakeProbe) -> None:
    event = {
        "body": {
            "requestId": "../escape",
            "scan_input": [{"access_type": "delegated", "access_input": {"client_id": "x", "tenant_id": ""}}],
            "email": "a@b.co\r\nBcc: c@d.co",
        }
    }
    status, body = answer(handle_request(event, None, services))
    assert status == 400 and body["status"] == "INVALID" and body["requestId"] is None
    assert {e["field"] for e in body["errors"]} == {
        "body.requestId",
        "body.email",
        "body.scan_input[0].access_type",
        "body.scan_input[0].access_input.client_id",
        "body.scan_input[0].access_input.tenant_id",
        "body.scan_input[0].access_input.client_secret",
    }
    assert probe.jobs == []


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("bad_credentials", 401),
        ("unknown_tenant", 400),
        ("unknown_client", 400),
        ("no_consent", 403),
        ("unreachable", 502),
    ],
)
def test_sign_in_failures_are_answered_in_one_line(
    services: RequestServices, probe: FakeProbe, store: StatusStore, kind: str, code: int
) -> None:
    probe.error = AuthError(kind, f"sign-in failed: {kind} for {SECRET}")
    status, body = answer(handle_request(request_event("req-auth"), None, services))
    assert status == code and body["status"] == "REJECTED" and body["reason"] == kind
    assert SECRET not in body["error"]
    assert store.get("req-auth") is None


def test_missing_baseline_permissions_are_named_and_refused(
    services: RequestServices, probe: FakeProbe, store: StatusStore, invoker: RecordingInvoker
) -> None:
    probe.roles = all_roles(without=("Policy.Read.All", "AuditLog.Read.All"))
    status, body = answer(handle_request(request_event("req-perm"), None, services))
    assert status == 403 and body["reason"] == "missing_permissions"
    missing = {m["permission"]: m for m in body["missingPermissions"]}
    assert set(missing) == {"Policy.Read.All", "AuditLog.Read.All"}
    assert missing["Policy.Read.All"]["required"] is True and "1.1.1" in missing["Policy.Read.All"]["recommendations"]
    assert missing["AuditLog.Read.All"]["required"] is False
    assert "Policy.Read.All" in body["error"]
    assert store.get("req-perm") is None and invoker.jobs == []


def test_missing_optional_permissions_still_queue_with_a_warning(services: RequestServices, probe: FakeProbe) -> None:
    probe.roles = all_roles(without=("DeviceManagementConfiguration.Read.All", "Exchange.ManageAsApp"))
    status, body = answer(handle_request(request_event("req-opt"), None, services))
    assert status == 202 and body["status"] == "QUEUED"
    assert {m["permission"] for m in body["missingPermissions"]} == {
        "DeviceManagementConfiguration.Read.All",
        "Exchange.ManageAsApp",
    }
    assert "warning" in body


def test_broader_roles_satisfy_narrower_permissions(services: RequestServices, probe: FakeProbe) -> None:
    roles = all_roles(without=("User.Read.All", "Domain.Read.All"))
    probe.roles = roles
    assert "Directory.Read.All" in roles.graph
    assert answer(handle_request(request_event("req-broad"), None, services))[0] == 202


def test_scan_function_that_cannot_start_fails_the_record(
    service_config: ServiceConfig, store: StatusStore, probe: FakeProbe
) -> None:
    # Lambda's endpoint down (nothing listens on the port): the invoke fails after the record was queued.
    lambda_down = boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2),
    )
    services = RequestServices(
        config=service_config, store=store, probe=probe, invoker=LambdaInvoker(lambda_down, "o365cis-scan")
    )
    status, body = answer(handle_request(request_event("req-noscan"), None, services))
    assert status == 502 and body["status"] == "FAILED"
    record = store.get("req-noscan")
    assert record is not None and record["status"] == "FAILED"
    assert record["error"] == "the scan could not be started: cannot invoke o365cis-scan: EndpointConnectionError"


def test_unwritable_table_is_a_503(
    service_config: ServiceConfig, probe: FakeProbe, invoker: RecordingInvoker, moto_server: MotoEndpoint
) -> None:
    services = RequestServices(
        config=service_config,
        store=StatusStore(moto_server.client("dynamodb"), "missing"),
        probe=probe,
        invoker=invoker,
    )
    status, body = answer(handle_request(request_event("req-nodb"), None, services))
    assert (status, body["status"]) == (503, "ERROR") and invoker.jobs == []


def test_logs_are_json_lines_with_the_request_id_and_no_secret(
    services: RequestServices, capsys: pytest.CaptureFixture[str]
) -> None:
    handle_request(request_event("req-log"), FakeContext(), services)
    handle_request(request_event("req-log"), FakeContext(), services)
    lines = log_lines(capsys.readouterr().out)
    assert [line["event"] for line in lines] == ["request.queued", "request.duplicate"]
    assert all(line["requestId"] == "req-log" and line["function"] == "request" for line in lines)
    assert all(line["awsRequestId"] == FakeContext().aws_request_id for line in lines)
    assert SECRET not in json.dumps(lines)


def test_invalid_request_logs_problems_without_values(
    services: RequestServices, capsys: pytest.CaptureFixture[str]
) -> None:
    handle_request(request_event("ok-id", client_secret="", tenant_id="evil\nvalue"), None, services)
    (line,) = log_lines(capsys.readouterr().out)
    assert line["event"] == "request.invalid" and line["requestId"] == "ok-id"
    assert "evil" not in json.dumps(line)


def test_misconfigured_function_answers_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DB_TABLE_NAME", raising=False)
    status, body = answer(handle_request(request_event("req-conf"), None))
    assert status == 500 and "DB_TABLE_NAME" in body["error"]


def test_with_a_kms_key_the_invoke_payload_carries_no_plain_secret(
    monkeypatch: pytest.MonkeyPatch,
    moto_server: MotoEndpoint,
    kms_key: str,
    table_name: str,
    scan_function: str,
    probe: FakeProbe,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "DB_TABLE_NAME": table_name,
        "SCAN_FUNCTION_NAME": scan_function,
        "SECRET_KMS_KEY_ID": kms_key,
    }.items():
        monkeypatch.setenv(name, value)
    services = RequestServices.from_env()
    services.probe = probe
    # The production invoker (bounded boto3 client, KMS seal) with moto's echo of what Lambda received.
    services.invoker = recorder = RecordingInvoker(moto_server.client("lambda"), scan_function, services.invoker.seal)
    assert answer(handle_request(request_event("req-kms"), FakeContext(), services))[0] == 202
    (payload,) = recorder.echoes
    access = payload["access_input"]
    assert set(access) == {"client_id", "tenant_id", "client_secret_kms"}
    assert SECRET not in json.dumps(payload) and SECRET not in capsys.readouterr().out
    opened = moto_server.client("kms").decrypt(
        CiphertextBlob=base64.b64decode(access["client_secret_kms"]), EncryptionContext={"requestId": "req-kms"}
    )
    assert opened["Plaintext"].decode() == SECRET


def test_kms_failure_fails_the_queued_record(
    service_config: ServiceConfig, store: StatusStore, probe: FakeProbe, moto_server: MotoEndpoint, scan_function: str
) -> None:
    box = SecretBox(moto_server.client("kms"), "arn:aws:kms:us-east-1:123456789012:key/no-such-key")
    invoker = RecordingInvoker(moto_server.client("lambda"), scan_function, box.seal)
    services = RequestServices(config=service_config, store=store, probe=probe, invoker=invoker)
    status, body = answer(handle_request(request_event("req-nokey"), None, services))
    assert (status, body["status"]) == (502, "FAILED") and invoker.echoes == []
    record = store.get("req-nokey")
    assert record is not None and record["status"] == "FAILED"
    assert record["error"].startswith("the scan could not be started: cannot encrypt the client secret with KMS: ")


def test_a_stale_running_record_is_recorded_failed_by_the_next_request(
    service_config: ServiceConfig, probe: FakeProbe, invoker: RecordingInvoker, moto_server: MotoEndpoint
) -> None:
    store = StatusStore(moto_server.client("dynamodb"), service_config.table_name, stale_after_seconds=900)
    services = RequestServices(config=service_config, store=store, probe=probe, invoker=invoker)
    store.start("req-stuck", TENANT, RECIPIENT)
    old = "2026-01-01T00:00:00Z"  # what a scan killed by the platform long ago leaves behind
    moto_server.client("dynamodb").update_item(
        TableName=service_config.table_name,
        Key={"requestId": {"S": "req-stuck"}},
        UpdateExpression="SET startedAt = :old",
        ExpressionAttributeValues={":old": {"S": old}},
    )
    status, body = answer(handle_request(request_event("req-stuck"), None, services))
    assert (status, body["status"]) == (409, "DUPLICATE") and invoker.jobs == []
    raw = moto_server.client("dynamodb").get_item(
        TableName=service_config.table_name, Key={"requestId": {"S": "req-stuck"}}
    )["Item"]
    assert raw["status"] == {"S": "FAILED"} and raw["error"]["S"].startswith("stale: ")
