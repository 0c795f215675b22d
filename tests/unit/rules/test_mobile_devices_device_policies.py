"""Section 7 decisions over Intune (7.1-7.13)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from o365cis.config import ScanConfig
from o365cis.findings import NoDecision, Status
from o365cis.rules.mobile_devices import device_policies
from o365cis.rules.securescore import SecureScore
from tests.unit.rules.mobile_devices_cases import (
    ALL_USERS,
    BOTH,
    COMPLIANCE,
    COVERAGE_RULES,
    EXCLUDED_ONLY,
    GROUP,
    IOS_ONLY,
    NONE,
    Change,
    both,
    decide,
    drop,
    ios,
    set_,
    status_of,
    tenant,
)


def work_profile_profile(**values: Any) -> Change:
    """The Android profile as a work-profile device restriction profile (password type kept), with `values`."""
    return set_(
        "android-do-profile",
        **{"@odata.type": "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration"},
        passwordRequiredType="atLeastAlphanumeric",
        **values,
    )


def ios_compliance_only(**minutes: Any) -> Change:
    """Only the iOS compliance policy for iOS, with passcodeMinutesOfInactivity<key> set as given."""
    values = {f"passcodeMinutesOfInactivity{key}": value for key, value in minutes.items()}
    return both(set_("ios-compliance", **values), drop("ios-profile"))


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_golden_tenant_is_compliant(rule: str) -> None:
    decision = decide(rule)
    assert status_of(decision) is Status.COMPLIANT, decision.reason


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_a_platform_without_policies_fails_and_is_named(rule: str) -> None:
    decision = decide(rule, drop("android-wp-compliance", "android-do-profile"))
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "Android" in decision.reason
    assert any(e.type == "platform" and e.id == "android" for e in decision.evidence)


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_unassigned_or_exclusion_only_policies_do_not_count(rule: str) -> None:
    unassigned = both(set_("ios-compliance", assignments=[]), set_("ios-profile", assignments=EXCLUDED_ONLY))
    decision = decide(rule, unassigned)
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "iOS/iPadOS" in decision.reason


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_no_configured_platform_is_manual(rule: str) -> None:
    assert status_of(decide(rule, config=NONE)) is Status.MANUAL


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_only_configured_platforms_are_required(rule: str) -> None:
    decision = decide(rule, drop("android-wp-compliance", "android-do-profile"), config=IOS_ONLY)
    assert status_of(decision) is Status.COMPLIANT


@pytest.mark.parametrize("rule", sorted(COVERAGE_RULES))
def test_unread_assignments_never_make_a_platform_compliant(rule: str) -> None:
    decision = decide(rule, both(set_("ios-compliance", assignments=[]), set_("ios-profile", assignments=[])))
    assert status_of(decision) is Status.NON_COMPLIANT
    # the same policies, but $expand=assignments was not applied: their assignments are unknown
    unknown = both(lambda b: b["ios-compliance"].pop("assignments"), lambda b: b["ios-profile"].pop("assignments"))
    assert isinstance(decide(rule, unknown), NoDecision)


def test_no_intune_policy_at_all_fails_for_every_platform() -> None:
    decision = device_policies.minimum_password_length([], [], BOTH)
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "iOS/iPadOS" in decision.reason and "Android" in decision.reason


def test_every_assigned_policy_is_judged_not_only_the_first() -> None:
    decision = decide("7.6", set_("ios-compliance", passcodeMinimumLength=4))
    assert status_of(decision) is Status.COMPLIANT  # the iOS profile still qualifies
    details = {e.id: e.detail or "" for e in decision.evidence}
    assert "passcodeMinimumLength=4" in details["ios-compliance"] and "(does not meet)" in details["ios-compliance"]
    assert "passcodeMinimumLength=6" in details["ios-profile"] and "(meets)" in details["ios-profile"]
    assert "group 5d1e2a4b-0000-4000-8000-00000000c0de" in details["android-wp-compliance"]


def test_failing_platform_evidence_names_policy_field_and_value() -> None:
    decision = decide(
        "7.6", both(set_("ios-compliance", passcodeMinimumLength=4), set_("ios-profile", passcodeMinimumLength=5))
    )
    assert status_of(decision) is Status.NON_COMPLIANT
    assert "minimum password length of 6 or more" in decision.reason and "iOS/iPadOS" in decision.reason
    named = {e.name: e.detail or "" for e in decision.evidence}
    assert "passcodeMinimumLength=4" in named["iOS baseline compliance"]
    assert "passcodeMinimumLength=5" in named["iOS device restrictions"]
    assert "2 policies assigned" in named["iOS/iPadOS"]


def test_evidence_is_capped_with_a_count() -> None:
    many = [dict(COMPLIANCE[0], id=f"ios-{i}", displayName=f"iOS {i}") for i in range(60)]
    decision = device_policies.minimum_password_length(many, [], IOS_ONLY)
    assert status_of(decision) is Status.COMPLIANT
    assert len(decision.evidence) == 51
    assert decision.evidence[-1].detail == "10 more policies not listed (60 in all)"


def test_odata_type_without_hash_is_recognised() -> None:
    policy = dict(COMPLIANCE[0], **{"@odata.type": "microsoft.graph.iosCompliancePolicy"})
    assert status_of(device_policies.minimum_password_length([policy], [], IOS_ONLY)) is Status.COMPLIANT


@pytest.mark.parametrize(
    ("rule", "change", "expected"),
    [
        # 7.2 password reuse
        ("7.2", ios(passcodePreviousPasscodeBlockCount=4), Status.NON_COMPLIANT),
        ("7.2", ios(passcodePreviousPasscodeBlockCount=None), Status.NON_COMPLIANT),
        ("7.2", ios(passcodeRequired=False), Status.NON_COMPLIANT),  # a reuse count without a password is moot
        (
            "7.2",
            set_("android-do-profile", passwordPreviousPasswordCountToBlock=4),
            Status.COMPLIANT,
        ),  # compliance still
        (
            "7.2",
            both(set_("android-do-profile", passwordPreviousPasswordCountToBlock=4), drop("android-wp-compliance")),
            Status.NON_COMPLIANT,
        ),
        # the device-owner types spell the count passwordPreviousPasswordCountToBlock
        (
            "7.2",
            both(
                set_(
                    "android-do-profile",
                    passwordPreviousPasswordCountToBlock=None,
                    passwordPreviousPasswordBlockCount=8,
                ),
                drop("android-wp-compliance"),
            ),
            Status.NON_COMPLIANT,
        ),
        # 7.4 jailbreak: compliance policies only
        ("7.4", set_("ios-compliance", securityBlockJailbrokenDevices=False), Status.NON_COMPLIANT),
        ("7.4", drop("ios-compliance"), Status.NON_COMPLIANT),  # the iOS profile has no such switch
        ("7.4", set_("android-wp-compliance", securityBlockJailbrokenDevices=None), Status.NON_COMPLIANT),
        # 7.5 wipe: device restriction profiles only
        ("7.5", set_("ios-profile", passcodeSignInFailureCountBeforeWipe=11), Status.NON_COMPLIANT),
        ("7.5", set_("ios-profile", passcodeSignInFailureCountBeforeWipe=None), Status.NON_COMPLIANT),
        ("7.5", set_("android-do-profile", passwordSignInFailureCountBeforeFactoryReset=0), Status.NON_COMPLIANT),
        ("7.5", set_("android-do-profile", passwordSignInFailureCountBeforeFactoryReset=4), Status.COMPLIANT),
        ("7.5", set_("android-do-profile", passwordRequiredType="deviceDefault"), Status.NON_COMPLIANT),
        # 7.6 minimum length
        ("7.6", ios(passcodeMinimumLength=4), Status.NON_COMPLIANT),
        (
            "7.6",
            both(
                set_("android-wp-compliance", passwordMinimumLength=5),
                set_("android-do-profile", passwordMinimumLength=4),
            ),
            Status.NON_COMPLIANT,
        ),
        # 7.7 inactivity. iOS (both types): ...BeforeScreenTimeout is the lock (set, <= 5), ...BeforeLock the grace
        # period before the passcode is asked (unset or 0), both in one policy (issue 9 item 15).
        (
            "7.7",
            ios(passcodeMinutesOfInactivityBeforeLock=15, passcodeMinutesOfInactivityBeforeScreenTimeout=15),
            Status.NON_COMPLIANT,
        ),
        # crafted: the compliance policy alone, BeforeLock 0 and no screen timeout (was compliant)
        ("7.7", ios_compliance_only(BeforeLock=0, BeforeScreenTimeout=None), Status.NON_COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=0, BeforeScreenTimeout=5), Status.COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=None, BeforeScreenTimeout=5), Status.COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=5, BeforeScreenTimeout=5), Status.NON_COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=1, BeforeScreenTimeout=1), Status.NON_COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=0, BeforeScreenTimeout=6), Status.NON_COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock="0", BeforeScreenTimeout=5), Status.NON_COMPLIANT),
        ("7.7", ios_compliance_only(BeforeLock=0, BeforeScreenTimeout="5"), Status.NON_COMPLIANT),
        # the golden compliance policy (grace 5) does not qualify; the profile (2 / 0) does
        ("7.7", drop("ios-profile"), Status.NON_COMPLIANT),
        ("7.7", drop("ios-compliance"), Status.COMPLIANT),
        # the profile: the same two fields
        (
            "7.7",
            both(set_("ios-profile", passcodeMinutesOfInactivityBeforeScreenTimeout=15), drop("ios-compliance")),
            Status.NON_COMPLIANT,
        ),
        (
            "7.7",
            both(set_("ios-profile", passcodeMinutesOfInactivityBeforeLock=1), drop("ios-compliance")),
            Status.NON_COMPLIANT,
        ),
        (
            "7.7",
            both(set_("ios-profile", passcodeMinutesOfInactivityBeforeScreenTimeout=None), drop("ios-compliance")),
            Status.NON_COMPLIANT,
        ),
        # the two values in different policies do not add up
        (
            "7.7",
            both(
                set_(
                    "ios-compliance",
                    passcodeMinutesOfInactivityBeforeLock=0,
                    passcodeMinutesOfInactivityBeforeScreenTimeout=None,
                ),
                set_(
                    "ios-profile",
                    passcodeMinutesOfInactivityBeforeLock=5,
                    passcodeMinutesOfInactivityBeforeScreenTimeout=5,
                ),
            ),
            Status.NON_COMPLIANT,
        ),
        (
            "7.7",
            both(
                set_("android-wp-compliance", passwordMinutesOfInactivityBeforeLock=30),
                set_("android-do-profile", passwordMinutesOfInactivityBeforeScreenTimeout=6),
            ),
            Status.NON_COMPLIANT,
        ),
        # 7.8 encryption: iOS passcode, Android storage encryption
        ("7.8", set_("android-wp-compliance", storageRequireEncryption=False), Status.NON_COMPLIANT),
        ("7.8", ios(passcodeRequired=False), Status.NON_COMPLIANT),
        # 7.9 alphanumeric
        ("7.9", ios(passcodeRequiredType="numeric"), Status.NON_COMPLIANT),
        ("7.9", ios(passcodeRequiredType="deviceDefault"), Status.NON_COMPLIANT),
        (
            "7.9",
            both(
                set_("android-wp-compliance", passwordRequiredType="numericComplex"),
                set_("android-do-profile", passwordRequiredType="numeric"),
            ),
            Status.NON_COMPLIANT,
        ),
        ("7.9", set_("android-wp-compliance", passwordRequiredType="alphanumericWithSymbols"), Status.COMPLIANT),
        # 7.10 simple passwords
        ("7.10", ios(passcodeBlockSimple=False), Status.NON_COMPLIANT),
        (
            "7.10",
            both(
                set_("android-wp-compliance", passwordRequiredType="numeric"),
                set_("android-do-profile", passwordRequiredType="any"),
            ),
            Status.NON_COMPLIANT,
        ),
        (
            "7.10",
            both(
                set_("android-wp-compliance", passwordRequiredType="numeric"),
                set_("android-do-profile", passwordRequiredType="numericComplex"),
            ),
            Status.COMPLIANT,
        ),
        # 7.13 password required
        ("7.13", ios(passcodeRequired=False), Status.NON_COMPLIANT),
        ("7.13", ios(passcodeRequired=None), Status.NON_COMPLIANT),
        (
            "7.13",
            both(
                set_("android-wp-compliance", passwordRequired=False),
                set_("android-do-profile", passwordRequiredType="deviceDefault"),
            ),
            Status.NON_COMPLIANT,
        ),
        # device-owner profile: no passwordRequired; a non-default passwordRequiredType stands in for it
        (
            "7.13",
            both(
                set_("android-wp-compliance", passwordRequired=False),
                set_("android-do-profile", passwordRequiredType="required"),
            ),
            Status.COMPLIANT,
        ),
    ],
)
def test_thresholds(rule: str, change: Change, expected: Status) -> None:
    decision = decide(rule, change)
    assert status_of(decision) is expected, decision.reason


def test_device_owner_compliance_counts_basic_integrity_for_rooted_devices() -> None:
    device_owner = {
        "@odata.type": "#microsoft.graph.androidDeviceOwnerCompliancePolicy",
        "id": "android-do-compliance",
        "displayName": "Fully managed compliance",
        "securityRequireSafetyNetAttestationBasicIntegrity": True,
        "assignments": GROUP,
    }
    compliance = [COMPLIANCE[0], device_owner]
    assert status_of(device_policies.jailbroken_devices_blocked(compliance, BOTH)) is Status.COMPLIANT
    failing = [COMPLIANCE[0], dict(device_owner, securityRequireSafetyNetAttestationBasicIntegrity=False)]
    assert status_of(device_policies.jailbroken_devices_blocked(failing, BOTH)) is Status.NON_COMPLIANT


def test_work_profile_profile_spells_password_types_at_least() -> None:
    work_profile = {
        "@odata.type": "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration",
        "id": "wp-profile",
        "displayName": "Work profile restrictions",
        "passwordRequiredType": "atLeastAlphanumeric",
        "assignments": GROUP,
    }
    assert (
        status_of(
            device_policies.alphanumeric_password_required([], [work_profile], ScanConfig(mdm_platforms=("android",)))
        )
        is Status.COMPLIANT
    )
    assert (
        status_of(device_policies.simple_passwords_blocked([], [work_profile], ScanConfig(mdm_platforms=("android",))))
        is Status.COMPLIANT
    )
    wrong = dict(work_profile, passwordRequiredType="alphanumeric")  # the standard spelling is not this type's
    assert (
        status_of(device_policies.alphanumeric_password_required([], [wrong], ScanConfig(mdm_platforms=("android",))))
        is Status.NON_COMPLIANT
    )


def test_android_general_profile_storage_encryption_counts() -> None:
    profile = {
        "@odata.type": "#microsoft.graph.androidGeneralDeviceConfiguration",
        "id": "android-admin-profile",
        "displayName": "Android device administrator restrictions",
        "passwordRequired": True,
        "storageRequireDeviceEncryption": True,
        "assignments": ALL_USERS,
    }
    android = ScanConfig(mdm_platforms=("android",))
    assert status_of(device_policies.encryption_required([], [profile], android)) is Status.COMPLIANT
    assert (
        status_of(
            device_policies.encryption_required([], [dict(profile, storageRequireDeviceEncryption=False)], android)
        )
        is Status.NON_COMPLIANT
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (None, Status.COMPLIANT),
        (set_("ios-compliance", passcodeExpirationDays=90), Status.NON_COMPLIANT),
        (set_("android-do-profile", passwordExpirationDays=30), Status.NON_COMPLIANT),
        (set_("android-wp-compliance", passwordExpirationDays=0), Status.COMPLIANT),
        # the work-profile password's own expiry (issue 9 item 16): was compliant
        (set_("android-wp-compliance", workProfilePasswordExpirationInDays=90), Status.NON_COMPLIANT),
        (set_("android-wp-compliance", workProfilePasswordExpirationInDays=0), Status.COMPLIANT),
        (set_("android-wp-compliance", workProfilePasswordExpirationInDays=None), Status.COMPLIANT),
        # the profile spells it workProfilePasswordExpirationDays
        (work_profile_profile(workProfilePasswordExpirationDays=30), Status.NON_COMPLIANT),
        (work_profile_profile(workProfilePasswordExpirationDays=None), Status.COMPLIANT),
        # each type's own spelling only: the compliance policy's name on the profile is not a setting of it
        (work_profile_profile(workProfilePasswordExpirationInDays=30), Status.COMPLIANT),
        (set_("android-wp-compliance", workProfilePasswordExpirationDays=30), Status.COMPLIANT),
        # an expiry on a policy assigned to nobody applies to nobody
        (both(set_("ios-compliance", passcodeExpirationDays=90, assignments=[])), Status.COMPLIANT),
        # an expiry on a policy whose assignments were not read may apply: no decision
        (
            both(set_("ios-compliance", passcodeExpirationDays=90), lambda b: b["ios-compliance"].pop("assignments")),
            None,
        ),
        # no expiry anywhere, but Android has no policy requiring a password: MDM not in place
        (
            both(
                set_("android-wp-compliance", passwordRequired=False),
                set_("android-do-profile", passwordRequiredType="deviceDefault"),
            ),
            Status.NON_COMPLIANT,
        ),
    ],
)
def test_device_passwords_never_expire(change: Change | None, expected: Status | None) -> None:
    decision = decide("7.3", change)
    assert status_of(decision) == expected, decision.reason


def test_expiry_offender_is_named_with_its_value() -> None:
    decision = decide("7.3", set_("ios-profile", passcodeExpirationDays=45))
    assert status_of(decision) is Status.NON_COMPLIANT
    [item] = decision.evidence
    assert item.id == "ios-profile" and "passcodeExpirationDays=45" in (item.detail or "")


def test_expiry_prohibition_holds_even_without_configured_platforms() -> None:
    compliance, configurations = tenant(set_("ios-compliance", passcodeExpirationDays=90))
    assert (
        status_of(device_policies.device_passwords_never_expire(compliance, configurations, NONE))
        is Status.NON_COMPLIANT
    )
    assert status_of(device_policies.device_passwords_never_expire(*tenant(), NONE)) is Status.MANUAL


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, Status.COMPLIANT),
        ({"antivirusRequired": False, "defenderEnabled": True}, Status.COMPLIANT),
        ({"antivirusRequired": False}, Status.NON_COMPLIANT),
        ({"activeFirewallRequired": False}, Status.NON_COMPLIANT),
        ({"activeFirewallRequired": None}, Status.NON_COMPLIANT),
        ({"assignments": []}, Status.NON_COMPLIANT),
    ],
)
def test_windows_firewall_and_antivirus(values: dict[str, Any], expected: Status) -> None:
    compliance = copy.deepcopy(COMPLIANCE)
    compliance[2].update(values)
    assert status_of(device_policies.windows_firewall_and_antivirus_required(compliance)) is expected


def test_windows_without_any_policy_names_the_platform() -> None:
    decision = device_policies.windows_firewall_and_antivirus_required(COMPLIANCE[:2])
    assert status_of(decision) is Status.NON_COMPLIANT
    assert decision.evidence[0].id == "windows"


def test_windows_unread_assignments_are_no_decision() -> None:
    policy = {k: v for k, v in COMPLIANCE[2].items() if k != "assignments"}
    assert isinstance(device_policies.windows_firewall_and_antivirus_required([policy]), NoDecision)


def test_windows_ignores_mdm_platforms() -> None:
    # mdm_platforms does not apply to 7.11: the function takes no config at all
    decision = device_policies.windows_firewall_and_antivirus_required(COMPLIANCE)
    assert status_of(decision) is Status.COMPLIANT
    assert [e.id for e in decision.evidence] == ["windows-compliance"]


def test_managed_email_profile_required() -> None:
    decision = device_policies.managed_email_profile_required(COMPLIANCE, BOTH)
    assert status_of(decision) is Status.COMPLIANT
    assert any(e.id == "android" and "not evaluated" in (e.detail or "") for e in decision.evidence)
    failing = copy.deepcopy(COMPLIANCE)
    failing[0]["managedEmailProfileRequired"] = False
    assert status_of(device_policies.managed_email_profile_required(failing, BOTH)) is Status.NON_COMPLIANT
    assert status_of(device_policies.managed_email_profile_required([], BOTH)) is Status.NON_COMPLIANT


def test_managed_email_profile_not_applicable_without_ios() -> None:
    decision = device_policies.managed_email_profile_required(COMPLIANCE, ScanConfig(mdm_platforms=("android",)))
    assert status_of(decision) is Status.NOT_APPLICABLE


def test_mdm_review_is_manual_with_policies_and_secure_by_default() -> None:
    finding = device_policies.mdm_policies_review(COMPLIANCE, {"id": "dm", "settings": {"secureByDefault": True}}, BOTH)
    assert finding.status is Status.MANUAL
    assert "Intune admin center > Devices > Compliance" in finding.reason
    assert "iOS/iPadOS 1 assigned of 1" in finding.reason and "Android 1 assigned of 1" in finding.reason
    assert "secureByDefault is true" in finding.reason
    ids = [e.id for e in finding.evidence]
    assert "ios-compliance" in ids and "android-wp-compliance" in ids and "windows-compliance" not in ids


def test_mdm_review_marks_platforms_without_assigned_policy() -> None:
    unassigned = copy.deepcopy(COMPLIANCE)
    unassigned[1]["assignments"] = []
    finding = device_policies.mdm_policies_review(unassigned, {"settings": {"secureByDefault": False}}, BOTH)
    assert finding.status is Status.MANUAL
    assert any(e.type == "platform" and e.id == "android" for e in finding.evidence)
    assert "marked compliant" in finding.reason


def test_mdm_review_with_unread_sources_names_the_permission() -> None:
    finding = device_policies.mdm_policies_review(
        None,
        None,
        BOTH,
        failures={"compliance_policies": "400 Request not applicable to target tenant"},
    )
    assert finding.status is Status.MANUAL
    assert "DeviceManagementConfiguration.Read.All" in finding.reason
    assert "Request not applicable to target tenant" in finding.reason
    assert "SecurityEvents.Read.All" in finding.reason


def test_mdm_review_shows_legacy_secure_score_controls() -> None:
    score = SecureScore(
        [{"createdDateTime": "2024-05-01T00:00:00Z", "controlScores": [{"controlName": "MDMEnabled", "score": 1.0}]}],
        [{"id": "MDMEnabled", "maxScore": 1.0, "title": "Enable MDM"}],
    )
    finding = device_policies.mdm_policies_review(COMPLIANCE, {"settings": {"secureByDefault": True}}, BOTH, score)
    assert finding.status is Status.MANUAL
    assert any(e.type == "secureScoreControl" and e.id == "MDMEnabled" for e in finding.evidence)
