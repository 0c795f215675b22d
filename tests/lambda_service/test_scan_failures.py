"""No record stays RUNNING, and no secret travels in the clear: induced crashes, kills and stalls on the scan
function, the failure destination, the takeover of a queued record, the KMS-sealed secret and its replay, and the
SMTP password from Secrets Manager. moto serves DynamoDB, KMS and Secrets Manager; aiosmtpd the mail.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest

from o365cis.lambda_service.config import ConfigurationError
from o365cis.lambda_service.handlers import ScanServices, handle_failure, handle_scan
from o365cis.lambda_service.logs import mask_secrets
from o365cis.lambda_service.scan_step import PytestScanStep
from o365cis.lambda_service.secrets import SecretBox
from o365cis.lambda_service.status import StatusStore

from . import standin_runner
from .conftest import STALL_SECONDS
from .fakes import RECIPIENT, SECRET, SUMMARY, TENANT, FakeContext, FakeScan, scan_event
from .servers import SMTP_PASSWORD, MotoEndpoint, SmtpServer, log_lines

STANDIN = "tests.lambda_service.standin_runner:run_scan"


def failed_record(store: StatusStore, request_id: str) -> dict[str, Any]:
    record = store.get(request_id)
    assert record is not None and record["status"] == "FAILED", record
    assert "\n" not in record["error"] and len(record["error"]) <= 500
    return record


def test_temp_path_that_is_a_file_ends_failed(scan_services: ScanServices, store: StatusStore, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    scan_services.config = dataclasses.replace(scan_services.config, temp_path=blocker)
    result = handle_scan(scan_event("req-file"), FakeContext(), scan_services)
    assert result["status"] == "FAILED"
    error = failed_record(store, "req-file")["error"]
    assert error.startswith("the scan function crashed: NotADirectoryError") or "FileExistsError" in error


def test_a_crash_while_emailing_ends_failed(scan_services: ScanServices, store: StatusStore) -> None:
    def broken_send(*_: object) -> None:
        raise RuntimeError(f"mail library bug echoing {SECRET}")

    scan_services.send = broken_send
    result = handle_scan(scan_event("req-mailcrash"), FakeContext(), scan_services)
    assert result["status"] == "FAILED"
    error = failed_record(store, "req-mailcrash")["error"]
    assert error == "the scan function crashed: RuntimeError: mail library bug echoing ***"


def test_a_scan_killed_like_out_of_memory_ends_failed_and_is_told(
    scan_services: ScanServices, store: StatusStore, smtp_server: SmtpServer
) -> None:
    scan_services.scan = PytestScanStep(None, entry=STANDIN)
    result = handle_scan(scan_event("req-oom", tenant_id=standin_runner.OOM), FakeContext(), scan_services)
    assert result["status"] == "FAILED"
    error = failed_record(store, "req-oom")["error"]
    assert error == "the scan process ended by signal SIGKILL (killed, e.g. out of memory) without a result"
    (message,) = smtp_server.messages
    assert message["Subject"].endswith(": failed") and "pass" not in message.as_string()


def test_a_stalling_smtp_server_cannot_keep_the_record_running(
    scan_services: ScanServices, store: StatusStore, stalling_smtp_server: SmtpServer
) -> None:
    scan_services.mail = stalling_smtp_server.settings()
    started = time.monotonic()
    # 13 s left: the email may take 3 s of it, the status write keeps the rest.
    result = handle_scan(scan_event("req-stall"), FakeContext(remaining_ms=13_000), scan_services)
    elapsed = time.monotonic() - started
    assert elapsed < STALL_SECONDS / 3
    assert result["status"] == "FAILED" and result["summary"] == SUMMARY
    error = failed_record(store, "req-stall")["error"]
    assert error.startswith("email not sent: SMTP server 127.0.0.1:") and "within 3 s" in error


def test_another_requests_queued_record_cannot_be_taken_over(
    scan_services: ScanServices, store: StatusStore, fake_scan: FakeScan, smtp_server: SmtpServer
) -> None:
    store.queue("req-owned", TENANT, RECIPIENT)
    event = {**scan_event("req-owned"), "email": "attacker@evil.test"}
    result = handle_scan(event, FakeContext(), scan_services)
    assert result["status"] == "REFUSED" and fake_scan.jobs == [] and smtp_server.messages == []
    record = store.get("req-owned")
    assert record is not None and (record["status"], record["recipient"]) == ("QUEUED", RECIPIENT)


def sealed_event(request_id: str, sealed: str) -> dict[str, Any]:
    event = scan_event(request_id)
    access = event["access_input"]
    del access["client_secret"]
    access["client_secret_kms"] = sealed
    return event


def test_a_sealed_secret_opens_for_its_request_only(
    scan_services: ScanServices,
    store: StatusStore,
    fake_scan: FakeScan,
    smtp_server: SmtpServer,
    moto_server: MotoEndpoint,
    kms_key: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box = SecretBox(moto_server.client("kms"), kms_key)
    scan_services.open_secret = box.open
    sealed = box.seal(SECRET, "req-sealed")
    assert SECRET not in sealed

    result = handle_scan(sealed_event("req-sealed", sealed), FakeContext(), scan_services)
    assert result["status"] == "COMPLETED"
    (job,) = fake_scan.jobs
    assert str(job.client_secret) == SECRET and job.client_secret_kms is None

    # The same ciphertext replayed under another requestId opens to nothing; nothing is sent anywhere.
    replay = handle_scan(
        {**sealed_event("req-replay", sealed), "email": "attacker@evil.test"}, FakeContext(), scan_services
    )
    assert replay["status"] == "FAILED" and len(fake_scan.jobs) == 1 and len(smtp_server.messages) == 1
    error = failed_record(store, "req-replay")["error"]
    assert error == "cannot decrypt client_secret_kms for this requestId with KMS: InvalidCiphertextException"
    assert SECRET not in capsys.readouterr().out


def test_the_plain_secret_is_still_accepted_directly(scan_services: ScanServices, fake_scan: FakeScan) -> None:
    assert handle_scan(scan_event("req-plain"), FakeContext(), scan_services)["status"] == "COMPLETED"
    assert str(fake_scan.jobs[0].client_secret) == SECRET


def destination_event(request_id: str, condition: str = "RetriesExhausted", **payload: Any) -> dict[str, Any]:
    """What Lambda hands an on-failure destination after the platform stopped the scan function."""
    return {
        "version": "1.0",
        "timestamp": "2026-12-06T11:00:00.000Z",
        "requestContext": {
            "requestId": "11111111-2222-3333-4444-555555555555",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:o365cis-scan:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 1,
        },
        "requestPayload": {**scan_event(request_id), **payload},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "2026-12-06T11:15:00.000Z abc Task timed out after 900.00 seconds"},
    }


def test_the_failure_destination_records_what_the_platform_stopped(store: StatusStore) -> None:
    store.queue("req-timeout", TENANT, RECIPIENT)
    store.start("req-timeout", TENANT, RECIPIENT)
    result = handle_failure(destination_event("req-timeout"), FakeContext(), store)
    assert result["status"] == "FAILED"
    error = failed_record(store, "req-timeout")["error"]
    assert error.startswith("the scan function was stopped by the platform (RetriesExhausted): ")
    assert error.endswith("Task timed out after 900.00 seconds") and SECRET not in error

    store.queue("req-expired", TENANT, RECIPIENT)  # the event aged out before any scan started
    assert handle_failure(destination_event("req-expired", "EventAgeExceeded"), None, store)["status"] == "FAILED"
    assert failed_record(store, "req-expired")["error"].startswith("the scan function was stopped by the platform")


def test_the_failure_destination_never_rewrites_a_finished_record_nor_raises(store: StatusStore) -> None:
    store.start("req-done", TENANT, RECIPIENT)
    store.complete("req-done", SUMMARY)
    assert handle_failure(destination_event("req-done"), None, store)["status"] == "UNCHANGED"
    assert store.get("req-done")["status"] == "COMPLETED"  # type: ignore[index]
    assert handle_failure({"garbage": True}, None, store)["status"] == "IGNORED"
    assert handle_failure(destination_event("req-x"), None, StatusStore(None, "t"))["status"] == "ERROR"


def test_smtp_password_comes_from_secrets_manager(
    monkeypatch: pytest.MonkeyPatch, moto_server: MotoEndpoint, smtp_server: SmtpServer, table_name: str
) -> None:
    arn = moto_server.client("secretsmanager").create_secret(Name="smtp", SecretString=SMTP_PASSWORD)["ARN"]
    environ = {**smtp_server.environ(password="ignored-when-the-arn-is-set"), "MAIL_PASSWORD_SECRET_ARN": arn}
    for name, value in {**environ, "DB_TABLE_NAME": table_name}.items():
        monkeypatch.setenv(name, value)
    scan_services = ScanServices.from_env()
    assert str(scan_services.mail.password) == SMTP_PASSWORD

    monkeypatch.setenv("MAIL_PASSWORD_SECRET_ARN", arn.replace("smtp", "nosuch"))
    with pytest.raises(ConfigurationError, match=r"^cannot read MAIL_PASSWORD_SECRET_ARN .*ResourceNotFoundException$"):
        ScanServices.from_env()


def test_masking_survives_collapsing_and_cutting_and_spares_short_secrets(
    scan_services: ScanServices, store: StatusStore, fake_scan: FakeScan, capsys: pytest.CaptureFixture[str]
) -> None:
    spaced = "Zq8~spaced   secret  with-gaps"
    fake_scan.write_reports = False
    fake_scan.error = "x" * 480 + f" rejected {spaced} here"  # the secret straddles the 500-character cut
    handle_scan(scan_event("req-long", client_secret=spaced), FakeContext(), scan_services)
    error = failed_record(store, "req-long")["error"]
    assert "Zq8~" not in error and "gaps" not in error and error.endswith("rejected *** here")
    assert "Zq8~" not in capsys.readouterr().out

    # A one-character "secret" is not masked by substring: the message must stay readable.
    assert mask_secrets("a scan of contoso", ["a"]) == "a scan of contoso"
    assert mask_secrets("sent abcdefgh here", ["abcdefgh"]) == "sent *** here"


def test_logs_of_a_crash_are_json_lines(
    scan_services: ScanServices, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    scan_services.config = dataclasses.replace(scan_services.config, temp_path=blocker)
    handle_scan(scan_event("req-log"), FakeContext(), scan_services)
    events = [line["event"] for line in log_lines(capsys.readouterr().out)]
    assert events == ["scan.started", "scan.failed"]
    assert json.dumps(events)
