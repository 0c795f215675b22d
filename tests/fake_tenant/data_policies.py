"""Policies and settings: Conditional Access, security defaults, authorization, consent, B2B, SharePoint,
Microsoft 365 apps, Forms and directory settings. Shapes follow the v1.0 (or beta where noted) resources
on learn.microsoft.com/graph/api/resources.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from .data_common import GROUP_UNIFIED_TEMPLATE, PASSWORD_RULE_TEMPLATE, IdSource, iso


def _session(sign_in_every_time: bool) -> dict[str, Any] | None:
    if not sign_in_every_time:
        return None
    return {
        "disableResilienceDefaults": None,
        "applicationEnforcedRestrictions": None,
        "cloudAppSecurity": None,
        "persistentBrowser": None,
        "continuousAccessEvaluation": None,
        "secureSignInSession": None,
        "signInFrequency": {
            "value": None,
            "type": None,
            "authenticationType": "primaryAndSecondaryAuthentication",
            "frequencyInterval": "everyTime",
            "isEnabled": True,
        },
    }


def ca_policy(
    ids: IdSource,
    name: str,
    *,
    created: dt.datetime,
    state: str = "enabled",
    include_users: Sequence[str] = ("All",),
    exclude_users: Sequence[str] = (),
    include_groups: Sequence[str] = (),
    exclude_groups: Sequence[str] = (),
    include_roles: Sequence[str] = (),
    exclude_roles: Sequence[str] = (),
    exclude_guests: dict[str, Any] | None = None,
    include_applications: Sequence[str] = ("All",),
    exclude_applications: Sequence[str] = (),
    client_app_types: Sequence[str] = ("all",),
    user_risk_levels: Sequence[str] = (),
    sign_in_risk_levels: Sequence[str] = (),
    platforms: dict[str, Any] | None = None,
    locations: dict[str, Any] | None = None,
    operator: str = "OR",
    built_in_controls: Sequence[str] = ("mfa",),
    sign_in_every_time: bool = False,
) -> dict[str, Any]:
    """A conditionalAccessPolicy with every v1.0 property present (empty where unused)."""
    return {
        "id": ids.guid(),
        "templateId": None,
        "displayName": name,
        "createdDateTime": iso(created),
        "modifiedDateTime": iso(created + dt.timedelta(days=3)),
        "state": state,
        "conditions": {
            "userRiskLevels": list(user_risk_levels),
            "signInRiskLevels": list(sign_in_risk_levels),
            "clientAppTypes": list(client_app_types),
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": platforms,
            "locations": locations,
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": None,
            "applications": {
                "includeApplications": list(include_applications),
                "excludeApplications": list(exclude_applications),
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
            },
            "users": {
                "includeUsers": list(include_users),
                "excludeUsers": list(exclude_users),
                "includeGroups": list(include_groups),
                "excludeGroups": list(exclude_groups),
                "includeRoles": list(include_roles),
                "excludeRoles": list(exclude_roles),
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": exclude_guests,
            },
        },
        "grantControls": {
            "operator": operator,
            "builtInControls": list(built_in_controls),
            "customAuthenticationFactors": [],
            "termsOfUse": [],
            "authenticationStrength": None,
        },
        "sessionControls": _session(sign_in_every_time),
    }


def security_defaults(enabled: bool) -> dict[str, Any]:
    """identitySecurityDefaultsEnforcementPolicy (singleton)."""
    return {
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft.",
        "isEnabled": enabled,
    }


def authorization_policy(*, allowed_to_create_apps: bool, grant_policies: Sequence[str]) -> dict[str, Any]:
    """authorizationPolicy (v1.0 singleton)."""
    return {
        "id": "authorizationPolicy",
        "allowInvitesFrom": "adminsAndGuestInviters",
        "allowedToSignUpEmailBasedSubscriptions": False,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": False,
        "allowUserConsentForRiskyApps": False,
        "blockMsolPowerShell": True,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": allowed_to_create_apps,
            "allowedToCreateSecurityGroups": False,
            "allowedToCreateTenants": False,
            "allowedToReadBitlockerKeysForOwnedDevice": True,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": list(grant_policies),
        },
    }


#: Team- and chat-scoped consent that v1.3 ignores ("ManagePermissionGrantsForOwnedResource.").
OWNED_RESOURCE_GRANTS = (
    "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
    "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat",
)


def admin_consent_request_policy(*, enabled: bool, reviewer_ids: Sequence[str]) -> dict[str, Any]:
    """adminConsentRequestPolicy (singleton)."""
    return {
        "id": "",
        "isEnabled": enabled,
        "notifyReviewers": True,
        "remindersEnabled": True,
        "requestDurationInDays": 30,
        "version": 2,
        "reviewers": [
            {"query": f"/users/{user_id}", "queryType": "MicrosoftGraph", "queryRoot": None} for user_id in reviewer_ids
        ],
    }


def b2b_management_policies(
    ids: IdSource, *, allowed: Sequence[str] | None, blocked: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Beta /policies/b2bManagementPolicies: `definition` holds the policy as JSON strings."""
    domains_policy: dict[str, Any] = {}
    if allowed is not None:
        domains_policy["AllowedDomains"] = list(allowed)
    if blocked is not None:
        domains_policy["BlockedDomains"] = list(blocked)
    policy: dict[str, Any] = {
        "B2BManagementPolicy": {
            "PreviewPolicy": {"Features": ["OneTimePasscode"]},
            "AutoRedeemPolicy": {"AdminConsentedForUsersIntoTenantIds": [], "NoAADConsentForUsersFromTenantsIds": []},
        }
    }
    if domains_policy:
        policy["B2BManagementPolicy"]["InvitationsAllowedAndBlockedDomainsPolicy"] = domains_policy
    return [
        {
            "id": ids.guid(),
            "deletedDateTime": None,
            "definition": [json.dumps(policy, separators=(",", ":"))],
            "displayName": "B2BManagementPolicy",
            "isOrganizationDefault": True,
            "type": "B2BManagementPolicy",
        }
    ]


