"""1.1.13 and 1.1.14: public groups, guest invitation domains."""

from __future__ import annotations

import json
from typing import Any

import pytest

from o365cis.findings import Finding, Status
from o365cis.rules.account.collaboration import invitations_allowed_domains_only, public_groups_approved
from tests.unit.rules.account_cases import APPROVED_GROUP, CONFIG, GOLDEN, Patch, group, invitations, status_of, tenant


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (group("g-new", "Public"), Status.NON_COMPLIANT),
        (group("g-new", "public"), Status.NON_COMPLIANT),
        (group("g-new", None), Status.NON_COMPLIANT),  # null visibility is Public
        (group("g-new", "Private"), Status.COMPLIANT),
        (lambda t: t["groups"].clear(), Status.COMPLIANT),  # a prohibition passes on an empty collection
        (lambda t: t["groups"][0].update(id=APPROVED_GROUP.upper()), Status.COMPLIANT),
    ],
)
def test_public_groups_approved(patch: Patch | None, expected: Status) -> None:
    assert status_of(public_groups_approved(tenant(patch)["groups"], CONFIG)) is expected


def test_public_groups_evidence_lists_unapproved_only() -> None:
    decision = public_groups_approved(tenant(group("g-new", None))["groups"], CONFIG)
    assert isinstance(decision, Finding)
    assert decision.reason == "1 public Microsoft 365 group not approved (1 approved public groups)"
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("g-new", "visibility null (Public), created 2024-01-01T00:00:00Z")
    ]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (invitations({"AllowedDomains": ["fabrikam.com"], "BlockedDomains": []}), Status.COMPLIANT),
        (invitations({"BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        (invitations({"BlockedDomains": []}), Status.NON_COMPLIANT),
        # An empty allow list blocks invitations to every domain (issue 9 item 13).
        (invitations({"AllowedDomains": []}), Status.COMPLIANT),
        (invitations({"AllowedDomains": [], "BlockedDomains": []}), Status.COMPLIANT),
        (invitations({"AllowedDomains": None}), Status.NON_COMPLIANT),
        (invitations({"AllowedDomains": "fabrikam.com"}), Status.NON_COMPLIANT),
        (invitations({"AllowedDomains": ["fabrikam.com"], "BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        (invitations({}), Status.NON_COMPLIANT),
        (invitations(None), Status.NON_COMPLIANT),
        # No organisation default item: Entra's default lets invitations go to any domain (the catalogue's rule).
        (lambda t: t["b2b"].clear(), Status.NON_COMPLIANT),
        (lambda t: t["b2b"][0].update(isOrganizationDefault=False), Status.NON_COMPLIANT),
        (lambda t: t["b2b"][0].pop("isOrganizationDefault"), Status.NON_COMPLIANT),
        # Graph's documentation samples write single-quoted definitions.
        (
            lambda t: t["b2b"][0].update(
                definition=[
                    "{'B2BManagementPolicy':{'InvitationsAllowedAndBlockedDomainsPolicy':{'AllowedDomains':['a.com']}}}"
                ]
            ),
            Status.COMPLIANT,
        ),
        (
            lambda t: t["b2b"][0].update(
                definition=[
                    "{'B2BManagementPolicy':{'InvitationsAllowedAndBlockedDomainsPolicy':"
                    "{'BlockedDomains':['gmail.com']}}}"
                ]
            ),
            Status.NON_COMPLIANT,
        ),
        (
            lambda t: t["b2b"][0].update(
                definition=[
                    json.dumps(
                        {
                            "b2bmanagementpolicy": {
                                "invitationsAllowedAndBlockedDomainsPolicy": {"allowedDomains": ["a.com"]}
                            }
                        }
                    )
                ]
            ),
            Status.COMPLIANT,
        ),
        (lambda t: t["b2b"][0].update(definition=["{not json"]), None),
    ],
)
def test_invitations_allowed_domains_only(patch: Patch | None, expected: Status | None) -> None:
    assert status_of(invitations_allowed_domains_only(tenant(patch)["b2b"])) is expected


def test_invitations_evidence_shows_mode_and_domains() -> None:
    decision = invitations_allowed_domains_only(GOLDEN["b2b"])
    assert isinstance(decision, Finding) and decision.evidence[0].detail == "allow list: fabrikam.com, northwind.com"
    blocked = invitations_allowed_domains_only(tenant(invitations({"BlockedDomains": ["gmail.com"]}))["b2b"])
    assert (
        isinstance(blocked, Finding)
        and blocked.reason.endswith("a block list is set")
        and blocked.evidence[0].detail == "block list: gmail.com"
    )


def _app_scoped(rule: dict[str, object] | None) -> Patch:
    """An extra b2bManagementPolicies item that is not the organisation default (assigned to one application)."""
    document = {"B2BManagementPolicy": {"InvitationsAllowedAndBlockedDomainsPolicy": rule}} if rule else {}

    def apply(t: dict[str, Any]) -> None:
        t["b2b"].append(
            {
                "id": "b2b-app",
                "displayName": "Contractor portal",
                "type": "B2BManagementPolicy",
                "isOrganizationDefault": False,
                "definition": [json.dumps(document)],
            }
        )

    return apply


def _both(*patches: Patch) -> Patch:
    def apply(t: dict[str, Any]) -> None:
        for one in patches:
            one(t)

    return apply


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        # Issue 9 item 13, crafted: an app-scoped block list beside a default allow list (was non_compliant).
        (_app_scoped({"BlockedDomains": ["gmail.com"]}), Status.COMPLIANT),
        # Neighbour: the same block list on the default item fails.
        (invitations({"BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        # Crafted: a non-default item no longer hides a default that allows every domain (an app-scoped allow list
        # made this compliant before; an app-scoped block list failed it for the wrong reason).
        (_both(invitations(None), _app_scoped({"AllowedDomains": ["fabrikam.com"]})), Status.NON_COMPLIANT),
        (_both(invitations(None), _app_scoped({"BlockedDomains": ["gmail.com"]})), Status.NON_COMPLIANT),
        (
            _both(invitations({"AllowedDomains": None}), _app_scoped({"AllowedDomains": ["a.com"]})),
            Status.NON_COMPLIANT,
        ),
        # Neighbour: the default with an allow list and an unparsable app-scoped item still complies.
        (
            _both(_app_scoped({"AllowedDomains": ["a.com"]}), lambda t: t["b2b"][1].update(definition=["{bad"])),
            Status.COMPLIANT,
        ),
        # Only app-scoped items: no organisation default, so Entra's default (any domain) applies.
        (_both(_app_scoped({"AllowedDomains": ["a.com"]}), lambda t: t["b2b"].pop(0)), Status.NON_COMPLIANT),
        # Two default items: each must comply.
        (
            _both(
                _app_scoped({"BlockedDomains": ["gmail.com"]}),
                lambda t: t["b2b"][1].update(isOrganizationDefault=True),
            ),
            Status.NON_COMPLIANT,
        ),
    ],
)
def test_invitations_judge_only_the_organization_default(patch: Patch, expected: Status | None) -> None:
    assert status_of(invitations_allowed_domains_only(tenant(patch)["b2b"])) is expected


def test_invitations_evidence_lists_app_scoped_items_as_not_judged() -> None:
    decision = invitations_allowed_domains_only(tenant(_app_scoped({"BlockedDomains": ["gmail.com"]}))["b2b"])
    assert isinstance(decision, Finding)
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("b2b-1", "allow list: fabrikam.com, northwind.com"),
        ("b2b-app", "block list: gmail.com; not the organization default, applies only to its apps, not judged"),
    ]
    empty = invitations_allowed_domains_only(tenant(invitations({"AllowedDomains": []}))["b2b"])
    assert isinstance(empty, Finding) and empty.evidence[0].detail == (
        "allow list empty (invitations blocked to every domain)"
    )
