"""Section 2 (Application Permissions): the recommendations Graph decides, the Exchange-decided ones (2.2 calendar
sharing, 2.3 Safe Links for Office apps, 2.4 Defender for SharePoint, OneDrive and Teams, 2.8 Outlook add-ins), and
the two manual ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from o365cis.findings import (
    Decision,
    Evidence,
    EvidenceType,
    Finding,
    NoDecision,
    ReadError,
    compliant,
    manual,
    no_decision,
    non_compliant,
)
from o365cis.rules._exchange import (
    Check,
    default_object,
    expect,
    merge_checks,
    object_evidence,
    object_name,
    object_names,
    objects,
    powershell_text,
    prop_bool,
    prop_detail,
    setting_evidence,
    singleton,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import json_text, plural
from o365cis.rules.email.precedence import decide_applying, defender_walk
from o365cis.rules.evidence import capped
from o365cis.rules.manual_review import ManualReview

_OWN_RESOURCE_PREFIX = "managepermissiongrantsforownedresource."
_SELF_CONSENT_PREFIX = "managepermissiongrantsforself."


def _singleton(document: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> Mapping[str, Any] | None:
    """The one object of a singleton response, with or without a "value" wrapper (object or one-item list)."""
    if document is None:
        return None
    if isinstance(document, Sequence) and not isinstance(document, (str, bytes)):
        return document[0] if len(document) == 1 and isinstance(document[0], Mapping) else None
    if not isinstance(document, Mapping):
        return None
    if "value" in document and not any(key in document for key in ("settings", "defaultUserRolePermissions", "id")):
        return _singleton(document["value"])
    return document


def _authorization_policy(document: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    # v1.0 returns authorizationPolicy as a singleton; beta returns a collection of one
    # (https://learn.microsoft.com/graph/api/authorizationpolicy-get). Accept both.
    return _singleton(document)


def users_cannot_register_apps(authorization_policy: Mapping[str, Any] | None) -> Decision:
    """2.1: ordinary users may not register applications (allowedToCreateApps false)."""
    policy = _authorization_policy(authorization_policy)
    permissions = (policy or {}).get("defaultUserRolePermissions")
    if not isinstance(permissions, Mapping) or not isinstance(permissions.get("allowedToCreateApps"), bool):
        return no_decision("authorizationPolicy has no defaultUserRolePermissions.allowedToCreateApps value")
    allowed = permissions["allowedToCreateApps"]
    evidence = [
        Evidence(
            EvidenceType.SETTING,
            str((policy or {}).get("id") or "authorizationPolicy"),
            "defaultUserRolePermissions.allowedToCreateApps",
            json_text(allowed),
        )
    ]
    if allowed:
        return non_compliant("Users can register applications (allowedToCreateApps is true)", evidence)
    return compliant("Users cannot register applications (allowedToCreateApps is false)", evidence)


def user_consent_not_allowed(authorization_policy: Mapping[str, Any] | None) -> Decision:
    """2.6: no ManagePermissionGrantsForSelf.* policy is assigned to the default user role."""
    policy = _authorization_policy(authorization_policy)
    permissions = (policy or {}).get("defaultUserRolePermissions")
    assigned = permissions.get("permissionGrantPoliciesAssigned") if isinstance(permissions, Mapping) else None
    if not isinstance(assigned, list):
        return no_decision("authorizationPolicy has no defaultUserRolePermissions.permissionGrantPoliciesAssigned list")
    policy_ids = [str(item) for item in assigned]
    # Graph writes these ids with a fixed prefix; compare case-insensitively so a hand-edited
    # capture still matches (https://learn.microsoft.com/entra/identity/enterprise-apps/configure-user-consent).
    offending = [pid for pid in policy_ids if pid.lower().startswith(_SELF_CONSENT_PREFIX)]
    others = [pid for pid in policy_ids if pid not in offending]
    evidence = [
        Evidence(EvidenceType.PERMISSION_GRANT_POLICY, pid, pid, "lets users consent for themselves")
        for pid in offending
    ]
    for pid in others:
        detail = "owner consent (ignored by this rule)" if pid.lower().startswith(_OWN_RESOURCE_PREFIX) else "assigned"
        evidence.append(Evidence(EvidenceType.PERMISSION_GRANT_POLICY, pid, pid, detail))
    if offending:
        return non_compliant(
            f"User consent to apps is allowed: {len(offending)} user-consent grant polic"
            f"{'y is' if len(offending) == 1 else 'ies are'} assigned ({', '.join(offending)})",
            evidence,
        )
    return compliant("User consent to apps is not allowed (no ManagePermissionGrantsForSelf policy assigned)", evidence)


def _reviewer_text(reviewer: Any) -> str:
    if not isinstance(reviewer, Mapping):
        return str(reviewer)
    query = reviewer.get("query") or "?"
    root = reviewer.get("queryRoot")
    return f"{query} (root {root})" if root else str(query)


def admin_consent_workflow_enabled(admin_consent_request_policy: Mapping[str, Any] | None) -> Decision:
    """2.7: the admin consent workflow is on and has at least one reviewer."""
    policy = _singleton(admin_consent_request_policy)
    if policy is None or not isinstance(policy.get("isEnabled"), bool):
        return no_decision("adminConsentRequestPolicy has no isEnabled value")
    enabled = policy["isEnabled"]
    if "reviewers" not in policy and enabled:
        return no_decision("adminConsentRequestPolicy is enabled but the response carries no reviewers list")
    reviewers = policy.get("reviewers") or []
    evidence = [
        Evidence(EvidenceType.SETTING, "adminConsentRequestPolicy", "isEnabled", json_text(enabled)),
        Evidence(EvidenceType.SETTING, "adminConsentRequestPolicy", "reviewers", f"{len(reviewers)} reviewer scope(s)"),
    ]
    for reviewer in reviewers:
        query_type = reviewer.get("queryType") if isinstance(reviewer, Mapping) else None
        evidence.append(Evidence(EvidenceType.REVIEWER, None, _reviewer_text(reviewer), query_type))
    advice = []
    for name in ("notifyReviewers", "remindersEnabled"):
        value = policy.get(name)
        flagged = " (advice: turn on)" if value is False else ""
        evidence.append(Evidence(EvidenceType.SETTING, "adminConsentRequestPolicy", name, json_text(value) + flagged))
        if value is False:
            advice.append(name)
    evidence.append(
        Evidence(
            EvidenceType.SETTING,
            "adminConsentRequestPolicy",
            "requestDurationInDays",
            json_text(policy.get("requestDurationInDays")),
        )
    )
    if not enabled:
        return non_compliant("The admin consent workflow is disabled (isEnabled is false)", evidence)
    if not reviewers:
        return non_compliant("The admin consent workflow is enabled but has no reviewers", evidence)
    note = f"; advice: {' and '.join(advice)} false" if advice else ""
    return compliant(f"The admin consent workflow is enabled with {len(reviewers)} reviewer scope(s){note}", evidence)


def _settings(document: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    resource = _singleton(document)
    settings = (resource or {}).get("settings")
    return settings if isinstance(settings, Mapping) else None


def office_store_blocked(apps_and_services: Mapping[str, Any] | None) -> Decision:
    """2.9: users may not get Word, Excel and PowerPoint add-ins from the Office Store (beta admin/appsAndServices)."""
    settings = _settings(apps_and_services)
    if settings is None or not isinstance(settings.get("isOfficeStoreEnabled"), bool):
        return no_decision("admin/appsAndServices has no settings.isOfficeStoreEnabled value")
    store = settings["isOfficeStoreEnabled"]
    trial = settings.get("isAppAndServicesTrialEnabled")
    evidence = [
        Evidence(EvidenceType.SETTING, "appsAndServices", "isOfficeStoreEnabled", json_text(store)),
        Evidence(
            EvidenceType.SETTING,
            "appsAndServices",
            "isAppAndServicesTrialEnabled",
            json_text(trial) + " (reported only)",
        ),
    ]
    if store:
        return non_compliant("Users can access the Office Store (isOfficeStoreEnabled is true)", evidence)
    return compliant("Users cannot access the Office Store (isOfficeStoreEnabled is false)", evidence)


def forms_phishing_protection_enabled(forms: Mapping[str, Any] | None) -> Decision:
    """2.10: Microsoft Forms scans forms for phishing inside the organisation (beta admin/forms)."""
    settings = _settings(forms)
    if settings is None or not isinstance(settings.get("isInOrgFormsPhishingScanEnabled"), bool):
        return no_decision("admin/forms has no settings.isInOrgFormsPhishingScanEnabled value")
    scan = settings["isInOrgFormsPhishingScanEnabled"]
    evidence = [Evidence(EvidenceType.SETTING, "forms", "isInOrgFormsPhishingScanEnabled", json_text(scan))]
    if scan:
        return compliant("Internal phishing protection for Forms is on", evidence)
    return non_compliant(
        "Internal phishing protection for Forms is off (isInOrgFormsPhishingScanEnabled is false)", evidence
    )


def infected_file_download_review(
    atp_policy_for_o365: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """2.5 (manual): what to check in SharePoint, with EnableATPForSPOTeamsODB from Get-AtpPolicyForO365 as evidence.

    Pass None when Get-AtpPolicyForO365 could not be read, with its failure text in failures["atp_policy_for_o365"].
    """
    review = ManualReview(
        "Review in SharePoint Online PowerShell: Get-SPOTenant | Format-List DisallowInfectedFileDownload must show "
        "True (neither Graph nor the Exchange admin API exposes this setting)",
        failures,
    )
    if atp_policy_for_o365 is None:
        review.missing(
            "atp_policy_for_o365",
            "Get-AtpPolicyForO365",
            "Exchange.ManageAsApp and an Entra role such as Global Reader",
        )
        return review.finding()
    policy = _singleton(atp_policy_for_o365) or {}
    value = policy.get("EnableATPForSPOTeamsODB")
    name = str(policy.get("Name") or policy.get("Identity") or "Default")
    review.evidence.append(
        Evidence(
            EvidenceType.EXCHANGE_SETTING,
            None,
            f"AtpPolicyForO365 {name}",
            f"EnableATPForSPOTeamsODB = {json_text(value)}",
        )
    )
    if value is False:
        # Download blocking only acts on files Defender for Office 365 has flagged
        # (https://learn.microsoft.com/defender-office-365/safe-attachments-for-spo-odfb-teams-configure).
        review.note(
            "EnableATPForSPOTeamsODB is false: no file is flagged as infected, so download blocking has nothing to "
            "act on; expect this recommendation to fail too"
        )
    elif value is True:
        review.note(
            "EnableATPForSPOTeamsODB is true: Defender for Office 365 scans SharePoint, OneDrive and Teams files"
        )
    else:
        review.note("Get-AtpPolicyForO365 returned no EnableATPForSPOTeamsODB value")
    return review.finding()


def sway_sharing_review() -> Finding:
    """2.11 (manual): no API exposes Sway sharing; say where to look."""
    return manual(
        "Review in the Microsoft 365 admin center > Settings > Org settings > Sway > Sharing: 'Let people in your "
        "organization share their sways with people outside your organization' must be unchecked (no Graph resource, "
        "Exchange cmdlet or Secure Score control exposes Sway sharing, so nothing was read)"
    )


def _calendar_entries(policy: Json) -> list[str]:
    """Domains entries sharing calendars with everyone ("*") or anonymously."""
    offending = []
    for entry in text_values(policy.get("Domains")):
        domain, _, actions = entry.partition(":")
        if domain.strip().lower() in ("*", "anonymous") and "calendarsharing" in actions.lower():
            offending.append(entry)
    return offending


def calendar_sharing_disabled(sharing_policies: JsonList | None) -> Decision:
    """2.2: the default sharing policy is off and no enabled policy shares calendars with everyone or anonymously."""
    policies = objects(sharing_policies)
    evidence = [
        object_evidence(
            EvidenceType.SHARING_POLICY,
            p,
            f"Default {powershell_text(p.get('Default'))}; Enabled {powershell_text(p.get('Enabled'))}; "
            f"Domains {powershell_text(p.get('Domains'))}",
        )
        for p in policies
    ]
    default = default_object(policies, "Default")
    if default is None:
        return no_decision(
            "Get-SharingPolicy shows no default policy (Default True): no verdict from Exchange", evidence
        )
    failures: list[Evidence] = []
    if prop_bool(default, "Enabled") is True:
        failures.append(
            object_evidence(
                EvidenceType.SHARING_POLICY,
                default,
                f"default policy enabled; Domains {powershell_text(default.get('Domains'))}",
            )
        )
    unreadable: list[str] = []
    for policy in policies:
        enabled = prop_bool(policy, "Enabled")
        if policy is default or enabled is False:
            continue
        entries = _calendar_entries(policy)
        if entries and enabled is None:
            # A missing, null or non-boolean Enabled is not "disabled": this policy may share calendars.
            unreadable.append(f"{object_name(policy)} (Enabled {powershell_text(policy.get('Enabled'))})")
        elif entries:
            failures.append(
                object_evidence(
                    EvidenceType.SHARING_POLICY, policy, f"enabled; shares calendars via {', '.join(entries)}"
                )
            )
    if failures:
        return non_compliant(
            f"External calendar sharing is allowed by {plural(len(failures), 'sharing policy entry')}: "
            + ", ".join(e.name or "?" for e in failures),
            [*failures, *evidence],
        )
    if prop_bool(default, "Enabled") is None:
        return no_decision("The default sharing policy carries no Enabled value", evidence)
    if unreadable:
        return no_decision(
            "Sharing policies that share calendars with everyone carry no readable Enabled value: "
            + ", ".join(unreadable),
            evidence,
        )
    return compliant(
        "The default sharing policy is disabled and no enabled policy shares calendars with everyone", evidence
    )


def _safe_links_office(policy: Json) -> Check:
    track = prop_bool(policy, "TrackClicks")
    checks = [expect(policy, {"EnableSafeLinksForOffice": True, "AllowClickThrough": False})]
    if track is None and prop_bool(policy, "DoNotTrackUserClicks") is not None:
        checks.append(expect(policy, {"DoNotTrackUserClicks": False}))  # older output
    else:
        checks.append(expect(policy, {"TrackClicks": True}))
    return merge_checks(*checks)


def safe_links_for_office_apps(
    safe_links_policies: JsonList | None,
    safe_links_rules: JsonList | None,
    atp_protection_rules: JsonList | None,
    accepted_domains: JsonList | None,
    atp_policy_for_o365: JsonList | Json | None,
) -> Decision:
    """2.3: every Safe Links policy that applies protects Office apps, blocks click-through and tracks clicks.

    Policies that apply: the Strict / Standard preset, custom policies by priority, the Built-In Protection Policy
    (rules.email.precedence). The v1.3-era settings on the ATP policy for Office 365 are an alternative.
    """
    alternative: tuple[str, Json, Check] | None = None
    atp = singleton(atp_policy_for_o365)
    if atp is not None and "EnableSafeLinksForO365Clients" in atp:
        # v1.3-era tenants kept these settings on the ATP policy for Office 365.
        check = merge_checks(
            expect(atp, {"EnableSafeLinksForO365Clients": True, "AllowClickThrough": False, "TrackClicks": True})
        )
        values = "; ".join(
            prop_detail(atp, p) for p in ("EnableSafeLinksForO365Clients", "AllowClickThrough", "TrackClicks")
        )
        alternative = (f"AtpPolicyForO365 (v1.3-era settings): {values}", atp, check)
    result = defender_walk(
        safe_links_policies, safe_links_rules, "SafeLinksPolicy", atp_protection_rules, accepted_domains
    )
    return decide_applying(
        EvidenceType.SAFE_LINKS_POLICY,
        "Safe Links for Office apps",
        result,
        _safe_links_office,
        ("EnableSafeLinksForOffice", "AllowClickThrough", "TrackClicks", "DoNotTrackUserClicks"),
        alternative=alternative,
    )


def atp_for_spo_teams_odb(atp_policy_for_o365: JsonList | Json | None) -> Decision:
    """2.4: Defender for Office 365 protects SharePoint, OneDrive and Teams (EnableATPForSPOTeamsODB)."""
    atp = singleton(atp_policy_for_o365)
    if atp is None:
        return no_decision("Get-AtpPolicyForO365 returned no object")
    value = prop_bool(atp, "EnableATPForSPOTeamsODB")
    evidence = [
        setting_evidence("AtpPolicyForO365", "EnableATPForSPOTeamsODB", atp.get("EnableATPForSPOTeamsODB")),
        setting_evidence("AtpPolicyForO365", "EnableSafeDocs", atp.get("EnableSafeDocs")),
    ]
    if value is None:
        return no_decision("AtpPolicyForO365 carries no EnableATPForSPOTeamsODB value", evidence)
    if value:
        return compliant("Defender for Office 365 is on for SharePoint, OneDrive and Teams", evidence)
    return non_compliant(
        "Defender for Office 365 is off for SharePoint, OneDrive and Teams (EnableATPForSPOTeamsODB False)", evidence
    )


_ADDIN_ROLES = {
    "mycustomapps": "My Custom Apps",
    "mymarketplaceapps": "My Marketplace Apps",
    "myreadwritemailboxapps": "My ReadWriteMailbox Apps",
}


def _addin_roles(policy: Json) -> list[str] | None:
    """The add-in roles a policy grants; None when AssignedRoles is missing, null or not a list of names."""
    assigned = policy.get("AssignedRoles")
    if not isinstance(assigned, (list, tuple, str)):
        return None
    return [r for r in text_values(assigned) if r.replace(" ", "").lower() in _ADDIN_ROLES]


def _policies_named_by_mailboxes(
    policies: JsonList, mailboxes: JsonList
) -> tuple[dict[int, int], list[str], list[str]]:
    """(policy index -> mailboxes naming it, names matching no policy, mailboxes whose RoleAssignmentPolicy is
    missing or not a name).

    The catalogue's 2.8: matched to Name or Identity, case-insensitive; null means the default policy.
    """
    by_name: dict[str, int] = {}
    for index, policy in enumerate(policies):
        for name in object_names(policy):
            by_name.setdefault(name, index)
    used: dict[int, int] = {}
    unmatched: list[str] = []
    unreadable: list[str] = []
    for mailbox in mailboxes:
        if "RoleAssignmentPolicy" not in mailbox:
            unreadable.append(object_name(mailbox))
            continue
        value = mailbox["RoleAssignmentPolicy"]
        if value is None:  # the default policy, which is in use anyway
            continue
        names = text_values(value) if isinstance(value, (str, Mapping)) else []
        if len(names) != 1:
            unreadable.append(object_name(mailbox))
            continue
        # Matched as object_names spells a policy (Name, Identity, the CN of a distinguished name).
        spelled = names[0].lower()
        named = by_name.get(spelled)
        if named is None and spelled.startswith("cn="):
            named = by_name.get(spelled[3:].split(",", 1)[0])
        if named is None:
            unmatched.append(names[0])
        else:
            used[named] = used.get(named, 0) + 1
    return used, sorted(set(unmatched)), unreadable


def outlook_addins_blocked(role_assignment_policies: JsonList | None, mailboxes: JsonList | ReadError) -> Decision:
    """2.8: no role assignment policy in use lets users install Outlook add-ins.

    In use: the IsDefault policy (Exchange gives it to new mailboxes) or one a mailbox's RoleAssignmentPolicy names
    (Get-Mailbox). Policies no mailbox uses are listed, not counted: CIS's remediation assigns a new policy to every
    mailbox and leaves the old one in place. `mailboxes` is Get-Mailbox's output or the ReadError that kept it from
    being read; a failing default policy decides non_compliant without it.
    """
    policies = objects(role_assignment_policies)
    if not policies:
        return no_decision(
            "Get-RoleAssignmentPolicy returned no policy (every tenant has a default one): no verdict from Exchange"
        )
    mailbox_failure = mailboxes if isinstance(mailboxes, ReadError) else None
    used: dict[int, int] = {}
    unmatched: list[str] = []
    unreadable: list[str] = []
    if not isinstance(mailboxes, ReadError):
        used, unmatched, unreadable = _policies_named_by_mailboxes(policies, objects(mailboxes))
    offending: list[Evidence] = []
    listed: list[Evidence] = []
    undecided: list[str] = []
    defaults = 0
    for index, policy in enumerate(policies):
        is_default = prop_bool(policy, "IsDefault")
        defaults += is_default is True
        roles = _addin_roles(policy)
        why = [
            *(["default policy"] if is_default else []),
            *([f"named by {plural(used[index], 'mailbox', 'mailboxes')}"] if index in used else []),
        ]
        in_use = bool(why) or (is_default is None)  # an unreadable IsDefault may be the default
        if is_default is None:
            why.append("IsDefault missing, null or not a boolean (may be the default)")
        detail = f"IsDefault {powershell_text(policy.get('IsDefault'))}; " + (
            f"in use ({', '.join(why)})" if in_use else "not in use (not the default, no mailbox names it)"
        )
        if roles is None:
            listed.append(
                object_evidence(EvidenceType.ROLE_ASSIGNMENT_POLICY, policy, f"{detail}; AssignedRoles unread")
            )
            if in_use:
                undecided.append(f"{object_name(policy)} (AssignedRoles missing, null or not a list)")
            continue
        grants = f"grants {', '.join(roles)}" if roles else "no add-in role"
        item = object_evidence(EvidenceType.ROLE_ASSIGNMENT_POLICY, policy, f"{detail}; {grants}")
        if roles and in_use and is_default is not None:
            offending.append(item)
        else:
            listed.append(item)
            if roles and in_use:
                undecided.append(f"{object_name(policy)} (grants {', '.join(roles)}; IsDefault unreadable)")
    notes = [
        *(
            Evidence(EvidenceType.ROLE_ASSIGNMENT_POLICY, None, name, "named by a mailbox, matches no policy")
            for name in unmatched
        ),
        *(
            Evidence(EvidenceType.SETTING, "Get-Mailbox", name, "RoleAssignmentPolicy missing or not a name")
            for name in unreadable
        ),
    ]
    evidence = capped([*offending, *listed, *notes], "policies")
    if offending:
        return non_compliant(
            f"{plural(len(offending), 'role assignment policy')} in use let users install Outlook add-ins: "
            + ", ".join(e.name or "?" for e in offending),
            evidence,
        )
    if mailbox_failure is not None:
        return NoDecision(
            "no policy the mailboxes use could be known (Get-Mailbox failed) and the default grants no add-in role",
            tuple(evidence),
            (mailbox_failure,),
        )
    if defaults != 1:
        # The catalogue's "empty sets": a default object missing from the response is unusable data.
        return no_decision(f"Get-RoleAssignmentPolicy shows {defaults} default policies (one expected)", evidence)
    if undecided or unmatched or unreadable:
        return no_decision(
            "cannot tell whether the policies in use grant add-in roles: "
            + "; ".join(
                [
                    *undecided,
                    *(f"{n} is named by a mailbox but matches no policy" for n in unmatched),
                    *(
                        [f"{plural(len(unreadable), 'mailbox', 'mailboxes')} without a readable RoleAssignmentPolicy"]
                        if unreadable
                        else []
                    ),
                ]
            ),
            evidence,
        )
    in_use_count = len(set(used) | {i for i, p in enumerate(policies) if prop_bool(p, "IsDefault")})
    return compliant(
        f"No role assignment policy in use grants an add-in role ({plural(in_use_count, 'policy')} in use"
        + (f"; {len(policies) - in_use_count} not in use, listed only)" if len(policies) > in_use_count else ")"),
        evidence,
    )
