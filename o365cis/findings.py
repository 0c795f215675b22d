"""What a decision produces: statuses, evidence, findings, and the read failures that stop a source."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Status(str, enum.Enum):
    """The six statuses of CONTRACT.md section 2."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    MANUAL = "manual"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    WAIVED = "waived"


STATUS_ORDER: tuple[Status, ...] = tuple(Status)


class Source(str, enum.Enum):
    """Where a verdict came from (CONTRACT.md section 3, `source`)."""

    GRAPH = "graph"
    DNS = "dns"
    EXCHANGE = "exchange"
    SECURESCORE = "securescore"
    CONFIG = "config"
    NONE = "none"


@dataclass(frozen=True)
class Evidence:
    """One object a reviewer can look up: what it is, its id and name, and the value seen."""

    type: str
    id: str | None = None
    name: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class Finding:
    """A decision: a status with the reason and the evidence behind it."""

    status: Status
    reason: str
    evidence: tuple[Evidence, ...] = ()
    source: Source = Source.NONE

    def with_source(self, source: Source) -> Finding:
        return Finding(self.status, self.reason, self.evidence, source)


@dataclass(frozen=True)
class NoDecision:
    """A source was read but its data cannot decide by the rule: the next source is tried.

    `failures` are decisive reads of this source that failed (a partial read): if no later source
    decides, they make the result error (CONTRACT.md section 2, step 2).
    """

    reason: str
    evidence: tuple[Evidence, ...] = ()
    failures: tuple[ReadError, ...] = ()


Decision = Finding | NoDecision


def compliant(reason: str, evidence: list[Evidence] | tuple[Evidence, ...] = ()) -> Finding:
    return Finding(Status.COMPLIANT, reason, tuple(evidence))


def non_compliant(reason: str, evidence: list[Evidence] | tuple[Evidence, ...] = ()) -> Finding:
    return Finding(Status.NON_COMPLIANT, reason, tuple(evidence))


def manual(reason: str, evidence: list[Evidence] | tuple[Evidence, ...] = ()) -> Finding:
    return Finding(Status.MANUAL, reason, tuple(evidence))


def not_applicable(reason: str, evidence: list[Evidence] | tuple[Evidence, ...] = ()) -> Finding:
    return Finding(Status.NOT_APPLICABLE, reason, tuple(evidence))


def no_decision(reason: str, evidence: list[Evidence] | tuple[Evidence, ...] = ()) -> NoDecision:
    return NoDecision(reason, tuple(evidence))


class FailureKind(str, enum.Enum):
    """Why a read failed; the reports group errors by it."""

    PERMISSION = "missing_permission"
    NOT_LICENSED = "not_licensed"
    SERVICE = "service_failure"
    BUDGET = "retry_budget_exhausted"
    NOT_IN_SNAPSHOT = "not_in_snapshot"


class ReadError(Exception):
    """A decisive read failed; the source it belongs to cannot decide.

    The message is one line naming the request and the cause (the permission to grant, the licence
    missing, or the service's own error code and message). It never carries a secret or a token.
    """

    def __init__(
        self,
        kind: FailureKind,
        request: str,
        detail: str,
        *,
        permission: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.kind = kind
        self.request = request
        self.detail = detail
        self.permission = permission
        self.status = status
        self.code = code
        super().__init__(f"{request}: {detail}")
