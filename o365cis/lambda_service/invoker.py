"""Hands a queued scan to the scan function: an asynchronous Lambda invoke (InvocationType=Event)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from o365cis.lambda_service.aws import error_code
from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.secrets import SecretError


class InvokeError(Exception):
    """The scan function could not be started; one line with AWS's error code."""


class LambdaInvoker:
    """Starts the scan function through a boto3 Lambda client; Lambda answers 202 once the event is queued.

    With `seal` (SecretBox.seal, when SECRET_KMS_KEY_ID is set) the event carries `client_secret_kms`, the
    secret encrypted for this requestId, and never the plain secret.
    """

    def __init__(self, client: Any, function_name: str, seal: Callable[[str, str], str] | None = None) -> None:
        self._client = client
        self._function_name = function_name
        self.seal = seal

    def start(self, job: ScanJob) -> None:
        """Queue the scan event; raise InvokeError unless Lambda accepted it."""
        try:
            sealed = self.seal(str(job.client_secret), job.request_id) if self.seal else None
        except SecretError as exc:
            raise InvokeError(str(exc)) from None
        try:
            answer = self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(job.scan_event(sealed)).encode("utf-8"),
            )
        except (BotoCoreError, ClientError) as exc:
            raise InvokeError(f"cannot invoke {self._function_name}: {error_code(exc)}") from None
        status = answer.get("StatusCode")
        if status != 202:
            raise InvokeError(f"cannot invoke {self._function_name}: Lambda answered {status}, not 202")
