"""The scan's status record in DynamoDB, keyed by requestId (deploy/README.md, Read the status).

Every transition is a conditional write, so a requestId runs at most once: the request function's put
fails on a key already recorded; the scan function moves a record to RUNNING only from QUEUED and only for
the tenant and recipient recorded with it (or creates it, when called directly), so nobody can take over
another request and redirect its report; RUNNING becomes COMPLETED or FAILED once; a finished record is
never rewritten. Lambda retries a failed asynchronous invocation, and such a retry finds the record
RUNNING or finished and stops there.

A record still RUNNING longer than the scan function's timeout belongs to a process the platform has
stopped (timeout, out of memory): every read reports it FAILED as stale, and `fail_stale` records that.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Mapping
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from o365cis.findings import STATUS_ORDER
from o365cis.lambda_service.aws import error_code


class ScanState(str, enum.Enum):
    """The life of a request."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class AlreadyRecorded(Exception):
    """The requestId is already recorded (or already past QUEUED): it is refused, never run twice."""


class StoreError(Exception):
    """DynamoDB could not be read or written; one line naming the operation and AWS's error code."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def summary_counts(summary: Mapping[str, Any] | None) -> dict[str, int]:
    """The six status counts, zero-filled, in the contract's order."""
    summary = summary or {}
    return {status.value: int(summary.get(status.value, 0) or 0) for status in STATUS_ORDER}


def _to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, Mapping):
        return {"M": {str(k): _to_attribute(v) for k, v in value.items()}}
    return {"S": str(value)}


def _from_attribute(attribute: Mapping[str, Any]) -> Any:
    if "S" in attribute:
        return attribute["S"]
    if "N" in attribute:
        number = float(attribute["N"])
        return int(number) if number.is_integer() else number
    if "BOOL" in attribute:
        return attribute["BOOL"]
    if "M" in attribute:
        return {k: _from_attribute(v) for k, v in attribute["M"].items()}
    if "NULL" in attribute:
        return None
    return None


