"""Section 2 decisions over Graph JSON: authorizationPolicy, adminConsentRequestPolicy, beta admin settings."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, NoDecision, Status
from o365cis.rules.applications import (
    admin_consent_workflow_enabled,
    forms_phishing_protection_enabled,
    infected_file_download_review,
    office_store_blocked,
    sway_sharing_review,
    user_consent_not_allowed,
    users_cannot_register_apps,
)

# GET /v1.0/policies/authorizationPolicy, trimmed; compliant for 2.1 and 2.6.
AUTHORIZATION_POLICY: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/authorizationPolicy/$entity",
    "id": "authorizationPolicy",
    "displayName": "Authorization Policy",
    "allowInvitesFrom": "adminsAndGuestInviters",
    "allowedToSignUpEmailBasedSubscriptions": False,
    "blockMsolPowerShell": False,
    "guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b",
    "defaultUserRolePermissions": {
        "allowedToCreateApps": False,
        "allowedToCreateSecurityGroups": False,
        "allowedToCreateTenants": False,
        "allowedToReadOtherUsers": True,
        "permissionGrantPoliciesAssigned": [
            "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
            "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-chat",
        ],
    },
}

# GET /v1.0/policies/adminConsentRequestPolicy; compliant for 2.7.
ADMIN_CONSENT: dict[str, Any] = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/adminConsentRequestPolicy/$entity",
    "isEnabled": True,
    "notifyReviewers": True,
    "remindersEnabled": True,
    "requestDurationInDays": 30,
    "version": 2,
    "reviewers": [
        {"query": "/users/0c8f4bd8-5a61-4c59-9df2-1b3b2de6fe21", "queryType": "MicrosoftGraph", "queryRoot": None},
        {
            "query": "/beta/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq "
            "'62e90394-69f5-4237-9190-012177145e10'",
            "queryType": "MicrosoftGraph",
            "queryRoot": None,
        },
    ],
}

# GET /beta/admin/appsAndServices and /beta/admin/forms, as the beta reference documents them.
APPS_AND_SERVICES: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.adminAppsAndServices",
    "id": "appsAndServices",
    "settings": {"isOfficeStoreEnabled": False, "isAppAndServicesTrialEnabled": False},
}
FORMS: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.adminForms",
    "id": "forms",
    "settings": {
        "isExternalSendFormEnabled": False,
        "isExternalShareCollaborationEnabled": False,
        "isInOrgFormsPhishingScanEnabled": True,
        "isRecordIdentityByDefaultEnabled": True,
    },
}


def patched(document: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


def status_of(decision: Finding | NoDecision) -> Status | None:
    return decision.status if isinstance(decision, Finding) else None


def _perms(d: dict[str, Any]) -> dict[str, Any]:
    return d["defaultUserRolePermissions"]


# ------------------------------------------------------------------------------------------------ 2.1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: None, Status.COMPLIANT),
        (lambda d: _perms(d).update(allowedToCreateApps=True), Status.NON_COMPLIANT),
        (lambda d: _perms(d).update(allowedToCreateApps=None), None),
        (lambda d: _perms(d).pop("allowedToCreateApps"), None),
        (lambda d: d.pop("defaultUserRolePermissions"), None),
        (lambda d: _perms(d).update(allowedToCreateApps="false"), None),  # not a boolean: never a verdict
    ],
)
def test_users_cannot_register_apps(change: Callable[[dict[str, Any]], Any], expected: Status | None) -> None:
    decision = users_cannot_register_apps(patched(AUTHORIZATION_POLICY, change))
    assert status_of(decision) == expected


def test_register_apps_evidence_names_the_setting_and_value() -> None:
    decision = users_cannot_register_apps(
        patched(AUTHORIZATION_POLICY, lambda d: _perms(d).update(allowedToCreateApps=True))
    )
    assert isinstance(decision, Finding)
    [item] = decision.evidence
    assert (item.id, item.name, item.detail) == (
        "authorizationPolicy",
        "defaultUserRolePermissions.allowedToCreateApps",
        "true",
    )


def test_beta_collection_shape_is_accepted() -> None:
    beta = {"value": [copy.deepcopy(AUTHORIZATION_POLICY)]}
    assert status_of(users_cannot_register_apps(beta)) is Status.COMPLIANT
    assert status_of(user_consent_not_allowed(beta)) is Status.COMPLIANT


def test_missing_policy_is_no_decision() -> None:
    assert isinstance(users_cannot_register_apps(None), NoDecision)
    assert isinstance(user_consent_not_allowed({}), NoDecision)
    assert isinstance(users_cannot_register_apps({"value": []}), NoDecision)


# ------------------------------------------------------------------------------------------------ 2.6


@pytest.mark.parametrize(
    ("assigned", "expected"),
    [
        ([], Status.COMPLIANT),
        (
            ["ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team"],
            Status.COMPLIANT,
        ),
        (["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"], Status.NON_COMPLIANT),
        (["ManagePermissionGrantsForSelf.microsoft-user-default-low"], Status.NON_COMPLIANT),
        (["ManagePermissionGrantsForSelf.microsoft-user-default-recommended"], Status.NON_COMPLIANT),
        (["managepermissiongrantsforself.custom-policy"], Status.NON_COMPLIANT),
        (None, None),
    ],
)
def test_user_consent_not_allowed(assigned: list[str] | None, expected: Status | None) -> None:
    policy = patched(AUTHORIZATION_POLICY, lambda d: _perms(d).update(permissionGrantPoliciesAssigned=assigned))
    assert status_of(user_consent_not_allowed(policy)) == expected


def test_user_consent_lists_offending_policy_first() -> None:
    assigned = [
        "ManagePermissionGrantsForOwnedResource.microsoft-dynamically-managed-permissions-for-team",
        "ManagePermissionGrantsForSelf.microsoft-user-default-low",
    ]
    decision = user_consent_not_allowed(
        patched(AUTHORIZATION_POLICY, lambda d: _perms(d).update(permissionGrantPoliciesAssigned=assigned))
    )
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert decision.evidence[0].id == "ManagePermissionGrantsForSelf.microsoft-user-default-low"
    assert "microsoft-user-default-low" in decision.reason
    assert "ignored" in (decision.evidence[1].detail or "")


# ------------------------------------------------------------------------------------------------ 2.7


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: None, Status.COMPLIANT),
        (lambda d: d.update(isEnabled=False), Status.NON_COMPLIANT),
        (lambda d: d.update(reviewers=[]), Status.NON_COMPLIANT),
        (lambda d: d.update(reviewers=None), Status.NON_COMPLIANT),
        (lambda d: d.update(notifyReviewers=False, remindersEnabled=False), Status.COMPLIANT),  # advice only
        (lambda d: d.pop("isEnabled"), None),
        (lambda d: d.update(isEnabled=None), None),
        (lambda d: d.pop("reviewers"), None),  # enabled, but reviewers not in the response
        (lambda d: (d.pop("reviewers"), d.update(isEnabled=False)), Status.NON_COMPLIANT),
    ],
)
def test_admin_consent_workflow_enabled(change: Callable[[dict[str, Any]], Any], expected: Status | None) -> None:
    assert status_of(admin_consent_workflow_enabled(patched(ADMIN_CONSENT, change))) == expected


def test_admin_consent_evidence_reports_and_flags_advice() -> None:
    decision = admin_consent_workflow_enabled(patched(ADMIN_CONSENT, lambda d: d.update(remindersEnabled=False)))
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT
    details = {e.name: e.detail for e in decision.evidence if e.type == "setting"}
    assert details["reviewers"] == "2 reviewer scope(s)"
    assert details["remindersEnabled"] == "false (advice: turn on)"
    assert details["notifyReviewers"] == "true"
    assert details["requestDurationInDays"] == "30"
    assert "remindersEnabled" in decision.reason
    assert [e.name for e in decision.evidence if e.type == "reviewer"][
        0
    ] == "/users/0c8f4bd8-5a61-4c59-9df2-1b3b2de6fe21"


def test_admin_consent_missing_document_is_no_decision() -> None:
    assert isinstance(admin_consent_workflow_enabled(None), NoDecision)


# ------------------------------------------------------------------------------------------------ 2.9, 2.10


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (APPS_AND_SERVICES, Status.COMPLIANT),
        ({"value": APPS_AND_SERVICES}, Status.COMPLIANT),  # with the "value" wrapper
        ({"value": [APPS_AND_SERVICES]}, Status.COMPLIANT),
        (patched(APPS_AND_SERVICES, lambda d: d["settings"].update(isOfficeStoreEnabled=True)), Status.NON_COMPLIANT),
        (
            patched(APPS_AND_SERVICES, lambda d: d["settings"].update(isAppAndServicesTrialEnabled=True)),
            Status.COMPLIANT,
        ),
        (patched(APPS_AND_SERVICES, lambda d: d["settings"].pop("isOfficeStoreEnabled")), None),
        (patched(APPS_AND_SERVICES, lambda d: d.pop("settings")), None),
        ({}, None),
        (None, None),
    ],
)
def test_office_store_blocked(document: dict[str, Any] | None, expected: Status | None) -> None:
    assert status_of(office_store_blocked(document)) == expected


def test_office_store_reports_trial_setting() -> None:
    decision = office_store_blocked(
        patched(APPS_AND_SERVICES, lambda d: d["settings"].update(isAppAndServicesTrialEnabled=True))
    )
    assert isinstance(decision, Finding)
    trial = [e for e in decision.evidence if e.name == "isAppAndServicesTrialEnabled"]
    assert trial and trial[0].detail == "true (reported only)"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (FORMS, Status.COMPLIANT),
        ({"value": FORMS}, Status.COMPLIANT),
        (patched(FORMS, lambda d: d["settings"].update(isInOrgFormsPhishingScanEnabled=False)), Status.NON_COMPLIANT),
        (patched(FORMS, lambda d: d["settings"].update(isInOrgFormsPhishingScanEnabled=None)), None),
        (patched(FORMS, lambda d: d["settings"].pop("isInOrgFormsPhishingScanEnabled")), None),
        (None, None),
    ],
)
def test_forms_phishing_protection_enabled(document: dict[str, Any] | None, expected: Status | None) -> None:
    assert status_of(forms_phishing_protection_enabled(document)) == expected


# ------------------------------------------------------------------------------------------------ 2.5, 2.11


def test_infected_file_download_is_manual_with_atp_evidence() -> None:
    atp = [{"Name": "Default", "EnableATPForSPOTeamsODB": True, "EnableSafeDocs": False}]
    finding = infected_file_download_review(atp)
    assert finding.status is Status.MANUAL
    assert "DisallowInfectedFileDownload" in finding.reason and "Get-SPOTenant" in finding.reason
    assert finding.evidence[0].detail == "EnableATPForSPOTeamsODB = true"


def test_infected_file_download_warns_when_atp_is_off() -> None:
    finding = infected_file_download_review({"Name": "Default", "EnableATPForSPOTeamsODB": False})
    assert finding.status is Status.MANUAL
    assert "expect this recommendation to fail too" in finding.reason


def test_infected_file_download_without_exchange_names_the_permission() -> None:
    finding = infected_file_download_review(
        None, failures={"atp_policy_for_o365": "401 Unauthorized from the Exchange admin API"}
    )
    assert finding.status is Status.MANUAL
    assert "Exchange.ManageAsApp" in finding.reason
    assert "401 Unauthorized" in finding.reason
    assert finding.evidence == ()


def test_sway_sharing_is_manual_and_says_where() -> None:
    finding = sway_sharing_review()
    assert finding.status is Status.MANUAL
    assert "Org settings > Sway" in finding.reason


# ------------------------------------------------------------------------------------------------ 2.8 add-ins
from o365cis.findings import FailureKind, ReadError  # noqa: E402
from o365cis.rules.applications import outlook_addins_blocked  # noqa: E402

DEFAULT_RAP = "Default Role Assignment Policy"
CIS_RAP = "Restricted Add-ins Policy"


def rap(name: str, *roles: str, default: Any = False) -> dict[str, Any]:
    return {"Name": name, "Identity": name, "IsDefault": default, "AssignedRoles": ["MyBaseOptions", *roles]}


def mbx(name: str, policy: Any) -> dict[str, Any]:
    return {"Name": name, "UserPrincipalName": f"{name}@contoso.com", "RoleAssignmentPolicy": policy}


#: CIS's own remediation: a new policy without add-in roles on every mailbox; the old one, no longer the default,
#: stays in place with its roles.
REMEDIATED_POLICIES = [rap(DEFAULT_RAP, "My Custom Apps", "My Marketplace Apps"), rap(CIS_RAP, default=True)]
REMEDIATED_MAILBOXES = [mbx("adele", CIS_RAP), mbx("secops", CIS_RAP.upper())]
MAILBOX_REFUSED = ReadError(FailureKind.SERVICE, "Get-Mailbox -ResultSize Unlimited", "HTTP 503")


def test_addins_cis_remediation_is_compliant_listing_the_unused_policy() -> None:
    decision = outlook_addins_blocked(REMEDIATED_POLICIES, REMEDIATED_MAILBOXES)

    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT, decision.reason
    unused = next(e for e in decision.evidence if e.name == DEFAULT_RAP)
    assert "not in use" in (unused.detail or "") and "My Custom Apps" in (unused.detail or "")


@pytest.mark.parametrize(
    ("case", "policies", "mailboxes", "named"),
    [
        (
            "the bad policy is still the default",
            [rap(DEFAULT_RAP, "My Custom Apps", default=True), rap(CIS_RAP)],
            REMEDIATED_MAILBOXES,
            DEFAULT_RAP,
        ),
        (
            "one mailbox still on the bad policy",
            REMEDIATED_POLICIES,
            [*REMEDIATED_MAILBOXES, mbx("megan", DEFAULT_RAP)],
            DEFAULT_RAP,
        ),
        (
            "a mailbox names it by its distinguished name",
            REMEDIATED_POLICIES,
            [mbx("megan", f"CN={DEFAULT_RAP},CN=Policies,DC=contoso")],
            DEFAULT_RAP,
        ),
    ],
)
def test_addins_a_bad_policy_in_use_fails(
    case: str, policies: list[dict[str, Any]], mailboxes: list[dict[str, Any]], named: str
) -> None:
    decision = outlook_addins_blocked(policies, mailboxes)

    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT, decision.reason
    assert named in decision.reason and "in use" in decision.reason


def test_addins_a_failing_default_decides_even_without_mailboxes() -> None:
    decision = outlook_addins_blocked([rap(DEFAULT_RAP, "My ReadWriteMailbox Apps", default=True)], MAILBOX_REFUSED)

    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT


def test_addins_mailboxes_unreadable_and_default_clean_is_no_decision_carrying_the_failure() -> None:
    decision = outlook_addins_blocked(REMEDIATED_POLICIES, MAILBOX_REFUSED)

    assert isinstance(decision, NoDecision)
    assert decision.failures == (MAILBOX_REFUSED,)


def test_addins_no_mailbox_means_the_default_alone_decides() -> None:
    # The default policy is in use whatever the mailboxes (new mailboxes get it): the population is never empty.
    assert outlook_addins_blocked(REMEDIATED_POLICIES, []).status is Status.COMPLIANT  # type: ignore[union-attr]
    bad_default = [rap(DEFAULT_RAP, "My Custom Apps", default=True)]
    assert outlook_addins_blocked(bad_default, []).status is Status.NON_COMPLIANT  # type: ignore[union-attr]


def test_addins_null_policy_on_a_mailbox_means_the_default() -> None:
    decision = outlook_addins_blocked(REMEDIATED_POLICIES, [mbx("adele", None)])

    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT


@pytest.mark.parametrize(
    ("case", "policies", "mailboxes", "said"),
    [
        ("a mailbox names a policy that is not listed", REMEDIATED_POLICIES, [mbx("adele", "Ghost")], "Ghost"),
        ("RoleAssignmentPolicy missing on a mailbox", REMEDIATED_POLICIES, [{"Name": "adele"}], "1 mailbox"),
        ("RoleAssignmentPolicy a number", REMEDIATED_POLICIES, [mbx("adele", 7)], "1 mailbox"),
        (
            "IsDefault missing on the bad policy",
            [{**rap(DEFAULT_RAP, "My Custom Apps"), "IsDefault": None}, rap(CIS_RAP, default=True)],
            REMEDIATED_MAILBOXES,
            "IsDefault",
        ),
        (
            "AssignedRoles null on the default",
            [rap(DEFAULT_RAP, "My Custom Apps"), {**rap(CIS_RAP, default=True), "AssignedRoles": None}],
            REMEDIATED_MAILBOXES,
            "AssignedRoles",
        ),
        (
            "AssignedRoles a number on a used policy",
            [*REMEDIATED_POLICIES, {**rap("Sales"), "AssignedRoles": 3}],
            [mbx("adele", "Sales")],
            "AssignedRoles",
        ),
        ("no default policy in the response", [rap(DEFAULT_RAP), rap(CIS_RAP)], REMEDIATED_MAILBOXES, "0 default"),
    ],
)
def test_addins_unreadable_data_never_passes(
    case: str, policies: list[dict[str, Any]], mailboxes: list[dict[str, Any]], said: str
) -> None:
    decision = outlook_addins_blocked(policies, mailboxes)

    assert isinstance(decision, NoDecision), decision.reason
    assert said in decision.reason
