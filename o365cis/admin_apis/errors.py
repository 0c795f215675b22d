"""What a failed Teams or SharePoint admin API answer means, in one secret-free line."""

from __future__ import annotations

from typing import Any

from o365cis.exchange.errors import BUDGET_CODE, NOT_IN_SNAPSHOT_CODE
from o365cis.findings import FailureKind, ReadError
from o365cis.http import RETRYABLE_STATUSES, redact


def _text(value: Any) -> str:
    # SharePoint's OData errors put the text under message.value ({"lang": "en-US", "value": "..."}).
    if isinstance(value, dict):
        value = value.get("value")
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def said(status: int, body: Any) -> str:
    """`code: message` of an error body ({"error": ...}, {"odata.error": ...} or {"d": {"error": ...}}), redacted."""
    error: Any = None
    if isinstance(body, dict):
        error = body.get("error") or body.get("odata.error")
        if error is None and isinstance(body.get("d"), dict):
            error = body["d"].get("error")
    code, message = "", ""
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        message = _text(error.get("message"))
    elif isinstance(error, str):
        message = error
    text = f"{code}: {message}" if code and message else code or message or f"HTTP {status}"
    # A proxy may echo the Authorization header into the body.
    return redact(text)[:300]


def transport_failure(status: int, body: Any, request: str) -> ReadError | None:
    """The ReadError of a failure that never reached the API (status 0), or None."""
    if status != 0:
        return None
    code = str(body.get("error", {}).get("code") or "") if isinstance(body, dict) else ""
    kind = {BUDGET_CODE: FailureKind.BUDGET, NOT_IN_SNAPSHOT_CODE: FailureKind.NOT_IN_SNAPSHOT}.get(
        code, FailureKind.SERVICE
    )
    return ReadError(kind, request, f"service failure: {said(status, body)}", code=code or None)


def throttled(status: int, body: Any, request: str) -> ReadError | None:
    """A retryable status the retry policy gave up on (the Graph and Exchange clients read it the same way)."""
    if status in RETRYABLE_STATUSES:
        return ReadError(
            FailureKind.BUDGET,
            request,
            f"throttled or unavailable past the retry budget ({said(status, body)})",
            status=status,
        )
    return None
