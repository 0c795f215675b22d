"""Section 4 (Email Security / Exchange Online): mail flow that leaves the organisation or skips filtering.

Transport rules that forward externally (4.3) or allow-list sender domains (4.5), automatic forwarding to remote
domains (4.4) and client-rule forwarding (4.6), over Get-TransportRule, Get-AcceptedDomain, Get-RemoteDomain and the
outbound spam filter policies.
"""

from __future__ import annotations

import re

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, manual, no_decision, non_compliant
from o365cis.rules._exchange import (
    FORWARDING_ACTIONS,
    default_object,
    object_evidence,
    object_name,
    objects,
    powershell_text,
    prop_bool,
    prop_int,
    prop_is,
    prop_text,
    setting_evidence,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.evidence import capped

_SMTP = re.compile(r"[^\s<>\"',;]+@([^\s<>\"',;]+)")


def _accepted(accepted_domains: JsonList) -> list[tuple[str, bool]]:
    return [
        (
            prop_text(d, "DomainName").lower().lstrip("*."),
            prop_bool(d, "MatchSubDomains") is True or prop_text(d, "DomainName").startswith("*."),
        )
        for d in accepted_domains
        if prop_text(d, "DomainName")
    ]


def _internal(domain: str, accepted: list[tuple[str, bool]]) -> bool:
    return any(domain == name or (subdomains and domain.endswith("." + name)) for name, subdomains in accepted)


def transport_rules_do_not_forward_externally(
    transport_rules: JsonList | None, accepted_domains: JsonList | None
) -> Decision:
    """4.3: no enabled transport rule redirects, copies or adds outside recipients."""
    accepted = _accepted(objects(accepted_domains))
    offending: list[Evidence] = []
    unresolved: list[Evidence] = []
    disabled: list[Evidence] = []
    smtp_seen = False
    for rule in objects(transport_rules):
        enabled = prop_is(rule, "State", "Enabled")
        external, names = [], []
        for action in FORWARDING_ACTIONS:
            for target in text_values(rule.get(action)):
                match = _SMTP.search(target)
                if match is None:
                    names.append(f"{action} {target}")
                    continue
                smtp_seen = smtp_seen or enabled
                if not _internal(match.group(1).lower().rstrip("."), accepted):
                    external.append(f"{action} {match.group(0)}")
        if external and enabled:
            offending.append(
                object_evidence(EvidenceType.TRANSPORT_RULE, rule, "enabled; external: " + ", ".join(external))
            )
        elif external:
            disabled.append(
                object_evidence(
                    EvidenceType.TRANSPORT_RULE,
                    rule,
                    f"State {powershell_text(rule.get('State'))} (listed only); external: " + ", ".join(external),
                )
            )
        if names and enabled:
            unresolved.append(
                object_evidence(
                    EvidenceType.TRANSPORT_RULE,
                    rule,
                    "recipient names that are not SMTP addresses: " + ", ".join(names),
                )
            )
    domains = Evidence(
        EvidenceType.ACCEPTED_DOMAINS, None, "Get-AcceptedDomain", ", ".join(name for name, _ in accepted) or "none"
    )
    if smtp_seen and not accepted:
        return no_decision(
            "Get-AcceptedDomain returned no domain, so internal and external addresses cannot be told apart", [domains]
        )
    evidence = capped([*offending, *unresolved, *disabled], "rules") + [domains]
    if offending:
        return non_compliant(
            f"{plural(len(offending), 'enabled transport rule')} send mail to external addresses", evidence
        )
    if unresolved:
        return manual(
            "Enabled transport rules name recipients that are not SMTP addresses: "
            "check whether they are outside the organisation",
            evidence,
        )
    return compliant("No enabled transport rule forwards, copies or redirects mail to an external domain", evidence)


def _default_remote_domain(remote_domains: JsonList) -> Json | None:
    return next(
        (
            d
            for d in remote_domains
            if prop_text(d, "DomainName") == "*"
            or prop_text(d, "Identity").lower() == "default"
            or object_name(d).lower() == "default"
        ),
        None,
    )


def automatic_forwarding_disabled(remote_domains: JsonList | None, outbound_spam_policies: JsonList | None) -> Decision:
    """4.4: the Default remote domain or the default outbound spam policy stops automatic forwarding."""
    domains = objects(remote_domains)
    policies = objects(outbound_spam_policies)
    remote = _default_remote_domain(domains)
    default = default_object(policies)
    remote_forwarding = prop_bool(remote, "AutoForwardEnabled") if remote is not None else None
    mode = prop_text(default, "AutoForwardingMode") if default is not None else ""
    evidence = [
        setting_evidence(
            "RemoteDomain Default",
            "AutoForwardEnabled",
            remote.get("AutoForwardEnabled") if remote is not None else None,
        ),
        *(
            setting_evidence(
                f"HostedOutboundSpamFilterPolicy {object_name(p)}" + (" (default)" if p is default else ""),
                "AutoForwardingMode",
                p.get("AutoForwardingMode"),
            )
            for p in policies
        ),
    ]
    exceptions = [
        object_evidence(
            EvidenceType.REMOTE_DOMAIN,
            d,
            f"exception to review: DomainName {powershell_text(d.get('DomainName'))}; AutoForwardEnabled True",
        )
        for d in domains
        if d is not remote and prop_bool(d, "AutoForwardEnabled") is True
    ] + [
        object_evidence(
            EvidenceType.OUTBOUND_SPAM_POLICY, p, "exception to review: custom policy with AutoForwardingMode On"
        )
        for p in policies
        if p is not default and prop_is(p, "AutoForwardingMode", "On")
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


def transport_rules_do_not_allowlist_domains(transport_rules: JsonList | None) -> Decision:
    """4.5: no enabled transport rule bypasses spam filtering (SetSCL -1) for whole sender domains."""
    offending: list[Evidence] = []
    disabled: list[Evidence] = []
    rules = objects(transport_rules)
    for rule in rules:
        domains = text_values(rule.get("SenderDomainIs"))
        if not domains or prop_int(rule, "SetSCL") != -1:
            continue
        item = object_evidence(
            EvidenceType.TRANSPORT_RULE,
            rule,
            f"State {powershell_text(rule.get('State'))}; SenderDomainIs {', '.join(domains)}; SetSCL -1",
        )
        (offending if prop_is(rule, "State", "Enabled") else disabled).append(item)
    summary = Evidence(EvidenceType.TRANSPORT_RULES, None, "Get-TransportRule", f"{plural(len(rules), 'rule')} checked")
    evidence = capped([*offending, *disabled], "rules") + [summary]
    if offending:
        return non_compliant(
            f"{plural(len(offending), 'enabled transport rule')} bypass spam filtering for sender domains", evidence
        )
    return compliant("No enabled transport rule allow-lists sender domains", evidence)


def _forwarding_block(rule: Json) -> list[str]:
    """What keeps a transport rule from being the client-rules forwarding block (empty: it is one)."""
    missing = []
    if not prop_is(rule, "State", "Enabled"):
        missing.append(f"State {powershell_text(rule.get('State'))}")
    if not prop_is(rule, "FromScope", "InOrganization"):
        missing.append("FromScope is not InOrganization")
    if not prop_is(rule, "SentToScope", "NotInOrganization"):
        missing.append("SentToScope is not NotInOrganization")
    if "autoforward" not in [v.lower() for v in text_values(rule.get("MessageTypeMatches"))]:
        missing.append("MessageTypeMatches is not AutoForward")
    blocks = (
        bool(prop_text(rule, "RejectMessageReasonText") or prop_text(rule, "RejectMessageEnhancedStatusCode"))
        or prop_bool(rule, "DeleteMessage") is True
    )
    if not blocks:
        missing.append("no reject or delete action")
    return missing


def client_rules_forwarding_blocked(
    transport_rules: JsonList | None, outbound_spam_policies: JsonList | None
) -> Decision:
    """4.6: a transport rule rejects auto-forwarded mail to outside, or outbound policies turn forwarding off."""
    near: list[Evidence] = []
    for rule in objects(transport_rules):
        missing = _forwarding_block(rule)
        if not missing:
            return compliant(
                f"Transport rule {object_name(rule)} rejects automatically forwarded mail sent outside the "
                "organisation",
                [
                    object_evidence(
                        EvidenceType.TRANSPORT_RULE,
                        rule,
                        "matching rule: InOrganization -> NotInOrganization, AutoForward, blocked",
                    )
                ],
            )
        if len(missing) <= 2:
            near.append(object_evidence(EvidenceType.TRANSPORT_RULE, rule, "near miss: " + "; ".join(missing)))
    policies = objects(outbound_spam_policies)
    default = default_object(policies)
    custom_on = [p for p in policies if p is not default and prop_is(p, "AutoForwardingMode", "On")]
    evidence = capped(near, "rules") + [
        setting_evidence(
            f"HostedOutboundSpamFilterPolicy {object_name(p)}" + (" (default)" if p is default else ""),
            "AutoForwardingMode",
            p.get("AutoForwardingMode"),
        )
        for p in policies
    ]
    mode = prop_text(default, "AutoForwardingMode") if default is not None else ""
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
        "custom policies On: " + ", ".join(object_name(p) for p in custom_on)
        if custom_on
        else "default AutoForwardingMode " + mode
    )
    reason += f"outbound policies allow forwarding ({allowing})"
    return non_compliant(reason, evidence)
