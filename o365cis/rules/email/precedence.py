"""Which threat policies of one kind apply, in Microsoft's order of precedence (the catalogue's "policies that apply").

Each recipient (for outbound spam: each sender) gets exactly one policy of a kind, the first that matches in this
order: the Strict preset, the Standard preset, custom policies by their rule's Priority, then the default policy
(IsDefault) or, for Safe Links and Safe Attachments, which have no default, the Built-In Protection Policy. See
"Order of precedence for preset security policies and other policies" on
https://learn.microsoft.com/defender-office-365/preset-security-policies.

The walk is pure: the rule code hands it cmdlet output and judges the policies it returns. A policy applies when its
rule is enabled and no earlier rule covers everyone; the first rule that covers everyone shadows every later policy,
the default included. Partial rules are never added up into "everyone": scopes are recipient lists, groups and
domains whose overlap the scan cannot see, so without one covering rule the default still applies to someone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._exchange import (
    BUILT_IN_PROTECTION,
    Check,
    Unreadable,
    cannot_decide,
    object_evidence,
    object_name,
    object_names,
    objects,
    prop_bool,
    prop_detail,
    prop_int,
    prop_is,
    prop_text,
    rule_enabled,
    text_values,
)
from o365cis.rules._types import Json, JsonList
from o365cis.rules.evidence import capped

#: Recipient conditions of Get-SafeLinksRule, Get-SafeAttachmentRule, Get-AntiPhishRule and the preset rules
#: (Get-ATPProtectionPolicyRule, Get-EOPProtectionPolicyRule), and their exceptions.
RECIPIENTS = ("SentTo", "SentToMemberOf", "RecipientDomainIs")
RECIPIENT_EXCEPTIONS = ("ExceptIfSentTo", "ExceptIfSentToMemberOf", "ExceptIfRecipientDomainIs")
#: Sender conditions of Get-HostedOutboundSpamFilterRule and their exceptions.
SENDERS = ("From", "FromMemberOf", "SenderDomainIs")
SENDER_EXCEPTIONS = ("ExceptIfFrom", "ExceptIfFromMemberOf", "ExceptIfSenderDomainIs")
#: The presets in precedence order: Strict is evaluated before Standard.
PRESETS = ("Strict", "Standard")


@dataclass(frozen=True)
class Audience:
    """How a kind's rules name whom they apply to: recipients (inbound threat policies) or senders (outbound spam)."""

    conditions: tuple[str, ...]
    exceptions: tuple[str, ...]
    domain_condition: str


RECIPIENT_AUDIENCE = Audience(RECIPIENTS, RECIPIENT_EXCEPTIONS, "RecipientDomainIs")
SENDER_AUDIENCE = Audience(SENDERS, SENDER_EXCEPTIONS, "SenderDomainIs")


@dataclass(frozen=True)
class Applying:
    """A policy that applies to someone, why (preset, custom rule or default) and the rules that scope it.

    `policy` is None when the rule names a policy the Get-*Policy output does not hold: its values are unknown.
    """

    policy: Json | None
    name: str
    why: str
    rules: tuple[Json, ...]


@dataclass(frozen=True)
class Walk:
    """The outcome of the precedence walk: the policies that apply, in order, and why the others do not."""

    applying: tuple[Applying, ...]
    not_applying: tuple[tuple[Json, str], ...]
    covering: str | None  # the rule that covers everyone, if any
    #: Rules whose State cannot be read: each may be in force and cover everyone, so which policies apply is unknown.
    unreadable: tuple[Unreadable, ...] = ()


def scope(rule: Json, audience: Audience = RECIPIENT_AUDIENCE) -> str:
    """Whom a rule applies to: its conditions and exceptions as the cmdlet shows them."""
    parts = [
        f"{prop} {', '.join(values)}"
        for prop in (*audience.conditions, *audience.exceptions)
        if (values := text_values(rule.get(prop)))
    ]
    return "; ".join(parts) if parts else "everyone (no condition)"


def _domain(name: str) -> str:
    return name.strip().lower().rstrip(".")


def covers_everyone(rule: Json, accepted_domains: Sequence[str], audience: Audience = RECIPIENT_AUDIENCE) -> bool:
    """Whether a rule's scope is everyone: no exception, and no condition at all or only the domain condition listing
    every accepted domain (*.onmicrosoft.com included). With no accepted domain known, a domain list covers nobody
    for certain, so it is not taken as everyone (more policies then apply, never fewer)."""
    if any(text_values(rule.get(prop)) for prop in audience.exceptions):
        return False
    present = [prop for prop in audience.conditions if text_values(rule.get(prop))]
    if not present:
        return True
    if present != [audience.domain_condition] or not accepted_domains:
        return False
    listed = {_domain(d) for d in text_values(rule.get(audience.domain_condition))}
    return {_domain(d) for d in accepted_domains} <= listed


def accepted_domain_names(accepted_domains: JsonList | None) -> list[str]:
    """The DomainName of each Get-AcceptedDomain item."""
    return [name for d in objects(accepted_domains) if (name := prop_text(d, "DomainName"))]


