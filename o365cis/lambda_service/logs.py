"""Structured logs: one JSON object per line on stdout (CloudWatch keeps each line as one event).

Every line names the `requestId`. Secrets are kept out twice over: callers log only chosen fields, and the
logger masks any registered secret that still appears in a value, and any field whose name says it is one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

#: Field names whose values are never written, whatever they hold.
_SECRET_NAMES = ("secret", "password", "token", "authorization", "credential")
MASK = "***"
#: Secrets shorter than this are not masked by substring. Entra ID issues 40-character client secrets; a secret
#: of a few characters protects nothing, and replacing every "a" in a message would make it unreadable.
MIN_MASKED_LENGTH = 8


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret masked, also in its whitespace-collapsed form (one-line messages collapse it)."""
    for secret in secrets:
        if len(secret) < MIN_MASKED_LENGTH:
            continue
        for form in (secret, " ".join(secret.split())):
            if form:
                text = text.replace(form, MASK)
    return text


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_NAMES)


class EventLog:
    """Writes JSON log lines bound to one invocation (its requestId and Lambda request id)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        secrets: Iterable[str] = (),
        **context: Any,
    ) -> None:
        # Bound now: a scan redirects sys.stdout while pytest runs, and log lines must still reach CloudWatch.
        self._stream: TextIO = stream if stream is not None else sys.stdout
        self._secrets: list[str] = [s for s in secrets if s]
        self._context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}

    def bind(self, **context: Any) -> EventLog:
        """A logger sharing this one's stream and secrets, with more fields on every line."""
        child = EventLog(self._stream, secrets=self._secrets, **{**self._context, **context})
        child._secrets = self._secrets
        return child

    def add_secret(self, secret: str | None) -> None:
        """Mask this value wherever it might appear from now on (shared with bound loggers)."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def info(self, event: str, **fields: Any) -> None:
        """Log a step of the flow."""
        self._write("INFO", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Log a refusal or a degraded outcome."""
        self._write("WARNING", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """Log a failure."""
        self._write("ERROR", event, fields)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return mask_secrets(value, self._secrets)
        if isinstance(value, dict):
            return {str(k): (MASK if _is_secret_name(str(k)) else self._clean(v)) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._clean(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self._clean(str(value))

    def _write(self, level: str, event: str, fields: dict[str, Any]) -> None:
        record: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level,
            "event": event,
            "requestId": None,
        }
        record.update(self._context)
        record.update(fields)
        line = json.dumps(self._clean(record), ensure_ascii=True, sort_keys=False)
        self._stream.write(line + "\n")
        self._stream.flush()
