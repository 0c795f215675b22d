"""Intune: beta deviceCompliancePolicies and deviceConfigurations (assignments stored inline) and the
v1.0 deviceManagement singleton. Property names follow the beta resource pages of each @odata.type
(iosCompliancePolicy, androidWorkProfileCompliancePolicy, androidDeviceOwnerCompliancePolicy,
windows10CompliancePolicy, iosGeneralDeviceConfiguration, androidWorkProfileGeneralDeviceConfiguration,
androidDeviceOwnerGeneralDeviceConfiguration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .data_common import IdSource, iso


def _assignments(policy_id: str, group_id: str | None, *, intent: bool) -> list[dict[str, Any]]:
    if group_id is None:
        return []
    assignment: dict[str, Any] = {
        "id": f"{policy_id}_{group_id}",
        "source": "direct",
        "sourceId": policy_id,
        "target": {
            "@odata.type": "#microsoft.graph.groupAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
            "groupId": group_id,
        },
    }
    if intent:
        assignment["intent"] = "apply"
    return [assignment]


def _base(ids: IdSource, odata_type: str, name: str, now: dt.datetime, description: str) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.{odata_type}",
        "id": ids.guid(),
        "createdDateTime": iso(now - dt.timedelta(days=ids.rng.randint(100, 700))),
        "lastModifiedDateTime": iso(now - dt.timedelta(days=ids.rng.randint(5, 90))),
        "displayName": name,
        "description": description,
        "version": ids.rng.randint(1, 9),
        "roleScopeTagIds": ["0"],
    }


def compliance_policies(
    ids: IdSource,
    now: dt.datetime,
    groups: Mapping[str, str],
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Assigned iOS, Android (work profile and fully managed) and Windows compliance policies, plus an
    unassigned macOS draft. `overrides` maps a policy's @odata.type suffix to property changes."""
    overrides = overrides or {}
    ios = _base(ids, "iosCompliancePolicy", "iOS - Baseline compliance", now, "Minimum bar for iPhone and iPad")
    ios.update(
        {
            "passcodeBlockSimple": True,
            "passcodeExpirationDays": None,
            "passcodeMinimumLength": 6,
            "passcodeMinutesOfInactivityBeforeLock": 5,
            "passcodeMinutesOfInactivityBeforeScreenTimeout": 5,
            "passcodePreviousPasscodeBlockCount": 5,
            "passcodeMinimumCharacterSetCount": None,
            "passcodeRequiredType": "alphanumeric",
            "passcodeRequired": True,
            "osMinimumVersion": "16.0",
            "osMaximumVersion": None,
            "osMinimumBuildVersion": None,
            "securityBlockJailbrokenDevices": True,
            "deviceThreatProtectionEnabled": False,
            "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
            "advancedThreatProtectionRequiredSecurityLevel": "unavailable",
            "managedEmailProfileRequired": True,
            "restrictedApps": [],
        }
    )
    ios["assignments"] = _assignments(ios["id"], groups.get("SG-Intune-iOS-Users"), intent=False)

    work = _base(
        ids,
        "androidWorkProfileCompliancePolicy",
        "Android work profile - Baseline compliance",
        now,
        "Personally owned Android devices with a work profile",
    )
    work.update(
        {
            "passwordRequired": True,
            "passwordMinimumLength": 6,
            "passwordRequiredType": "alphanumeric",
            "passwordMinutesOfInactivityBeforeLock": 5,
            "passwordExpirationDays": None,
            # The work-profile password's own expiry (7.3 reads it): never expires.
            "workProfilePasswordExpirationInDays": None,
            "passwordPreviousPasswordBlockCount": 5,
            "passwordSignInFailureCountBeforeFactoryReset": 10,
            "securityPreventInstallAppsFromUnknownSources": True,
            "securityDisableUsbDebugging": True,
            "securityRequireVerifyApps": True,
            "deviceThreatProtectionEnabled": False,
            "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
            "securityBlockJailbrokenDevices": True,
            "osMinimumVersion": "11.0",
            "osMaximumVersion": None,
            "minAndroidSecurityPatchLevel": "2024-01-01",
            "storageRequireEncryption": True,
            "securityRequireSafetyNetAttestationBasicIntegrity": True,
            "securityRequireSafetyNetAttestationCertifiedDevice": True,
            "securityRequireGooglePlayServices": True,
            "securityRequireUpToDateSecurityProviders": True,
            "securityRequireCompanyPortalAppIntegrity": True,
        }
    )
    work["assignments"] = _assignments(work["id"], groups.get("SG-Intune-Android-Users"), intent=False)

    owner = _base(
        ids,
        "androidDeviceOwnerCompliancePolicy",
        "Android corporate-owned - Baseline compliance",
        now,
        "Fully managed and dedicated Android devices",
    )
    owner.update(
        {
            "passwordRequired": True,
            "passwordMinimumLength": 6,
            "passwordRequiredType": "alphanumeric",
            "passwordMinutesOfInactivityBeforeLock": 5,
            "passwordExpirationDays": None,
            "passwordPreviousPasswordCountToBlock": 5,
            "storageRequireEncryption": True,
            "securityRequireSafetyNetAttestationBasicIntegrity": True,
            "securityRequireSafetyNetAttestationCertifiedDevice": True,
            "securityRequireIntuneAppIntegrity": True,
            "deviceThreatProtectionEnabled": False,
            "osMinimumVersion": "12.0",
            "minAndroidSecurityPatchLevel": "2024-01-01",
        }
    )
    owner["assignments"] = _assignments(owner["id"], groups.get("SG-Intune-Android-Users"), intent=False)

    windows = _base(
        ids, "windows10CompliancePolicy", "Windows 10/11 - Baseline compliance", now, "Corporate Windows devices"
    )
    windows.update(
        {
            "passwordRequired": True,
            "passwordBlockSimple": True,
            "passwordMinimumLength": 8,
            "passwordRequiredType": "alphanumeric",
            "passwordExpirationDays": None,
            "requireHealthyDeviceReport": True,
            "osMinimumVersion": "10.0.19045",
            "earlyLaunchAntiMalwareDriverEnabled": True,
            "bitLockerEnabled": True,
            "secureBootEnabled": True,
            "codeIntegrityEnabled": True,
            "storageRequireEncryption": True,
            "activeFirewallRequired": True,
            "defenderEnabled": True,
            "rtpEnabled": True,
            "antivirusRequired": True,
            "antiSpywareRequired": True,
            "tpmRequired": True,
            "deviceThreatProtectionEnabled": True,
            "deviceThreatProtectionRequiredSecurityLevel": "medium",
        }
    )
    windows["assignments"] = _assignments(windows["id"], groups.get("SG-Intune-Windows-Devices"), intent=False)

    mac = _base(ids, "macOSCompliancePolicy", "macOS - Draft", now, "Not yet assigned")
    mac.update(
        {
            "passwordRequired": True,
            "passwordMinimumLength": 8,
            "systemIntegrityProtectionEnabled": True,
            "storageRequireEncryption": True,
            "firewallEnabled": True,
            "assignments": [],
        }
    )

    policies = [ios, work, owner, windows, mac]
    _apply_overrides(policies, overrides)
    return policies