def sharepoint_settings(ids: IdSource, *, allowed_sharing_domains: Sequence[str], **overrides: Any) -> dict[str, Any]:
    """sharepointSettings (v1.0 singleton, no value wrapper)."""
    settings: dict[str, Any] = {
        "allowedDomainGuidsForSyncApp": [ids.guid()],
        "availableManagedPathsForSiteCreation": ["/sites/", "/teams/"],
        "deletedUserPersonalSiteRetentionPeriodInDays": 30,
        "excludedFileExtensionsForSyncApp": [".exe", ".pst"],
        "idleSessionSignOut": {"isEnabled": True, "warnAfterInSeconds": 3300, "signOutAfterInSeconds": 3600},
        "imageTaggingOption": "basic",
        "isCommentingOnSitePagesEnabled": True,
        "isFileActivityNotificationEnabled": True,
        "isLegacyAuthProtocolsEnabled": False,
        "isLoopEnabled": True,
        "isMacSyncAppEnabled": False,
        "isRequireAcceptingUserToMatchInvitedUserEnabled": True,
        "isResharingByExternalUsersEnabled": False,
        "isSharePointMobileNotificationEnabled": True,
        "isSharePointNewsfeedEnabled": False,
        "isSiteCreationEnabled": False,
        "isSiteCreationUIEnabled": False,
        "isSitePagesCreationEnabled": True,
        "isSitesStorageLimitAutomatic": True,
        "isSyncButtonHiddenOnPersonalSite": False,
        "isUnmanagedSyncAppForTenantRestricted": True,
        "personalSiteDefaultStorageLimitInMB": 1048576,
        "sharingAllowedDomainList": list(allowed_sharing_domains),
        "sharingBlockedDomainList": [],
        "sharingCapability": "externalUserAndGuestSharing",
        "sharingDomainRestrictionMode": "allowList",
        "siteCreationDefaultManagedPath": "/sites/",
        "siteCreationDefaultStorageLimitInMB": 26214400,
        "tenantDefaultTimezone": "(UTC) Dublin, Edinburgh, Lisbon, London",
    }
    settings.update(overrides)
    return settings


def apps_and_services(*, office_store: bool, trials: bool) -> dict[str, Any]:
    """Beta /admin/appsAndServices."""
    return {"settings": {"isAppAndServicesTrialEnabled": trials, "isOfficeStoreEnabled": office_store}}


def forms_settings(*, phishing_scan: bool) -> dict[str, Any]:
    """Beta /admin/forms."""
    return {
        "settings": {
            "isBingImageSearchEnabled": True,
            "isExternalSendFormEnabled": False,
            "isExternalShareCollaborationEnabled": False,
            "isExternalShareResultEnabled": False,
            "isExternalShareTemplateEnabled": False,
            "isInOrgFormsPhishingScanEnabled": phishing_scan,
            "isRecordIdentityByDefaultEnabled": True,
        }
    }


def group_settings(ids: IdSource, *, on_premises_check: str | None, mode: str | None) -> list[dict[str, Any]]:
    """/groupSettings: password protection (when configured) and the Microsoft 365 groups settings."""
    result: list[dict[str, Any]] = []
    if on_premises_check is not None or mode is not None:
        values = [
            {"name": "EnableBannedPasswordCheck", "value": "True"},
            {"name": "BannedPasswordList", "value": "contoso\tpassword\twelcome\tsummer2024"},
            {"name": "LockoutDurationInSeconds", "value": "60"},
            {"name": "LockoutThreshold", "value": "10"},
        ]
        if on_premises_check is not None:
            values.append({"name": "EnableBannedPasswordCheckOnPremises", "value": on_premises_check})
        if mode is not None:
            values.append({"name": "BannedPasswordCheckOnPremisesMode", "value": mode})
        result.append(
            {
                "id": ids.guid(),
                "displayName": "Password Rule Settings",
                "templateId": PASSWORD_RULE_TEMPLATE,
                "values": values,
            }
        )
    result.append(
        {
            "id": ids.guid(),
            "displayName": "Group.Unified",
            "templateId": GROUP_UNIFIED_TEMPLATE,
            "values": [
                {"name": "EnableMIPLabels", "value": "True"},
                {"name": "EnableGroupCreation", "value": "False"},
                {"name": "AllowGuestsToBeGroupOwner", "value": "False"},
                {"name": "AllowGuestsToAccessGroups", "value": "True"},
                {"name": "UsageGuidelinesUrl", "value": ""},
                {"name": "GroupCreationAllowedGroupId", "value": ""},
            ],
        }
    )
    return result