def _preset_of(rule: Json) -> str | None:
    """The preset a Get-ATPProtectionPolicyRule / Get-EOPProtectionPolicyRule item belongs to: Microsoft names the
    rules "Strict Preset Security Policy" and "Standard Preset Security Policy"."""
    name = object_name(rule).lower()
    return next((preset for preset in PRESETS if name.startswith(preset.lower())), None)


def _find(policies: list[Json], name: str) -> Json | None:
    wanted = name.strip().lower()
    return next((p for p in policies if wanted in object_names(p)), None) if wanted else None


def _priority(rule: Json) -> tuple[int, str]:
    # A rule without a readable Priority is walked after the numbered ones (it cannot shadow one it may follow).
    value = prop_int(rule, "Priority")
    return (value if value is not None else 1 << 30, object_name(rule).lower())


def walk(
    policies: JsonList | None,
    rules: JsonList | None,
    rule_key: str,
    accepted_domains: Sequence[str],
    *,
    preset_rules: Sequence[JsonList | None] = (),
    preset_key: str | None = None,
    built_in: bool = False,
    audience: Audience = RECIPIENT_AUDIENCE,
) -> Walk:
    """The policies of one kind that apply, in Microsoft's order of precedence.

    `rules` are the kind's custom rules (Get-*Rule), each naming its policy under `rule_key`. `preset_rules` are the
    preset rule lists that scope this kind (Get-ATPProtectionPolicyRule and/or Get-EOPProtectionPolicyRule); a preset
    applies when any of its rules is enabled, and covers everyone only when each rule list given here holds an
    enabled rule of it that covers everyone (anti-phishing: the EOP rule scopes the spoof settings, the ATP rule
    impersonation and mailbox intelligence, so a recipient outside either rule gets those settings from the next
    policy). A preset's
    policy is found by the name its rule gives under `preset_key` (else by RecommendedPolicyType). `built_in`: the
    last policy is the Built-In Protection Policy instead of the IsDefault one.
    """
    items = objects(policies)
    applying: list[Applying] = []
    not_applying: list[tuple[Json, str]] = []
    used: set[int] = set()
    covering: str | None = None
    unreadable: list[Unreadable] = []

    def enabled(rule: Json) -> bool:
        """State Enabled; a rule whose State cannot be read is recorded and not walked (the decision is no
        decision: it may apply and may shadow the later policies)."""
        try:
            return rule_enabled(rule)
        except Unreadable as error:
            unreadable.append(error)
            return False

    for preset in PRESETS:
        own = [r for lst in preset_rules for r in objects(lst) if _preset_of(r) == preset]
        policy = next(
            (found for r in own if preset_key and (found := _find(items, prop_text(r, preset_key))) is not None),
            None,
        ) or next((p for p in items if prop_is(p, "RecommendedPolicyType", preset)), None)
        if policy is not None:
            used.add(id(policy))
        on = [r for r in own if enabled(r)]
        if covering is not None:
            if policy is not None:
                not_applying.append((policy, f"{preset} preset shadowed by {covering}, which covers everyone"))
            continue
        if not on:
            if policy is not None:
                not_applying.append((policy, f"{preset} preset off (no enabled preset rule)"))
            continue
        name = object_name(policy) if policy is not None else f"{preset} preset policy"
        applying.append(Applying(policy, name, f"{preset} preset", tuple(on)))
        # Every rule list given here must hold an enabled rule of this preset covering everyone: a recipient outside
        # one of them gets that rule's protections from the next policy in the order.
        if all(
            any(
                _preset_of(r) == preset
                and prop_is(r, "State", "Enabled")
                and covers_everyone(r, accepted_domains, audience)
                for r in objects(lst)
            )
            for lst in preset_rules
        ):
            covering = f"the {preset} preset's rules"

    for rule in sorted(objects(rules), key=_priority):
        target = prop_text(rule, rule_key)
        policy = _find(items, target)
        if policy is not None:
            used.add(id(policy))
        if not enabled(rule):
            if policy is not None:
                not_applying.append(
                    (policy, f"rule {object_name(rule)} is State {prop_text(rule, 'State') or '(absent)'}")
                )
            continue
        if covering is not None:
            if policy is not None:
                not_applying.append((policy, f"shadowed by {covering}, which covers everyone"))
            continue
        priority = prop_int(rule, "Priority")
        why = f"rule {object_name(rule)}" + (f" (Priority {priority})" if priority is not None else "")
        applying.append(Applying(policy, object_name(policy) if policy else target or "(unnamed)", why, (rule,)))
        if covers_everyone(rule, accepted_domains, audience):
            covering = f"rule {object_name(rule)}"

    def is_last(p: Json) -> bool:
        if built_in:
            return object_name(p).lower() == BUILT_IN_PROTECTION or prop_bool(p, "IsBuiltInProtection") is True
        return prop_bool(p, "IsDefault") is True

    last = next((p for p in items if id(p) not in used and is_last(p)), None)
    label = "Built-In Protection Policy" if built_in else "default policy"
    if last is not None:
        used.add(id(last))
        if covering is not None:
            not_applying.append((last, f"{label}, shadowed by {covering}, which covers everyone"))
        else:
            applying.append(Applying(last, object_name(last), label + " (everyone no earlier rule covers)", ()))
    elif covering is None:
        applying.append(Applying(None, label, f"{label} (everyone no earlier rule covers)", ()))
    not_applying.extend((p, "no rule names it") for p in items if id(p) not in used)
    return Walk(tuple(applying), tuple(not_applying), covering, tuple(unreadable))


