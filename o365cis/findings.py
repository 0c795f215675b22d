"""What a decision produces: statuses, evidence, findings, and the read failures that stop a source."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class TextEnum(str, enum.Enum):
    """A closed set of texts: each member is its value in f-strings, reasons and JSON alike.

    (Python 3.11 formats a plain `(str, Enum)` member as "ClassName.MEMBER" in an f-string.)
    """

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """The six statuses (docs/CONCEPTS.md, Statuses)."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    MANUAL = "manual"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    WAIVED = "waived"


STATUS_ORDER: tuple[Status, ...] = tuple(Status)


class Source(str, enum.Enum):
    """Where a verdict came from (docs/CONCEPTS.md, the results document, `source`)."""

    GRAPH = "graph"
    DNS = "dns"
    EXCHANGE = "exchange"
    SECURESCORE = "securescore"
    CONFIG = "config"
    NONE = "none"


class EvidenceType(TextEnum):
    """What an evidence item describes: a closed set, so reports can group evidence by kind.

    The values are those the results document has always carried. Two spellings remain for historical reasons and
    are kept because they are output: Exchange objects are snake_case ("transport_rule", "sharing_policy"), Graph
    objects and review summaries camelCase ("roleAssignment"); "transportRule" is a mail forwarding review's
    redirecting rule, "exchangeSetting" an Exchange switch shown beside Graph settings.
    """

    ACCEPTED_DOMAINS = "accepted_domains"
    ALERT = "alert"
    ANTI_PHISH_POLICY = "anti_phish_policy"
    APPLICATION = "application"
    AUDIT_ACTIVITY = "auditActivity"
    AUDIT_BYPASS = "audit_bypass"
    AUDIT_EVENT = "auditEvent"
    COUNT = "count"
    DLP_POLICY = "dlp_policy"
    DOMAIN = "domain"
    EXCHANGE_SETTING = "exchangeSetting"
    FORWARDING_TRANSPORT_RULE = "transportRule"
    GROUP = "group"
    INTUNE_POLICY = "intunePolicy"
    LABELS = "labels"
    LABEL_POLICY = "label_policy"
    MAILBOX = "mailbox"
    MAILBOXES = "mailboxes"
    MALWARE_FILTER_POLICY = "malware_filter_policy"
    MOBILE_DEVICE_MAILBOX_POLICY = "mobileDeviceMailboxPolicy"
    NOTE = "note"
    ORGANIZATION = "organization"
    OUTBOUND_SPAM_POLICY = "outbound_spam_policy"
    OWA_MAILBOX_POLICY = "owa_mailbox_policy"
    PERMISSION_GRANT_POLICY = "permissionGrantPolicy"
    PLATFORM = "platform"
    POLICY = "policy"
    PRINCIPAL = "principal"
    PROVISIONING_JOB = "provisioningJob"
    REMOTE_DOMAIN = "remote_domain"
    RESTRICTED_SENDER = "restrictedSender"
    REVIEWER = "reviewer"
    RISK_EVENT_TYPE = "riskEventType"
    RISK_LEVEL = "riskLevel"
    ROLE = "role"
    ROLE_ASSIGNMENT = "roleAssignment"
    ROLE_ASSIGNMENT_POLICY = "role_assignment_policy"
    SAFE_ATTACHMENT_POLICY = "safe_attachment_policy"
    SAFE_LINKS_POLICY = "safe_links_policy"
    SECURE_SCORE_CONTROL = "secureScoreControl"
    SERVICE_PRINCIPAL = "servicePrincipal"
    SETTING = "setting"
    SHARING_POLICY = "sharing_policy"
    SPOOFED_SENDER = "spoofedSender"
    SUBSCRIBED_SKU = "subscribedSku"
    TRANSPORT_RULE = "transport_rule"
    TRANSPORT_RULES = "transport_rules"
    USER = "user"


@dataclass(frozen=True)
class Evidence:
    """One object a reviewer can look up: what it is, its id and name, and the value seen."""

    type: EvidenceType
    id: str | None = None
    name: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        # A value outside the closed set is a programming error: fail where the item is made, not in a report.
        object.__setattr__(self, "type", EvidenceType(self.type))

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type.value, "id": self.id, "name": self.name, "detail": self.detail}


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
    decides, they make the result error (docs/CONCEPTS.md, the order of sources, step 2).
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
