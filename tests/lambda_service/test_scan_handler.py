"""The scan function with a fake scan step: RUNNING, email over real SMTP, COMPLETED or FAILED, folder cleaned."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from o365cis.lambda_service.config import ServiceConfig
from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.handlers import ScanServices, handle_scan
from o365cis.lambda_service.scan_step import PytestScanStep, ScanReport
from o365cis.lambda_service.status import StatusStore

from . import standin_runner
from .fakes import RECIPIENT, SECRET, SUMMARY, TENANT, FakeContext, FakeScan, scan_event
from .servers import FROM_ADDR, MotoEndpoint, SmtpServer, free_port, log_lines


def test_scan_completes_emails_both_reports_and_cleans_up(
    scan_services: ScanServices,
    store: StatusStore,
    smtp_server: SmtpServer,
    fake_scan: FakeScan,
    service_config: ServiceConfig,
) -> None:
    store.queue("req-1", TENANT, RECIPIENT)
    result = handle_scan(scan_event("req-1"), FakeContext(), scan_services)
    assert result == {"requestId": "req-1", "status": "COMPLETED", "summary": SUMMARY}

    record = store.get("req-1")
    assert record is not None
    assert record["status"] == "COMPLETED" and record["summary"] == SUMMARY and "error" not in record
    assert record["createdAt"] <= record["startedAt"] <= record["finishedAt"]

    (workdir,) = fake_scan.workdirs
    assert workdir == service_config.temp_path / "o365cis-scan-req-1"
    assert fake_scan.seen_files == [[]]  # a fresh, empty folder
    assert not workdir.exists()

    (message,) = smtp_server.messages
    assert smtp_server.envelopes[0].rcpt_tos == [RECIPIENT] and message["From"] == FROM_ADDR
    assert TENANT in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Non-compliant: 12" in text and "Manual review: 25" in text and "req-1" in text
    names = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(names) == {"cis-report-req-1.html", "cis-results-req-1.json"}
    assert json.loads(names["cis-results-req-1.json"].get_content())["summary"] == SUMMARY
    assert SECRET not in message.as_string()


def test_a_second_invocation_of_the_same_request_is_refused(
    scan_services: ScanServices, store: StatusStore, fake_scan: FakeScan, smtp_server: SmtpServer
) -> None:
    store.queue("req-1", TENANT, RECIPIENT)
    handle_scan(scan_event("req-1"), None, scan_services)
    again = handle_scan(scan_event("req-1"), None, scan_services)
    assert again["status"] == "REFUSED"
    assert len(fake_scan.jobs) == 1 and len(smtp_server.messages) == 1
    assert store.get("req-1")["status"] == "COMPLETED"  # type: ignore[index]


def test_a_direct_invocation_creates_its_record(scan_services: ScanServices, store: StatusStore) -> None:
    assert handle_scan(scan_event("direct-1"), None, scan_services)["status"] == "COMPLETED"
    record = store.get("direct-1")
    assert record is not None and record["recipient"] == RECIPIENT and record["tenantId"] == TENANT


def test_smtp_down_fails_but_keeps_the_summary(scan_services: ScanServices, store: StatusStore) -> None:
    scan_services.mail = dataclasses.replace(scan_services.mail, port=free_port())
    result = handle_scan(scan_event("req-down"), None, scan_services)
    assert result["status"] == "FAILED" and result["summary"] == SUMMARY
    record = store.get("req-down")
    assert record is not None and record["status"] == "FAILED" and record["summary"] == SUMMARY
    assert record["error"].startswith("email not sent: SMTP server 127.0.0.1:")
    assert "unreachable" in record["error"] and "\n" not in record["error"]


def test_smtp_auth_refused_fails_without_leaking_the_password(
    scan_services: ScanServices, store: StatusStore, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    scan_services.mail = smtp_server.settings(password="not-the-password")
    result = handle_scan(scan_event("req-auth"), None, scan_services)
    assert result["status"] == "FAILED"
    record = store.get("req-auth")
    assert record is not None and "refused the login (535" in record["error"] and record["summary"] == SUMMARY
    output = capsys.readouterr().out
    assert "not-the-password" not in output and "not-the-password" not in json.dumps(record)
    assert smtp_server.messages == []


def test_scan_that_could_not_sign_in_fails_and_tells_the_recipient(
    scan_services: ScanServices, store: StatusStore, fake_scan: FakeScan, smtp_server: SmtpServer
) -> None:
    fake_scan.write_reports = False
    fake_scan.error = f"sign-in failed: the client secret was rejected ({SECRET})"
    result = handle_scan(scan_event("req-bad"), None, scan_services)
    assert result["status"] == "FAILED" and "summary" not in result
    record = store.get("req-bad")
    assert record is not None and record["status"] == "FAILED" and "summary" not in record
    assert record["error"] == "sign-in failed: the client secret was rejected (***)"
    (message,) = smtp_server.messages
    assert message["Subject"].endswith(": failed") and "client secret was rejected" in message.get_content()
    assert list(message.iter_attachments()) == []
    assert SECRET not in message.as_string()


def test_partial_scan_is_emailed_and_failed_with_its_error(
    scan_services: ScanServices, store: StatusStore, fake_scan: FakeScan, smtp_server: SmtpServer
) -> None:
    fake_scan.error = "the token expired and could not be renewed"
    result = handle_scan(scan_event("req-part"), None, scan_services)
    assert result["status"] == "FAILED" and result["summary"] == SUMMARY
    assert store.get("req-part")["error"] == "the token expired and could not be renewed"  # type: ignore[index]
    (message,) = smtp_server.messages
    assert "did not finish cleanly" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert len(list(message.iter_attachments())) == 2


def test_scan_step_crash_is_recorded_not_raised(scan_services: ScanServices, store: StatusStore) -> None:
    def crash(*_: object) -> None:
        raise RuntimeError("kaboom")

    scan_services.scan = crash  # type: ignore[assignment]
    result = handle_scan(scan_event("req-crash"), None, scan_services)
    assert result["status"] == "FAILED"
    assert store.get("req-crash")["error"] == "the scan stopped: RuntimeError: kaboom"  # type: ignore[index]
    assert not any((scan_services.config.temp_path).iterdir())


def test_timeout_is_recorded_before_lambda_would_kill_the_function(
    scan_services: ScanServices, store: StatusStore
) -> None:
    scan_services.scan = PytestScanStep(None, entry="tests.lambda_service.standin_runner:run_scan")
    scan_services.config = dataclasses.replace(scan_services.config, finish_margin_seconds=60.0)
    result = handle_scan(
        scan_event("req-slow", tenant_id=standin_runner.HANG), FakeContext(remaining_ms=61_000), scan_services
    )
    assert result["status"] == "FAILED"
    record = store.get("req-slow")
    assert record is not None and record["error"].startswith("timeout: the scan did not finish within 1 s")


def test_leftover_folder_of_a_crashed_run_is_replaced(
    scan_services: ScanServices, fake_scan: FakeScan, service_config: ServiceConfig
) -> None:
    stale = service_config.temp_path / "o365cis-scan-req-stale"
    stale.mkdir(parents=True)
    (stale / "results.json").write_text("{}")
    handle_scan(scan_event("req-stale"), None, scan_services)
    assert fake_scan.seen_files == [[]]


def test_invalid_scan_event_runs_nothing(scan_services: ScanServices, fake_scan: FakeScan) -> None:
    result = handle_scan({"requestId": "r", "access_type": "credentials"}, None, scan_services)
    assert result["status"] == "INVALID" and fake_scan.jobs == []
    assert {e["field"] for e in result["errors"]} >= {"access_input", "email"}


def test_scan_logs_name_the_request_and_hide_secret_and_report(
    scan_services: ScanServices, capsys: pytest.CaptureFixture[str]
) -> None:
    handle_scan(scan_event("req-log"), FakeContext(), scan_services)
    lines = log_lines(capsys.readouterr().out)
    assert [line["event"] for line in lines] == ["scan.started", "scan.emailed", "scan.completed"]
    assert all(line["requestId"] == "req-log" for line in lines)
    text = json.dumps(lines)
    assert SECRET not in text and "Report for" not in text


def test_missing_mail_settings_fail_the_record(
    monkeypatch: pytest.MonkeyPatch, table_name: str, store: StatusStore, tmp_path: Path
) -> None:
    monkeypatch.setenv("DB_TABLE_NAME", table_name)
    monkeypatch.setenv("TEMP_PATH", str(tmp_path))
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    result = handle_scan(scan_event("req-nomail"), None)
    assert result["status"] == "FAILED" and "MAIL_SERVER" in result["error"]
    record = store.get("req-nomail")
    assert record is not None and record["status"] == "FAILED" and "MAIL_SERVER" in record["error"]


def test_table_lost_mid_scan_still_emails_and_answers(
    scan_services: ScanServices, smtp_server: SmtpServer, moto_server: MotoEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    dynamodb = moto_server.client("dynamodb")
    table = scan_services.config.table_name
    inner = scan_services.scan

    def scan_then_lose_table(job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport:
        report = inner(job, workdir, allowance)
        dynamodb.delete_table(TableName=table)
        return report

    scan_services.scan = scan_then_lose_table
    try:
        result = handle_scan(scan_event("req-lost"), None, scan_services)
    finally:  # the table fixture deletes it again at teardown
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert result["status"] == "FAILED" and "ResourceNotFoundException" in result["error"]
    assert result["summary"] == SUMMARY and len(smtp_server.messages) == 1
    assert "scan.unrecorded" in capsys.readouterr().out
