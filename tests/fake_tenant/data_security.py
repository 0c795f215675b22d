"""Secure Score (latest snapshot and control profiles), alerts_v2 and Identity Protection risk detections.

Shapes: https://learn.microsoft.com/graph/api/resources/securescore, .../securescorecontrolprofile,
.../security-alert, .../riskdetection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .data_common import IdSource, iso, iso_ms

#: controlName -> (category, service, max score, title). Every controlName the catalogue lists, plus a few
#: controls it does not use (real snapshots carry many more than any one benchmark reads).
CONTROLS: dict[str, tuple[str, str, float, str]] = {
    "AdminMFAV2": ("Identity", "AzureAD", 10, "Require multifactor authentication for administrative roles"),
    "MFARegistrationV2": ("Identity", "AzureAD", 9, "Ensure all users can complete multifactor authentication"),
    "OneAdmin": ("Identity", "AzureAD", 1, "Designate more than one global admin"),
    "SelfServicePasswordReset": ("Identity", "AzureAD", 1, "Enable self-service password reset"),
    "aad_password_protection": ("Identity", "AzureAD", 1, "Enable Microsoft Entra Password Protection for on-premises"),
    "BlockLegacyAuthentication": ("Identity", "AzureAD", 8, "Enable policy to block legacy authentication"),
    "UserRiskPolicy": ("Identity", "AzureAD", 7, "Turn on user risk policy"),
    "SigninRiskPolicy": ("Identity", "AzureAD", 7, "Turn on sign-in risk policy"),
    "aad_linkedin_connection_disables": ("Identity", "AzureAD", 1, "Do not allow LinkedIn account connections"),
    "exo_oauth2clientprofileenabled": ("Identity", "EXO", 9, "Turn on modern authentication for Exchange Online"),
    "spo_legacy_auth": ("Identity", "SPO", 5, "Block apps that do not use modern authentication in SharePoint"),
    "PWAgePolicyNew": ("Identity", "AzureAD", 8, "Do not expire passwords"),
    "aad_third_party_apps": ("Identity", "AzureAD", 2, "Do not allow users to register applications"),
    "IntegratedApps": ("Identity", "AzureAD", 4, "Do not allow users to grant consent to unreliable applications"),
    "aad_admin_consent_workflow": ("Identity", "AzureAD", 2, "Turn on the admin consent workflow"),
    "exo_individualsharing": ("Data", "EXO", 1, "Do not share calendar details with external users"),
    "mdo_safelinksforOfficeApps": ("Apps", "MDO", 8, "Turn on Safe Links for Office applications"),
    "mdo_atpprotection": ("Apps", "MDO", 8, "Turn on Defender for Office 365 in SharePoint, OneDrive and Teams"),
    "exo_outlookaddins": ("Apps", "EXO", 2, "Do not let users install Outlook add-ins"),
    "CustomerLockBoxEnabled": ("Data", "AzureAD", 1, "Turn on customer lockbox"),
    "mip_sensitivitylabelspolicies": ("Data", "MIP", 5, "Publish sensitivity labels"),
    "dlp_datalossprevention": ("Data", "MIP", 10, "Turn on data loss prevention policies"),
    "DLPEnabled": ("Data", "MIP", 10, "Use data loss prevention policies"),
    "mip_DLP_policies_Teams": ("Data", "MIP", 5, "Extend data loss prevention policies to Teams"),
    "mdo_commonattachmentsfilter": ("Apps", "MDO", 5, "Turn on the common attachments filter"),
    "mdo_autoforwardingmode": ("Data", "MDO", 8, "Block automatic forwarding to external domains"),
    "exo_transportrulesallowlistdomains": ("Apps", "EXO", 5, "Do not allow-list sender domains in transport rules"),
    "BlockAutoFwdTransportRule": ("Data", "EXO", 8, "Block client rules that forward mail externally"),
    "mdo_safelinksforemail": ("Apps", "MDO", 9, "Turn on Safe Links for email"),
    "SafeLinksEnabled": ("Apps", "MDO", 9, "Use Safe Links"),
    "mdo_safeattachments": ("Apps", "MDO", 8, "Turn on Safe Attachments in block mode"),
    "mdo_safeattachmentpolicy": ("Apps", "MDO", 8, "Create a Safe Attachments policy"),
    "SafeAttachmentsEnabled": ("Apps", "MDO", 8, "Use Safe Attachments"),
    "mdo_antiphishingpolicies": ("Apps", "MDO", 9, "Set up anti-phishing policies"),
    "mdo_phishthresholdlevel": ("Apps", "MDO", 9, "Raise the phishing email threshold"),
    "mdo_enablemailboxintelligence": ("Apps", "MDO", 9, "Turn on mailbox intelligence"),
    "mdo_mailboxintelligenceprotection": ("Apps", "MDO", 9, "Protect users with mailbox intelligence"),
    "exo_mailtipsenabled": ("Data", "EXO", 1, "Turn on MailTips"),
    "mip_search_auditlog": ("Data", "MIP", 10, "Turn on audit data recording"),
    "exo_mailboxaudit": ("Data", "EXO", 10, "Turn on mailbox auditing for all users"),
    "MailboxAuditingEnabled": ("Data", "EXO", 10, "Enable mailbox auditing"),
    "SignIns": ("Identity", "AzureAD", 1, "Review sign-ins after multiple failures weekly"),
    "AccountChanges": ("Identity", "AzureAD", 1, "Review account provisioning activity weekly"),
    "RGChanges": ("Identity", "AzureAD", 1, "Review role changes weekly"),
    "MailForwardingRules": ("Data", "EXO", 1, "Review mail forwarding rules weekly"),
    "NonOwnerAccess": ("Data", "EXO", 1, "Review mailbox access by non-owners bi-weekly"),
    "MalwareDetections": ("Apps", "MDO", 1, "Review the malware detections report weekly"),
    "NewProvisionedAccounts": ("Identity", "AzureAD", 1, "Review newly provisioned accounts weekly"),
    "DelegatedAdmins": ("Identity", "AzureAD", 1, "Review delegated administrators weekly"),
    "mcas_mda_enabled": ("Apps", "MCAS", 5, "Connect Microsoft 365 to Defender for Cloud Apps"),
    "CloudApplicationSecurityEnabled": ("Apps", "MCAS", 5, "Turn on Cloud App Security"),
    "spo_block_onedrive_sync_unmanaged_devices": ("Data", "SPO", 5, "Block OneDrive sync from unmanaged devices"),
    "ExternalSharingExpiration": ("Data", "SPO", 1, "Set an expiration time for external sharing links"),
    "exo_storageproviderrestricted": ("Data", "EXO", 3, "Restrict additional storage providers in Outlook on the web"),
    "MDMEnabled": ("Device", "Intune", 2, "Enable mobile device management"),
    "MDMReportViolation": ("Device", "Intune", 2, "Mark devices with no compliance policy as non-compliant"),
    "MDMPWReuse": ("Device", "Intune", 1, "Prohibit mobile device password reuse"),
    "MDMPWExpireNew": ("Device", "Intune", 1, "Do not expire mobile device passwords"),
    "MDMRootedBlock": ("Device", "Intune", 1, "Block jailbroken or rooted devices"),
    "MDMWipeOnFail": ("Device", "Intune", 1, "Wipe devices after repeated sign-in failures"),
    "MDMMinPW": ("Device", "Intune", 1, "Require a minimum mobile device password length"),
    "MDMLockInactive": ("Device", "Intune", 1, "Lock mobile devices after inactivity"),
    "MDMEncryptReq": ("Device", "Intune", 1, "Require mobile device encryption"),
    "MDMAlphaPW": ("Device", "Intune", 1, "Require alphanumeric mobile device passwords"),
    "MDMSimplePW": ("Device", "Intune", 1, "Block simple mobile device passwords"),
    "MDMManageEmail": ("Device", "Intune", 1, "Require a managed email profile on mobile devices"),
    "MDMPWReq": ("Device", "Intune", 1, "Require a password on mobile devices"),
    # Controls no recommendation reads.
    "mdo_zapspam": ("Apps", "MDO", 3, "Turn on zero-hour auto purge for spam"),
    "aad_limited_administrative_roles": ("Identity", "AzureAD", 1, "Use least privileged administrative roles"),
    "spo_idle_session_timeout": ("Data", "SPO", 1, "Sign out inactive users in SharePoint Online"),
    "mip_autosensitivitylabelspolicies": ("Data", "MIP", 5, "Apply sensitivity labels automatically"),
}

#: Fraction of max score for the controls no recommendation reads (realistic noise).
_NOISE = {
    "mdo_zapspam": 1.0,
    "aad_limited_administrative_roles": 0.0,
    "spo_idle_session_timeout": 1.0,
    "mip_autosensitivitylabelspolicies": 0.4,
}


def secure_score(
    ids: IdSource,
    tenant_id: str,
    now: dt.datetime,
    *,
    user_count: int,
    fractions: Mapping[str, float] | None = None,
    absent: Sequence[str] = (),
) -> dict[str, Any]:
    """The latest daily snapshot. Controls are at full score unless `fractions` says otherwise."""
    fractions = {**_NOISE, **(fractions or {})}
    synced = iso(now - dt.timedelta(hours=6))
    scores = []
    current = maximum = 0.0
    for name, (category, _, max_score, title) in CONTROLS.items():
        if name in absent:
            continue
        fraction = fractions.get(name, 1.0)
        score = round(max_score * fraction, 2)
        current += score
        maximum += max_score
        scores.append(
            {
                "controlCategory": category,
                "controlName": name,
                "description": title + ".",
                "score": score,
                "scoreInPercentage": round(fraction * 100, 2),
                "lastSynced": synced,
                "implementationStatus": "Completed"
                if fraction >= 1
                else f"{int(fraction * 100)}% of the items are set up.",
                "count": str(int(fraction * 10)),
                "total": "10",
                "IsApplicable": "true",
            }
        )
    return {
        "id": f"{tenant_id}_{now.strftime('%Y-%m-%d')}",
        "azureTenantId": tenant_id,
        "activeUserCount": user_count,
        "createdDateTime": iso((now - dt.timedelta(hours=6)).replace(minute=0, second=0)),
        "currentScore": round(current, 2),
        "maxScore": maximum,
        "enabledServices": [
            "HasExchange",
            "HasSharePoint",
            "HasOD4B",
            "HasYammer",
            "HasTeams",
            "HasIntune",
            "HasDefenderForOffice",
        ],
        "licensedUserCount": user_count,
        "averageComparativeScores": [
            {"basis": "AllTenants", "averageScore": 42.5},
            {
                "basis": "TotalSeats",
                "averageScore": 47.1,
                "seatSizeRangeLowerValue": "100",
                "seatSizeRangeUpperValue": "500",
            },
        ],
        "controlScores": scores,
        "vendorInformation": {
            "provider": "SecureScore",
            "providerVersion": None,
            "subProvider": None,
            "vendor": "Microsoft",
        },
    }


def control_profiles(
    tenant_id: str,
    now: dt.datetime,
    *,
    states: Mapping[str, str] | None = None,
    absent: Sequence[str] = (),
    deprecated: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """secureScoreControlProfiles; `states` gives a control a latest controlStateUpdates entry (e.g. Ignored);
    the controls named in `deprecated` say so (Microsoft retires controls this way before removing them)."""
    states = states or {}
    profiles = []
    for rank, (name, (category, service, max_score, title)) in enumerate(CONTROLS.items(), start=1):
        if name in absent:
            continue
        updates = [
            {
                "assignedTo": "",
                "comment": "Reviewed in the quarterly security review",
                "state": "Default",
                "updatedBy": "secops@contoso.com",
                "updatedDateTime": iso(now - dt.timedelta(days=200)),
            }
        ]
        if name in states:
            updates.append(
                {
                    "assignedTo": "",
                    "comment": "Handled by a third-party product",
                    "state": states[name],
                    "updatedBy": "secops@contoso.com",
                    "updatedDateTime": iso(now - dt.timedelta(days=10)),
                }
            )
        profiles.append(
            {
                "id": name,
                "azureTenantId": tenant_id,
                "actionType": "Config",
                "actionUrl": f"https://security.microsoft.com/securescore?viewid=actions&actionId={name}",
                "controlCategory": category,
                "title": title,
                "complianceInformation": [],
                "controlStateUpdates": updates,
                "deprecated": name in deprecated,
                "implementationCost": "Low",
                "lastModifiedDateTime": None,
                "maxScore": float(max_score),
                "rank": rank,
                "remediation": f"{title}.",
                "remediationImpact": "Users may notice the change the next time they sign in.",
                "service": service,
                "threats": ["AccountBreach"],
                "tier": "Core",
                "userImpact": "Low",
                "vendorInformation": {
                    "provider": "SecureScore",
                    "providerVersion": None,
                    "subProvider": None,
                    "vendor": "Microsoft",
                },
            }
        )
    return profiles


def alerts_v2(ids: IdSource, tenant_id: str, now: dt.datetime, users: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Security alerts, newest first: Defender for Office 365 and Defender for Cloud Apps, one older than a week."""
    specs = [
        (
            2,
            "microsoftDefenderForOffice365",
            "Email messages containing malware removed after delivery",
            "medium",
            "Malware",
        ),
        (3, "microsoftDefenderForOffice365", "User restricted from sending email", "high", "SuspiciousActivity"),
        (4, "microsoftDefenderForCloudApps", "Impossible travel activity", "medium", "InitialAccess"),
        (
            5,
            "microsoftDefenderForOffice365",
            "Email reported by user as malware or phish",
            "informational",
            "InitialAccess",
        ),
        (6, "microsoftDefenderForCloudApps", "Mass download by a single user", "low", "Exfiltration"),
        (
            20,
            "microsoftDefenderForOffice365",
            "Email messages containing malicious URL removed after delivery",
            "medium",
            "InitialAccess",
        ),
    ]
    result = []
    for days, source, title, severity, category in specs:
        created = now - dt.timedelta(days=days, hours=ids.rng.randint(0, 20))
        user = ids.rng.choice(users)
        alert_id = ("fa" if source.endswith("Office365") else "ca") + ids.guid().replace("-", "")[:30]
        result.append(
            {
                "id": alert_id,
                "providerAlertId": ids.guid(),
                "incidentId": str(ids.rng.randint(1000, 9999)),
                "status": "resolved" if days > 4 else "new",
                "severity": severity,
                "classification": "truePositive" if days > 4 else None,
                "determination": "malware" if "malware" in title.lower() else None,
                "serviceSource": source,
                "detectionSource": "microsoftDefenderForOffice365"
                if source.endswith("Office365")
                else "microsoftDefenderForCloudApps",
                "productName": "Microsoft Defender for Office 365"
                if source.endswith("Office365")
                else "Microsoft Defender for Cloud Apps",
                "detectorId": ids.guid(),
                "tenantId": tenant_id,
                "title": title,
                "description": f"{title} was detected for {user['userPrincipalName']}.",
                "recommendedActions": "Review the activity and remediate the affected account or messages.",
                "category": category,
                "assignedTo": None,
                "alertWebUrl": f"https://security.microsoft.com/alerts/{alert_id}",
                "incidentWebUrl": "https://security.microsoft.com/incidents",
                "actorDisplayName": None,
                "threatDisplayName": None,
                "threatFamilyName": None,
                "mitreTechniques": ["T1566.001"] if "mail" in title.lower() else [],
                "createdDateTime": iso_ms(created),
                "lastUpdateDateTime": iso_ms(created + dt.timedelta(hours=2)),
                "resolvedDateTime": iso_ms(created + dt.timedelta(hours=5)) if days > 4 else None,
                "firstActivityDateTime": iso_ms(created - dt.timedelta(minutes=30)),
                "lastActivityDateTime": iso_ms(created - dt.timedelta(minutes=5)),
                "comments": [],
                "evidence": [
                    {
                        "@odata.type": "#microsoft.graph.security.userEvidence",
                        "createdDateTime": iso_ms(created),
                        "verdict": "suspicious",
                        "remediationStatus": "none",
                        "roles": [],
                        "userAccount": {
                            "accountName": user["userPrincipalName"].split("@")[0],
                            "userPrincipalName": user["userPrincipalName"],
                            "azureAdUserId": user["id"],
                            "displayName": user["displayName"],
                        },
                    }
                ],
            }
        )
    return sorted(result, key=lambda alert: alert["createdDateTime"], reverse=True)


