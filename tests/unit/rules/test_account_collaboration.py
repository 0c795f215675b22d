"""1.1.13 and 1.1.14: public groups, guest invitation domains."""

from __future__ import annotations

import json

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
        (invitations({"AllowedDomains": []}), Status.NON_COMPLIANT),
        (invitations({"AllowedDomains": ["fabrikam.com"], "BlockedDomains": ["gmail.com"]}), Status.NON_COMPLIANT),
        (invitations({}), Status.NON_COMPLIANT),
        (invitations(None), Status.NON_COMPLIANT),
        (lambda t: t["b2b"].clear(), Status.NON_COMPLIANT),
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