def defender_walk(
    policies: JsonList | None,
    rules: JsonList | None,
    policy_key: str,
    atp_protection_rules: JsonList | None,
    accepted_domains: JsonList | None,
) -> Walk:
    """The Safe Links (`policy_key` "SafeLinksPolicy") or Safe Attachments ("SafeAttachmentPolicy") policies that
    apply: the presets scoped by Get-ATPProtectionPolicyRule, custom policies by rule priority, then the Built-In
    Protection Policy (these kinds have no default policy). The custom rules and the preset rules name the policy
    under the same property."""
    return walk(
        policies,
        rules,
        policy_key,
        accepted_domain_names(accepted_domains),
        preset_rules=(atp_protection_rules,),
        preset_key=policy_key,
        built_in=True,
    )


def _verdict(check: Check) -> str:
    if check.passes:
        return "passes"
    return "fails: " + "; ".join([*check.failing, *(f"{a} absent" for a in check.absent)])


@dataclass(frozen=True)
class Judged:
    """Each policy that applies tested: evidence (applying first, then the others), failures and absences by policy."""

    evidence: tuple[Evidence, ...]
    failing: tuple[str, ...]
    undecided: tuple[str, ...]
    names: tuple[str, ...]


def judge(
    kind: EvidenceType,
    result: Walk,
    test: Callable[[Json], Check],
    show: Sequence[str],
    *,
    audience: Audience = RECIPIENT_AUDIENCE,
) -> Judged:
    """Test every policy that applies; the evidence names each one, why it applies, its scope and its values."""
    applying: list[Evidence] = []
    failing: list[str] = []
    undecided: list[str] = []
    for item in result.applying:
        scopes = " | ".join(f"{object_name(r)}: {scope(r, audience)}" for r in item.rules) or "everyone else"
        if item.policy is None:
            applying.append(
                Evidence(kind, None, item.name, f"applies ({item.why}); scope {scopes}; not in the response")
            )
            undecided.append(f"{item.name} (missing from the response)")
            continue
        check = test(item.policy)
        values = "; ".join(prop_detail(item.policy, p) for p in show if p in item.policy)
        applying.append(
            object_evidence(kind, item.policy, f"applies ({item.why}); scope {scopes}; {values}; {_verdict(check)}")
        )
        if check.failing:
            failing.append(f"{item.name} [{item.why}; scope {scopes}]: " + "; ".join(check.failing))
        elif check.absent:
            undecided.append(f"{item.name}: " + ", ".join(check.absent) + " absent")
    others = [object_evidence(kind, p, f"does not apply: {why}") for p, why in result.not_applying]
    names = tuple(f"{item.name} ({item.why})" for item in result.applying)
    if result.unreadable:
        # Which policies apply is unknown: a failing policy may be shadowed, so nothing is proven to fail.
        unknown = [f"cannot tell which policies apply: {u}" for u in result.unreadable]
        return Judged(tuple(applying + others), (), (*unknown, *failing, *undecided), names)
    return Judged(tuple(applying + others), tuple(failing), tuple(undecided), names)


def decide_applying(
    kind: EvidenceType,
    what: str,
    result: Walk,
    test: Callable[[Json], Check],
    show: Sequence[str],
    *,
    audience: Audience = RECIPIENT_AUDIENCE,
    alternative: tuple[str, Json, Check] | None = None,
) -> Decision:
    """Compliant when EVERY policy that applies passes `test` (or the `alternative` object passes).

    The evidence names each policy that applies, why, its scope and its values, then the policies that do not apply.
    """
    judged = judge(kind, result, test, show, audience=audience)
    evidence = list(judged.evidence)
    if alternative is not None:
        label, obj, check = alternative
        evidence.insert(len(result.applying), object_evidence(kind, obj, f"{label}; {_verdict(check)}"))
        if check.passes:
            return compliant(f"{what[:1].upper()}{what[1:]}: {label} meets the rule", capped(evidence, "policies"))
    evidence = capped(evidence, "policies")
    if result.unreadable:
        return cannot_decide(result.unreadable, evidence)
    if judged.failing:
        return non_compliant(
            f"Not every policy that applies meets the rule for {what}: " + " | ".join(judged.failing), evidence
        )
    if judged.undecided:
        return no_decision(
            "Some policies that apply lack values the rule reads: " + "; ".join(judged.undecided), evidence
        )
    return compliant(f"Every policy that applies meets the rule for {what}: {', '.join(judged.names)}", evidence)