def risk_detections(
    ids: IdSource, tenant_id: str, now: dt.datetime, users: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Identity Protection risk detections, newest first; two are older than a week."""
    kinds = [
        ("unfamiliarFeatures", "medium", "remediated", "userPassedMFADrivenByRiskBasedPolicy"),
        ("anonymizedIPAddress", "medium", "remediated", "userPassedMFADrivenByRiskBasedPolicy"),
        ("unlikelyTravel", "low", "dismissed", "adminDismissedAllRiskForUser"),
        ("passwordSpray", "high", "atRisk", "none"),
        ("unfamiliarFeatures", "low", "remediated", "userPerformedSecuredPasswordChange"),
        ("maliciousIPAddress", "high", "remediated", "userPassedMFADrivenByRiskBasedPolicy"),
    ]
    cities = [
        ("Lagos", "NG", 6.45, 3.39),
        ("Sao Paulo", "BR", -23.55, -46.63),
        ("Dublin", "IE", 53.35, -6.26),
        ("Frankfurt", "DE", 50.11, 8.68),
    ]
    result = []
    for index in range(9):
        kind, level, state, detail = kinds[index % len(kinds)]
        days = 1 + index if index < 7 else 12 + index
        detected = now - dt.timedelta(days=days, minutes=ids.rng.randint(0, 1200))
        user = ids.rng.choice(users)
        city, country, lat, lon = cities[index % len(cities)]
        result.append(
            {
                "id": ids.opaque(16),
                "requestId": ids.guid(),
                "correlationId": ids.guid(),
                "riskType": kind,
                "riskEventType": kind,
                "riskState": state,
                "riskLevel": level,
                "riskDetail": detail,
                "source": "IdentityProtection",
                "detectionTimingType": "realtime" if index % 2 == 0 else "offline",
                "activity": "signin",
                "tokenIssuerType": "AzureAD",
                "ipAddress": f"203.0.113.{10 + index}",
                "location": {
                    "city": city,
                    "state": None,
                    "countryOrRegion": country,
                    "geoCoordinates": {"latitude": lat, "longitude": lon},
                },
                "activityDateTime": iso_ms(detected - dt.timedelta(minutes=2)),
                "detectedDateTime": iso_ms(detected),
                "lastUpdatedDateTime": iso_ms(detected + dt.timedelta(hours=1)),
                "userId": user["id"],
                "userDisplayName": user["displayName"],
                "userPrincipalName": user["userPrincipalName"],
                "additionalInfo": '[{"Key":"userAgent","Value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}]',
            }
        )
    return sorted(result, key=lambda item: item["detectedDateTime"], reverse=True)
