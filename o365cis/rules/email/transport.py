"""Section 4 (Email Security / Exchange Online): mail flow that leaves the organisation or skips filtering.

Transport rules that forward externally (4.3) or allow-list sender domains (4.5), automatic forwarding to remote
domains (4.4) and client-rule forwarding (4.6), over Get-TransportRule, Get-AcceptedDomain, Get-RemoteDomain and the
outbound spam filter policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, manual, no_decision, non_compliant
from o365cis.rules._exchange import (
    FORWARDING_ACTIONS,
    Check,
    Unreadable,
    cannot_decide,
    need_int,
    object_evidence,
    object_name,
    objects,
    powershell_text,
    prop_bool,
    prop_is,
    prop_text,
    rule_enabled,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.email.precedence import SENDER_AUDIENCE, accepted_domain_names, judge, walk
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


#: Transport rule modes that test a rule without acting on messages ("Mode" on
#: https://learn.microsoft.com/powershell/module/exchange/new-transportrule: Audit, AuditAndNotify, Enforce).
_AUDIT_MODES = ("audit", "auditandnotify")


def _mode(rule: Json) -> str:
    """The rule's Mode; an absent or null Mode is Enforce (the cmdlet's default). Raises Unreadable when it is not a
    string."""
    mode = rule.get("Mode")
    if mode is None:
        return "Enforce"
    if not isinstance(mode, str):
        raise Unreadable(rule, "Mode", "a string")
    return mode.strip()


def _in_force(rule: Json, *, odd_mode_counts: bool) -> bool:
    """A transport rule in force: State Enabled and Mode Enforce (absent Mode = Enforce). Rules in Audit or
    AuditAndNotify mode take no action on messages. A Mode the cmdlet does not document is counted where that is
    the cautious reading (`odd_mode_counts`: prohibitions) and not counted where a rule must act (requirements).

    Raises Unreadable when State is missing, null, not a string or neither Enabled nor Disabled, or Mode is not a
    string: such a rule may be in force (a prohibition cannot pass over it) and is not proven in force (a requirement
    cannot rest on it). A rule clearly Disabled is not in force whatever its Mode."""
    if not rule_enabled(rule):
        return False
    mode = _mode(rule).lower()
    if mode == "enforce":
        return True
    if mode in _AUDIT_MODES:
        return False
    return odd_mode_counts


def _not_in_force(rule: Json) -> str:
    """Why a rule is listed only: its State or its Mode."""
    if not prop_is(rule, "State", "Enabled"):
        return f"State {powershell_text(rule.get('State'))}"
    return f"Mode {_mode(rule)} (takes no action)"


def transport_rules_do_not_forward_externally(
    transport_rules: JsonList | None, accepted_domains: JsonList | None
) -> Decision:
    """4.3: no enabled transport rule redirects, copies or adds outside recipients."""
    accepted = _accepted(objects(accepted_domains))
    offending: list[Evidence] = []
    unresolved: list[Evidence] = []
    disabled: list[Evidence] = []
    unreadable: list[Unreadable] = []
    smtp_seen = False
    for rule in objects(transport_rules):
        external, names, smtp = [], [], False
        for action in FORWARDING_ACTIONS:
            for target in text_values(rule.get(action)):
                match = _SMTP.search(target)
                if match is None:
                    names.append(f"{action} {target}")
                    continue
                smtp = True
                if not _internal(match.group(1).lower().rstrip("."), accepted):
                    external.append(f"{action} {match.group(0)}")
        if not external and not names and not smtp:
            continue  # it sends mail to nobody: whether it is in force does not matter
        try:
            enabled = _in_force(rule, odd_mode_counts=True)
        except Unreadable as error:
            if external or names:  # it may be in force, so it cannot be passed over
                unreadable.append(error)
            continue
        smtp_seen = smtp_seen or (smtp and enabled)
        if external and enabled:
            offending.append(
                object_evidence(
                    EvidenceType.TRANSPORT_RULE,
                    rule,
                    f"in force (Mode {_mode(rule)}); external: " + ", ".join(external),
                )
            )
        elif external:
            disabled.append(
                object_evidence(
                    EvidenceType.TRANSPORT_RULE,
                    rule,
                    f"{_not_in_force(rule)} (listed only); external: " + ", ".join(external),
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
            f"{plural(len(offending), 'transport rule')} in force {'sends' if len(offending) == 1 else 'send'} mail to "
            "external addresses",
            evidence,
        )
    if unreadable:
        return cannot_decide(unreadable, evidence)
    if unresolved:
        return manual(
            "Transport rules in force name recipients that are not SMTP addresses: "
            "check whether they are outside the organisation",
            evidence,
        )
    return compliant(
        "No transport rule in force (Enabled, Mode Enforce) forwards, copies or redirects mail to an external domain",
        evidence,
    )


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


#: Why "Automatic" is not taken as Off although Microsoft says it now blocks like Off.
AUTOMATIC_NOTE = (
    'AutoForwardingMode "Automatic" is not the explicit Off the benchmark asks for, although Microsoft documents that '
    "Automatic (system-controlled) now behaves as Off and blocks automatic external forwarding "
    "(https://learn.microsoft.com/defender-office-365/outbound-spam-policies-external-email-forwarding)"
)


def _forwarding_off(policy: Json) -> Check:
    """Mechanism (a) for one outbound spam policy: AutoForwardingMode Off (Automatic and On fail; absent cannot
    decide)."""
    mode = prop_text(policy, "AutoForwardingMode")
    if not mode:
        return Check((), ("AutoForwardingMode",))
    if mode.lower() == "off":
        return Check((), ())
    return Check((f"AutoForwardingMode is {mode} (Off expected)",), ())


@dataclass(frozen=True)
class _Mechanism:
    """One of 4.4's mechanisms judged: holds, fails (with what keeps it from holding) or cannot decide."""

    holds: bool
    failing: tuple[str, ...]
    undecided: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    automatic: bool = False
    #: Rules whose State cannot be read, so which policies apply is unknown.
    unreadable: tuple[Unreadable, ...] = ()


