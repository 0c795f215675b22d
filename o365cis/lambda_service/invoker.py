"""Hands a queued scan to the scan function: an asynchronous Lambda invoke (InvocationType=Event)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from o365cis.lambda_service.events import ScanJob


class InvokeError(Exception):
    """The scan function could not be started; one line with AWS's error code."""


class LambdaInvoker:
    """Starts the scan function through a boto3 Lambda client; Lambda answers 202 once the event is queued."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def start(self, job: ScanJob) -> None:
        """Queue the scan event; raise InvokeError unless Lambda accepted it."""
        try:
            answer = self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(job.scan_event()).encode("utf-8"),
            )
        except (BotoCoreError, ClientError) as exc:
            response = getattr(exc, "response", None) or {}
            code = response.get("Error", {}).get("Code", type(exc).__name__)
            raise InvokeError(f"cannot invoke {self._function_name}: {code}") from None
        status = answer.get("StatusCode")
        if status != 202:
            raise InvokeError(f"cannot invoke {self._function_name}: Lambda answered {status}, not 202")
