"""Decisions over Exchange Online admin API output and DNS look-ups.

Exchange: 1.2, 2.2, 2.3, 2.4, 2.8, 3.1, 3.2, 3.4, 3.5, 4.1-4.10, 4.14, 4.15, 5.1, 5.2, 6.4. DNS: 4.11 (with its
Exchange fallback), 4.12, 4.13. Every function is pure: it takes cmdlet output (lists of objects with the PowerShell
property names, as InvokeCommand returns them) or DNS outcomes, and returns a Finding or a NoDecision. Plan gates
(MDO for 2.3, 2.4, 4.7, 4.8, 4.10; LOCKBOX for 3.1) are applied by the wiring, not here.

Common reading of the catalogue: a value that was read and fails decides non_compliant; a property absent from
the response never passes, so when nothing fails but something is absent the source does not decide
(NoDecision), unless the rule names another outcome. The DNS rules raise ReadError when look-ups failed and no
domain fails outright (the catalogue's "DNS outcome": then the result is error, or 4.11's Exchange fallback).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.dns.mail import MailDomain, MailDomains, dkim_names, dmarc_name, needs_root_dmarc, spf_name
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.dns.records import (
    EXCHANGE_ONLINE_SPF_INCLUDE,
    dkim_public_key,
    dkim_records,
    dmarc_policy,
    dmarc_records,
    spf_allows_everyone,
    spf_authorises_exchange,
    spf_records,
    tag_list,
)
from o365cis.findings import (
    Decision,
    Evidence,
    FailureKind,
    ReadError,
    compliant,
    manual,
    no_decision,
    non_compliant,
    not_applicable,
)
from o365cis.rules.evidence import EVIDENCE_CAP, capped

Obj = Mapping[str, Any]
Objs = Sequence[Obj]

ABSENT = "(absent)"
BUILT_IN_PROTECTION = "built-in protection policy"  # unverified (catalogue): the preset policy's name


# ---------------------------------------------------------------------------------------------- value helpers
def _objects(data: Objs | Obj | None) -> list[Obj]:
    """Cmdlet output as a list of objects (a single object is accepted as a list of one)."""
    if data is None:
        return []
    if isinstance(data, Mapping):
        return [data]
    return [item for item in data if isinstance(item, Mapping)]


def _singleton(data: Objs | Obj | None) -> Obj | None:
    """The one object of a configuration cmdlet (Get-OrganizationConfig and the like)."""
    items = _objects(data)
    return items[0] if items else None


def _bool(obj: Obj | None, prop: str) -> bool | None:
    """A switch value; None when absent or not a boolean (strings "True"/"False" are accepted)."""
    value = obj.get(prop) if obj is not None else None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _int(obj: Obj | None, prop: str) -> int | None:
    value = obj.get(prop) if obj is not None else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _text(obj: Obj | None, prop: str) -> str:
    value = obj.get(prop) if obj is not None else None
    return value.strip() if isinstance(value, str) else ""


def _same(obj: Obj | None, prop: str, expected: str) -> bool:
    return _text(obj, prop).lower() == expected.lower()


def _values(value: Any) -> list[str]:
    """A multi-valued property as strings (null and "" are empty; objects give their name)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, Mapping):
        for key in ("DisplayName", "Name", "Identity", "PrimarySmtpAddress"):
            if isinstance(value.get(key), str) and value[key].strip():
                return [value[key].strip()]
        return [str(dict(value))]
    if isinstance(value, Iterable):
        return [v for item in value for v in _values(item)]
    return [str(value)]


def _show(value: Any) -> str:
    """A value as PowerShell would print it."""
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return ABSENT
    if isinstance(value, (list, tuple)):
        items = _values(value)
        return ", ".join(items) if items else "(empty)"
    return str(value)


def _prop(obj: Obj, prop: str) -> str:
    return f"{prop} {_show(obj.get(prop))}"


def _name(obj: Obj) -> str:
    for key in ("Name", "DisplayName", "Identity", "DomainName"):
        if isinstance(obj.get(key), str) and obj[key].strip():
            return str(obj[key]).strip()
    return "(unnamed)"


def _id(obj: Obj) -> str | None:
    for key in ("Guid", "ExchangeObjectId", "ImmutableId", "Identity", "Id"):
        if isinstance(obj.get(key), str) and obj[key].strip():
            return str(obj[key]).strip()
    return None


def _names(obj: Obj) -> set[str]:
    """Every spelling a rule may use to refer to the object (Name, Identity, the CN of a DN)."""
    found = {str(obj[k]).strip().lower() for k in ("Name", "Identity", "DistinguishedName", "Guid") if obj.get(k)}
    for value in list(found):
        match = re.match(r"^cn=([^,]+),", value)
        if match:
            found.add(match.group(1))
    return found


def _object(kind: str, obj: Obj, detail: str) -> Evidence:
    return Evidence(kind, _id(obj), _name(obj), detail)


def _setting(source: str, prop: str, value: Any) -> Evidence:
    return Evidence("setting", source, prop, _show(value))


def _default(items: Objs, flag: str = "IsDefault") -> Obj | None:
    return next((item for item in items if _bool(item, flag) is True), None)


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


@dataclass(frozen=True)
class _Check:
    """One object's test against a rule: what fails (read and wrong) and what is absent."""

    failing: tuple[str, ...]
    absent: tuple[str, ...]

    @property
    def passes(self) -> bool:
        return not self.failing and not self.absent


def _expect(obj: Obj, wanted: Mapping[str, bool]) -> _Check:
    """Switches that must hold given values."""
    failing, absent = [], []
    for prop, expected in wanted.items():
        value = _bool(obj, prop)
        if value is None:
            absent.append(prop)
        elif value is not expected:
            failing.append(f"{prop} is {_show(value)} ({_show(expected)} expected)")
    return _Check(tuple(failing), tuple(absent))


def _merge(*checks: _Check) -> _Check:
    return _Check(tuple(f for c in checks for f in c.failing), tuple(a for c in checks for a in c.absent))


def _configuration_switch(
    data: Objs | Obj | None, source: str, prop: str, *, wanted: bool, on: str, off: str
) -> Decision:
    """The one-switch rules (1.2, 3.1, 5.1): compliant when the switch has the wanted value."""
    obj = _singleton(data)
    if obj is None:
        return no_decision(f"Get-{source} returned no object")
    value = _bool(obj, prop)
    evidence = [_setting(source, prop, obj.get(prop))]
    if value is None:
        return no_decision(f"{source} carries no {prop} value", evidence)
    if value is wanted:
        return compliant(f"{on} ({prop} is {_show(value)})", evidence)
    return non_compliant(f"{off} ({prop} is {_show(value)})", evidence)


# ---------------------------------------------------------------------------------------------- policy in force
@dataclass(frozen=True)
class _InForce:
    policy: Obj
    why: str
    rules: tuple[Obj, ...]


def _scope(rule: Obj) -> str:
    """Whom a Defender rule applies to (its recipient conditions and exceptions)."""
    parts = []
    for prop in (
        "SentTo",
        "SentToMemberOf",
        "RecipientDomainIs",
        "ExceptIfSentTo",
        "ExceptIfSentToMemberOf",
        "ExceptIfRecipientDomainIs",
    ):
        values = _values(rule.get(prop))
        if values:
            parts.append(f"{prop} {', '.join(values)}")
    return "; ".join(parts) if parts else "no recipient condition"


