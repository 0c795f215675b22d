"""boto3 clients with bounded time, and AWS's error code of a failure, for every AWS call the functions make."""

from __future__ import annotations

from typing import Any

#: Every AWS call is bounded: a stalled endpoint costs at most connect + read timeout per attempt, and
#: botocore's "standard" mode retries throttling and transient errors at most MAX_ATTEMPTS times in all.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
MAX_ATTEMPTS = 3


def client(service: str) -> Any:
    """A boto3 client for `service`; boto3 itself honours AWS_ENDPOINT_URL(_<SERVICE>) (local stacks, tests)."""
    # Imported here: boto3 is provided by the Lambda runtime and costs import time only when a client is needed.
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )
    return boto3.client(service, config=config)


def error_code(exc: Exception) -> str:
    """AWS's error code of a botocore failure (e.g. ConditionalCheckFailedException), or the exception's type."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(exc).__name__))
