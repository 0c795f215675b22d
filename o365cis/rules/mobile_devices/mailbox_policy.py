"""Section 7's Exchange ActiveSync fallback: the default mobile device mailbox policy (Get-MobileDeviceMailboxPolicy)
against the threshold of each recommendation it can decide, when the Intune reads fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._exchange import bool_value
from o365cis.rules._values import json_text, plural
from o365cis.rules.evidence import EVIDENCE_CAP


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _unlimited(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "unlimited"


_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


def timespan_seconds(value: Any) -> int | None:
    """Seconds in an Exchange TimeSpan string ("00:05:00", "1.00:00:00"); None for "Unlimited" or anything else."""
    if not isinstance(value, str):
        return None
    match = _TIMESPAN.match(value.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


@dataclass(frozen=True)
class ActiveSyncRule:
    """The Exchange ActiveSync property a section-7 recommendation reads, and what it must hold."""

    property: str | None
    test: Callable[[Any], bool]
    wanted: str


ACTIVESYNC_RULES: dict[str, ActiveSyncRule] = {
    "7.2": ActiveSyncRule("PasswordHistory", lambda v: (_number(v) or 0) >= 5, "PasswordHistory 5 or more"),
    # An unset expiry means passwords never expire.
    "7.3": ActiveSyncRule(
        "PasswordExpiration", lambda v: v is None or v == "" or _unlimited(v), "PasswordExpiration Unlimited (or unset)"
    ),
    "7.5": ActiveSyncRule(
        "MaxPasswordFailedAttempts",
        lambda v: (_number(v) or 0) in range(1, 11),
        "MaxPasswordFailedAttempts 10 or fewer",
    ),
    "7.6": ActiveSyncRule("MinPasswordLength", lambda v: (_number(v) or 0) >= 6, "MinPasswordLength 6 or more"),
    "7.7": ActiveSyncRule(
        "MaxInactivityTimeLock",
        lambda v: (seconds := timespan_seconds(v)) is not None and 0 < seconds <= 300,
        "MaxInactivityTimeLock 00:05:00 or less",
    ),
    "7.8": ActiveSyncRule("RequireDeviceEncryption", lambda v: bool_value(v) is True, "RequireDeviceEncryption true"),
    "7.9": ActiveSyncRule(
        "AlphanumericPasswordRequired", lambda v: bool_value(v) is True, "AlphanumericPasswordRequired true"
    ),
    "7.10": ActiveSyncRule("AllowSimplePassword", lambda v: bool_value(v) is False, "AllowSimplePassword false"),
    "7.13": ActiveSyncRule(None, lambda v: True, "PasswordEnabled true"),
}


_SWITCHES = ("RequireDeviceEncryption", "AlphanumericPasswordRequired", "AllowSimplePassword")


def _unreadable(rule: ActiveSyncRule, default: Mapping[str, Any]) -> str:
    """Why the default policy's values cannot decide the rule ("" when they can).

    A property missing from the response, or a switch that is not a boolean, is no value. null is read as Exchange
    shows an unset limit (no password required, no minimum, never expires), which never passes except where the
    rule says so (7.3).
    """
    for prop in ("PasswordEnabled", *((rule.property,) if rule.property else ())):
        if prop not in default:
            return f"lacks {prop}"
        value = default[prop]
        if (prop == "PasswordEnabled" or prop in _SWITCHES) and value is not None and bool_value(value) is None:
            return f"has {prop} {json_text(value)} (not a boolean)"
    return ""


def activesync_policy_meets(recommendation_id: str, mailbox_policies: Sequence[Mapping[str, Any]] | None) -> Decision:
    """The Exchange fallback of 7.2, 7.3, 7.5-7.10 and 7.13 over Get-MobileDeviceMailboxPolicy output.

    The default policy (IsDefault true) decides: it must have PasswordEnabled true and the rule's value.
    No default policy in the output is unusable data (no decision).
    """
    rule = ACTIVESYNC_RULES.get(recommendation_id)
    if rule is None:
        raise KeyError(f"{recommendation_id} has no Exchange ActiveSync fallback")
    policies = [p for p in mailbox_policies or () if isinstance(p, Mapping)]
    default = next((p for p in policies if bool_value(p.get("IsDefault")) is True), None)
    others = [p for p in policies if p is not default]
    if default is None:
        return no_decision(
            f"Get-MobileDeviceMailboxPolicy returned {plural(len(policies), 'policy')} and none with IsDefault true"
        )
    name = str(default.get("Name") or default.get("Identity") or "Default")
    password_enabled = bool_value(default.get("PasswordEnabled"))
    details = [f"PasswordEnabled={json_text(default.get('PasswordEnabled'))}"]
    value: Any = None
    if rule.property:
        value = default.get(rule.property)
        details.append(f"{rule.property}={json_text(value)}")
    evidence = [
        Evidence(
            EvidenceType.MOBILE_DEVICE_MAILBOX_POLICY,
            str(default.get("Guid") or default.get("Identity") or "") or None,
            name,
            "default policy; " + ", ".join(details),
        )
    ]
    for policy in others[:EVIDENCE_CAP]:
        extra = f", {rule.property}={json_text(policy.get(rule.property))}" if rule.property else ""
        evidence.append(
            Evidence(
                EvidenceType.MOBILE_DEVICE_MAILBOX_POLICY,
                None,
                str(policy.get("Name") or policy.get("Identity") or "(unnamed)"),
                f"not default (reported only); PasswordEnabled={json_text(policy.get('PasswordEnabled'))}{extra}",
            )
        )
    unreadable = _unreadable(rule, default)
    if password_enabled is not False and unreadable:
        # Missing, null or the wrong type is never read as the safe value (rules/_exchange.py).
        return no_decision(f"The default mobile device mailbox policy '{name}' {unreadable}", evidence)
    if password_enabled is not True:
        return non_compliant(
            f"Exchange ActiveSync: the default mobile device mailbox policy '{name}' does not require a password "
            f"(PasswordEnabled {json_text(default.get('PasswordEnabled'))})",
            evidence,
        )
    if rule.property and not rule.test(value):
        return non_compliant(
            f"Exchange ActiveSync: the default mobile device mailbox policy '{name}' has {rule.property} "
            f"{json_text(value)} ({rule.wanted} expected)",
            evidence,
        )
    return compliant(
        f"Exchange ActiveSync: the default mobile device mailbox policy '{name}' has PasswordEnabled true"
        + (f" and {rule.wanted}" if rule.property else ""),
        evidence,
    )