def _policies_in_force(
    policies: Objs, rules: Objs, rule_key: str, *, built_in: bool
) -> tuple[list[_InForce], list[Obj]]:
    """(policies in force with why, the others): the default, one an enabled rule names, or the built-in preset."""
    enabled: dict[str, list[Obj]] = {}
    for rule in rules:
        if _same(rule, "State", "Enabled"):
            enabled.setdefault(_text(rule, rule_key).lower(), []).append(rule)
    in_force: list[_InForce] = []
    others: list[Obj] = []
    for policy in policies:
        names = _names(policy)
        matching = tuple(rule for name in sorted(names) for rule in enabled.get(name, []))
        if _bool(policy, "IsDefault") is True:
            in_force.append(_InForce(policy, "default policy", matching))
        elif matching:
            in_force.append(_InForce(policy, "enabled rule " + ", ".join(_name(r) for r in matching), matching))
        elif built_in and (
            _name(policy).lower() == BUILT_IN_PROTECTION or _bool(policy, "IsBuiltInProtection") is True
        ):
            in_force.append(_InForce(policy, "built-in protection policy", ()))
        else:
            others.append(policy)
    return in_force, others


def _decide_in_force(
    kind: str,
    what: str,
    policies: Objs,
    rules: Objs,
    rule_key: str,
    test: Callable[[Obj], _Check],
    show: Sequence[str],
    *,
    built_in: bool,
    extra: Sequence[tuple[str, Obj, _Check]] = (),
) -> Decision:
    """Shared shape of 2.3, 4.7, 4.8, 4.10: compliant when some policy in force passes `test`."""
    in_force, others = _policies_in_force(_objects(policies), _objects(rules), rule_key, built_in=built_in)
    evidence: list[Evidence] = []
    passing: list[str] = []
    undecided = False
    for item in in_force:
        check = test(item.policy)
        values = "; ".join(_prop(item.policy, p) for p in show)
        scopes = " | ".join(f"{_name(r)}: {_scope(r)}" for r in item.rules)
        verdict = (
            "passes"
            if check.passes
            else "fails: " + "; ".join([*check.failing, *(f"{a} absent" for a in check.absent)])
        )
        evidence.append(
            _object(
                kind,
                item.policy,
                f"in force ({item.why}); {values}" + (f"; scope {scopes}" if scopes else "") + f"; {verdict}",
            )
        )
        if check.passes:
            passing.append(_name(item.policy))
        elif not check.failing:
            undecided = True
    for label, obj, check in extra:
        verdict = (
            "passes"
            if check.passes
            else "fails: " + "; ".join([*check.failing, *(f"{a} absent" for a in check.absent)])
        )
        evidence.append(_object(kind, obj, f"{label}; {verdict}"))
        if check.passes:
            passing.append(label)
        elif not check.failing:
            undecided = True
    evidence.extend(_object(kind, p, "not in force (no enabled rule names it)") for p in others)
    evidence = capped(evidence, "policies")
    if passing:
        return compliant(f"{what[:1].upper()}{what[1:]} is in force: {', '.join(passing)}", evidence)
    if undecided:
        return no_decision(
            "No policy in force is proven to meet the rule: some values are absent from the response", evidence
        )
    if not in_force and not extra:
        return non_compliant(
            f"No {what} is in force (none is the default, built-in or named by an enabled rule)", evidence
        )
    return non_compliant(f"No policy in force meets the rule for {what}", evidence)


# ---------------------------------------------------------------------------------------------- section 1-3
def exchange_modern_auth_enabled(organization_config: Objs | Obj | None) -> Decision:
    """1.2: OrganizationConfig.OAuth2ClientProfileEnabled is True."""
    return _configuration_switch(
        organization_config,
        "OrganizationConfig",
        "OAuth2ClientProfileEnabled",
        wanted=True,
        on="Modern authentication is enabled for Exchange Online",
        off="Modern authentication is disabled for Exchange Online",
    )


def _calendar_entries(policy: Obj) -> list[str]:
    """Domains entries sharing calendars with everyone ("*") or anonymously."""
    offending = []
    for entry in _values(policy.get("Domains")):
        domain, _, actions = entry.partition(":")
        if domain.strip().lower() in ("*", "anonymous") and "calendarsharing" in actions.lower():
            offending.append(entry)
    return offending


def calendar_sharing_disabled(sharing_policies: Objs | None) -> Decision:
    """2.2: the default sharing policy is off and no enabled policy shares calendars with everyone or anonymously."""
    policies = _objects(sharing_policies)
    evidence = [
        _object(
            "sharing_policy",
            p,
            f"Default {_show(p.get('Default'))}; Enabled {_show(p.get('Enabled'))}; Domains {_show(p.get('Domains'))}",
        )
        for p in policies
    ]
    default = _default(policies, "Default")
    if default is None:
        return no_decision(
            "Get-SharingPolicy shows no default policy (Default True): no verdict from Exchange", evidence
        )
    failures: list[Evidence] = []
    if _bool(default, "Enabled") is True:
        failures.append(
            _object("sharing_policy", default, f"default policy enabled; Domains {_show(default.get('Domains'))}")
        )
    for policy in policies:
        if policy is default or _bool(policy, "Enabled") is not True:
            continue
        entries = _calendar_entries(policy)
        if entries:
            failures.append(_object("sharing_policy", policy, f"enabled; shares calendars via {', '.join(entries)}"))
    if failures:
        return non_compliant(
            f"External calendar sharing is allowed by {_plural(len(failures), 'sharing policy entry')}: "
            + ", ".join(e.name or "?" for e in failures),
            [*failures, *evidence],
        )
    if _bool(default, "Enabled") is None:
        return no_decision("The default sharing policy carries no Enabled value", evidence)
    return compliant(
        "The default sharing policy is disabled and no enabled policy shares calendars with everyone", evidence
    )


def _safe_links_office(policy: Obj) -> _Check:
    track = _bool(policy, "TrackClicks")
    checks = [_expect(policy, {"EnableSafeLinksForOffice": True, "AllowClickThrough": False})]
    if track is None and _bool(policy, "DoNotTrackUserClicks") is not None:
        checks.append(_expect(policy, {"DoNotTrackUserClicks": False}))  # older output
    else:
        checks.append(_expect(policy, {"TrackClicks": True}))
    return _merge(*checks)


def safe_links_for_office_apps(
    safe_links_policies: Objs | None, safe_links_rules: Objs | None, atp_policy_for_o365: Objs | Obj | None
) -> Decision:
    """2.3: a Safe Links policy in force protects Office apps, blocks click-through and tracks clicks."""
    extra: list[tuple[str, Obj, _Check]] = []
    atp = _singleton(atp_policy_for_o365)
    if atp is not None and "EnableSafeLinksForO365Clients" in atp:
        # v1.3-era tenants kept these settings on the ATP policy for Office 365.
        check = _merge(
            _expect(atp, {"EnableSafeLinksForO365Clients": True, "AllowClickThrough": False, "TrackClicks": True})
        )
        values = "; ".join(_prop(atp, p) for p in ("EnableSafeLinksForO365Clients", "AllowClickThrough", "TrackClicks"))
        extra.append((f"AtpPolicyForO365 (v1.3-era settings): {values}", atp, check))
    return _decide_in_force(
        "safe_links_policy",
        "Safe Links for Office apps",
        safe_links_policies or [],
        safe_links_rules or [],
        "SafeLinksPolicy",
        _safe_links_office,
        ("EnableSafeLinksForOffice", "AllowClickThrough", "TrackClicks", "DoNotTrackUserClicks"),
        built_in=True,
        extra=extra,
    )


