"""Section 7 (Mobile Device Management): Intune policies (beta lists) and the Exchange ActiveSync fallback.

The Intune rules implement the catalogue's "MDM coverage (7.x)" term: a platform is covered when at least one
assigned policy of that platform (compliance policy or device restriction profile) meets the threshold; the
password thresholds also need that policy to require a password. Every assigned policy of a platform is judged
and listed, not only the first. The ActiveSync fallback judges the default Get-MobileDeviceMailboxPolicy item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from o365cis.config import ScanConfig
from o365cis.findings import (
    Decision,
    Evidence,
    Finding,
    Status,
    compliant,
    manual,
    no_decision,
    non_compliant,
    not_applicable,
)
from o365cis.rules import licensing
from o365cis.rules._exchange import bool_value
from o365cis.rules._types import Json
from o365cis.rules._values import json_text
from o365cis.rules.evidence import EVIDENCE_CAP, capped
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.securescore import SecureScore

IOS = "ios"
ANDROID = "android"
_PLATFORM_LABEL = {IOS: "iOS/iPadOS", ANDROID: "Android"}

# Intune @odata.type (without the "#microsoft.graph." prefix) -> (platform, kind).
# https://learn.microsoft.com/graph/api/resources/intune-shared-devicecompliancepolicy?view=graph-rest-beta
IOS_COMPLIANCE = "iosCompliancePolicy"
IOS_PROFILE = "iosGeneralDeviceConfiguration"
ANDROID_COMPLIANCE = "androidCompliancePolicy"
ANDROID_WORK_PROFILE_COMPLIANCE = "androidWorkProfileCompliancePolicy"
ANDROID_DEVICE_OWNER_COMPLIANCE = "androidDeviceOwnerCompliancePolicy"
ANDROID_PROFILE = "androidGeneralDeviceConfiguration"
ANDROID_WORK_PROFILE_PROFILE = "androidWorkProfileGeneralDeviceConfiguration"
ANDROID_DEVICE_OWNER_PROFILE = "androidDeviceOwnerGeneralDeviceConfiguration"
WINDOWS_COMPLIANCE = "windows10CompliancePolicy"

POLICY_PLATFORM: dict[str, str] = {
    IOS_COMPLIANCE: IOS,
    IOS_PROFILE: IOS,
    ANDROID_COMPLIANCE: ANDROID,
    ANDROID_WORK_PROFILE_COMPLIANCE: ANDROID,
    ANDROID_DEVICE_OWNER_COMPLIANCE: ANDROID,
    ANDROID_PROFILE: ANDROID,
    ANDROID_WORK_PROFILE_PROFILE: ANDROID,
    ANDROID_DEVICE_OWNER_PROFILE: ANDROID,
}
COMPLIANCE_TYPES = frozenset(
    {IOS_COMPLIANCE, ANDROID_COMPLIANCE, ANDROID_WORK_PROFILE_COMPLIANCE, ANDROID_DEVICE_OWNER_COMPLIANCE}
)
PROFILE_TYPES = frozenset({IOS_PROFILE, ANDROID_PROFILE, ANDROID_WORK_PROFILE_PROFILE, ANDROID_DEVICE_OWNER_PROFILE})
ANDROID_TYPES = frozenset(t for t, p in POLICY_PLATFORM.items() if p == ANDROID)
ALL_MOBILE_TYPES = frozenset(POLICY_PLATFORM)
# These two profiles have no passwordRequired switch; passwordRequiredType stands in for it.
_PROFILES_WITHOUT_PASSWORD_REQUIRED = frozenset({ANDROID_WORK_PROFILE_PROFILE, ANDROID_DEVICE_OWNER_PROFILE})
_LOWER_TYPE = {name.lower(): name for name in (*POLICY_PLATFORM, WINDOWS_COMPLIANCE)}


# ----------------------------------------------------------------------------------------------- policy facts


def policy_type(policy: Json) -> str | None:
    """The short Intune type of a policy ("iosCompliancePolicy"), from its @odata.type; None when unknown."""
    raw = policy.get("@odata.type")
    if not isinstance(raw, str):
        return None
    short = raw.lstrip("#").split(".")[-1]
    return _LOWER_TYPE.get(short.lower())


def _name(policy: Json) -> str:
    return str(policy.get("displayName") or policy.get("id") or "(unnamed policy)")


def _target_text(target: Any) -> str:
    if not isinstance(target, Mapping):
        return "unknown target"
    kind = str(target.get("@odata.type") or "").lstrip("#").split(".")[-1]
    if kind == "allLicensedUsersAssignmentTarget":
        return "all users"
    if kind == "allDevicesAssignmentTarget":
        return "all devices"
    if kind == "exclusionGroupAssignmentTarget":
        return f"excluded group {target.get('groupId')}"
    if kind == "groupAssignmentTarget":
        return f"group {target.get('groupId')}"
    return kind or "unknown target"


def assignment_state(policy: Json) -> str:
    """ "assigned", "unassigned" or "unknown" (no assignments property: $expand was not applied to this item).

    An assignment list holding only exclusion targets applies the policy to nobody, so it counts as unassigned.
    """
    assignments = policy.get("assignments")
    if assignments is None and "assignments" not in policy:
        return "unknown"
    if not isinstance(assignments, list) or not assignments:
        return "unassigned"
    for assignment in assignments:
        target = assignment.get("target") if isinstance(assignment, Mapping) else None
        kind = str((target or {}).get("@odata.type") or "") if isinstance(target, Mapping) else ""
        if not kind.endswith("exclusionGroupAssignmentTarget"):
            return "assigned"
    return "unassigned"


def assignment_targets(policy: Json) -> str:
    """The policy's assignment targets, as one readable line."""
    assignments = policy.get("assignments")
    if not isinstance(assignments, list) or not assignments:
        return "not assigned" if "assignments" in policy else "assignments not read"
    targets = [_target_text(a.get("target") if isinstance(a, Mapping) else None) for a in assignments]
    return ", ".join(targets)


