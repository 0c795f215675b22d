"""1.1.13 (public Microsoft 365 groups approved) and 1.1.14 (guest invitations to allowed domains only)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.config import ScanConfig
from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._types import Json
from o365cis.rules._values import lowered, lowered_id, plural
from o365cis.rules.evidence import EVIDENCE_CAP as EVIDENCE_LIMIT
from o365cis.rules.evidence import capped


def public_groups_approved(groups: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.13: every public Microsoft 365 group is in config.approved_public_groups."""
    public = [
        g
        for g in groups
        if isinstance(g, Mapping)
        and (g.get("groupTypes") is None or "unified" in {lowered(t) for t in g.get("groupTypes") or []})
        and lowered(g.get("visibility") or "Public") == "public"  # null means Public for Microsoft 365 groups
    ]
    approved = [g for g in public if lowered_id(g.get("id")) in config.approved_public_groups]
    unapproved = [g for g in public if g not in approved]
    if unapproved:
        items = [
            Evidence(
                type=EvidenceType.GROUP,
                id=str(g.get("id")),
                name=str(g.get("displayName") or g.get("id")),
                detail=f"visibility {g.get('visibility') or 'null (Public)'}, created {g.get('createdDateTime')}",
            )
            for g in unapproved
        ]
        return non_compliant(
            f"{plural(len(unapproved), 'public Microsoft 365 group')} not approved "
            f"({len(approved)} approved public groups)",
            capped(items, "groups"),
        )
    if not public:
        return compliant("No public Microsoft 365 groups exist")
    return compliant(f"All {plural(len(public), 'public Microsoft 365 group')} are approved")


def _key(mapping: Any, name: str) -> Any:
    """A JSON key read case-insensitively (the definitions are written by several tools)."""
    if not isinstance(mapping, Mapping):
        return None
    for key, value in mapping.items():
        if str(key).lower() == name.lower():
            return value
    return None


@dataclass(frozen=True)
class _InvitationRule:
    policy_id: str
    allowed: list[str]
    blocked: list[str]
    has_allowed_key: bool


def _invitation_rules(b2b_policies: Sequence[Json]) -> tuple[list[_InvitationRule], list[str]]:
    rules: list[_InvitationRule] = []
    unreadable: list[str] = []
    for policy in b2b_policies:
        if not isinstance(policy, Mapping):
            continue
        definitions = policy.get("definition") or []
        for text in [definitions] if isinstance(definitions, str) else definitions:
            try:
                document = json.loads(text) if isinstance(text, str) else text
            except ValueError:
                unreadable.append(str(policy.get("id") or "?"))
                continue
            rule = _key(_key(document, "B2BManagementPolicy"), "InvitationsAllowedAndBlockedDomainsPolicy")
            if isinstance(rule, Mapping):
                allowed = _key(rule, "AllowedDomains")
                blocked = _key(rule, "BlockedDomains")
                rules.append(
                    _InvitationRule(
                        str(policy.get("id") or ""),
                        [str(d) for d in allowed or []],
                        [str(d) for d in blocked or []],
                        allowed is not None,
                    )
                )
    return rules, unreadable


def invitations_allowed_domains_only(b2b_policies: Sequence[Json]) -> Decision:
    """1.1.14: the B2B invitation policy is a non-empty allow list with no block list (beta b2bManagementPolicies)."""
    rules, unreadable = _invitation_rules(b2b_policies)
    if not rules:
        if unreadable:
            return no_decision(f"b2bManagementPolicies definition is not valid JSON (policy {', '.join(unreadable)})")
        return non_compliant(
            "No collaboration invitation domain restriction is set: invitations can go to any domain",
            [Evidence(type=EvidenceType.SETTING, name="InvitationsAllowedAndBlockedDomainsPolicy", detail="mode none")],
        )
    evidence: list[Evidence] = []
    failing: list[str] = []
    for rule in rules:
        if rule.allowed and not rule.blocked:
            mode = f"allow list: {', '.join(rule.allowed[:EVIDENCE_LIMIT])}" + (
                f" (+{len(rule.allowed) - EVIDENCE_LIMIT} more)" if len(rule.allowed) > EVIDENCE_LIMIT else ""
            )
        elif rule.blocked:
            mode = f"block list: {', '.join(rule.blocked[:EVIDENCE_LIMIT])}" + (
                f" (+{len(rule.blocked) - EVIDENCE_LIMIT} more)" if len(rule.blocked) > EVIDENCE_LIMIT else ""
            )
            if rule.allowed:
                mode += f"; allow list: {', '.join(rule.allowed[:EVIDENCE_LIMIT])}"
            failing.append("a block list is set")
        elif rule.has_allowed_key:
            mode = "allow list empty"
            failing.append("the allow list is empty")
        else:
            mode = "no allow or block list (any domain)"
            failing.append("no allow list is set")
        evidence.append(
            Evidence(
                type=EvidenceType.SETTING,
                id=rule.policy_id,
                name="InvitationsAllowedAndBlockedDomainsPolicy",
                detail=mode,
            )
        )
    if failing:
        return non_compliant(
            f"Collaboration invitations are not limited to allowed domains: {'; '.join(dict.fromkeys(failing))}",
            evidence,
        )
    return compliant("Collaboration invitations are limited to an allow list of domains", evidence)
