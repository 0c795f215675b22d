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
    #: False when the definition has no InvitationsAllowedAndBlockedDomainsPolicy at all (any domain).
    has_rule: bool = True


def _definition_document(text: Any) -> Any:
    """A definition[] entry as JSON. Graph's own b2bManagementPolicy samples write single-quoted strings, which are
    not JSON: those are read with the quotes swapped (only when the text has no double quote to confuse)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        if '"' in text:
            raise
        return json.loads(text.replace("'", '"'))


def _invitation_rule(policy: Mapping[str, Any]) -> _InvitationRule | None:
    """The invitation rule of one b2bManagementPolicies item; None when a definition cannot be parsed."""
    policy_id = str(policy.get("id") or "")
    definitions = policy.get("definition") or []
    found: _InvitationRule | None = None
    for text in [definitions] if isinstance(definitions, str) else definitions:
        try:
            document = _definition_document(text)
        except ValueError:
            return None
        rule = _key(_key(document, "B2BManagementPolicy"), "InvitationsAllowedAndBlockedDomainsPolicy")
        if isinstance(rule, Mapping):
            allowed = _key(rule, "AllowedDomains")
            blocked = _key(rule, "BlockedDomains")
            found = _InvitationRule(
                policy_id,
                [str(d) for d in allowed] if isinstance(allowed, list) else [],
                [str(d) for d in blocked] if isinstance(blocked, list) else [],
                isinstance(allowed, list),
            )
    return found or _InvitationRule(policy_id, [], [], False, has_rule=False)


def _listed(label: str, domains: list[str]) -> str:
    more = f" (+{len(domains) - EVIDENCE_LIMIT} more)" if len(domains) > EVIDENCE_LIMIT else ""
    return f"{label}: {', '.join(domains[:EVIDENCE_LIMIT])}{more}"


def _mode(rule: _InvitationRule) -> tuple[str, str | None]:
    """(evidence detail, why it fails or None) for one invitation rule."""
    if rule.blocked:
        mode = _listed("block list", rule.blocked)
        if rule.allowed:
            mode += "; " + _listed("allow list", rule.allowed)
        return mode, "a block list is set"
    if rule.has_allowed_key and rule.allowed:
        return _listed("allow list", rule.allowed), None
    if rule.has_allowed_key:
        # An empty allow list blocks invitations to every domain, which is stricter than the recommendation.
        return "allow list empty (invitations blocked to every domain)", None
    if not rule.has_rule:
        return "no allow or block list (any domain)", "no allow list is set"
    return "allow list not set (any domain)", "no allow list is set"


def invitations_allowed_domains_only(b2b_policies: Sequence[Json]) -> Decision:
    """1.1.14: the organisation's default B2B management policy (beta b2bManagementPolicies, isOrganizationDefault
    true) has an allow list (empty = no domain) and no block list.

    Items that are not the organisation default apply only to the applications they are assigned to, so they are
    listed and not judged: an app-scoped block list neither fails a default with an allow list nor hides a default
    that lets invitations go to any domain.
    """
    items = [p for p in b2b_policies if isinstance(p, Mapping)]
    defaults = [p for p in items if p.get("isOrganizationDefault") is True]
    others = [p for p in items if p.get("isOrganizationDefault") is not True]
    evidence: list[Evidence] = []
    for other in others:
        rule = _invitation_rule(other)
        detail = "not the organization default, applies only to its apps, not judged"
        if rule is not None:
            detail = f"{_mode(rule)[0]}; {detail}"
        evidence.append(
            Evidence(
                type=EvidenceType.SETTING,
                id=str(other.get("id") or ""),
                name="InvitationsAllowedAndBlockedDomainsPolicy",
                detail=detail,
            )
        )
    if not defaults:
        # With no default item, Entra's built-in behaviour applies: invitations may go to any domain. The rule
        # names this case (non_compliant), an exception to the unusable-default reading of docs/CONCEPTS.md.
        return non_compliant(
            "b2bManagementPolicies holds no item with isOrganizationDefault true "
            f"({plural(len(items), 'other item')}): no domain restriction applies, so invitations may go to any "
            "domain",
            evidence,
        )
    judged: list[Evidence] = []
    failing: list[str] = []
    for policy in defaults:
        rule = _invitation_rule(policy)
        if rule is None:
            return no_decision(
                f"b2bManagementPolicies definition is not valid JSON (default policy {policy.get('id') or '?'})",
                evidence,
            )
        mode, failure = _mode(rule)
        if failure:
            failing.append(failure)
        judged.append(
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
            [*judged, *evidence],
        )
    return compliant("Collaboration invitations are limited to an allow list of domains", [*judged, *evidence])
