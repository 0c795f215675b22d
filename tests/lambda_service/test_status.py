"""The DynamoDB status record, on moto's server over HTTP: conditional transitions, TTL, summary, error."""

from __future__ import annotations

import time

import pytest

from o365cis.lambda_service.status import AlreadyRecorded, StatusStore, StoreError

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
