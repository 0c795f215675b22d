"""Section 7 decisions over Intune (7.2-7.13), and the manual review of the MDM policies (7.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from o365cis.config import ScanConfig
from o365cis.findings import (
    Decision,
    Evidence,
    EvidenceType,
    Finding,
    Status,
    compliant,
    no_decision,
    non_compliant,
    not_applicable,
)
from o365cis.rules._types import Json
from o365cis.rules._values import json_int, json_text, plural
from o365cis.rules.evidence import capped
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.mobile_devices.coverage import (
    ALPHANUMERIC,
    ANDROID,
    ANDROID_WORK_PROFILE_COMPLIANCE,
    ANDROID_WORK_PROFILE_PROFILE,
    COMPLIANCE_TYPES,
    ENCRYPTION,
    INACTIVITY_LOCK,
    IOS,
    IOS_COMPLIANCE,
    JAILBREAK,
    PASSWORD_LENGTH,
    PASSWORD_REQUIRED,
    PASSWORD_REUSE,
    PLATFORM_LABEL,
    POLICY_PLATFORM,
    SIMPLE_BLOCKED,
    WINDOWS_COMPLIANCE,
    WIPE_ON_FAILURES,
    Threshold,
    assignment_state,
    assignment_targets,
    intune_evidence,
    is_true,
    mdm_coverage,
    mobile_policies,
    policy_type,
)
from o365cis.rules.securescore import SecureScore


def password_reuse_prohibited(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.2: at least 5 previous passwords blocked on every configured platform."""
    return mdm_coverage(compliance_policies, configurations, config, PASSWORD_REUSE)


# The device password's expiry per type, plus the work-profile password's own expiry on the Android work-profile
# types (androidWorkProfileCompliancePolicy workProfilePasswordExpirationInDays,
# androidWorkProfileGeneralDeviceConfiguration workProfilePasswordExpirationDays): either one expiring fails 7.3.
_EXPIRY_FIELDS: dict[str, tuple[str, ...]] = {
    kind: ("passcodeExpirationDays",) if platform == IOS else ("passwordExpirationDays",)
    for kind, platform in POLICY_PLATFORM.items()
}
_EXPIRY_FIELDS[ANDROID_WORK_PROFILE_COMPLIANCE] += ("workProfilePasswordExpirationInDays",)
_EXPIRY_FIELDS[ANDROID_WORK_PROFILE_PROFILE] += ("workProfilePasswordExpirationDays",)


def device_passwords_never_expire(
    compliance_policies: Sequence[Json] | None, configurations: Sequence[Json] | None, config: ScanConfig
) -> Decision:
    """7.3: no assigned iOS/Android policy sets a password expiry, and every configured platform requires a password."""
    policies = mobile_policies(compliance_policies, configurations)
    offenders: list[Evidence] = []
    unknown_offenders: list[Evidence] = []
    for policy in policies:
        kind = policy_type(policy) or ""
        expiring = [(prop, days) for prop in _EXPIRY_FIELDS[kind] if (days := json_int(policy.get(prop))) and days > 0]
        if not expiring:
            continue
        platform = POLICY_PLATFORM[kind]
        values = ", ".join(f"{prop}={days}" for prop, days in expiring)
        item = intune_evidence(
            policy, f"{PLATFORM_LABEL[platform]} {kind}: {values}; assigned to {assignment_targets(policy)}"
        )
        state = assignment_state(policy)
        if state == "assigned":
            offenders.append(item)
        elif state == "unknown":
            unknown_offenders.append(item)
    if offenders:
        return non_compliant(
            f"Intune: {plural(len(offenders), 'policy')} assigned that make passwords expire",
            capped(offenders, "policies"),
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
        item = intune_evidence(
            policy,
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
            f"Intune: {plural(qualifying, 'policy')} (Windows compliance) assigned that require the firewall and "
            "antivirus",
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
            [Evidence(EvidenceType.PLATFORM, "windows", "Windows", "no assigned windows10CompliancePolicy")],
        )
    return non_compliant(
        f"Intune: none of the {plural(len(judged), 'policy')} (Windows compliance) assigned requires both the "
        "firewall and antivirus (protection enforced by other tools is not seen)",
        evidence,
    )


def managed_email_profile_required(compliance_policies: Sequence[Json] | None, config: ScanConfig) -> Decision:
    """7.12: an assigned iOS compliance policy requires a managed email profile (iOS only)."""
    if IOS not in config.mdm_platforms:
        return not_applicable("iOS is not among the configured mdm_platforms; this recommendation is iOS only")
    threshold = Threshold(
        fields={IOS_COMPLIANCE: ("managedEmailProfileRequired",)},
        test=is_true,
        wanted="a managed email profile required",
        needs_password=False,
    )
    config_ios = ScanConfig(mdm_platforms=(IOS,))
    decision = mdm_coverage(compliance_policies, None, config_ios, threshold)
    note = []
    if ANDROID in config.mdm_platforms:
        note = [
            Evidence(
                EvidenceType.PLATFORM,
                ANDROID,
                "Android",
                "not evaluated: no Android compliance type has an equivalent setting",
            )
        ]
    if isinstance(decision, Finding):
        return Finding(decision.status, decision.reason, decision.evidence + tuple(note), decision.source)
    return no_decision(decision.reason, list(decision.evidence) + note)


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
            label = PLATFORM_LABEL.get(platform, platform)
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
                intune_evidence(p, f"{label} {policy_type(p)}; assigned to {assignment_targets(p)}") for p in mine
            ]
            if not assigned:
                items.append(Evidence(EvidenceType.PLATFORM, platform, label, "no assigned compliance policy"))
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
        review.evidence.append(
            Evidence(EvidenceType.SETTING, "deviceManagement", "settings.secureByDefault", json_text(secure))
        )
    review.secure_score(secure_score, ["MDMEnabled", "MDMReportViolation"])
    return review.finding()
