"""Section 7 unit tests' Intune policies, ActiveSync policy and helpers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from o365cis.config import ScanConfig
from o365cis.findings import Finding, NoDecision, Status
from o365cis.rules.mobile_devices import device_policies, mailbox_policy

ALL_USERS = [{"id": "a1", "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]


GROUP = [
    {
        "id": "a2",
        "target": {
            "@odata.type": "#microsoft.graph.groupAssignmentTarget",
            "groupId": "5d1e2a4b-0000-4000-8000-00000000c0de",
        },
    }
]


EXCLUDED_ONLY = [
    {
        "id": "a3",
        "target": {
            "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
            "groupId": "5d1e2a4b-0000-4000-8000-00000000dead",
        },
    }
]


# GET /beta/deviceManagement/deviceCompliancePolicies?$expand=assignments, trimmed: a golden tenant that meets
# every section-7 threshold on iOS and Android, plus a Windows policy for 7.11.
COMPLIANCE: list[dict[str, Any]] = [
    {
        "@odata.type": "#microsoft.graph.iosCompliancePolicy",
        "id": "ios-compliance",
        "displayName": "iOS baseline compliance",
        "passcodeRequired": True,
        "passcodeBlockSimple": True,
        "passcodeExpirationDays": None,
        "passcodeMinimumLength": 6,
        "passcodeMinutesOfInactivityBeforeLock": 5,
        "passcodeMinutesOfInactivityBeforeScreenTimeout": 5,
        "passcodePreviousPasscodeBlockCount": 5,
        "passcodeRequiredType": "alphanumeric",
        "securityBlockJailbrokenDevices": True,
        "managedEmailProfileRequired": True,
        "assignments": ALL_USERS,
    },
    {
        "@odata.type": "#microsoft.graph.androidWorkProfileCompliancePolicy",
        "id": "android-wp-compliance",
        "displayName": "Android work profile compliance",
        "passwordRequired": True,
        "passwordMinimumLength": 6,
        "passwordRequiredType": "alphanumeric",
        "passwordMinutesOfInactivityBeforeLock": 5,
        "passwordExpirationDays": None,
        "passwordPreviousPasswordBlockCount": 5,
        "securityBlockJailbrokenDevices": True,
        "storageRequireEncryption": True,
        "assignments": GROUP,
    },
    {
        "@odata.type": "#microsoft.graph.windows10CompliancePolicy",
        "id": "windows-compliance",
        "displayName": "Windows baseline",
        "activeFirewallRequired": True,
        "antivirusRequired": True,
        "defenderEnabled": False,
        "assignments": ALL_USERS,
    },
]


# GET /beta/deviceManagement/deviceConfigurations?$expand=assignments, trimmed.
CONFIGURATIONS: list[dict[str, Any]] = [
    {
        "@odata.type": "#microsoft.graph.iosGeneralDeviceConfiguration",
        "id": "ios-profile",
        "displayName": "iOS device restrictions",
        "passcodeRequired": True,
        "passcodeBlockSimple": True,
        "passcodeExpirationDays": None,
        "passcodeMinimumLength": 6,
        "passcodeMinutesOfInactivityBeforeLock": 0,
        "passcodeMinutesOfInactivityBeforeScreenTimeout": 2,
        "passcodePreviousPasscodeBlockCount": 5,
        "passcodeSignInFailureCountBeforeWipe": 10,
        "passcodeRequiredType": "alphanumeric",
        "assignments": ALL_USERS,
    },
    {
        "@odata.type": "#microsoft.graph.androidDeviceOwnerGeneralDeviceConfiguration",
        "id": "android-do-profile",
        "displayName": "Android fully managed restrictions",
        "passwordRequiredType": "alphanumeric",
        "passwordMinimumLength": 8,
        "passwordMinutesOfInactivityBeforeScreenTimeout": 5,
        "passwordPreviousPasswordCountToBlock": 8,
        "passwordSignInFailureCountBeforeFactoryReset": 10,
        "passwordExpirationDays": None,
        "assignments": GROUP,
    },
]


BOTH = ScanConfig()


IOS_ONLY = ScanConfig(mdm_platforms=("ios",))


NONE = ScanConfig(mdm_platforms=())


Tenant = tuple[list[dict[str, Any]], list[dict[str, Any]]]


Change = Callable[[dict[str, dict[str, Any]]], Any]


def tenant(change: Change | None = None) -> Tenant:
    """A deep copy of the golden policies; `change` gets them by id (and may delete ids to drop policies)."""
    compliance = copy.deepcopy(COMPLIANCE)
    configurations = copy.deepcopy(CONFIGURATIONS)
    by_id = {p["id"]: p for p in compliance + configurations}
    if change is not None:
        change(by_id)
    keep = set(by_id)
    return [p for p in compliance if p["id"] in keep], [p for p in configurations if p["id"] in keep]


def set_(policy_id: str, **values: Any) -> Change:
    return lambda by_id: by_id[policy_id].update(values)


def drop(*policy_ids: str) -> Change:
    def change(by_id: dict[str, dict[str, Any]]) -> None:
        for policy_id in policy_ids:
            del by_id[policy_id]

    return change


def both(*changes: Change) -> Change:
    def change(by_id: dict[str, dict[str, Any]]) -> None:
        for one in changes:
            one(by_id)

    return change


def status_of(decision: Finding | NoDecision) -> Status | None:
    return decision.status if isinstance(decision, Finding) else None


TwoLists = Callable[[Any, Any, ScanConfig], Finding | NoDecision]


COVERAGE_RULES: dict[str, TwoLists] = {
    "7.2": device_policies.password_reuse_prohibited,
    "7.3": device_policies.device_passwords_never_expire,
    "7.4": lambda c, p, cfg: device_policies.jailbroken_devices_blocked(c, cfg),
    "7.5": lambda c, p, cfg: device_policies.wipe_on_failed_sign_ins(p, cfg),
    "7.6": device_policies.minimum_password_length,
    "7.7": device_policies.inactivity_lock,
    "7.8": device_policies.encryption_required,
    "7.9": device_policies.alphanumeric_password_required,
    "7.10": device_policies.simple_passwords_blocked,
    "7.13": device_policies.password_required,
}


def decide(rule: str, change: Change | None = None, config: ScanConfig = BOTH) -> Finding | NoDecision:
    compliance, configurations = tenant(change)
    return COVERAGE_RULES[rule](compliance, configurations, config)


IOS_BOTH = ("ios-compliance", "ios-profile")


def ios(**values: Any) -> Change:
    return both(*(set_(pid, **values) for pid in IOS_BOTH))


# Get-MobileDeviceMailboxPolicy output (value[] of the admin API), trimmed.
MAILBOX_POLICIES: list[dict[str, Any]] = [
    {
        "Name": "Default",
        "Identity": "Default",
        "Guid": "8f1a7a35-3c39-4b63-8d4a-2a5c1f9e0d11",
        "IsDefault": True,
        "PasswordEnabled": True,
        "AlphanumericPasswordRequired": True,
        "AllowSimplePassword": False,
        "MinPasswordLength": 6,
        "PasswordHistory": 5,
        "PasswordExpiration": "Unlimited",
        "MaxPasswordFailedAttempts": "10",
        "MaxInactivityTimeLock": "00:05:00",
        "RequireDeviceEncryption": True,
    },
    {
        "Name": "Executives",
        "IsDefault": False,
        "PasswordEnabled": False,
        "AlphanumericPasswordRequired": False,
        "AllowSimplePassword": True,
        "MinPasswordLength": None,
        "PasswordHistory": 0,
        "PasswordExpiration": "30.00:00:00",
        "MaxPasswordFailedAttempts": "Unlimited",
        "MaxInactivityTimeLock": "Unlimited",
        "RequireDeviceEncryption": False,
    },
]


def eas(rule: str, **values: Any) -> Finding | NoDecision:
    policies = copy.deepcopy(MAILBOX_POLICIES)
    policies[0].update(values)
    return mailbox_policy.activesync_policy_meets(rule, policies)