def requires_password(policy: Json) -> bool:
    """The policy requires a device password (passcodeRequired / passwordRequired, or a non-default type)."""
    kind = policy_type(policy)
    if kind in (IOS_COMPLIANCE, IOS_PROFILE):
        return policy.get("passcodeRequired") is True
    if kind in _PROFILES_WITHOUT_PASSWORD_REQUIRED:
        required_type = policy.get("passwordRequiredType")
        return isinstance(required_type, str) and required_type not in ("", "deviceDefault")
    return policy.get("passwordRequired") is True


def _mobile_policies(*collections: Iterable[Json] | None) -> list[Json]:
    policies: list[Json] = []
    seen: set[str] = set()
    for collection in collections:
        for policy in collection or ():
            if not isinstance(policy, Mapping) or policy_type(policy) not in ALL_MOBILE_TYPES:
                continue
            key = str(policy.get("id") or id(policy))
            if key not in seen:
                seen.add(key)
                policies.append(policy)
    return policies


# ----------------------------------------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Threshold:
    """What one recommendation asks of a policy: the properties read per Intune type and the test they must pass."""

    fields: Mapping[str, tuple[str, ...]]
    test: Callable[[Any], bool]
    wanted: str
    needs_password: bool
    #: per-type replacements of `test`, where a type spells its values differently
    type_tests: Mapping[str, Callable[[Any], bool]] = field(default_factory=dict)

    def judge(self, policy: Json) -> tuple[bool, str]:
        """Whether the policy meets the threshold, and the values seen (for the evidence)."""
        kind = policy_type(policy) or ""
        names = self.fields.get(kind, ())
        values = [(name, policy.get(name)) for name in names]
        test = self.type_tests.get(kind, self.test)
        meets = any(test(value) for _, value in values)
        seen = ", ".join(f"{name}={json_text(value)}" for name, value in values)
        if self.needs_password:
            has_password = requires_password(policy)
            seen += f"; password required: {'yes' if has_password else 'no'}"
            meets = meets and has_password
        return meets, seen


def _policies(count: int) -> str:
    return f"{count} {'policy' if count == 1 else 'policies'}"


def _json_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _at_least(minimum: int) -> Callable[[Any], bool]:
    return lambda value: (_json_int(value) or 0) >= minimum


def _between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: _json_int(value) is not None and low <= value <= high


def _is_true(value: Any) -> bool:
    return value is True


def _one_of(*allowed: str) -> Callable[[Any], bool]:
    lowered = {item.lower() for item in allowed}
    return lambda value: isinstance(value, str) and value.lower() in lowered


