"""Error bodies shaped like Microsoft's: Graph's `error` object and the identity platform's OAuth errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

#: (status, headers, JSON body) as every route of the fake answers.
Response = tuple[int, dict[str, str], Any]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def graph_error_body(code: str, message: str, *, request_id: str, client_request_id: str) -> dict[str, Any]:
    """A Graph error body: `error.code`, `error.message` and `error.innerError` with ids and date.

    https://learn.microsoft.com/graph/errors#json-representation
    """
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": utc_now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def graph_error(status: int, code: str, message: str, *, request_id: str, client_request_id: str) -> Response:
    """A complete Graph error response (headers carry the same ids as the body)."""
    headers = {
        "Content-Type": "application/json",
        "request-id": request_id,
        "client-request-id": client_request_id,
    }
    return status, headers, graph_error_body(code, message, request_id=request_id, client_request_id=client_request_id)


def identity_error(status: int, error: str, code: int, description: str) -> Response:
    """An OAuth error from the identity platform, with the AADSTS code, trace and correlation ids.

    https://learn.microsoft.com/entra/identity-platform/reference-error-codes
    """
    trace_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    now = utc_now()
    timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    full = f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
    body = {
        "error": error,
        "error_description": full,
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": "no-store, no-cache",
        "x-ms-request-id": trace_id,
    }
    return status, headers, body
