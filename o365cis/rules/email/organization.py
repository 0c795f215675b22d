"""Section 4 (Email Security / Exchange Online): organisation-wide settings, basic authentication (4.9) and
MailTips (4.15), over Get-OrganizationConfig, Get-AuthenticationPolicy and Get-TransportConfig.
"""

from __future__ import annotations

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._exchange import (
    Check,
    expect,
    merge_checks,
    object_name,
    object_names,
    objects,
    powershell_text,
    prop_bool,
    prop_int,
    prop_text,
    setting_evidence,
    singleton,
)
from o365cis.rules._types import Json, JsonList


def basic_auth_disabled(
    organization_config: JsonList | Json | None,
    authentication_policies: JsonList | None,
    transport_config: JsonList | Json | None = None,
) -> Decision:
    """4.9: the organisation's default authentication policy blocks every basic-auth protocol."""
    org = singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    transport = singleton(transport_config)
    smtp = (
        setting_evidence(
            "TransportConfig", "SmtpClientAuthenticationDisabled", transport.get("SmtpClientAuthenticationDisabled")
        )
        if transport is not None
        else Evidence(EvidenceType.SETTING, "TransportConfig", "SmtpClientAuthenticationDisabled", "not read")
    )
    note = Evidence(
        EvidenceType.NOTE,
        None,
        None,
        "Microsoft has turned basic authentication off for most Exchange Online protocols; a reviewer may waive a "
        "missing policy on that basis (SMTP AUTH is governed by SmtpClientAuthenticationDisabled)",
    )
    if "DefaultAuthenticationPolicy" not in org:
        return no_decision("OrganizationConfig carries no DefaultAuthenticationPolicy property", [smtp, note])
    raw = org["DefaultAuthenticationPolicy"]
    if raw is not None and not isinstance(raw, str):
        # Not a name: which policy applies cannot be told (never read as "none set").
        return no_decision(
            f"OrganizationConfig's DefaultAuthenticationPolicy is {powershell_text(raw)}, not a policy name",
            [smtp, note],
        )
    name = prop_text(org, "DefaultAuthenticationPolicy")
    head = setting_evidence("OrganizationConfig", "DefaultAuthenticationPolicy", name or None)
    if not name:
        return non_compliant("No default authentication policy is set for the organisation", [head, smtp, note])
    wanted = object_names({"Name": name})  # the value may be a name or a distinguished name
    policy = next((p for p in objects(authentication_policies) if wanted & object_names(p)), None)
    if policy is None:
        return no_decision(
            f"The default authentication policy {name!r} is not among the Get-AuthenticationPolicy results",
            [head, smtp, note],
        )
    basic = {k: v for k, v in policy.items() if k.startswith("AllowBasicAuth")}
    evidence = [
        head,
        *(setting_evidence(f"AuthenticationPolicy {object_name(policy)}", k, v) for k, v in sorted(basic.items())),
        smtp,
        note,
    ]
    allowed = sorted(k for k in basic if prop_bool(policy, k) is True)
    if allowed:
        return non_compliant(
            f"The default authentication policy {name} allows basic authentication: {', '.join(allowed)}", evidence
        )
    if not basic or any(prop_bool(policy, k) is None for k in basic):
        return no_decision(f"The AllowBasicAuth* values of {name} are absent or unreadable", evidence)
    return compliant(
        f"The default authentication policy {name} blocks basic authentication for every protocol", evidence
    )


_MAILTIP_SWITCHES = ("MailTipsAllTipsEnabled", "MailTipsExternalRecipientsTipsEnabled", "MailTipsGroupMetricsEnabled")


MAILTIPS_LARGE_AUDIENCE_MAX = 25


def mailtips_enabled(organization_config: JsonList | Json | None) -> Decision:
    """4.15: MailTips are on (all tips, external recipients, group metrics).

    The large-audience threshold is 25 or less.
    """
    org = singleton(organization_config)
    if org is None:
        return no_decision("Get-OrganizationConfig returned no object")
    evidence = [
        setting_evidence("OrganizationConfig", p, org.get(p))
        for p in (*_MAILTIP_SWITCHES, "MailTipsLargeAudienceThreshold")
    ]
    check = expect(org, dict.fromkeys(_MAILTIP_SWITCHES, True))
    threshold = prop_int(org, "MailTipsLargeAudienceThreshold")
    if threshold is None:
        check = merge_checks(check, Check((), ("MailTipsLargeAudienceThreshold",)))
    elif threshold > MAILTIPS_LARGE_AUDIENCE_MAX:
        check = merge_checks(
            check, Check((f"MailTipsLargeAudienceThreshold is {threshold} (25 or less expected)",), ())
        )
    if check.failing:
        return non_compliant("MailTips are not fully enabled: " + "; ".join(check.failing), evidence)
    if check.absent:
        return no_decision("OrganizationConfig lacks " + ", ".join(check.absent), evidence)
    return compliant(f"MailTips are enabled with a large-audience threshold of {threshold}", evidence)