def _outbound_policies_off(
    outbound_spam_policies: JsonList | None, outbound_spam_rules: JsonList | None, accepted_domains: JsonList | None
) -> _Mechanism:
    """Mechanism (a), shared by 4.4 and 4.6: every outbound spam policy that applies has AutoForwardingMode Off.

    The policies that apply come from the same precedence walk as the inbound threat policies, over senders (From,
    FromMemberOf, SenderDomainIs): custom policies by rule priority, then the default one (rules.email.precedence).
    """
    result = walk(
        outbound_spam_policies,
        outbound_spam_rules,
        "HostedOutboundSpamFilterPolicy",
        accepted_domain_names(accepted_domains),
        audience=SENDER_AUDIENCE,
    )
    judged = judge(
        EvidenceType.OUTBOUND_SPAM_POLICY, result, _forwarding_off, ("AutoForwardingMode",), audience=SENDER_AUDIENCE
    )
    automatic = any(
        item.policy is not None and prop_is(item.policy, "AutoForwardingMode", "Automatic") for item in result.applying
    )
    holds = not judged.failing and not judged.undecided
    return _Mechanism(holds, judged.failing, judged.undecided, judged.evidence, automatic, result.unreadable)


def _remote_domains_off(remote_domains: JsonList | None) -> _Mechanism:
    """Mechanism (b): every remote domain, the Default one and each specific one, has AutoForwardEnabled False."""
    domains = objects(remote_domains)
    default = _default_remote_domain(domains)
    failing: list[str] = []
    undecided: list[str] = []
    evidence: list[Evidence] = []
    for domain in domains:
        label = f"{object_name(domain)} (DomainName {powershell_text(domain.get('DomainName'))})"
        value = prop_bool(domain, "AutoForwardEnabled")
        evidence.append(
            object_evidence(
                EvidenceType.REMOTE_DOMAIN,
                domain,
                ("Default remote domain; " if domain is default else "")
                + f"AutoForwardEnabled {powershell_text(domain.get('AutoForwardEnabled'))}",
            )
        )
        if value is True:
            failing.append(f"remote domain {label} AutoForwardEnabled True")
        elif value is None:
            undecided.append(f"remote domain {label} carries no AutoForwardEnabled value")
    if default is None:
        undecided.append("Get-RemoteDomain shows no Default remote domain (DomainName *)")
    holds = not failing and not undecided
    return _Mechanism(holds, tuple(failing), tuple(undecided), tuple(evidence))


