"""The scan's status record in DynamoDB, keyed by requestId (CONTRACT.md section 4).

Every transition is a conditional write, so a requestId runs at most once: the request function's put
fails on a key already recorded, and the scan function moves a record to RUNNING only from QUEUED (or
creates it, when called directly). Lambda retries a failed asynchronous invocation, and such a retry
finds the record RUNNING or finished and stops there.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Mapping
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from o365cis.findings import STATUS_ORDER


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


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))


class StatusStore:
    """Reads and writes one table's status records through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, ttl_days: int = 30) -> None:
        self._client = client
        self._table = table_name
        self._ttl_seconds = ttl_days * 86400

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
        """Move QUEUED (or absent, for a direct call) to RUNNING; raise AlreadyRecorded otherwise."""
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
            condition="attribute_not_exists(requestId) OR #status = :queued",
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
            action="record the scan's result",
        )

    def fail(self, request_id: str, error: str, summary: Mapping[str, Any] | None = None) -> None:
        """Record FAILED with a one-line error, keeping the counts when the scan itself finished."""
        stamp = now_iso()
        expression = "SET #status = :failed, updatedAt = :now, finishedAt = :now, #error = :error"
        values: dict[str, Any] = {":failed": ScanState.FAILED.value, ":now": stamp, ":error": one_line(error)}
        if summary is not None:
            expression += ", summary = :summary"
            values[":summary"] = summary_counts(summary)
        self._update(request_id, expression, values, names={"#error": "error"}, action="record the scan's failure")

    def get(self, request_id: str) -> dict[str, Any] | None:
        """The record as plain values, or None."""
        try:
            answer = self._client.get_item(
                TableName=self._table, Key={"requestId": {"S": request_id}}, ConsistentRead=True
            )
        except (BotoCoreError, ClientError) as exc:
            self._raise(exc, "read the status")
        item = answer.get("Item")
        return {k: _from_attribute(v) for k, v in item.items()} if item else None

    def _update(
        self,
        request_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        action: str,
        names: dict[str, str] | None = None,
        condition: str | None = None,
    ) -> None:
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
        code = _error_code(exc)
        if code == "ConditionalCheckFailedException":
            raise AlreadyRecorded("this requestId is already recorded") from None
        raise StoreError(f"cannot {action} in table {self._table}: {code}") from None


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace and cut to a bounded single line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