def atp_for_spo_teams_odb(atp_policy_for_o365: Objs | Obj | None) -> Decision:
    """2.4: Defender for Office 365 protects SharePoint, OneDrive and Teams (EnableATPForSPOTeamsODB)."""
    atp = _singleton(atp_policy_for_o365)
    if atp is None:
        return no_decision("Get-AtpPolicyForO365 returned no object")
    value = _bool(atp, "EnableATPForSPOTeamsODB")
    evidence = [
        _setting("AtpPolicyForO365", "EnableATPForSPOTeamsODB", atp.get("EnableATPForSPOTeamsODB")),
        _setting("AtpPolicyForO365", "EnableSafeDocs", atp.get("EnableSafeDocs")),
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


def outlook_addins_blocked(role_assignment_policies: Objs | None) -> Decision:
    """2.8: no role assignment policy lets users install Outlook add-ins."""
    policies = _objects(role_assignment_policies)
    if not policies:
        return no_decision(
            "Get-RoleAssignmentPolicy returned no policy (every tenant has a default one): no verdict from Exchange"
        )
    offending: list[Evidence] = []
    unread: list[str] = []
    for policy in policies:
        if policy.get("AssignedRoles") is None:
            unread.append(_name(policy))
            continue
        roles = [r for r in _values(policy.get("AssignedRoles")) if r.replace(" ", "").lower() in _ADDIN_ROLES]
        if roles:
            offending.append(
                _object(
                    "role_assignment_policy",
                    policy,
                    f"IsDefault {_show(policy.get('IsDefault'))}; grants {', '.join(roles)}",
                )
            )
    if offending:
        return non_compliant(
            f"{_plural(len(offending), 'role assignment policy')} let users install Outlook add-ins: "
            + ", ".join(e.name or "?" for e in offending),
            capped(offending, "policies"),
        )
    listed = [
        _object("role_assignment_policy", p, f"IsDefault {_show(p.get('IsDefault'))}; no add-in role") for p in policies
    ]
    if unread:
        return no_decision(f"AssignedRoles is absent on {', '.join(unread)}", capped(listed, "policies"))
    return compliant(
        f"No role assignment policy grants an add-in role ({_plural(len(policies), 'policy')} checked)",
        capped(listed, "policies"),
    )


def customer_lockbox_enabled(organization_config: Objs | Obj | None) -> Decision:
    """3.1: OrganizationConfig.CustomerLockBoxEnabled is True."""
    return _configuration_switch(
        organization_config,
        "OrganizationConfig",
        "CustomerLockBoxEnabled",
        wanted=True,
        on="Customer Lockbox is enabled",
        off="Customer Lockbox is disabled",
    )


_LABEL_LOCATIONS = ("ExchangeLocation", "SharePointLocation", "OneDriveLocation", "ModernGroupLocation")


def sensitivity_labels_published(labels: Objs | None, label_policies: Objs | None) -> Decision:
    """3.2: a sensitivity label exists and an enabled label policy publishes labels."""
    label_list = _objects(labels)
    policies = _objects(label_policies)
    names = [_name(label) for label in label_list]
    evidence = [
        Evidence("labels", None, "sensitivity labels", f"{len(names)}: {', '.join(names[:EVIDENCE_CAP]) or 'none'}")
    ]
    published = []
    for policy in policies:
        locations = "; ".join(
            f"{loc} {_show(policy.get(loc))}" for loc in _LABEL_LOCATIONS if policy.get(loc) is not None
        )
        evidence.append(
            _object(
                "label_policy",
                policy,
                f"Enabled {_show(policy.get('Enabled'))}; Labels {_show(policy.get('Labels'))}"
                + (f"; {locations}" if locations else ""),
            )
        )
        if _bool(policy, "Enabled") is not False and _values(policy.get("Labels")):
            published.append(_name(policy))
    evidence.append(
        Evidence(
            "note",
            None,
            None,
            "Whether labels are applied to content in SharePoint cannot be measured by these reads: "
            "confirm with the data owners",
        )
    )
    evidence = capped(evidence, "label policies")
    missing = []
    if not label_list:
        missing.append("no sensitivity label exists")
    if not published:
        missing.append("no enabled label policy publishes labels")
    if missing:
        return non_compliant("Information protection is not set up: " + " and ".join(missing), evidence)
    return compliant(f"{_plural(len(label_list), 'sensitivity label')} published by {', '.join(published)}", evidence)


def _dlp_active(policy: Obj) -> bool:
    return _same(policy, "Mode", "Enable") and _bool(policy, "Enabled") is not False


def _dlp_evidence(policy: Obj) -> Evidence:
    workloads = _show(policy.get("Workload")) if policy.get("Workload") is not None else ""
    teams = _show(policy.get("TeamsLocation"))
    return _object(
        "dlp_policy",
        policy,
        f"Mode {_show(policy.get('Mode'))}; Enabled {_show(policy.get('Enabled'))}"
        + (f"; Workload {workloads}" if workloads else "")
        + f"; TeamsLocation {teams}",
    )


def dlp_policies_enabled(dlp_policies: Objs | None) -> Decision:
    """3.4: at least one DLP policy is turned on (Mode Enable, not disabled)."""
    policies = _objects(dlp_policies)
    evidence = capped([_dlp_evidence(p) for p in policies], "DLP policies")
    active = [_name(p) for p in policies if _dlp_active(p)]
    if active:
        return compliant(f"DLP policies enforced: {', '.join(active)}", evidence)
    if not policies:
        return non_compliant("No DLP policy exists", evidence)
    return non_compliant("No DLP policy is enforced (all are in test mode or disabled)", evidence)


def dlp_policies_for_teams(dlp_policies: Objs | None) -> Decision:
    """3.5: an enforced DLP policy covers Teams (non-empty TeamsLocation)."""
    policies = _objects(dlp_policies)
    evidence = capped(
        [_dlp_evidence(p) for p in policies if _values(p.get("TeamsLocation")) or _dlp_active(p)], "DLP policies"
    )
    covering = [_name(p) for p in policies if _dlp_active(p) and _values(p.get("TeamsLocation"))]
    if covering:
        return compliant(f"Enforced DLP policies cover Teams: {', '.join(covering)}", evidence)
    return non_compliant("No enforced DLP policy covers Teams chat and channel messages", evidence)


# ---------------------------------------------------------------------------------------------- section 4 (Exchange)
def common_attachment_filter_enabled(malware_filter_policies: Objs | None) -> Decision:
    """4.1: the default malware filter policy has the common attachments filter on."""
    policies = _objects(malware_filter_policies)
    default = _default(policies)
    if default is None:
        return no_decision("Get-MalwareFilterPolicy shows no default policy (IsDefault True)")
    value = _bool(default, "EnableFileFilter")
    evidence = [
        _object(
            "malware_filter_policy",
            default,
            f"default; EnableFileFilter {_show(default.get('EnableFileFilter'))}; "
            f"{len(_values(default.get('FileTypes')))} file types",
        )
    ]
    evidence += [
        _object(
            "malware_filter_policy",
            p,
            "warning: custom policy with the common attachments filter off (its rules are not read)",
        )
        for p in policies
        if p is not default and _bool(p, "EnableFileFilter") is False
    ]
    if value is None:
        return no_decision("The default malware filter policy carries no EnableFileFilter value", evidence)
    if value:
        return compliant("The common attachments filter is on in the default malware filter policy", evidence)
    return non_compliant("The common attachments filter is off in the default malware filter policy", evidence)


def outbound_spam_notifications_set(outbound_spam_policies: Objs | None) -> Decision:
    """4.2: the default outbound spam policy copies suspicious mail to someone.

    It also notifies someone of blocked senders.
    """
    default = _default(_objects(outbound_spam_policies))
    if default is None:
        return no_decision("Get-HostedOutboundSpamFilterPolicy shows no default policy (IsDefault True)")
    props = (
        "BccSuspiciousOutboundMail",
        "BccSuspiciousOutboundAdditionalRecipients",
        "NotifyOutboundSpam",
        "NotifyOutboundSpamRecipients",
    )
    evidence = [_setting(f"HostedOutboundSpamFilterPolicy {_name(default)}", p, default.get(p)) for p in props]
    failing: list[str] = []
    bcc = _bool(default, "BccSuspiciousOutboundMail")
    if bcc is False:
        failing.append("suspicious outgoing mail is not copied (BccSuspiciousOutboundMail False)")
    elif bcc and not _values(default.get("BccSuspiciousOutboundAdditionalRecipients")):
        failing.append("no BccSuspiciousOutboundAdditionalRecipients")
    notify_read = "NotifyOutboundSpam" in default or "NotifyOutboundSpamRecipients" in default
    notify = _bool(default, "NotifyOutboundSpam")
    if notify is False:
        failing.append("blocked senders are not notified (NotifyOutboundSpam False)")
    elif notify and not _values(default.get("NotifyOutboundSpamRecipients")):
        failing.append("no NotifyOutboundSpamRecipients")
    if failing:
        return non_compliant("The default outbound spam policy falls short: " + "; ".join(failing), evidence)
    if not notify_read:
        return manual(
            "The Notify* properties are absent from the default outbound spam policy (the notice may have moved to "
            "alert policies): review who is told when a sender is blocked",
            evidence,
        )
    if bcc is None or notify is None:
        return no_decision("The default outbound spam policy lacks some of the values the rule reads", evidence)
    return compliant("Suspicious outgoing mail is copied and blocked senders are notified", evidence)


_FORWARDING_ACTIONS = ("RedirectMessageTo", "BlindCopyTo", "CopyTo", "AddToRecipients")
_SMTP = re.compile(r"[^\s<>\"',;]+@([^\s<>\"',;]+)")


def _accepted(accepted_domains: Objs) -> list[tuple[str, bool]]:
    return [
        (
            _text(d, "DomainName").lower().lstrip("*."),
            _bool(d, "MatchSubDomains") is True or _text(d, "DomainName").startswith("*."),
        )
        for d in accepted_domains
        if _text(d, "DomainName")
    ]


def _internal(domain: str, accepted: list[tuple[str, bool]]) -> bool:
    return any(domain == name or (subdomains and domain.endswith("." + name)) for name, subdomains in accepted)


def transport_rules_do_not_forward_externally(transport_rules: Objs | None, accepted_domains: Objs | None) -> Decision:
    """4.3: no enabled transport rule redirects, copies or adds outside recipients."""
    accepted = _accepted(_objects(accepted_domains))
    offending: list[Evidence] = []
    unresolved: list[Evidence] = []
    disabled: list[Evidence] = []
    smtp_seen = False
    for rule in _objects(transport_rules):
        enabled = _same(rule, "State", "Enabled")
        external, names = [], []
        for action in _FORWARDING_ACTIONS:
            for target in _values(rule.get(action)):
                match = _SMTP.search(target)
                if match is None:
                    names.append(f"{action} {target}")
                    continue
                smtp_seen = smtp_seen or enabled
                if not _internal(match.group(1).lower().rstrip("."), accepted):
                    external.append(f"{action} {match.group(0)}")
        if external and enabled:
            offending.append(_object("transport_rule", rule, "enabled; external: " + ", ".join(external)))
        elif external:
            disabled.append(
                _object(
                    "transport_rule",
                    rule,
                    f"State {_show(rule.get('State'))} (listed only); external: " + ", ".join(external),
                )
            )
        if names and enabled:
            unresolved.append(
                _object("transport_rule", rule, "recipient names that are not SMTP addresses: " + ", ".join(names))
            )
    domains = Evidence(
        "accepted_domains", None, "Get-AcceptedDomain", ", ".join(name for name, _ in accepted) or "none"
    )
    if smtp_seen and not accepted:
        return no_decision(
            "Get-AcceptedDomain returned no domain, so internal and external addresses cannot be told apart", [domains]
        )
    evidence = capped([*offending, *unresolved, *disabled], "rules") + [domains]
    if offending:
        return non_compliant(
            f"{_plural(len(offending), 'enabled transport rule')} send mail to external addresses", evidence
        )
    if unresolved:
        return manual(
            "Enabled transport rules name recipients that are not SMTP addresses: "
            "check whether they are outside the organisation",
            evidence,
        )
    return compliant("No enabled transport rule forwards, copies or redirects mail to an external domain", evidence)


def _default_remote_domain(remote_domains: Objs) -> Obj | None:
    return next(
        (
            d
            for d in remote_domains
            if _text(d, "DomainName") == "*"
            or _text(d, "Identity").lower() == "default"
            or _name(d).lower() == "default"
        ),
        None,
    )


def automatic_forwarding_disabled(remote_domains: Objs | None, outbound_spam_policies: Objs | None) -> Decision:
    """4.4: the Default remote domain or the default outbound spam policy stops automatic forwarding."""
    domains = _objects(remote_domains)
    policies = _objects(outbound_spam_policies)
    remote = _default_remote_domain(domains)
    default = _default(policies)
    remote_forwarding = _bool(remote, "AutoForwardEnabled") if remote is not None else None
    mode = _text(default, "AutoForwardingMode") if default is not None else ""
    evidence = [
        _setting(
            "RemoteDomain Default",
            "AutoForwardEnabled",
            remote.get("AutoForwardEnabled") if remote is not None else None,
        ),
        *(
            _setting(
                f"HostedOutboundSpamFilterPolicy {_name(p)}" + (" (default)" if p is default else ""),
                "AutoForwardingMode",
                p.get("AutoForwardingMode"),
            )
            for p in policies
        ),
    ]
    exceptions = [
        _object(
            "remote_domain", d, f"exception to review: DomainName {_show(d.get('DomainName'))}; AutoForwardEnabled True"
        )
        for d in domains
        if d is not remote and _bool(d, "AutoForwardEnabled") is True
    ] + [
        _object("outbound_spam_policy", p, "exception to review: custom policy with AutoForwardingMode On")
        for p in policies
        if p is not default and _same(p, "AutoForwardingMode", "On")
    ]
    evidence = capped(evidence + exceptions, "items")
    if remote_forwarding is False:
        return compliant(
            "Automatic forwarding is off for the Default remote domain (AutoForwardEnabled False)", evidence
        )
    if mode.lower() == "off":
        return compliant(
            "The default outbound spam policy turns automatic forwarding off (AutoForwardingMode Off)", evidence
        )
    if remote_forwarding is None or not mode:
        return no_decision(
            "The Default remote domain or the default outbound spam policy is missing from the response, "
            "or lacks the value",
            evidence,
        )
    return non_compliant(
        "Automatic forwarding is allowed: Default remote domain AutoForwardEnabled True and "
        f"default outbound policy AutoForwardingMode {mode}"
        + (" (Microsoft-controlled, not treated as Off)" if mode.lower() == "automatic" else ""),
        evidence,
    )


def transport_rules_do_not_allowlist_domains(transport_rules: Objs | None) -> Decision:
    """4.5: no enabled transport rule bypasses spam filtering (SetSCL -1) for whole sender domains."""
    offending: list[Evidence] = []
    disabled: list[Evidence] = []
    rules = _objects(transport_rules)
    for rule in rules:
        domains = _values(rule.get("SenderDomainIs"))
        if not domains or _int(rule, "SetSCL") != -1:
            continue
        item = _object(
            "transport_rule", rule, f"State {_show(rule.get('State'))}; SenderDomainIs {', '.join(domains)}; SetSCL -1"
        )
        (offending if _same(rule, "State", "Enabled") else disabled).append(item)
    summary = Evidence("transport_rules", None, "Get-TransportRule", f"{_plural(len(rules), 'rule')} checked")
    evidence = capped([*offending, *disabled], "rules") + [summary]
    if offending:
        return non_compliant(
            f"{_plural(len(offending), 'enabled transport rule')} bypass spam filtering for sender domains", evidence
        )
    return compliant("No enabled transport rule allow-lists sender domains", evidence)


def _forwarding_block(rule: Obj) -> list[str]:
    """What keeps a transport rule from being the client-rules forwarding block (empty: it is one)."""
    missing = []
    if not _same(rule, "State", "Enabled"):
        missing.append(f"State {_show(rule.get('State'))}")
    if not _same(rule, "FromScope", "InOrganization"):
        missing.append("FromScope is not InOrganization")
    if not _same(rule, "SentToScope", "NotInOrganization"):
        missing.append("SentToScope is not NotInOrganization")
    if "autoforward" not in [v.lower() for v in _values(rule.get("MessageTypeMatches"))]:
        missing.append("MessageTypeMatches is not AutoForward")
    blocks = (
        bool(_text(rule, "RejectMessageReasonText") or _text(rule, "RejectMessageEnhancedStatusCode"))
        or _bool(rule, "DeleteMessage") is True
    )
    if not blocks:
        missing.append("no reject or delete action")
    return missing


def client_rules_forwarding_blocked(transport_rules: Objs | None, outbound_spam_policies: Objs | None) -> Decision:
    """4.6: a transport rule rejects auto-forwarded mail to outside, or outbound policies turn forwarding off."""
    near: list[Evidence] = []
    for rule in _objects(transport_rules):
        missing = _forwarding_block(rule)
        if not missing:
            return compliant(
                f"Transport rule {_name(rule)} rejects automatically forwarded mail sent outside the organisation",
                [
                    _object(
                        "transport_rule",
                        rule,
                        "matching rule: InOrganization -> NotInOrganization, AutoForward, blocked",
                    )
                ],
            )
        if len(missing) <= 2:
            near.append(_object("transport_rule", rule, "near miss: " + "; ".join(missing)))
    policies = _objects(outbound_spam_policies)
    default = _default(policies)
    custom_on = [p for p in policies if p is not default and _same(p, "AutoForwardingMode", "On")]
    evidence = capped(near, "rules") + [
        _setting(
            f"HostedOutboundSpamFilterPolicy {_name(p)}" + (" (default)" if p is default else ""),
            "AutoForwardingMode",
            p.get("AutoForwardingMode"),
        )
        for p in policies
    ]
    mode = _text(default, "AutoForwardingMode") if default is not None else ""
    if mode.lower() == "off" and not custom_on:
        return compliant(
            "No blocking transport rule, but the outbound spam policies turn automatic forwarding off "
            "(default Off, no custom policy On)",
            evidence,
        )
    if not mode:
        return no_decision(
            "No transport rule blocks forwarding and the default outbound spam policy "
            "(or its AutoForwardingMode) is missing",
            evidence,
        )
    reason = "No enabled transport rule rejects auto-forwarded mail to outside recipients, and "
    allowing = (
        "custom policies On: " + ", ".join(_name(p) for p in custom_on)
        if custom_on
        else "default AutoForwardingMode " + mode
    )
    reason += f"outbound policies allow forwarding ({allowing})"
    return non_compliant(reason, evidence)


def _safe_links_email(policy: Obj) -> _Check:
    email = (
        "EnableSafeLinksForEmail" if "EnableSafeLinksForEmail" in policy or "IsEnabled" not in policy else "IsEnabled"
    )
    return _expect(
        policy,
        {
            email: True,
            "EnableSafeLinksForTeams": True,
            "ScanUrls": True,
            "EnableForInternalSenders": True,
            "AllowClickThrough": False,
        },
    )


def safe_links_policy_enabled(safe_links_policies: Objs | None, safe_links_rules: Objs | None) -> Decision:
    """4.7: a Safe Links policy in force rewrites URLs in mail and Teams, scans them, covers internal senders."""
    return _decide_in_force(
        "safe_links_policy",
        "Safe Links",
        safe_links_policies or [],
        safe_links_rules or [],
        "SafeLinksPolicy",
        _safe_links_email,
        (
            "EnableSafeLinksForEmail",
            "EnableSafeLinksForTeams",
            "ScanUrls",
            "EnableForInternalSenders",
            "AllowClickThrough",
        ),
        built_in=True,
    )


def _safe_attachments(policy: Obj) -> _Check:
    check = _expect(policy, {"Enable": True})
    action = _text(policy, "Action")
    if not action:
        return _merge(check, _Check((), ("Action",)))
    if action.lower() != "block":
        return _merge(check, _Check((f"Action is {action} (Block expected)",), ()))
    return check


def safe_attachments_policy_enabled(
    safe_attachment_policies: Objs | None, safe_attachment_rules: Objs | None
) -> Decision:
    """4.8: a Safe Attachments policy in force is on with the Block action."""
    return _decide_in_force(
        "safe_attachment_policy",
        "Safe Attachments with Block",
        safe_attachment_policies or [],
        safe_attachment_rules or [],
        "SafeAttachmentPolicy",
        _safe_attachments,
        ("Enable", "Action"),
        built_in=True,
    )


def basic_auth_disabled(
    organization_config: Objs | Obj | None,
    authentication_policies: Objs | None,
    transport_config: Objs | Obj | None = None,
) -> Decision:
    """4.9: the organisation's default authentication policy blocks every basic-auth protocol."""
    org = _singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    transport = _singleton(transport_config)
    smtp = (
        _setting(
            "TransportConfig", "SmtpClientAuthenticationDisabled", transport.get("SmtpClientAuthenticationDisabled")
        )
        if transport is not None
        else Evidence("setting", "TransportConfig", "SmtpClientAuthenticationDisabled", "not read")
    )
    note = Evidence(
        "note",
        None,
        None,
        "Microsoft has turned basic authentication off for most Exchange Online protocols; a reviewer may waive a "
        "missing policy on that basis (SMTP AUTH is governed by SmtpClientAuthenticationDisabled)",
    )
    if "DefaultAuthenticationPolicy" not in org:
        return no_decision("OrganizationConfig carries no DefaultAuthenticationPolicy property", [smtp, note])
    name = _text(org, "DefaultAuthenticationPolicy")
    head = _setting("OrganizationConfig", "DefaultAuthenticationPolicy", name or None)
    if not name:
        return non_compliant("No default authentication policy is set for the organisation", [head, smtp, note])
    wanted = _names({"Name": name})  # the value may be a name or a distinguished name
    policy = next((p for p in _objects(authentication_policies) if wanted & _names(p)), None)
    if policy is None:
        return no_decision(
            f"The default authentication policy {name!r} is not among the Get-AuthenticationPolicy results",
            [head, smtp, note],
        )
    basic = {k: v for k, v in policy.items() if k.startswith("AllowBasicAuth")}
    evidence = [
        head,
        *(_setting(f"AuthenticationPolicy {_name(policy)}", k, v) for k, v in sorted(basic.items())),
        smtp,
        note,
    ]
    allowed = sorted(k for k in basic if _bool(policy, k) is True)
    if allowed:
        return non_compliant(
            f"The default authentication policy {name} allows basic authentication: {', '.join(allowed)}", evidence
        )
    if not basic or any(_bool(policy, k) is None for k in basic):
        return no_decision(f"The AllowBasicAuth* values of {name} are absent or unreadable", evidence)
    return compliant(
        f"The default authentication policy {name} blocks basic authentication for every protocol", evidence
    )


def _anti_phish(policy: Obj) -> _Check:
    threshold = _int(policy, "PhishThresholdLevel")
    level = (
        _Check((), ("PhishThresholdLevel",))
        if threshold is None
        else _Check(() if threshold >= 2 else (f"PhishThresholdLevel is {threshold} (2 or more expected)",), ())
    )
    switches = _expect(
        policy,
        {
            "Enabled": True,
            "EnableMailboxIntelligence": True,
            "EnableMailboxIntelligenceProtection": True,
            "EnableSpoofIntelligence": True,
        },
    )
    return _merge(switches, level)


def anti_phishing_policy_set(anti_phish_policies: Objs | None, anti_phish_rules: Objs | None) -> Decision:
    """4.10: an anti-phishing policy in force has threshold 2+.

    It also has mailbox intelligence (and protection) and spoof intelligence.
    """
    return _decide_in_force(
        "anti_phish_policy",
        "anti-phishing policy",
        anti_phish_policies or [],
        anti_phish_rules or [],
        "AntiPhishPolicy",
        _anti_phish,
        (
            "Enabled",
            "PhishThresholdLevel",
            "EnableMailboxIntelligence",
            "EnableMailboxIntelligenceProtection",
            "EnableSpoofIntelligence",
        ),
        built_in=False,
    )


def internal_malware_notifications_enabled(malware_filter_policies: Objs | None) -> Decision:
    """4.14: the default malware filter policy notifies an admin about malware sent by internal users."""
    default = _default(_objects(malware_filter_policies))
    if default is None:
        return no_decision("Get-MalwareFilterPolicy shows no default policy (IsDefault True)")
    props = ("EnableInternalSenderAdminNotifications", "InternalSenderAdminAddress")
    evidence = [_setting(f"MalwareFilterPolicy {_name(default)}", p, default.get(p)) for p in props]
    enabled = _bool(default, props[0])
    if enabled is False:
        return non_compliant(
            "Admins are not notified of malware sent by internal users (EnableInternalSenderAdminNotifications False)",
            evidence,
        )
    if enabled is None or props[1] not in default:
        return manual(
            "The internal-sender notification properties are absent from the default malware filter policy: "
            "review them in the Defender portal",
            evidence,
        )
    if not _text(default, props[1]):
        return non_compliant("Internal-sender notifications are on but no InternalSenderAdminAddress is set", evidence)
    return compliant(f"Malware sent by internal users is reported to {_text(default, props[1])}", evidence)


_MAILTIP_SWITCHES = ("MailTipsAllTipsEnabled", "MailTipsExternalRecipientsTipsEnabled", "MailTipsGroupMetricsEnabled")
MAILTIPS_LARGE_AUDIENCE_MAX = 25


def mailtips_enabled(organization_config: Objs | Obj | None) -> Decision:
    """4.15: MailTips are on (all tips, external recipients, group metrics).

    The large-audience threshold is 25 or less.
    """
    org = _singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    evidence = [
        _setting("OrganizationConfig", p, org.get(p)) for p in (*_MAILTIP_SWITCHES, "MailTipsLargeAudienceThreshold")
    ]
    check = _expect(org, dict.fromkeys(_MAILTIP_SWITCHES, True))
    threshold = _int(org, "MailTipsLargeAudienceThreshold")
    if threshold is None:
        check = _merge(check, _Check((), ("MailTipsLargeAudienceThreshold",)))
    elif threshold > MAILTIPS_LARGE_AUDIENCE_MAX:
        check = _merge(check, _Check((f"MailTipsLargeAudienceThreshold is {threshold} (25 or less expected)",), ()))
    if check.failing:
        return non_compliant("MailTips are not fully enabled: " + "; ".join(check.failing), evidence)
    if check.absent:
        return no_decision("OrganizationConfig lacks " + ", ".join(check.absent), evidence)
    return compliant(f"MailTips are enabled with a large-audience threshold of {threshold}", evidence)


# ---------------------------------------------------------------------------------------------- sections 5 and 6
def audit_log_search_enabled(admin_audit_log_config: Objs | Obj | None) -> Decision:
    """5.1: unified audit log ingestion is on (read through the Exchange host)."""
    return _configuration_switch(
        admin_audit_log_config,
        "AdminAuditLogConfig",
        "UnifiedAuditLogIngestionEnabled",
        wanted=True,
        on="Audit log search is enabled",
        off="Audit log search is disabled",
    )


# The action lists of the benchmark's remediation (evidence only: the catalogue does not decide on them).
AUDIT_ADMIN_ACTIONS = frozenset(
    {
        "Copy",
        "Create",
        "FolderBind",
        "HardDelete",
        "MessageBind",
        "Move",
        "MoveToDeletedItems",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)
AUDIT_DELEGATE_ACTIONS = frozenset(
    {
        "Create",
        "FolderBind",
        "HardDelete",
        "Move",
        "MoveToDeletedItems",
        "SendAs",
        "SendOnBehalf",
        "SoftDelete",
        "Update",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)
AUDIT_OWNER_ACTIONS = frozenset(
    {
        "Create",
        "HardDelete",
        "MailboxLogin",
        "Move",
        "MoveToDeletedItems",
        "SoftDelete",
        "Update",
        "UpdateCalendarDelegation",
        "UpdateFolderPermissions",
        "UpdateInboxRules",
    }
)
_AUDIT_LISTS = (
    ("AuditAdmin", AUDIT_ADMIN_ACTIONS),
    ("AuditDelegate", AUDIT_DELEGATE_ACTIONS),
    ("AuditOwner", AUDIT_OWNER_ACTIONS),
)


def _mailbox_evidence(mailboxes: Objs | None) -> list[Evidence]:
    if mailboxes is None:
        return [Evidence("note", None, None, "Get-Mailbox was not read: per-mailbox audit settings are not shown")]
    boxes = _objects(mailboxes)
    off = [m for m in boxes if _bool(m, "AuditEnabled") is False]
    items = [
        Evidence(
            "mailboxes",
            None,
            "AuditEnabled False",
            f"{len(off)} of {len(boxes)} mailboxes (evidence only: org-wide default auditing applies regardless)",
        )
    ]
    short: list[Evidence] = []
    for box in boxes:
        gaps = []
        for prop, expected in _AUDIT_LISTS:
            if box.get(prop) is None:
                continue
            missing = sorted(expected - set(_values(box.get(prop))))
            if missing:
                gaps.append(f"{prop} lacks {', '.join(missing)}")
        if gaps:
            short.append(Evidence("mailbox", _id(box), _text(box, "UserPrincipalName") or _name(box), "; ".join(gaps)))
    return items + capped(short, "mailboxes with short action lists", limit=20)


def mailbox_auditing_enabled(
    organization_config: Objs | Obj | None, audit_bypass_associations: Objs | None, mailboxes: Objs | None = None
) -> Decision:
    """5.2: mailbox auditing is on by default (AuditDisabled False) and no account bypasses it."""
    org = _singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    disabled = _bool(org, "AuditDisabled")
    bypassing = [b for b in _objects(audit_bypass_associations) if _bool(b, "AuditBypassEnabled") is True]
    evidence = [
        _setting("OrganizationConfig", "AuditDisabled", org.get("AuditDisabled")),
        *capped([_object("audit_bypass", b, "AuditBypassEnabled True") for b in bypassing], "accounts"),
        *_mailbox_evidence(mailboxes),
    ]
    failing = []
    if disabled is True:
        failing.append("mailbox auditing is off for the organisation (AuditDisabled True)")
    if bypassing:
        failing.append(f"{_plural(len(bypassing), 'account')} bypass mailbox auditing")
    if failing:
        return non_compliant("; ".join(failing).capitalize(), evidence)
    if disabled is None:
        return no_decision("OrganizationConfig carries no AuditDisabled value", evidence)
    return compliant("Mailbox auditing is on by default for every mailbox and no account bypasses it", evidence)


def owa_storage_providers_restricted(owa_mailbox_policies: Objs | None) -> Decision:
    """6.4: no OWA mailbox policy offers additional storage providers."""
    policies = _objects(owa_mailbox_policies)
    if not policies:
        return no_decision(
            "Get-OwaMailboxPolicy returned no policy (every tenant has a default one): no verdict from Exchange"
        )
    evidence = capped(
        [
            _object(
                "owa_mailbox_policy",
                p,
                f"IsDefault {_show(p.get('IsDefault'))}; "
                f"AdditionalStorageProvidersAvailable {_show(p.get('AdditionalStorageProvidersAvailable'))}",
            )
            for p in policies
        ],
        "policies",
    )
    allowing = [_name(p) for p in policies if _bool(p, "AdditionalStorageProvidersAvailable") is True]
    if allowing:
        return non_compliant(
            f"Additional storage providers are available in Outlook on the web through {', '.join(allowing)}", evidence
        )
    unknown = [_name(p) for p in policies if _bool(p, "AdditionalStorageProvidersAvailable") is None]
    if unknown:
        return no_decision(f"AdditionalStorageProvidersAvailable is absent on {', '.join(unknown)}", evidence)
    return compliant(
        f"No OWA mailbox policy offers additional storage providers ({_plural(len(policies), 'policy')} checked)",
        evidence,
    )


# ---------------------------------------------------------------------------------------------- DNS (4.11-4.13)
VALID, INVALID, FAILED, REVIEW, UNDECIDED = "valid", "invalid or absent", "failed", "needs review", "undecided"


@dataclass(frozen=True)
class DomainCheck:
    """One mail domain's DNS outcome for a rule: verdict, what was seen, and the look-ups that failed."""

    domain: str
    verdict: str
    detail: str
    failed: tuple[DnsOutcome, ...] = ()

    def evidence(self) -> Evidence:
        return Evidence("domain", None, self.domain, f"{self.verdict}: {self.detail}")


def _outcome(outcomes: Mapping[str, DnsOutcome], name: str) -> DnsOutcome:
    found = outcomes.get(name)
    if found is None:
        return DnsOutcome(name, OutcomeKind.FAILED, failure="not looked up")
    return found


def _skipped(domains: MailDomains) -> list[Evidence]:
    return [Evidence("domain", None, s.name, f"skipped: {s.why}") for s in domains.skipped]


def _dns_failure(checks: Sequence[DomainCheck], what: str) -> ReadError:
    failed = [c for c in checks if c.verdict == FAILED]
    first = failed[0].failed[0].name if failed and failed[0].failed else "?"
    story = "; ".join(f"{c.domain} (" + ", ".join(f"{o.name}: {o.failure}" for o in c.failed) + ")" for c in failed)
    return ReadError(
        FailureKind.SERVICE,
        f"DNS TXT {first}",
        f"{what} look-ups failed for {_plural(len(failed), 'mail domain')}: {story}",
    )


def _aggregate(domains: MailDomains, checks: list[DomainCheck], what: str, valid_reason: str) -> Decision:
    """The catalogue's "DNS outcome" aggregation; review comes last (4.12) and becomes manual."""
    if not domains.evaluated:
        return not_applicable(f"The tenant has no custom mail domain to check {what} for", _skipped(domains))
    ordered = sorted(checks, key=lambda c: (c.verdict != INVALID, c.verdict != FAILED, c.verdict != REVIEW, c.domain))
    evidence = [c.evidence() for c in ordered] + _skipped(domains)
    invalid = [c.domain for c in checks if c.verdict == INVALID]
    if invalid:
        return non_compliant(
            f"{what} is missing or wrong for {_plural(len(invalid), 'mail domain')}: {', '.join(invalid)}", evidence
        )
    if any(c.verdict == FAILED for c in checks):
        raise _dns_failure(checks, what)
    review = [c.domain for c in checks if c.verdict == REVIEW]
    if review:
        return manual(
            f"{what} of {', '.join(review)} does not include Exchange Online directly: "
            "review the senders it authorises",
            evidence,
        )
    return compliant(valid_reason.format(count=_plural(len(checks), "mail domain")), evidence)


def _dkim_selector(outcome: DnsOutcome, label: str) -> tuple[str, str]:
    """(verdict, detail) for one selector: a CNAME whose chain ends in a v=DKIM1 record with a key."""
    if outcome.failed:
        return FAILED, f"{label}: look-up failed ({outcome.failure})"
    if outcome.kind in (OutcomeKind.NXDOMAIN, OutcomeKind.NODATA):
        return INVALID, f"{label}: {outcome.describe()}"
    if not outcome.cname_chain:
        return INVALID, f"{label}: TXT placed at the selector itself, not a CNAME to Microsoft's key"
    keys = dkim_records(outcome.records)
    target = f"CNAME -> {outcome.final_name}"
    if not keys:
        return INVALID, f"{label}: {target}, no v=DKIM1 record there"
    if not any(dkim_public_key(k) for k in keys):
        return INVALID, f"{label}: {target}, key empty (revoked)"
    return VALID, f"{label}: {target}, key present"


def _dkim_dns_check(domain: MailDomain, outcomes: Mapping[str, DnsOutcome]) -> DomainCheck:
    names = dkim_names(domain.name)
    results = [_dkim_selector(_outcome(outcomes, name), name.split(".")[0]) for name in names]
    detail = "; ".join(d for _, d in results)
    verdicts = {v for v, _ in results}
    failed = tuple(o for o in (_outcome(outcomes, n) for n in names) if o.failed)
    if INVALID in verdicts:
        return DomainCheck(domain.name, INVALID, detail)
    if FAILED in verdicts:
        return DomainCheck(domain.name, FAILED, detail, failed)
    return DomainCheck(domain.name, VALID, detail)


def dkim_published(domains: MailDomains, outcomes: Mapping[str, DnsOutcome]) -> Decision:
    """4.11 (DNS): both selectors of every mail domain are CNAMEs to a published DKIM key.

    Raises ReadError when look-ups failed and no domain fails outright: the Exchange fallback
    (dkim_enabled_in_exchange) then decides the failed domains.
    """
    checks = [_dkim_dns_check(d, outcomes) for d in domains.evaluated]
    return _aggregate(domains, checks, "DKIM", "DKIM signing keys are published for all {count}")


def _dkim_config(configs: Objs, domain: str) -> Obj | None:
    for item in configs:
        if domain in {_text(item, k).lower().rstrip(".") for k in ("Domain", "Name", "Identity")}:
            return item
    return None


def dkim_enabled_in_exchange(
    domains: MailDomains, outcomes: Mapping[str, DnsOutcome], dkim_signing_configs: Objs | None
) -> Decision:
    """4.11 (Exchange fallback): Get-DkimSigningConfig decides the domains whose DNS look-ups failed.

    It never decides the others.
    """
    configs = _objects(dkim_signing_configs)
    checks: list[DomainCheck] = []
    for domain in domains.evaluated:
        check = _dkim_dns_check(domain, outcomes)
        if check.verdict != FAILED:
            checks.append(check)
            continue
        item = _dkim_config(configs, domain.name)
        if item is None:
            checks.append(
                DomainCheck(
                    domain.name, INVALID, f"DNS failed ({check.detail}); Exchange has no DKIM signing config for it"
                )
            )
            continue
        enabled = _bool(item, "Enabled")
        status = _text(item, "Status")
        seen = f"DNS failed ({check.detail}); Exchange: Enabled {_show(item.get('Enabled'))}" + (
            f", Status {status}" if status else ""
        )
        if enabled is None:
            checks.append(DomainCheck(domain.name, UNDECIDED, seen))
        elif enabled and (not status or status.lower() == "valid"):
            checks.append(DomainCheck(domain.name, VALID, seen))
        else:
            checks.append(DomainCheck(domain.name, INVALID, seen))
    if not domains.evaluated:
        return not_applicable("The tenant has no custom mail domain to check DKIM for", _skipped(domains))
    evidence = [c.evidence() for c in sorted(checks, key=lambda c: (c.verdict != INVALID, c.domain))] + _skipped(
        domains
    )
    invalid = [c.domain for c in checks if c.verdict == INVALID]
    if invalid:
        return non_compliant(
            f"DKIM is not enabled for {_plural(len(invalid), 'mail domain')}: {', '.join(invalid)}", evidence
        )
    undecided = [c.domain for c in checks if c.verdict == UNDECIDED]
    if undecided:
        return no_decision(f"Get-DkimSigningConfig carries no Enabled value for {', '.join(undecided)}", evidence)
    return compliant(
        f"DKIM is enabled for all {_plural(len(checks), 'mail domain')} (Exchange decided the ones DNS could not)",
        evidence,
    )


def expected_spf(service_configuration_records: Objs | None) -> str | None:
    """Microsoft's expected SPF text from GET /v1.0/domains/{id}/serviceConfigurationRecords (evidence only)."""
    for record in _objects(service_configuration_records):
        text = record.get("text")
        if isinstance(text, str) and text.lower().startswith("v=spf1") and _same(record, "supportedService", "Email"):
            return text
    return None


def _spf_check(domain: MailDomain, outcome: DnsOutcome, expected: str | None) -> DomainCheck:
    hint = f"; expected {expected!r}" if expected else ""
    if outcome.failed:
        return DomainCheck(domain.name, FAILED, f"look-up failed ({outcome.failure}){hint}", (outcome,))
    if outcome.kind is not OutcomeKind.FOUND:
        return DomainCheck(domain.name, INVALID, f"no SPF record: {outcome.describe()}{hint}")
    records = spf_records(outcome.records)
    if not records:
        return DomainCheck(domain.name, INVALID, f"no TXT record starts with v=spf1{hint}")
    if len(records) > 1:
        return DomainCheck(
            domain.name, INVALID, f"{len(records)} SPF records (permerror): " + " | ".join(records) + hint
        )
    record = records[0]
    if spf_allows_everyone(record):
        return DomainCheck(domain.name, INVALID, f"{record!r} ends in +all (authorises every sender){hint}")
    if spf_authorises_exchange(record):
        return DomainCheck(domain.name, VALID, f"{record!r}{hint}")
    return DomainCheck(
        domain.name, REVIEW, f"{record!r} has no include:{EXCHANGE_ONLINE_SPF_INCLUDE} (gateway or redirect?){hint}"
    )


def spf_published(
    domains: MailDomains, outcomes: Mapping[str, DnsOutcome], expected: Mapping[str, str] | None = None
) -> Decision:
    """4.12: every mail domain publishes exactly one SPF record that authorises Exchange Online."""
    checks = [
        _spf_check(d, _outcome(outcomes, spf_name(d.name)), (expected or {}).get(d.name)) for d in domains.evaluated
    ]
    return _aggregate(domains, checks, "SPF", "SPF records authorising Exchange Online are published for all {count}")


def _dmarc_from(domain: MailDomain, outcome: DnsOutcome, where: str) -> DomainCheck:
    records = dmarc_records(outcome.records) if outcome.kind is OutcomeKind.FOUND else []
    if not records:
        return DomainCheck(
            domain.name, INVALID, f"no v=DMARC1 record at {outcome.name} ({where}): {outcome.describe()}"
        )
    if len(records) > 1:
        return DomainCheck(
            domain.name,
            INVALID,
            f"{len(records)} DMARC records at {outcome.name} ({where}): none applies (RFC 7489 6.6.3)",
        )
    record = records[0]
    tags = tag_list(record)
    policy = dmarc_policy(record)
    shown = f"{record!r} at {outcome.name} ({where}); " + "; ".join(
        f"{t}={tags[t]}" for t in ("p", "sp", "pct", "rua", "ruf") if t in tags
    )
    if policy is None:
        return DomainCheck(domain.name, INVALID, f"{shown}; p= is missing or not none/quarantine/reject")
    advice = "; advice: p=none only monitors, move to quarantine or reject" if policy == "none" else ""
    return DomainCheck(domain.name, VALID, shown + advice)


def _dmarc_check(domain: MailDomain, outcomes: Mapping[str, DnsOutcome]) -> DomainCheck:
    own = _outcome(outcomes, dmarc_name(domain.name))
    if own.failed:
        return DomainCheck(domain.name, FAILED, f"look-up of {own.name} failed ({own.failure})", (own,))
    if needs_root_dmarc(domain, own) and domain.root:
        root = _outcome(outcomes, dmarc_name(domain.root))
        if root.failed:
            return DomainCheck(
                domain.name,
                FAILED,
                f"{own.name}: {own.describe()}; look-up of {root.name} failed ({root.failure})",
                (root,),
            )
        if root.kind is OutcomeKind.FOUND:
            return _dmarc_from(domain, root, f"root domain {domain.root}")
        return DomainCheck(domain.name, INVALID, f"no DMARC record at {own.name} nor at {root.name} (root domain)")
    return _dmarc_from(domain, own, "own")


def dmarc_published(domains: MailDomains, outcomes: Mapping[str, DnsOutcome]) -> Decision:
    """4.13: every mail domain (or, for a subdomain without one, its root) publishes one DMARC record with a policy."""
    checks = [_dmarc_check(d, outcomes) for d in domains.evaluated]
    return _aggregate(domains, checks, "DMARC", "DMARC records are published for all {count}")