def _per_type(
    ios: tuple[str, ...], android: tuple[str, ...], **overrides: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {IOS_COMPLIANCE: ios, IOS_PROFILE: ios}
    fields.update({kind: android for kind in ANDROID_TYPES})
    fields.update(overrides)
    return {kind: names for kind, names in fields.items() if names}


PASSWORD_REUSE = Threshold(
    fields=_per_type(
        ("passcodePreviousPasscodeBlockCount",),
        ("passwordPreviousPasswordBlockCount",),
        **{
            ANDROID_DEVICE_OWNER_COMPLIANCE: ("passwordPreviousPasswordCountToBlock",),
            ANDROID_DEVICE_OWNER_PROFILE: ("passwordPreviousPasswordCountToBlock",),
        },
    ),
    test=_at_least(5),
    wanted="5 or more previous passwords blocked",
    needs_password=True,
)
PASSWORD_LENGTH = Threshold(
    fields=_per_type(("passcodeMinimumLength",), ("passwordMinimumLength",)),
    test=_at_least(6),
    wanted="a minimum password length of 6 or more",
    needs_password=True,
)
# Compliance policies say "...BeforeLock", device restriction profiles "...BeforeScreenTimeout".
INACTIVITY_LOCK = Threshold(
    fields={
        IOS_COMPLIANCE: ("passcodeMinutesOfInactivityBeforeLock",),
        IOS_PROFILE: ("passcodeMinutesOfInactivityBeforeScreenTimeout",),
        **{kind: ("passwordMinutesOfInactivityBeforeLock",) for kind in ANDROID_TYPES & COMPLIANCE_TYPES},
        **{kind: ("passwordMinutesOfInactivityBeforeScreenTimeout",) for kind in ANDROID_TYPES & PROFILE_TYPES},
    },
    test=_between(0, 5),
    wanted="a lock after 5 minutes of inactivity or less",
    needs_password=True,
)
WIPE_ON_FAILURES = Threshold(
    fields={
        IOS_PROFILE: ("passcodeSignInFailureCountBeforeWipe",),
        **{kind: ("passwordSignInFailureCountBeforeFactoryReset",) for kind in ANDROID_TYPES & PROFILE_TYPES},
    },
    # Intune accepts no 0 here; a 0 would be a capture artefact, never a working wipe.
    test=_between(1, 10),
    wanted="a wipe after 10 failed sign-ins or fewer",
    needs_password=True,
)
# iOS has no encryption switch: Data Protection encrypts storage whenever a passcode is set (Apple Platform
# Security guide, "Data Protection overview"), so an iOS policy requiring a passcode covers it.
ENCRYPTION = Threshold(
    fields={
        IOS_COMPLIANCE: ("passcodeRequired",),
        IOS_PROFILE: ("passcodeRequired",),
        ANDROID_COMPLIANCE: ("storageRequireEncryption",),
        ANDROID_WORK_PROFILE_COMPLIANCE: ("storageRequireEncryption",),
        ANDROID_DEVICE_OWNER_COMPLIANCE: ("storageRequireEncryption",),
        ANDROID_PROFILE: ("storageRequireDeviceEncryption",),
    },
    test=_is_true,
    wanted="device encryption required (iOS: a passcode required)",
    needs_password=False,
)
# securityBlockJailbrokenDevices is the switch; the device-owner compliance policy long had none and its basic
# integrity attestation (failed by rooted devices) counts instead. The current beta page documents
# securityBlockJailbrokenDevices on it too, so either counts there
# (https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-androiddeviceownercompliancepolicy?view=graph-rest-beta).
JAILBREAK = Threshold(
    fields={
        IOS_COMPLIANCE: ("securityBlockJailbrokenDevices",),
        ANDROID_COMPLIANCE: ("securityBlockJailbrokenDevices",),
        ANDROID_WORK_PROFILE_COMPLIANCE: ("securityBlockJailbrokenDevices",),
        ANDROID_DEVICE_OWNER_COMPLIANCE: (
            "securityRequireSafetyNetAttestationBasicIntegrity",
            "securityBlockJailbrokenDevices",
        ),
    },
    test=_is_true,
    wanted="jailbroken/rooted devices blocked",
    needs_password=False,
)


_IOS_TYPES = (IOS_COMPLIANCE, IOS_PROFILE)
_ALPHANUMERIC_WORK_PROFILE = _one_of("atLeastAlphanumeric", "alphanumericWithSymbols")
ALPHANUMERIC = Threshold(
    fields=_per_type(("passcodeRequiredType",), ("passwordRequiredType",)),
    test=_one_of("alphanumeric", "alphanumericWithSymbols"),
    wanted="an alphanumeric password type",
    needs_password=True,
    type_tests={
        **{kind: _one_of("alphanumeric") for kind in _IOS_TYPES},
        ANDROID_WORK_PROFILE_PROFILE: _ALPHANUMERIC_WORK_PROFILE,
    },
)
# Android has no separate simple-password switch in these types: a complex password type blocks simple ones.
SIMPLE_BLOCKED = Threshold(
    fields=_per_type(("passcodeBlockSimple",), ("passwordRequiredType",)),
    test=_one_of("numericComplex", "alphabetic", "alphanumeric", "alphanumericWithSymbols"),
    wanted="simple passwords blocked (iOS passcodeBlockSimple; Android a complex password type)",
    needs_password=True,
    type_tests={
        **{kind: _is_true for kind in _IOS_TYPES},
        ANDROID_WORK_PROFILE_PROFILE: _one_of(
            "numericComplex", "atLeastAlphabetic", "atLeastAlphanumeric", "alphanumericWithSymbols"
        ),
    },
)


def _non_default_type(value: Any) -> bool:
    return isinstance(value, str) and value not in ("", "deviceDefault")


PASSWORD_REQUIRED = Threshold(
    fields={
        **_per_type(("passcodeRequired",), ("passwordRequired",)),
        ANDROID_WORK_PROFILE_PROFILE: ("passwordRequiredType",),
        ANDROID_DEVICE_OWNER_PROFILE: ("passwordRequiredType",),
    },
    test=_is_true,
    wanted="a password required",
    needs_password=False,
    type_tests={kind: _non_default_type for kind in _PROFILES_WITHOUT_PASSWORD_REQUIRED},
)


# ----------------------------------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class PlatformCoverage:
    """How one platform fares against a threshold: the qualifying assigned policies, and every policy judged."""

    platform: str
    qualifying: tuple[Json, ...]
    judged: tuple[tuple[Json, bool, str], ...]
    unknown_could_qualify: tuple[Json, ...]
    assigned_count: int

    @property
    def covered(self) -> bool:
        return bool(self.qualifying)

    @property
    def undetermined(self) -> bool:
        return not self.qualifying and bool(self.unknown_could_qualify)


def platform_coverage(policies: Sequence[Json], platform: str, threshold: Threshold) -> PlatformCoverage:
    """Judge every policy of one platform that the threshold reads (assigned ones decide; unread assignments may)."""
    judged: list[tuple[Json, bool, str]] = []
    qualifying: list[Json] = []
    unknown: list[Json] = []
    assigned = 0
    for policy in policies:
        kind = policy_type(policy)
        if kind is None or POLICY_PLATFORM.get(kind) != platform or kind not in threshold.fields:
            continue
        meets, seen = threshold.judge(policy)
        state = assignment_state(policy)
        if state == "assigned":
            assigned += 1
            judged.append((policy, meets, seen))
            if meets:
                qualifying.append(policy)
        elif state == "unknown" and meets:
            unknown.append(policy)
    return PlatformCoverage(platform, tuple(qualifying), tuple(judged), tuple(unknown), assigned)


def _policy_evidence(policy: Json, meets: bool, seen: str, platform: str) -> Evidence:
    verdict = "meets" if meets else "does not meet"
    return Evidence(
        "intunePolicy",
        str(policy.get("id") or ""),
        _name(policy),
        f"{_PLATFORM_LABEL.get(platform, platform)} {policy_type(policy)}: {seen} ({verdict}); "
        f"assigned to {assignment_targets(policy)}",
    )


def _kinds_text(threshold: Threshold, platform: str) -> str:
    kinds = sorted(k for k in threshold.fields if POLICY_PLATFORM.get(k) == platform)
    return ", ".join(kinds)


def mdm_coverage(
    compliance_policies: Sequence[Json] | None,
    configurations: Sequence[Json] | None,
    config: ScanConfig,
    threshold: Threshold,
) -> Decision:
    """The "MDM coverage (7.x)" term: every configured platform has an assigned policy meeting the threshold."""
    platforms = tuple(config.mdm_platforms)
    if not platforms:
        return manual(
            "No mobile platform is configured (mdm_platforms is empty): nothing to decide; review Intune by hand"
        )
    policies = _mobile_policies(compliance_policies, configurations)
    coverages = [platform_coverage(policies, platform, threshold) for platform in platforms]
    evidence: list[Evidence] = []
    missing: list[str] = []
    failing: list[str] = []
    undetermined: list[str] = []
    for coverage in coverages:
        label = _PLATFORM_LABEL.get(coverage.platform, coverage.platform)
        evidence += [_policy_evidence(p, meets, seen, coverage.platform) for p, meets, seen in coverage.judged]
        if coverage.covered:
            continue
        if coverage.undetermined:
            undetermined.append(label)
            evidence += [
                Evidence(
                    "intunePolicy",
                    str(p.get("id") or ""),
                    _name(p),
                    f"{label}: meets {threshold.wanted} but its assignments were not read",
                )
                for p in coverage.unknown_could_qualify
            ]
        elif coverage.assigned_count == 0:
            missing.append(label)
            evidence.append(
                Evidence(
                    "platform",
                    coverage.platform,
                    label,
                    f"no assigned policy of type {_kinds_text(threshold, coverage.platform)}",
                )
            )
        else:
            failing.append(label)
            evidence.append(
                Evidence(
                    "platform",
                    coverage.platform,
                    label,
                    f"{_policies(coverage.assigned_count)} assigned, none with {threshold.wanted}",
                )
            )
    evidence = capped(evidence, "policies")
    if missing or failing:
        parts = []
        if missing:
            parts.append(f"no assigned policy for {', '.join(missing)}")
        if failing:
            parts.append(f"no assigned policy with {threshold.wanted} for {', '.join(failing)}")
        return non_compliant("Intune: " + "; ".join(parts), evidence)
    if undetermined:
        return no_decision(
            f"Intune: the only policies with {threshold.wanted} for {', '.join(undetermined)} came without their "
            "assignments, so whether they apply is unknown",
            evidence,
        )
    covered = ", ".join(_PLATFORM_LABEL.get(c.platform, c.platform) for c in coverages)
    count = sum(len(c.qualifying) for c in coverages)
    return compliant(
        f"Intune: every configured platform ({covered}) has an assigned policy with {threshold.wanted} "
        f"({_policies(count)} qualify)",
        evidence,
    )


# ----------------------------------------------------------------------------------------------- 7.2 - 7.13


def password_reuse_prohibited(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.2: at least 5 previous passwords blocked on every configured platform."""
    return mdm_coverage(compliance_policies, configurations, config, PASSWORD_REUSE)


_EXPIRY_FIELD = {
    kind: ("passcodeExpirationDays" if platform == IOS else "passwordExpirationDays")
    for kind, platform in POLICY_PLATFORM.items()
}


def device_passwords_never_expire(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.3: no assigned iOS/Android policy sets a password expiry, and every configured platform requires a password."""
    policies = _mobile_policies(compliance_policies, configurations)
    offenders: list[Evidence] = []
    unknown_offenders: list[Evidence] = []
    for policy in policies:
        kind = policy_type(policy) or ""
        prop = _EXPIRY_FIELD[kind]
        days = _json_int(policy.get(prop))
        if days is None or days <= 0:
            continue
        platform = POLICY_PLATFORM[kind]
        item = Evidence(
            "intunePolicy",
            str(policy.get("id") or ""),
            _name(policy),
            f"{_PLATFORM_LABEL[platform]} {kind}: {prop}={days}; assigned to {assignment_targets(policy)}",
        )
        state = assignment_state(policy)
        if state == "assigned":
            offenders.append(item)
        elif state == "unknown":
            unknown_offenders.append(item)
    if offenders:
        return non_compliant(
            f"Intune: {_policies(len(offenders))} assigned that make passwords expire", capped(offenders, "policies")
        )
    coverage = mdm_coverage(compliance_policies, configurations, config, PASSWORD_REQUIRED)
    if isinstance(coverage, Finding) and coverage.status in (Status.NON_COMPLIANT, Status.MANUAL):
        return coverage
    if unknown_offenders:
        return no_decision(
            "Intune: some policies set a password expiry but came without their assignments, so whether they apply "
            "is unknown",
            unknown_offenders + list(coverage.evidence),
        )
    if isinstance(coverage, Finding):
        return compliant(
            "Intune: every configured platform requires a password and no assigned policy sets an expiry",
            coverage.evidence,
        )
    return coverage


def jailbroken_devices_blocked(compliance_policies: Sequence[Json] | None, config: ScanConfig) -> Decision:
    """7.4: compliance policies mark jailbroken / rooted devices non-compliant on every configured platform."""
    return mdm_coverage(compliance_policies, None, config, JAILBREAK)


def wipe_on_failed_sign_ins(configurations: Sequence[Json] | None, config: ScanConfig) -> Decision:
    """7.5: device restriction profiles wipe a device after 10 failed sign-ins or fewer."""
    return mdm_coverage(None, configurations, config, WIPE_ON_FAILURES)


def minimum_password_length(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.6: a minimum password length of 6 or more."""
    return mdm_coverage(compliance_policies, configurations, config, PASSWORD_LENGTH)


def inactivity_lock(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.7: devices lock after 5 minutes of inactivity or less."""
    return mdm_coverage(compliance_policies, configurations, config, INACTIVITY_LOCK)


def encryption_required(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.8: Android requires storage encryption; iOS requires a passcode (which turns on data protection)."""
    return mdm_coverage(compliance_policies, configurations, config, ENCRYPTION)


def alphanumeric_password_required(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.9: an alphanumeric password type."""
    return mdm_coverage(compliance_policies, configurations, config, ALPHANUMERIC)


def simple_passwords_blocked(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.10: simple passwords blocked (iOS passcodeBlockSimple; Android a complex password type)."""
    return mdm_coverage(compliance_policies, configurations, config, SIMPLE_BLOCKED)


def password_required(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.13: a device password is required on every configured platform."""
    return mdm_coverage(compliance_policies, configurations, config, PASSWORD_REQUIRED)


def windows_firewall_and_antivirus_required(compliance_policies: Sequence[Json] | None) -> Decision:
    """7.11: an assigned Windows compliance policy requires the firewall and antivirus (Windows only)."""
    judged: list[Evidence] = []
    qualifying = 0
    unknown_qualifying: list[Evidence] = []
    for policy in compliance_policies or ():
        if not isinstance(policy, Mapping) or policy_type(policy) != WINDOWS_COMPLIANCE:
            continue
        firewall = policy.get("activeFirewallRequired")
        antivirus = policy.get("antivirusRequired")
        defender = policy.get("defenderEnabled")
        meets = firewall is True and (antivirus is True or defender is True)
        item = Evidence(
            "intunePolicy",
            str(policy.get("id") or ""),
            _name(policy),
            f"activeFirewallRequired={json_text(firewall)}, antivirusRequired={json_text(antivirus)}, "
            f"defenderEnabled={json_text(defender)} ({'meets' if meets else 'does not meet'}); "
            f"assigned to {assignment_targets(policy)}",
        )
        state = assignment_state(policy)
        if state == "assigned":
            judged.append(item)
            qualifying += meets
        elif state == "unknown" and meets:
            unknown_qualifying.append(item)
    evidence = capped(judged, "policies")
    if qualifying:
        return compliant(
            f"Intune: {_policies(qualifying)} (Windows compliance) assigned that require the firewall and antivirus",
            evidence,
        )
    if unknown_qualifying:
        return no_decision(
            "Intune: the only Windows policies requiring firewall and antivirus came without their assignments",
            evidence + unknown_qualifying,
        )
    if not judged:
        return non_compliant(
            "Intune: no assigned Windows 10/11 compliance policy (windows10CompliancePolicy); protection enforced by "
            "other tools or endpoint-security policies is not seen",
            [Evidence("platform", "windows", "Windows", "no assigned windows10CompliancePolicy")],
        )
    return non_compliant(
        f"Intune: none of the {_policies(len(judged))} (Windows compliance) assigned requires both the firewall and "
        "antivirus (protection enforced by other tools is not seen)",
        evidence,
    )


def managed_email_profile_required(compliance_policies: Sequence[Json] | None, config: ScanConfig) -> Decision:
    """7.12: an assigned iOS compliance policy requires a managed email profile (iOS only)."""
    if IOS not in config.mdm_platforms:
        return not_applicable("iOS is not among the configured mdm_platforms; this recommendation is iOS only")
    threshold = Threshold(
        fields={IOS_COMPLIANCE: ("managedEmailProfileRequired",)},
        test=_is_true,
        wanted="a managed email profile required",
        needs_password=False,
    )
    config_ios = ScanConfig(mdm_platforms=(IOS,))
    decision = mdm_coverage(compliance_policies, None, config_ios, threshold)
    note = []
    if ANDROID in config.mdm_platforms:
        note = [
            Evidence(
                "platform", ANDROID, "Android", "not evaluated: no Android compliance type has an equivalent setting"
            )
        ]
    if isinstance(decision, Finding):
        return Finding(decision.status, decision.reason, decision.evidence + tuple(note), decision.source)
    return no_decision(decision.reason, list(decision.evidence) + note)


# ----------------------------------------------------------------------------------------------- 7.1 (manual)


def mdm_policies_review(
    compliance_policies: Sequence[Json] | None,
    device_management: Mapping[str, Any] | None,
    config: ScanConfig,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """7.1 (manual): per platform, the assigned compliance policies and the "no policy = not compliant" switch.

    `failures` maps "compliance_policies", "device_management" or "secure_score" to the failure text of a read
    that failed (pass None for its data); the legacy MDM Secure Score controls are shown only.
    """
    review = ManualReview(
        "Review in the Intune admin center > Devices > Compliance: each mobile platform has an assigned compliance "
        "policy with the advanced security settings the organisation requires, and Compliance settings > 'Mark devices "
        "with no compliance policy assigned as' is Not compliant",
        failures,
    )
    if compliance_policies is None:
        review.missing("compliance_policies", "Intune compliance policies", "DeviceManagementConfiguration.Read.All")
    else:
        summary = []
        items: list[Evidence] = []
        for platform in config.mdm_platforms or (IOS, ANDROID):
            label = _PLATFORM_LABEL.get(platform, platform)
            mine = [
                p
                for p in compliance_policies
                if isinstance(p, Mapping)
                and policy_type(p) in COMPLIANCE_TYPES
                and POLICY_PLATFORM.get(policy_type(p) or "") == platform
            ]
            assigned = [p for p in mine if assignment_state(p) == "assigned"]
            summary.append(f"{label} {len(assigned)} assigned of {len(mine)}")
            items += [
                Evidence(
                    "intunePolicy",
                    str(p.get("id") or ""),
                    _name(p),
                    f"{label} {policy_type(p)}; assigned to {assignment_targets(p)}",
                )
                for p in mine
            ]
            if not assigned:
                items.append(Evidence("platform", platform, label, "no assigned compliance policy"))
        review.note("compliance policies: " + ", ".join(summary))
        review.add(items, "policies")
    if device_management is None:
        review.missing("device_management", "deviceManagement settings", "DeviceManagementConfiguration.Read.All")
    else:
        settings = device_management.get("settings")
        secure = settings.get("secureByDefault") if isinstance(settings, Mapping) else None
        if secure is True:
            meaning = "devices with no compliance policy are marked not compliant"
        elif secure is False:
            meaning = "devices with no compliance policy are marked compliant"
        else:
            meaning = "not reported"
        review.note(f"secureByDefault is {json_text(secure)}: {meaning}")
        review.evidence.append(Evidence("setting", "deviceManagement", "settings.secureByDefault", json_text(secure)))
    review.secure_score(secure_score, ["MDMEnabled", "MDMReportViolation"])
    return review.finding()


# ----------------------------------------------------------------------------------------------- licence


def intune_licence_gap(subscribed_skus: Sequence[Mapping[str, Any]]) -> str | None:
    """Why Intune reads will be refused (which service plan is absent from subscribedSkus), or None if licensed.

    Section 7 treats a refused Intune read as a failed read (its fallbacks run; named if the result is error);
    this text lets the wiring say which plan is missing.
    """
    plans = licensing.INTUNE
    if licensing.plan_present(list(subscribed_skus), plans):
        return None
    return (
        f"not licensed for Intune: no enabled subscription in subscribedSkus has the service plan "
        f"{' or '.join(plans)} provisioned"
    )


# ----------------------------------------------------------------------------------------------- ActiveSync fallback


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
            f"Get-MobileDeviceMailboxPolicy returned {_policies(len(policies))} and none with IsDefault true"
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
            "mobileDeviceMailboxPolicy",
            str(default.get("Guid") or default.get("Identity") or "") or None,
            name,
            "default policy; " + ", ".join(details),
        )
    ]
    for policy in others[:EVIDENCE_CAP]:
        extra = f", {rule.property}={json_text(policy.get(rule.property))}" if rule.property else ""
        evidence.append(
            Evidence(
                "mobileDeviceMailboxPolicy",
                None,
                str(policy.get("Name") or policy.get("Identity") or "(unnamed)"),
                f"not default (reported only); PasswordEnabled={json_text(policy.get('PasswordEnabled'))}{extra}",
            )
        )
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