def automatic_forwarding_disabled(
    remote_domains: JsonList | None,
    outbound_spam_policies: JsonList | None,
    outbound_spam_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Decision:
    """4.4: automatic forwarding to outside recipients is stopped explicitly by one of two mechanisms.

    (a) every outbound spam policy that applies has AutoForwardingMode Off, or (b) every remote domain (the Default
    and each specific one) has AutoForwardEnabled False.
    """
    outbound = _outbound_policies_off(outbound_spam_policies, outbound_spam_rules, accepted_domains)
    remote = _remote_domains_off(remote_domains)
    evidence = capped([*(u.evidence for u in outbound.unreadable), *outbound.evidence, *remote.evidence], "items")
    if outbound.holds:
        return compliant(
            "Every outbound spam policy that applies turns automatic forwarding off (AutoForwardingMode Off)", evidence
        )
    if remote.holds:
        return compliant(
            "Automatic forwarding is off for every remote domain, the Default one included (AutoForwardEnabled False)"
            + (f"; {AUTOMATIC_NOTE}" if outbound.automatic else ""),
            evidence,
        )
    if outbound.undecided or remote.undecided:
        return no_decision(
            "Neither mechanism is proven to stop automatic forwarding and some values are missing: "
            + "; ".join([*outbound.undecided, *remote.undecided, *outbound.failing, *remote.failing]),
            evidence,
        )
    return non_compliant(
        "Automatic forwarding is not turned off explicitly by either mechanism: outbound spam policies that apply: "
        + " | ".join(outbound.failing)
        + "; remote domains: "
        + "; ".join(remote.failing)
        + (f". {AUTOMATIC_NOTE}" if outbound.automatic else ""),
        evidence,
    )


def _bypasses_filtering(rule: Json) -> bool:
    """Whether a rule sets the spam confidence level to -1 (bypass filtering). A null SetSCL is a rule without that
    action; a missing SetSCL or one that is not a whole number raises Unreadable."""
    if rule.get("SetSCL", 0) is None:
        return False
    return need_int(rule, "SetSCL") == -1


def transport_rules_do_not_allowlist_domains(transport_rules: JsonList | None) -> Decision:
    """4.5: no enabled transport rule bypasses spam filtering (SetSCL -1) for whole sender domains."""
    offending: list[Evidence] = []
    disabled: list[Evidence] = []
    unreadable: list[Unreadable] = []
    rules = objects(transport_rules)
    for rule in rules:
        domains = text_values(rule.get("SenderDomainIs"))
        if not domains:
            continue
        # A rule clearly without the bypass, or clearly not in force, is passed over; one that may bypass filtering
        # and may be in force cannot be.
        scl_error: Unreadable | None = None
        try:
            if not _bypasses_filtering(rule):
                continue
        except Unreadable as error:
            scl_error = error
        try:
            in_force = _in_force(rule, odd_mode_counts=True)
        except Unreadable as error:
            unreadable.append(error)
            continue
        if scl_error is not None:
            if in_force:
                unreadable.append(scl_error)
            continue
        item = object_evidence(
            EvidenceType.TRANSPORT_RULE,
            rule,
            f"State {powershell_text(rule.get('State'))}; Mode {_mode(rule)}"
            + ("" if in_force else " (listed only)")
            + f"; SenderDomainIs {', '.join(domains)}; SetSCL -1",
        )
        (offending if in_force else disabled).append(item)
    summary = Evidence(EvidenceType.TRANSPORT_RULES, None, "Get-TransportRule", f"{plural(len(rules), 'rule')} checked")
    evidence = capped([*offending, *disabled], "rules") + [summary]
    if offending:
        return non_compliant(
            f"{plural(len(offending), 'transport rule')} in force "
            f"{'bypasses' if len(offending) == 1 else 'bypass'} spam filtering for sender domains",
            evidence,
        )
    if unreadable:
        return cannot_decide(unreadable, evidence)
    return compliant("No transport rule in force (Enabled, Mode Enforce) allow-lists sender domains", evidence)


def _forwarding_block(rule: Json) -> list[str]:
    """What keeps a transport rule from being the client-rules forwarding block (empty: it is one).

    Raises Unreadable for a rule that would be the block but whose State or Mode cannot be read: it is not proven in
    force, nor proven not to be."""
    missing = []
    unreadable: Unreadable | None = None
    try:
        if not _in_force(rule, odd_mode_counts=False):
            missing.append(_not_in_force(rule))
    except Unreadable as error:
        unreadable = error
        missing.append(f"{error.prop} is {error.seen}")
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
    if unreadable is not None and len(missing) == 1:
        raise unreadable
    return missing


def client_rules_forwarding_blocked(
    transport_rules: JsonList | None,
    outbound_spam_policies: JsonList | None,
    outbound_spam_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Decision:
    """4.6: a transport rule in force rejects auto-forwarded mail to outside, or every outbound spam policy that
    applies turns forwarding off (4.4's mechanism (a), judged identically so 4.4 and 4.6 cannot disagree)."""
    near: list[Evidence] = []
    unreadable: list[Unreadable] = []
    for rule in objects(transport_rules):
        try:
            missing = _forwarding_block(rule)
        except Unreadable as error:
            unreadable.append(error)
            near.append(
                object_evidence(EvidenceType.TRANSPORT_RULE, rule, f"would block if in force: {error.prop} unreadable")
            )
            continue
        if not missing:
            return compliant(
                f"Transport rule {object_name(rule)} rejects automatically forwarded mail sent outside the "
                "organisation",
                [
                    object_evidence(
                        EvidenceType.TRANSPORT_RULE,
                        rule,
                        "matching rule in force: InOrganization -> NotInOrganization, AutoForward, blocked",
                    )
                ],
            )
        if len(missing) <= 2:
            near.append(object_evidence(EvidenceType.TRANSPORT_RULE, rule, "near miss: " + "; ".join(missing)))
    outbound = _outbound_policies_off(outbound_spam_policies, outbound_spam_rules, accepted_domains)
    evidence = capped([*near, *outbound.evidence], "items")
    if outbound.holds:
        return compliant(
            "No blocking transport rule in force, but every outbound spam policy that applies turns automatic "
            "forwarding off (AutoForwardingMode Off)",
            evidence,
        )
    if unreadable or outbound.unreadable:
        return cannot_decide([*unreadable, *outbound.unreadable], evidence)
    if outbound.undecided and not outbound.failing:
        return no_decision(
            "No transport rule in force blocks forwarding and the outbound spam policies that apply lack values: "
            + "; ".join(outbound.undecided),
            evidence,
        )
    return non_compliant(
        "No transport rule in force rejects auto-forwarded mail to outside recipients, and outbound spam policies "
        "that apply allow forwarding: "
        + " | ".join([*outbound.failing, *outbound.undecided])
        + (f". {AUTOMATIC_NOTE}" if outbound.automatic else ""),
        evidence,
    )