def _parse_iso(stamp: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None


def stale_reason(stale_after_seconds: float) -> str:
    """The error a RUNNING record gets once its scan must have been stopped by the platform."""
    return (
        f"stale: the scan was still RUNNING after the function's timeout ({stale_after_seconds:g} s); "
        "the platform stopped it (timeout or out of memory) before it could record an outcome"
    )


class StatusStore:
    """Reads and writes one table's status records through a boto3 DynamoDB client.

    `stale_after_seconds` is the scan function's timeout: a RUNNING record older than that reads as FAILED.
    """

    def __init__(
        self, client: Any, table_name: str, ttl_days: int = 30, stale_after_seconds: float | None = None
    ) -> None:
        self._client = client
        self._table = table_name
        self._ttl_seconds = ttl_days * 86400
        self._stale_after = stale_after_seconds

    def _expiry(self) -> int:
        return int(time.time()) + self._ttl_seconds

    def queue(self, request_id: str, tenant_id: str, recipient: str) -> None:
        """Record a new request as QUEUED; raise AlreadyRecorded if the requestId exists."""
        stamp = now_iso()
        item = {
            "requestId": request_id,
            "status": ScanState.QUEUED.value,
            "createdAt": stamp,
            "updatedAt": stamp,
            "tenantId": tenant_id,
            "recipient": recipient,
            "ttl": self._expiry(),
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item={k: _to_attribute(v) for k, v in item.items()},
                ConditionExpression="attribute_not_exists(requestId)",
            )
        except (BotoCoreError, ClientError) as exc:
            self._raise(exc, "record the request")

    def start(self, request_id: str, tenant_id: str, recipient: str) -> None:
        """Move QUEUED (or absent, for a direct call) to RUNNING; raise AlreadyRecorded otherwise.

        A QUEUED record moves only for the tenant and recipient it was queued with: the scan event cannot
        change whose tenant is scanned or where its report goes.
        """
        stamp = now_iso()
        self._update(
            request_id,
            "SET #status = :running, updatedAt = :now, startedAt = :now, tenantId = :tenant, "
            "recipient = :recipient, createdAt = if_not_exists(createdAt, :now), #ttl = if_not_exists(#ttl, :ttl)",
            {
                ":running": ScanState.RUNNING.value,
                ":queued": ScanState.QUEUED.value,
                ":now": stamp,
                ":tenant": tenant_id,
                ":recipient": recipient,
                ":ttl": self._expiry(),
            },
            condition="attribute_not_exists(requestId) OR "
            "(#status = :queued AND tenantId = :tenant AND recipient = :recipient)",
            action="mark the scan running",
        )

    def complete(self, request_id: str, summary: Mapping[str, Any]) -> None:
        """Record COMPLETED with the six counts."""
        stamp = now_iso()
        self._update(
            request_id,
            "SET #status = :done, updatedAt = :now, finishedAt = :now, summary = :summary REMOVE #error",
            {":done": ScanState.COMPLETED.value, ":now": stamp, ":summary": summary_counts(summary)},
            names={"#error": "error"},
            condition="#status = :running",
            action="record the scan's result",
            extra={":running": ScanState.RUNNING.value},
        )

    def fail(
        self,
        request_id: str,
        error: str,
        summary: Mapping[str, Any] | None = None,
        *,
        expected: ScanState = ScanState.RUNNING,
    ) -> None:
        """Record FAILED with a one-line error, keeping the counts when the scan itself finished.

        Only from `expected` (RUNNING; QUEUED when the scan could not even be started): a finished record
        is never rewritten, and AlreadyRecorded says the record was not in that state.
        """
        stamp = now_iso()
        expression = "SET #status = :failed, updatedAt = :now, finishedAt = :now, #error = :error"
        values: dict[str, Any] = {":failed": ScanState.FAILED.value, ":now": stamp, ":error": one_line(error)}
        if summary is not None:
            expression += ", summary = :summary"
            values[":summary"] = summary_counts(summary)
        self._update(
            request_id,
            expression,
            values,
            names={"#error": "error"},
            condition="#status = :expected",
            action="record the scan's failure",
            extra={":expected": expected.value},
        )

    def fail_stale(self, request_id: str) -> bool:
        """Record a RUNNING record older than the timeout as FAILED (stale); False if it is not (or no longer) so."""
        if self._stale_after is None:
            return False
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._stale_after)
        try:
            self._update(
                request_id,
                "SET #status = :failed, updatedAt = :now, finishedAt = :now, #error = :error",
                {":failed": ScanState.FAILED.value, ":now": now_iso(), ":error": stale_reason(self._stale_after)},
                names={"#error": "error"},
                # ISO 8601 UTC stamps of one format compare as strings in time order.
                condition="#status = :running AND startedAt < :cutoff",
                action="record the stale scan as failed",
                extra={
                    ":running": ScanState.RUNNING.value,
                    ":cutoff": cutoff.isoformat(timespec="seconds").replace("+00:00", "Z"),
                },
            )
        except AlreadyRecorded:
            return False
        return True

    def is_stale(self, record: Mapping[str, Any]) -> bool:
        """Whether a RUNNING record has outlived the scan function's timeout."""
        if self._stale_after is None or record.get("status") != ScanState.RUNNING.value:
            return False
        started = _parse_iso(record.get("startedAt") or record.get("updatedAt"))
        if started is None:
            return False
        return (dt.datetime.now(dt.UTC) - started).total_seconds() > self._stale_after

    def get(self, request_id: str) -> dict[str, Any] | None:
        """The record as plain values, or None; a stale RUNNING record reads as FAILED (with `stale: True`)."""
        try:
            answer = self._client.get_item(
                TableName=self._table, Key={"requestId": {"S": request_id}}, ConsistentRead=True
            )
        except (BotoCoreError, ClientError) as exc:
            self._raise(exc, "read the status")
        item = answer.get("Item")
        if not item:
            return None
        record = {k: _from_attribute(v) for k, v in item.items()}
        if self.is_stale(record):
            assert self._stale_after is not None
            record.update(status=ScanState.FAILED.value, error=stale_reason(self._stale_after), stale=True)
        return record

    def _update(
        self,
        request_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        action: str,
        names: dict[str, str] | None = None,
        condition: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        values = {**values, **(extra or {})}
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"requestId": {"S": request_id}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": {
                "#status": "status",
                **({"#ttl": "ttl"} if "#ttl" in expression else {}),
                **(names or {}),
            },
            "ExpressionAttributeValues": {k: _to_attribute(v) for k, v in values.items()},
        }
        if condition:
            arguments["ConditionExpression"] = condition
        try:
            self._client.update_item(**arguments)
        except (BotoCoreError, ClientError) as exc:
            self._raise(exc, action)

    def _raise(self, exc: Exception, action: str) -> NoReturn:
        code = error_code(exc)
        if code == "ConditionalCheckFailedException":
            raise AlreadyRecorded("this requestId is already recorded") from None
        raise StoreError(f"cannot {action} in table {self._table}: {code}") from None


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace and cut to a bounded single line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