def device_configurations(
    ids: IdSource,
    now: dt.datetime,
    groups: Mapping[str, str],
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Assigned iOS and Android device restriction profiles (plus a Windows one)."""
    overrides = overrides or {}
    ios = _base(ids, "iosGeneralDeviceConfiguration", "iOS - Device restrictions", now, "Passcode and wipe settings")
    ios.update(
        {
            "passcodeRequired": True,
            "passcodeBlockSimple": True,
            "passcodeMinimumLength": 6,
            "passcodeRequiredType": "alphanumeric",
            "passcodeMinimumCharacterSetCount": None,
            "passcodePreviousPasscodeBlockCount": 5,
            "passcodeExpirationDays": None,
            "passcodeMinutesOfInactivityBeforeScreenTimeout": 5,
            "passcodeMinutesOfInactivityBeforeLock": 0,
            "passcodeSignInFailureCountBeforeWipe": 10,
            "passcodeBlockFingerprintUnlock": False,
            "passcodeBlockModification": False,
            "appStoreBlockAutomaticDownloads": False,
            "cameraBlocked": False,
        }
    )
    ios["assignments"] = _assignments(ios["id"], groups.get("SG-Intune-iOS-Users"), intent=True)

    work = _base(
        ids,
        "androidWorkProfileGeneralDeviceConfiguration",
        "Android work profile - Device restrictions",
        now,
        "Device password settings for personally owned Android devices",
    )
    work.update(
        {
            "passwordBlockFingerprintUnlock": False,
            "passwordBlockTrustAgents": False,
            "passwordExpirationDays": None,
            "passwordMinimumLength": 6,
            "passwordMinutesOfInactivityBeforeScreenTimeout": 5,
            "passwordPreviousPasswordBlockCount": 5,
            "passwordSignInFailureCountBeforeFactoryReset": 10,
            "passwordRequiredType": "atLeastAlphanumeric",
            "workProfilePasswordRequiredType": "atLeastAlphanumeric",
            "workProfilePasswordMinimumLength": 6,
            "workProfilePasswordExpirationDays": None,
            "workProfileBlockNotificationsWhileDeviceLocked": True,
        }
    )
    work["assignments"] = _assignments(work["id"], groups.get("SG-Intune-Android-Users"), intent=True)

    owner = _base(
        ids,
        "androidDeviceOwnerGeneralDeviceConfiguration",
        "Android corporate-owned - Device restrictions",
        now,
        "Fully managed Android devices",
    )
    owner.update(
        {
            "passwordRequiredType": "alphanumeric",
            "passwordMinimumLength": 6,
            "passwordMinutesOfInactivityBeforeScreenTimeout": 5,
            "passwordPreviousPasswordCountToBlock": 5,
            "passwordExpirationDays": None,
            "passwordSignInFailureCountBeforeFactoryReset": 10,
            "passwordBlockKeyguard": False,
            "factoryResetBlocked": True,
            "usbFileTransferBlocked": True,
        }
    )
    owner["assignments"] = _assignments(owner["id"], groups.get("SG-Intune-Android-Users"), intent=True)

    windows = _base(ids, "windows10GeneralConfiguration", "Windows - Device restrictions", now, "Corporate Windows")
    windows.update(
        {
            "passwordRequired": True,
            "passwordMinimumLength": 8,
            "defenderRequireRealTimeMonitoring": True,
            "smartScreenEnableAppInstallControl": True,
        }
    )
    windows["assignments"] = _assignments(windows["id"], groups.get("SG-Intune-Windows-Devices"), intent=True)

    profiles = [ios, work, owner, windows]
    _apply_overrides(profiles, overrides)
    return profiles


def _apply_overrides(items: list[dict[str, Any]], overrides: Mapping[str, Mapping[str, Any]]) -> None:
    for item in items:
        kind = item["@odata.type"].rsplit(".", 1)[-1]
        item.update(overrides.get(kind, {}))


def device_management(ids: IdSource, *, secure_by_default: bool, brand: str) -> dict[str, Any]:
    """v1.0 /deviceManagement (singleton)."""
    return {
        "id": ids.guid(),
        "intuneAccountId": ids.guid(),
        "subscriptionState": "active",
        "settings": {
            "deviceComplianceCheckinThresholdDays": 30,
            "isScheduledActionEnabled": True,
            "secureByDefault": secure_by_default,
        },
        "intuneBrand": {
            "displayName": brand,
            "contactITName": "IT Service Desk",
            "contactITPhoneNumber": "+44 20 7946 0100",
            "contactITEmailAddress": None,
            "contactITNotes": None,
            "privacyUrl": None,
            "onlineSupportSiteUrl": None,
            "onlineSupportSiteName": None,
            "showLogo": False,
            "showDisplayNameNextToLogo": True,
        },
    }
