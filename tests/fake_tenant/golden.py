"""The golden tenant: believable and compliant with every Graph- or Secure-Score-decided recommendation.

How each catalogue rule is met (see controls.yaml; the tests in test_scenarios.py check the key facts):
1.1.1  CA001 targets every admin role with MFA, only the break-glass account excluded; every admin is MFA capable.
1.1.2  CA002: all users, all apps, MFA; exclusions are the break-glass account and Directory Synchronization Accounts.
1.1.3  Three Global Administrators: break-glass (active), one via a role-assignable group, one PIM-eligible.
1.1.4  Every enabled member's registration row has isSsprEnabled true.
1.1.5  Hybrid tenant; password protection on-premises enabled in Enforce mode.
1.1.6  CA003 blocks exchangeActiveSync and other clients.      1.1.7  Password hash sync 20 minutes ago.
1.1.8-10  E5 (AAD_PREMIUM_P2); CA004 sign-in risk medium+high -> MFA; CA005 user risk high -> password change.
1.1.11 Admins are PIM-eligible; the only permanent admin assignment is the break-glass account's.
1.1.12 Security defaults off.  1.1.13 Public groups are exactly the approved ones (golden_config).
1.1.14 B2B invitations allow-listed.  1.4 Legacy auth off in SharePoint.  1.5 Managed domains never expire
       passwords (the federated one is skipped).  2.1/2.6 No app registration or user consent.  2.7 Admin consent
       workflow with reviewers.  2.9 Office Store off.  2.10 Forms phishing scan on.  3.6/6.1/6.2 SharePoint
       sharing restricted.  6.3 Anyone links allowed, so Secure Score decides (full).  Section 7 thresholds met
       by assigned iOS and Android policies and profiles.  Every Secure Score control is at full score.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import paths
from .data_activity import application_sign_in_summary, directory_audits, provisioning
from .data_common import (
    ADMIN_ROLES,
    AZURE_MANAGEMENT_APP,
    DIRECTORY_SYNC_ACCOUNTS,
    IdSource,
    utc_now,
)
from .data_directory import Directory, TenantProfile, build_directory
from .data_intune import compliance_policies, device_configurations, device_management
from .data_policies import (
    OWNED_RESOURCE_GRANTS,
    admin_consent_request_policy,
    apps_and_services,
    authorization_policy,
    b2b_management_policies,
    ca_policy,
    forms_settings,
    group_settings,
    security_defaults,
    sharepoint_settings,
)
from .data_security import alerts_v2, control_profiles, risk_detections, secure_score
from .data_tenant import E5_PLANS, FLOW_FREE, SPE_E5, DomainSpec, Sku, domains, organization, subscribed_skus
from .model import ClientApp, Scenario

#: Every Graph application permission the catalogue names (decisive and evidence reads).
ALL_GRAPH_ROLES: tuple[str, ...] = (
    "Directory.Read.All",
    "Domain.Read.All",
    "IdentityRiskEvent.Read.All",
    "Policy.Read.All",
    "SecurityEvents.Read.All",
    "User.Read.All",
    "AuditLog.Read.All",
    "RoleManagement.Read.Directory",
    "PrivilegedEligibilitySchedule.Read.AzureADGroup",
    "Policy.Read.B2BManagementPolicy",
    "SharePointTenantSettings.Read.All",
    "OrgSettings-AppsAndServices.Read.All",
    "OrgSettings-Forms.Read.All",
    "Reports.Read.All",
    "SecurityAlert.Read.All",
    "DeviceManagementConfiguration.Read.All",
)
EXCHANGE_ROLES: tuple[str, ...] = ("Exchange.ManageAsApp",)

#: Partner organisations the golden tenant collaborates with (B2B and SharePoint allow lists).
PARTNER_DOMAINS: tuple[str, ...] = ("northwindtraders.com", "adatum.com", "litwareinc.com")


def tenant_identity(seed: int, name: str = "golden") -> tuple[str, str, str]:
    """(tenant id, client id, client secret) of a seeded tenant: stable across runs."""
    ids = IdSource(f"{name}-identity-{seed}")
    tenant_id, client_id = ids.guid(), ids.guid()
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
    secret = f"{ids.rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{ids.rng.randint(10, 99)}8Q~" + "".join(
        ids.rng.choice(alphabet) for _ in range(34)
    )
    return tenant_id, client_id, secret


GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET = tenant_identity(1)


def golden_domains(root: str, initial: str, federated: str | None) -> list[DomainSpec]:
    """A verified managed root (default), the initial onmicrosoft.com domain and an optional federated one."""
    specs = [DomainSpec(initial, is_initial=True), DomainSpec(root, is_default=True)]
    if federated:
        # Federated domains take their password policy from on-premises: Graph still shows the cloud default.
        specs.append(DomainSpec(federated, authentication="Federated", password_validity_days=90))
    return specs


def conditional_access(ids: IdSource, directory: Directory, now: dt.datetime) -> list[dict[str, Any]]:
    """The compliant policy set, plus a report-only and a disabled policy as noise."""
    break_glass = directory.break_glass_ids
    created = now - dt.timedelta(days=400)
    return [
        ca_policy(
            ids,
            "CA001: Require MFA for administrators",
            created=created,
            include_users=(),
            include_roles=ADMIN_ROLES,
            exclude_users=break_glass,
        ),
        ca_policy(
            ids,
            "CA002: Require MFA for all users",
            created=created,
            exclude_users=break_glass,
            exclude_roles=(DIRECTORY_SYNC_ACCOUNTS,),
        ),
        ca_policy(
            ids,
            "CA003: Block legacy authentication",
            created=created,
            exclude_users=break_glass,
            client_app_types=("exchangeActiveSync", "other"),
            built_in_controls=("block",),
        ),
        ca_policy(
            ids,
            "CA004: Require MFA for medium and high sign-in risk",
            created=created,
            exclude_users=break_glass,
            sign_in_risk_levels=("high", "medium"),
            sign_in_every_time=True,
        ),
        ca_policy(
            ids,
            "CA005: Require password change for high user risk",
            created=created,
            exclude_users=break_glass,
            user_risk_levels=("high",),
            operator="AND",
            built_in_controls=("mfa", "passwordChange"),
            sign_in_every_time=True,
        ),
        ca_policy(
            ids,
            "CA006: Require compliant device (pilot)",
            created=now - dt.timedelta(days=20),
            state="enabledForReportingButNotEnforced",
            include_users=(),
            include_groups=(directory.groups_by_name["SG-CA-Pilot"],),
            built_in_controls=("compliantDevice",),
        ),
        ca_policy(
            ids,
            "CA007: Block sign-ins from outside trusted countries (retired)",
            created=now - dt.timedelta(days=900),
            state="disabled",
            exclude_users=break_glass,
            locations={"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
            built_in_controls=("block",),
        ),
        ca_policy(
            ids,
            "CA008: Require MFA for Azure management",
            created=created,
            exclude_users=break_glass,
            include_applications=(AZURE_MANAGEMENT_APP,),
        ),
    ]


def build_compliant(
    profile: TenantProfile,
    domain_specs: list[DomainSpec],
    *,
    client_secret: str,
    now: dt.datetime | None = None,
    partner_domains: tuple[str, ...] = PARTNER_DOMAINS,
) -> Scenario:
    """A complete, compliant tenant for `profile` (the golden tenant is one; others patch theirs)."""
    now = now or utc_now()
    ids = IdSource(f"policies-{profile.seed}")
    directory = build_directory(profile, now)
    skus = [
        Sku("SPE_E5", SPE_E5, E5_PLANS, units=profile.users + 25, consumed=len(directory.member_ids) + 12),
        Sku("FLOW_FREE", FLOW_FREE, ("FLOW_P2_VIRAL",), units=10000, consumed=37),
    ]
    group_ids = {name: group_id for name, group_id in directory.groups_by_name.items()}
    users_by_alias = {alias: user_id for alias, user_id in directory.named.items()}
    admins = [
        u
        for u in directory.users
        if u["id"] in set(users_by_alias.values()) and u["id"] not in directory.break_glass_ids
    ]
    people = [u for u in directory.users if u["userType"] == "Member" and u["id"] not in directory.break_glass_ids][
        :500
    ]
    evidence_ids = IdSource(f"evidence-{profile.seed}")
    graph: dict[str, Any] = {
        paths.USERS: directory.users,
        paths.GROUPS: directory.groups,
        paths.SERVICE_PRINCIPALS: directory.service_principals,
        paths.REGISTRATION_DETAILS: directory.registrations,
        paths.ROLE_ASSIGNMENTS: directory.role_assignments,
        paths.ROLE_ELIGIBILITY_INSTANCES: directory.eligibility_instances,
        paths.ROLE_ASSIGNMENT_INSTANCES: directory.assignment_instances,
        # Nobody is merely eligible for the role-assignable tier0 group (pim_group_eligibility adds someone).
        paths.GROUP_ELIGIBILITY_INSTANCES: [],
        paths.CONDITIONAL_ACCESS_POLICIES: conditional_access(ids, directory, now),
        paths.ORGANIZATION: organization(
            profile.tenant_id,
            profile.display_name,
            domain_specs,
            skus,
            now=now,
            sync_enabled=True,
            last_password_sync=now - dt.timedelta(minutes=20),
        ),
        paths.GROUP_SETTINGS: group_settings(ids, on_premises_check="True", mode="Enforce"),
        paths.SUBSCRIBED_SKUS: subscribed_skus(profile.tenant_id, skus),
        paths.SECURITY_DEFAULTS: security_defaults(False),
        paths.AUTHORIZATION_POLICY: authorization_policy(
            allowed_to_create_apps=False, grant_policies=OWNED_RESOURCE_GRANTS
        ),
        paths.ADMIN_CONSENT_POLICY: admin_consent_request_policy(
            enabled=True, reviewer_ids=[a["id"] for a in admins[:2]]
        ),
        paths.SHAREPOINT_SETTINGS: sharepoint_settings(ids, allowed_sharing_domains=partner_domains),
        paths.DOMAINS: domains(domain_specs),
        paths.SECURE_SCORES: [secure_score(ids, profile.tenant_id, now, user_count=len(directory.member_ids))],
        paths.SECURE_SCORE_PROFILES: control_profiles(profile.tenant_id, now),
        paths.ALERTS: alerts_v2(evidence_ids, profile.tenant_id, now, people),
        paths.RISK_DETECTIONS: risk_detections(evidence_ids, profile.tenant_id, now, people),
        paths.DIRECTORY_AUDITS: directory_audits(evidence_ids, now, people, admins),
        paths.PROVISIONING: provisioning(evidence_ids, profile.tenant_id, now, people),
        paths.DEVICE_MANAGEMENT: device_management(ids, secure_by_default=True, brand=f"{profile.display_name} IT"),
        paths.B2B_POLICIES: b2b_management_policies(ids, allowed=partner_domains, blocked=None),
        paths.APPS_AND_SERVICES: apps_and_services(office_store=False, trials=False),
        paths.FORMS: forms_settings(phishing_scan=True),
        paths.APP_SIGN_IN_SUMMARY: application_sign_in_summary(evidence_ids),
        paths.COMPLIANCE_POLICIES: compliance_policies(ids, now, group_ids),
        paths.DEVICE_CONFIGURATIONS: device_configurations(ids, now, group_ids),
    }
    scanner = ClientApp(secret=client_secret, service_principal_id=directory.scanner_service_principal_id)
    return Scenario(
        tenant_id=profile.tenant_id,
        display_name=profile.display_name,
        domains=[spec.name for spec in domain_specs if spec.verified],
        clients={profile.scanner_client_id: scanner},
        granted_roles=list(ALL_GRAPH_ROLES),
        exchange_roles=list(EXCHANGE_ROLES),
        graph=graph,
        memberships=directory.memberships,
        errors={},
        extra={
            "config": {
                "break_glass_accounts": list(directory.break_glass_ids),
                "approved_public_groups": list(directory.approved_public_group_ids),
            },
            "named_users": dict(directory.named),
            "groups_by_name": dict(directory.groups_by_name),
        },
    )


def golden_profile(users: int, seed: int) -> TenantProfile:
    """Contoso: the golden tenant's names and sizes."""
    tenant_id, client_id, _ = tenant_identity(seed)
    return TenantProfile(
        tenant_id=tenant_id,
        display_name="Contoso Ltd",
        root_domain="contoso.com",
        initial_domain="contoso.onmicrosoft.com",
        federated_domain="fabrikam.com",
        users=users,
        seed=seed,
        scanner_client_id=client_id,
    )


def golden_tenant(users: int = 300, seed: int = 1) -> Scenario:
    """The compliant Contoso tenant with `users` accounts (members, guests, some disabled)."""
    profile = golden_profile(users, seed)
    _, _, secret = tenant_identity(seed)
    specs = golden_domains(profile.root_domain, profile.initial_domain, profile.federated_domain)
    return build_compliant(profile, specs, client_secret=secret)


def golden_config(seed: int = 1) -> dict[str, Any]:
    """The --cis-config facts the golden tenant relies on: break-glass accounts and approved public groups.

    The same for any `users` count with this seed (those ids do not depend on the number of users).
    """
    config: dict[str, Any] = golden_tenant(users=0, seed=seed).extra["config"]
    return {key: list(value) for key, value in config.items()}
