"""Directory objects of a fake tenant: users, registration details, groups, service principals, roles.

Shapes: user (https://learn.microsoft.com/graph/api/resources/user), userRegistrationDetails,
group, servicePrincipal, unifiedRoleAssignment and the PIM schedule instances (v1.0).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from .data_common import (
    CONDITIONAL_ACCESS_ADMIN,
    DIRECTORY_SYNC_ACCOUNTS,
    EXCHANGE_ADMIN,
    EXCHANGE_ONLINE_APP,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    MICROSOFT_GRAPH_APP,
    SECURITY_ADMIN,
    SHAREPOINT_ADMIN,
    USER_ADMIN,
    IdSource,
    iso,
)

_FIRST = (
    "Aaron Abigail Adam Aiko Alan Alba Amara Amir Ana Andrei Anika Ben Bianca Carla Carlos Chen Chloe Daniel Dara "
    "David Elena Elif Emma Eric Fatima Felix Freya Gabriel Grace Hana Hugo Ines Ivan Jakob James Jana Jonas Julia "
    "Kai Karin Kenji Lara Leo Lina Lucas Maya Mei Mateo Nadia Noah Nora Oliver Omar Paula Priya Rafael Rosa Sam "
    "Sara Sofia Tariq Thomas Uma Victor Wen Yara Yusuf Zoe"
).split()
_LAST = (
    "Adams Ahmed Alvarez Andersen Baker Bauer Becker Brown Carter Chen Costa Dubois Eriksen Fischer Garcia Gomez "
    "Hansen Hoffmann Ivanova Jensen Johansson Kaur Kim Kowalski Larsen Laurent Lee Lopez Martin Meyer Moreau "
    "Muller Nakamura Nguyen Novak Okafor Olsen Patel Petrov Rossi Santos Schmidt Silva Singh Smith Tanaka Taylor "
    "Torres Vogel Wagner Walsh Weber Wilson Wong Yilmaz Zhang"
).split()
_DEPARTMENTS = (
    "Finance",
    "Sales",
    "Marketing",
    "Engineering",
    "Operations",
    "Legal",
    "HR",
    "IT",
    "Support",
    "Research",
)
_TITLES = ("Analyst", "Manager", "Specialist", "Engineer", "Coordinator", "Consultant", "Director", "Associate")
_OFFICES = ("London", "Amsterdam", "Berlin", "Paris", "Dublin", "Madrid", "Remote")
_PARTNER_DOMAINS = ("northwindtraders.com", "adatum.com", "litwareinc.com", "tailspintoys.com", "woodgrovebank.com")
_TEAM_NAMES = (
    "Project Atlas",
    "Quarterly Planning",
    "Brand Refresh",
    "Data Platform",
    "Customer Success",
    "Procurement",
    "Field Sales EMEA",
    "Security Champions",
    "Office Move",
    "Graduate Programme",
    "Partner Portal",
    "Finance Close",
    "Engineering Guild",
    "Wellbeing",
    "Product Launch",
    "Legal Review",
    "Support Escalations",
    "Research Hub",
)

#: Authentication methods as userRegistrationDetails names them.
_MEMBER_METHODS = (
    ["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
    ["microsoftAuthenticatorPush", "mobilePhone"],
    ["mobilePhone"],
    ["microsoftAuthenticatorPasswordless", "microsoftAuthenticatorPush"],
    ["windowsHelloForBusiness", "microsoftAuthenticatorPush"],
)


@dataclass(frozen=True)
class AdminSpec:
    """A named administrator: how they hold their role (active, via group, eligible, activated)."""

    display_name: str
    alias: str
    role_id: str
    how: str  # "break_glass" | "group" | "eligible" | "activated" | "permanent"
    mfa_capable: bool = True


#: The golden tenant's administrators: 3 Global Administrators (break-glass, via a role-assignable
#: group with a time-bound assignment, PIM-eligible) and the other admin roles PIM-eligible.
GOLDEN_ADMINS: tuple[AdminSpec, ...] = (
    AdminSpec("Emergency Access 01", "emergency01", GLOBAL_ADMIN, "break_glass"),
    AdminSpec("Grady Archie", "grady.archie", GLOBAL_ADMIN, "group"),
    AdminSpec("Patti Fernandez", "patti.fernandez", GLOBAL_ADMIN, "eligible"),
    AdminSpec("Lee Gu", "lee.gu", EXCHANGE_ADMIN, "activated"),
    AdminSpec("Lidia Holloway", "lidia.holloway", SECURITY_ADMIN, "eligible"),
    AdminSpec("Nestor Wilke", "nestor.wilke", USER_ADMIN, "eligible"),
    AdminSpec("Isaiah Langer", "isaiah.langer", HELPDESK_ADMIN, "eligible"),
    AdminSpec("Adele Vance", "adele.vance", SHAREPOINT_ADMIN, "eligible"),
    AdminSpec("Alex Wilber", "alex.wilber", GLOBAL_READER, "eligible"),
    AdminSpec("Diego Siciliani", "diego.siciliani", CONDITIONAL_ACCESS_ADMIN, "eligible"),
)


@dataclass(frozen=True)
class TenantProfile:
    """Names and sizes that make one fake organisation."""

    tenant_id: str
    display_name: str
    root_domain: str
    initial_domain: str
    federated_domain: str | None
    users: int
    seed: int
    admins: tuple[AdminSpec, ...] = GOLDEN_ADMINS
    scanner_client_id: str = ""
    #: Share of enabled members with no MFA method registered (evidence for 1.1.2 only).
    unregistered_share: float = 0.03


@dataclass
class Directory:
    """Every directory object of the tenant and the ids other builders refer to."""

    users: list[dict[str, Any]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    service_principals: list[dict[str, Any]] = field(default_factory=list)
    memberships: dict[str, list[str]] = field(default_factory=dict)
    role_assignments: list[dict[str, Any]] = field(default_factory=list)
    eligibility_instances: list[dict[str, Any]] = field(default_factory=list)
    assignment_instances: list[dict[str, Any]] = field(default_factory=list)
    #: alias -> user id, for the named accounts (admins, sync account).
    named: dict[str, str] = field(default_factory=dict)
    break_glass_ids: list[str] = field(default_factory=list)
    approved_public_group_ids: list[str] = field(default_factory=list)
    groups_by_name: dict[str, str] = field(default_factory=dict)
    scanner_service_principal_id: str = ""
    member_ids: list[str] = field(default_factory=list)


def _user(
    ids: IdSource,
    display_name: str,
    upn: str,
    mail: str | None,
    *,
    guest: bool,
    enabled: bool,
    created: dt.datetime,
    synced: bool,
    department: str | None = None,
    title: str | None = None,
    office: str | None = None,
    external_state: str | None = None,
) -> dict[str, Any]:
    given, _, surname = display_name.partition(" ")
    return {
        "id": ids.guid(),
        "businessPhones": [],
        "displayName": display_name,
        "givenName": given,
        "surname": surname or None,
        "jobTitle": title,
        "department": department,
        "mail": mail,
        "mobilePhone": None,
        "officeLocation": office,
        "preferredLanguage": "en-GB" if not guest else None,
        "userPrincipalName": upn,
        "userType": "Guest" if guest else "Member",
        "accountEnabled": enabled,
        "createdDateTime": iso(created),
        "externalUserState": external_state,
        "externalUserStateChangeDateTime": iso(created + dt.timedelta(days=1)) if external_state else None,
        "onPremisesSyncEnabled": True if synced else None,
        "usageLocation": "GB",
    }


def _registration(
    user: dict[str, Any], *, methods: list[str], admin: bool, sspr_enabled: bool, updated: dt.datetime
) -> dict[str, Any]:
    mfa = any(m not in ("email", "securityQuestion") for m in methods) and len(methods) > 0
    passwordless = any(m in ("fido2", "windowsHelloForBusiness", "microsoftAuthenticatorPasswordless") for m in methods)
    return {
        "id": user["id"],
        "userPrincipalName": user["userPrincipalName"],
        "userDisplayName": user["displayName"],
        "userType": user["userType"].lower(),
        "isAdmin": admin,
        "isSsprRegistered": bool(methods),
        "isSsprEnabled": sspr_enabled,
        "isSsprCapable": sspr_enabled and bool(methods),
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": passwordless,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": methods[:1],
        "userPreferredMethodForSecondaryAuthentication": "push"
        if "microsoftAuthenticatorPush" in methods
        else ("sms" if "mobilePhone" in methods else "none"),
        "methodsRegistered": methods,
        "lastUpdatedDateTime": iso(updated),
    }


def build_directory(profile: TenantProfile, now: dt.datetime) -> Directory:
    """Users (members, guests, some disabled), their registration rows, groups, apps and role holders."""
    ids = IdSource(f"directory-{profile.seed}")
    rng = ids.rng
    directory = Directory()
    admin_aliases = {spec.alias for spec in profile.admins}

    # Named accounts first: administrators and the Entra Connect sync account.
    for spec in profile.admins:
        cloud_only = spec.how == "break_glass"
        domain = profile.initial_domain if cloud_only else profile.root_domain
        user = _user(
            ids,
            spec.display_name,
            f"{spec.alias}@{domain}",
            None if cloud_only else f"{spec.alias}@{domain}",
            guest=False,
            enabled=True,
            created=now - dt.timedelta(days=rng.randint(400, 2000)),
            synced=not cloud_only,
            department="IT",
            title="Administrator" if not cloud_only else None,
            office="London",
        )
        directory.users.append(user)
        directory.named[spec.alias] = user["id"]
        if cloud_only:
            directory.break_glass_ids.append(user["id"])
        methods = ["fido2"] if cloud_only else ["fido2", "microsoftAuthenticatorPush"]
        directory.registrations.append(
            _registration(
                user,
                methods=methods if spec.mfa_capable else [],
                admin=True,
                sspr_enabled=True,
                updated=now - dt.timedelta(days=rng.randint(1, 30)),
            )
        )
    sync = _user(
        ids,
        "On-Premises Directory Synchronization Service Account",
        f"Sync_DC01_{ids.opaque(4)[:6]}@{profile.initial_domain}",
        None,
        guest=False,
        enabled=True,
        created=now - dt.timedelta(days=2100),
        synced=False,
    )
    directory.users.append(sync)
    directory.named["sync"] = sync["id"]
    directory.registrations.append(
        _registration(sync, methods=[], admin=False, sspr_enabled=True, updated=now - dt.timedelta(days=90))
    )

    # Everyone else.
    partners = [domain for domain in _PARTNER_DOMAINS if domain != profile.root_domain]
    taken: dict[str, int] = {}
    remaining = max(profile.users - len(directory.users), 0)
    guests = remaining * 12 // 100
    for index in range(remaining):
        guest = index >= remaining - guests
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        alias = f"{first}.{last}".lower()
        taken[alias] = taken.get(alias, 0) + 1
        if taken[alias] > 1 or alias in admin_aliases:
            alias = f"{alias}{taken[alias]}"
        created = now - dt.timedelta(days=rng.randint(8, 2200), seconds=rng.randint(0, 86399))
        if guest:
            partner = rng.choice(partners)
            state = "PendingAcceptance" if rng.random() < 0.1 else "Accepted"
            user = _user(
                ids,
                f"{first} {last}",
                f"{alias}_{partner}#EXT#@{profile.initial_domain}",
                f"{alias}@{partner}",
                guest=True,
                enabled=rng.random() > 0.05,
                created=created,
                synced=False,
                external_state=state,
            )
            methods = ["mobilePhone"] if state == "Accepted" and rng.random() < 0.5 else []
            row = _registration(user, methods=methods, admin=False, sspr_enabled=False, updated=created)
        else:
            user = _user(
                ids,
                f"{first} {last}",
                f"{alias}@{profile.root_domain}",
                f"{alias}@{profile.root_domain}",
                guest=False,
                enabled=rng.random() > 0.03,
                created=created,
                synced=rng.random() < 0.92,
                department=rng.choice(_DEPARTMENTS),
                title=rng.choice(_TITLES),
                office=rng.choice(_OFFICES),
            )
            methods = [] if rng.random() < profile.unregistered_share else list(rng.choice(_MEMBER_METHODS))
            row = _registration(
                user,
                methods=methods,
                admin=False,
                sspr_enabled=True,
                updated=now - dt.timedelta(days=rng.randint(0, 120)),
            )
            directory.member_ids.append(user["id"])
        directory.users.append(user)
        directory.registrations.append(row)

    # Separate streams: group, app and role ids must not shift when the number of users changes.
    _add_groups(directory, IdSource(f"groups-{profile.seed}"), random.Random(f"members-{profile.seed}"), profile, now)
    _add_service_principals(directory, IdSource(f"apps-{profile.seed}"), profile, now)
    _add_roles(directory, IdSource(f"roles-{profile.seed}"), profile, now)
    return directory


def _group(
    ids: IdSource,
    name: str,
    *,
    unified: bool,
    visibility: str | None,
    created: dt.datetime,
    domain: str,
    role_assignable: bool = False,
    description: str | None = None,
) -> dict[str, Any]:
    nickname = "".join(ch for ch in name.lower() if ch.isalnum())[:40]
    return {
        "id": ids.guid(),
        "displayName": name,
        "description": description or name,
        "groupTypes": ["Unified"] if unified else [],
        "mailEnabled": unified,
        "mailNickname": nickname,
        "mail": f"{nickname}@{domain}" if unified else None,
        "securityEnabled": not unified or role_assignable,
        "isAssignableToRole": True if role_assignable else None,
        "visibility": visibility,
        "createdDateTime": iso(created),
        "membershipRule": None,
        "onPremisesSyncEnabled": None,
    }


def _add_groups(
    directory: Directory, ids: IdSource, rng: random.Random, profile: TenantProfile, now: dt.datetime
) -> None:
    members = directory.member_ids or [directory.users[0]["id"]]

    def add(group: dict[str, Any], member_ids: list[str]) -> dict[str, Any]:
        directory.groups.append(group)
        directory.groups_by_name[group["displayName"]] = group["id"]
        directory.memberships[group["id"]] = member_ids
        return group

    for name in ("All Company", "Social Club"):
        group = add(
            _group(
                ids,
                name,
                unified=True,
                visibility="Public",
                created=now - dt.timedelta(days=1500),
                domain=profile.root_domain,
            ),
            rng.sample(members, min(len(members), 20)),
        )
        directory.approved_public_group_ids.append(group["id"])
    count = max(8, profile.users // 40)
    for index in range(count):
        name = _TEAM_NAMES[index % len(_TEAM_NAMES)] + (
            f" {index // len(_TEAM_NAMES) + 1}" if index >= len(_TEAM_NAMES) else ""
        )
        visibility = "HiddenMembership" if index == 3 else "Private"
        add(
            _group(
                ids,
                name,
                unified=True,
                visibility=visibility,
                created=now - dt.timedelta(days=rng.randint(30, 1400)),
                domain=profile.root_domain,
            ),
            rng.sample(members, min(len(members), rng.randint(5, 25))),
        )
    tier0 = add(
        _group(
            ids,
            "SG-Tier0-GlobalAdmins",
            unified=False,
            visibility="Private",
            created=now - dt.timedelta(days=700),
            domain=profile.root_domain,
            role_assignable=True,
            description="Role-assignable group holding Global Administrator (time-bound)",
        ),
        [directory.named[s.alias] for s in profile.admins if s.how == "group"],
    )
    directory.groups_by_name["tier0"] = tier0["id"]
    for name in (
        "SG-Intune-iOS-Users",
        "SG-Intune-Android-Users",
        "SG-Intune-Windows-Devices",
        "SG-Licensing-E5",
        "SG-CA-Pilot",
    ):
        add(
            _group(
                ids,
                name,
                unified=False,
                visibility=None,
                created=now - dt.timedelta(days=rng.randint(60, 900)),
                domain=profile.root_domain,
            ),
            rng.sample(members, min(len(members), 15)),
        )
    # A nested security group, so transitive membership has something to expand.
    add(
        _group(
            ids,
            "SG-All-Mobile-Users",
            unified=False,
            visibility=None,
            created=now - dt.timedelta(days=300),
            domain=profile.root_domain,
        ),
        [directory.groups_by_name["SG-Intune-iOS-Users"], directory.groups_by_name["SG-Intune-Android-Users"]],
    )


def _service_principal(
    ids: IdSource, name: str, app_id: str, created: dt.datetime, owner_tenant: str | None
) -> dict[str, Any]:
    return {
        "id": ids.guid(),
        "appId": app_id,
        "displayName": name,
        "appDisplayName": name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "appOwnerOrganizationId": owner_tenant,
        "createdDateTime": iso(created),
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }


def _add_service_principals(directory: Directory, ids: IdSource, profile: TenantProfile, now: dt.datetime) -> None:
    microsoft = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # Microsoft Services' tenant, owner of first-party apps
    scanner = _service_principal(
        ids, "o365-cis scanner", profile.scanner_client_id, now - dt.timedelta(days=40), profile.tenant_id
    )
    directory.scanner_service_principal_id = scanner["id"]
    directory.service_principals.extend(
        [
            scanner,
            _service_principal(ids, "Microsoft Graph", MICROSOFT_GRAPH_APP, now - dt.timedelta(days=2200), microsoft),
            _service_principal(
                ids, "Office 365 Exchange Online", EXCHANGE_ONLINE_APP, now - dt.timedelta(days=2200), microsoft
            ),
            _service_principal(
                ids, "HR Provisioning Connector", ids.guid(), now - dt.timedelta(days=500), profile.tenant_id
            ),
            _service_principal(ids, "Backup Service", ids.guid(), now - dt.timedelta(days=300), None),
        ]
    )


def _add_roles(directory: Directory, ids: IdSource, profile: TenantProfile, now: dt.datetime) -> None:
    def active(
        principal_id: str,
        role_id: str,
        *,
        start: dt.datetime,
        end: dt.datetime | None,
        kind: str,
        member_type: str = "Direct",
    ) -> None:
        assignment_id = ids.opaque() + "-1"
        directory.role_assignments.append(
            {
                "id": assignment_id,
                "principalId": principal_id,
                "roleDefinitionId": role_id,
                "directoryScopeId": "/",
                "appScopeId": None,
                "condition": None,
            }
        )
        directory.assignment_instances.append(
            {
                "id": assignment_id,
                "principalId": principal_id,
                "roleDefinitionId": role_id,
                "directoryScopeId": "/",
                "appScopeId": None,
                "startDateTime": iso(start),
                "endDateTime": iso(end) if end else None,
                "assignmentType": kind,
                "memberType": member_type,
                "roleAssignmentOriginId": assignment_id,
                "roleAssignmentScheduleId": ids.guid(),
            }
        )

    def eligible(principal_id: str, role_id: str, start: dt.datetime) -> None:
        directory.eligibility_instances.append(
            {
                "id": ids.opaque() + "-1-e",
                "principalId": principal_id,
                "roleDefinitionId": role_id,
                "directoryScopeId": "/",
                "appScopeId": None,
                "startDateTime": iso(start),
                "endDateTime": None,
                "memberType": "Direct",
                "roleEligibilityScheduleId": ids.guid(),
            }
        )

    since = now - dt.timedelta(days=365)
    tier0 = directory.groups_by_name["tier0"]
    group_assigned = False
    for spec in profile.admins:
        user_id = directory.named[spec.alias]
        if spec.how in ("break_glass", "permanent"):
            active(user_id, spec.role_id, start=since, end=None, kind="Assigned")
        elif spec.how == "group":
            if not group_assigned:
                active(
                    tier0,
                    spec.role_id,
                    start=now - dt.timedelta(days=60),
                    end=now + dt.timedelta(days=300),
                    kind="Assigned",
                )
                group_assigned = True
        elif spec.how == "eligible":
            eligible(user_id, spec.role_id, since)
        elif spec.how == "activated":
            eligible(user_id, spec.role_id, since)
            active(
                user_id,
                spec.role_id,
                start=now - dt.timedelta(hours=1),
                end=now + dt.timedelta(hours=7),
                kind="Activated",
            )
    # The scanner's own service principal reads Exchange through Global Reader; the sync account holds its role.
    active(
        directory.scanner_service_principal_id,
        GLOBAL_READER,
        start=now - dt.timedelta(days=40),
        end=None,
        kind="Assigned",
    )
    active(
        directory.named["sync"], DIRECTORY_SYNC_ACCOUNTS, start=now - dt.timedelta(days=2100), end=None, kind="Assigned"
    )


def pim_group_eligibility(
    group_id: str,
    principal_id: str,
    *,
    start: dt.datetime,
    access: str = "member",
    end: dt.datetime | None = None,
    member_type: str = "direct",
) -> dict[str, Any]:
    """A PIM for Groups privilegedAccessGroupEligibilityScheduleInstance: `principal_id` may activate `access`
    ("member" or "owner") of the group (https://learn.microsoft.com/graph/api/resources/privilegedaccessgroupeligibilityscheduleinstance).
    Such a member is not in the group's transitiveMembers until they activate."""
    ids = IdSource(f"pim-group/{group_id}/{principal_id}/{access}")
    schedule_id = ids.guid()
    return {
        "id": f"{schedule_id}_{access}_{ids.guid()}",
        "groupId": group_id,
        "principalId": principal_id,
        "accessId": access,
        "memberType": member_type,
        "startDateTime": iso(start),
        "endDateTime": iso(end) if end else None,
        "eligibilityScheduleId": schedule_id,
    }
