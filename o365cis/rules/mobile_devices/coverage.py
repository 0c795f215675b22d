"""MDM coverage of section 7: which Intune compliance policies and device configurations exist for each mobile
platform, whom they are assigned to, and whether every configured platform meets a rule's threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from o365cis.config import ScanConfig
from o365cis.findings import Decision, Evidence, EvidenceType, compliant, manual, no_decision, non_compliant
from o365cis.rules._types import Json
from o365cis.rules._values import json_int, json_text, plural
from o365cis.rules.evidence import capped

IOS = "ios"


ANDROID = "android"


PLATFORM_LABEL = {IOS: "iOS/iPadOS", ANDROID: "Android"}


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


def policy_type(policy: Json) -> str | None:
    """The short Intune type of a policy ("iosCompliancePolicy"), from its @odata.type; None when unknown."""
    raw = policy.get("@odata.type")
    if not isinstance(raw, str):
        return None
    short = raw.lstrip("#").split(".")[-1]
    return _LOWER_TYPE.get(short.lower())


def policy_name(policy: Json) -> str:
    """An Intune policy's displayName (or id)."""
    return str(policy.get("displayName") or policy.get("id") or "(unnamed policy)")


def intune_evidence(policy: Json, detail: str) -> Evidence:
    """An Intune policy as an evidence item: its id, its name (policy_name) and `detail`."""
    return Evidence(EvidenceType.INTUNE_POLICY, str(policy.get("id") or ""), policy_name(policy), detail)


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


def mobile_policies(*collections: Iterable[Json] | None) -> list[Json]:
    """The iOS and Android policies of the given lists, each once (by id)."""
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


@dataclass(frozen=True)
class Threshold:
    """What one recommendation asks of a policy: the properties read per Intune type and the test they must pass."""

    fields: Mapping[str, tuple[str, ...]]
    test: Callable[[Any], bool]
    wanted: str
    needs_password: bool
    #: per-type replacements of `test`, where a type spells its values differently
    type_tests: Mapping[str, Callable[[Any], bool]] = field(default_factory=dict)
    #: per-type tests of each field that must all pass in one policy (instead of any field passing `test`)
    field_tests: Mapping[str, Mapping[str, Callable[[Any], bool]]] = field(default_factory=dict)

    def judge(self, policy: Json) -> tuple[bool, str]:
        """Whether the policy meets the threshold, and the values seen (for the evidence)."""
        kind = policy_type(policy) or ""
        names = self.fields.get(kind, ())
        values = [(name, policy.get(name)) for name in names]
        if kind in self.field_tests:
            tests = self.field_tests[kind]
            meets = bool(values) and all(tests[name](value) for name, value in values)
        else:
            test = self.type_tests.get(kind, self.test)
            meets = any(test(value) for _, value in values)
        seen = ", ".join(f"{name}={json_text(value)}" for name, value in values)
        if self.needs_password:
            has_password = requires_password(policy)
            seen += f"; password required: {'yes' if has_password else 'no'}"
            meets = meets and has_password
        return meets, seen


def _at_least(minimum: int) -> Callable[[Any], bool]:
    return lambda value: (json_int(value) or 0) >= minimum


def _between(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: json_int(value) is not None and low <= value <= high


def is_true(value: Any) -> bool:
    """The test of a switch that must be on."""
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


_IOS_TYPES = (IOS_COMPLIANCE, IOS_PROFILE)


def _zero_or_unset(value: Any) -> bool:
    return value is None or json_int(value) == 0


_IOS_SCREEN_TIMEOUT = "passcodeMinutesOfInactivityBeforeScreenTimeout"
_IOS_PASSCODE_GRACE = "passcodeMinutesOfInactivityBeforeLock"

# iOS, both types, both values in one policy: Graph documents passcodeMinutesOfInactivityBeforeScreenTimeout as the
# "minutes of inactivity before the screen times out" (the lock, <= 5 and set) and passcodeMinutesOfInactivityBeforeLock
# as the "minutes of inactivity before a passcode is required" (the grace period after the screen locks: unset or 0,
# "Immediately") on iosCompliancePolicy
# (https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-ioscompliancepolicy) and
# iosGeneralDeviceConfiguration
# (https://learn.microsoft.com/graph/api/resources/intune-deviceconfig-iosgeneraldeviceconfiguration). Reading the
# grace period as the lock let "BeforeLock 0, no screen timeout" pass although the screen never locks.
# Android compliance policies say "...BeforeLock", device restriction profiles "...BeforeScreenTimeout".
INACTIVITY_LOCK = Threshold(
    fields={
        IOS_COMPLIANCE: (_IOS_SCREEN_TIMEOUT, _IOS_PASSCODE_GRACE),
        IOS_PROFILE: (_IOS_SCREEN_TIMEOUT, _IOS_PASSCODE_GRACE),
        **{kind: ("passwordMinutesOfInactivityBeforeLock",) for kind in ANDROID_TYPES & COMPLIANCE_TYPES},
        **{kind: ("passwordMinutesOfInactivityBeforeScreenTimeout",) for kind in ANDROID_TYPES & PROFILE_TYPES},
    },
    test=_between(0, 5),
    wanted="a lock after 5 minutes of inactivity or less (iOS: and the passcode asked immediately)",
    needs_password=True,
    field_tests={
        kind: {_IOS_SCREEN_TIMEOUT: _between(0, 5), _IOS_PASSCODE_GRACE: _zero_or_unset} for kind in _IOS_TYPES
    },
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
    test=is_true,
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
    test=is_true,
    wanted="jailbroken/rooted devices blocked",
    needs_password=False,
)


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
        **{kind: is_true for kind in _IOS_TYPES},
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
    test=is_true,
    wanted="a password required",
    needs_password=False,
    type_tests={kind: _non_default_type for kind in _PROFILES_WITHOUT_PASSWORD_REQUIRED},
)


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
    return intune_evidence(
        policy,
        f"{PLATFORM_LABEL.get(platform, platform)} {policy_type(policy)}: {seen} ({verdict}); "
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
    policies = mobile_policies(compliance_policies, configurations)
    coverages = [platform_coverage(policies, platform, threshold) for platform in platforms]
    evidence: list[Evidence] = []
    missing: list[str] = []
    failing: list[str] = []
    undetermined: list[str] = []
    for coverage in coverages:
        label = PLATFORM_LABEL.get(coverage.platform, coverage.platform)
        evidence += [_policy_evidence(p, meets, seen, coverage.platform) for p, meets, seen in coverage.judged]
        if coverage.covered:
            continue
        if coverage.undetermined:
            undetermined.append(label)
            evidence += [
                intune_evidence(p, f"{label}: meets {threshold.wanted} but its assignments were not read")
                for p in coverage.unknown_could_qualify
            ]
        elif coverage.assigned_count == 0:
            missing.append(label)
            evidence.append(
                Evidence(
                    EvidenceType.PLATFORM,
                    coverage.platform,
                    label,
                    f"no assigned policy of type {_kinds_text(threshold, coverage.platform)}",
                )
            )
        else:
            failing.append(label)
            evidence.append(
                Evidence(
                    EvidenceType.PLATFORM,
                    coverage.platform,
                    label,
                    f"{plural(coverage.assigned_count, 'policy')} assigned, none with {threshold.wanted}",
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
    covered = ", ".join(PLATFORM_LABEL.get(c.platform, c.platform) for c in coverages)
    count = sum(len(c.qualifying) for c in coverages)
    return compliant(
        f"Intune: every configured platform ({covered}) has an assigned policy with {threshold.wanted} "
        f"({plural(count, 'policy')} qualify)",
        evidence,
    )
