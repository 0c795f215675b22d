"""The DynamoDB status record, on moto's server over HTTP: conditional transitions, TTL, summary, error."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from o365cis.lambda_service.status import AlreadyRecorded, ScanState, StatusStore, StoreError

from .servers import MotoEndpoint

COUNTS = {"compliant": 50, "non_compliant": 7, "manual": 20, "not_applicable": 2, "error": 4, "waived": 1}


def test_queue_records_every_contract_field(store: StatusStore, moto_server: MotoEndpoint, table_name: str) -> None:
    store.queue("req-1", "contoso.onmicrosoft.com", "secops@contoso.com")
    record = store.get("req-1")
    assert record is not None
    assert record["status"] == "QUEUED"
    assert record["tenantId"] == "contoso.onmicrosoft.com"
    assert record["recipient"] == "secops@contoso.com"
    assert record["createdAt"] == record["updatedAt"] and record["createdAt"].endswith("Z")
    assert 29 * 86400 < record["ttl"] - time.time() <= 30 * 86400
    # The raw item stores ttl as a number, which is what DynamoDB's TTL needs.
    raw = moto_server.client("dynamodb").get_item(TableName=table_name, Key={"requestId": {"S": "req-1"}})["Item"]
    assert "N" in raw["ttl"]


def test_a_request_id_is_queued_once(store: StatusStore) -> None:
    store.queue("req-1", "t", "a@b.co")
    with pytest.raises(AlreadyRecorded):
        store.queue("req-1", "other", "c@d.co")
    assert store.get("req-1")["tenantId"] == "t"  # type: ignore[index]


def test_start_moves_queued_to_running_once(store: StatusStore) -> None:
    store.queue("req-1", "t", "a@b.co")
    store.start("req-1", "t", "a@b.co")
    record = store.get("req-1")
    assert record is not None and record["status"] == "RUNNING" and "startedAt" in record
    with pytest.raises(AlreadyRecorded):
        store.start("req-1", "t", "a@b.co")


def test_direct_scan_creates_its_record(store: StatusStore) -> None:
    store.start("direct", "t", "a@b.co")
    record = store.get("direct")
    assert record is not None and record["status"] == "RUNNING" and "ttl" in record and "createdAt" in record


def test_finished_scans_cannot_restart(store: StatusStore) -> None:
    store.start("req-1", "t", "a@b.co")
    store.complete("req-1", COUNTS)
    with pytest.raises(AlreadyRecorded):
        store.start("req-1", "t", "a@b.co")
    store.start("req-2", "t", "a@b.co")
    store.fail("req-2", "boom")
    with pytest.raises(AlreadyRecorded):
        store.start("req-2", "t", "a@b.co")


def test_complete_stores_the_six_counts(store: StatusStore) -> None:
    store.start("req-1", "t", "a@b.co")
    store.complete("req-1", {"compliant": 3, "error": 1})
    record = store.get("req-1")
    assert record is not None
    assert record["status"] == "COMPLETED"
    assert record["summary"] == {
        "compliant": 3,
        "non_compliant": 0,
        "manual": 0,
        "not_applicable": 0,
        "error": 1,
        "waived": 0,
    }
    assert "error" not in record


def test_fail_keeps_the_summary_and_one_line_error(store: StatusStore) -> None:
    store.start("req-1", "t", "a@b.co")
    store.fail("req-1", "email not sent:\n  SMTP refused", COUNTS)
    record = store.get("req-1")
    assert record is not None
    assert record["status"] == "FAILED"
    assert record["error"] == "email not sent: SMTP refused"
    assert record["summary"] == COUNTS


def test_missing_table_is_a_one_line_store_error(moto_server: MotoEndpoint) -> None:
    store = StatusStore(moto_server.client("dynamodb"), "no-such-table")
    with pytest.raises(StoreError, match="ResourceNotFoundException"):
        store.queue("req-1", "t", "a@b.co")


def test_unknown_request_reads_as_none(store: StatusStore) -> None:
    assert store.get("never") is None


def test_a_queued_record_is_not_taken_over_for_another_tenant_or_recipient(store: StatusStore) -> None:
    store.queue("req-1", "t", "owner@b.co")
    for tenant, recipient in (("t", "attacker@evil.test"), ("other", "owner@b.co")):
        with pytest.raises(AlreadyRecorded):
            store.start("req-1", tenant, recipient)
    record = store.get("req-1")
    assert record is not None and (record["status"], record["recipient"]) == ("QUEUED", "owner@b.co")


def test_only_a_running_record_finishes_and_only_once(store: StatusStore) -> None:
    store.queue("req-1", "t", "a@b.co")
    with pytest.raises(AlreadyRecorded):
        store.complete("req-1", COUNTS)  # still QUEUED
    with pytest.raises(AlreadyRecorded):
        store.fail("req-1", "not running")
    store.start("req-1", "t", "a@b.co")
    store.complete("req-1", COUNTS)
    with pytest.raises(AlreadyRecorded):
        store.fail("req-1", "late failure")
    with pytest.raises(AlreadyRecorded):
        store.complete("req-1", {"compliant": 1})
    record = store.get("req-1")
    assert record is not None and record["status"] == "COMPLETED" and record["summary"] == COUNTS


def test_a_queued_record_that_never_started_can_fail(store: StatusStore) -> None:
    store.queue("req-1", "t", "a@b.co")
    store.fail("req-1", "the scan could not be started", expected=ScanState.QUEUED)
    assert store.get("req-1")["status"] == "FAILED"  # type: ignore[index]


def _running_since(moto_server: MotoEndpoint, table_name: str, request_id: str, seconds_ago: float) -> None:
    """A RUNNING record whose scan started `seconds_ago` (what a process killed by the platform leaves)."""
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    stamp = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    moto_server.client("dynamodb").put_item(
        TableName=table_name,
        Item={
            "requestId": {"S": request_id},
            "status": {"S": "RUNNING"},
            "createdAt": {"S": stamp},
            "startedAt": {"S": stamp},
            "updatedAt": {"S": stamp},
            "tenantId": {"S": "t"},
            "recipient": {"S": "a@b.co"},
        },
    )


def test_a_running_record_older_than_the_timeout_reads_as_failed(moto_server: MotoEndpoint, table_name: str) -> None:
    store = StatusStore(moto_server.client("dynamodb"), table_name, stale_after_seconds=900)
    _running_since(moto_server, table_name, "old", 901)
    _running_since(moto_server, table_name, "young", 60)
    old = store.get("old")
    assert old is not None and old["status"] == "FAILED" and old["stale"] is True
    assert old["error"].startswith("stale: the scan was still RUNNING after the function's timeout (900 s)")
    young = store.get("young")
    assert young is not None and young["status"] == "RUNNING" and "stale" not in young


def test_fail_stale_records_only_a_stale_running_record(moto_server: MotoEndpoint, table_name: str) -> None:
    store = StatusStore(moto_server.client("dynamodb"), table_name, stale_after_seconds=900)
    _running_since(moto_server, table_name, "old", 901)
    _running_since(moto_server, table_name, "young", 60)
    assert store.fail_stale("old") is True and store.fail_stale("old") is False
    assert store.fail_stale("young") is False
    raw = moto_server.client("dynamodb").get_item(TableName=table_name, Key={"requestId": {"S": "old"}})["Item"]
    assert raw["status"] == {"S": "FAILED"} and raw["error"]["S"].startswith("stale:")
    assert store.get("young")["status"] == "RUNNING"  # type: ignore[index]
