"""o365cis.evaluation: every branch of the CONTRACT section 2 chain, the plan gate, and waivers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from o365cis.catalogue import Recommendation, load_catalogue
from o365cis.config import ScanConfig, Waiver
from o365cis.evaluation import ChainError, apply_waiver, evaluate
from o365cis.findings import (
    Decision,
    Evidence,
    FailureKind,
    Finding,
    ReadError,
    Source,
    Status,
    compliant,
    manual,
    no_decision,
    non_compliant,
    not_applicable,
)

MANUAL_CHECK = "Entra admin center > Roles: count the Global Administrators."
ADMIN = Evidence("user", "u-1", "admin@contoso.com", "permanent assignment")
PROFILE = Evidence("secureScoreControl", "AdminMFAV2", "Ensure MFA for admins", "score 0 of 10")


def recommendation(*chain: str) -> Recommendation:
    """A recommendation whose sources are `chain` (evaluation first)."""
    return Recommendation(
        id="1.1.3",
        section="1 Account / Authentication",
        title="Ensure that between two and four global admins are designated",
        level=1,
        license="E3",
        automated=True,
        evaluation=chain[0],
        fallback=tuple(chain[1:]),
        permissions=("RoleManagement.Read.Directory",),
        evidence_permissions=(),
        securescore=(),
        manual_check=MANUAL_CHECK,
        remediation="",
    )


GRAPH_CHAIN = recommendation("graph", "securescore", "manual")


def refused(
    permission: str = "RoleManagement.Read.Directory", path: str = "/v1.0/roleManagement/directory/roleAssignments"
) -> Callable[[], Decision]:
    def decider() -> Decision:
        raise ReadError(
            FailureKind.PERMISSION,
            f"GET {path}",
            f"grant the application permission {permission} and admin-consent it "
            "(Authorization_RequestDenied: Insufficient privileges)",
            permission=permission,
            status=403,
            code="Authorization_RequestDenied",
        )

    return decider


def unlicensed() -> Decision:
    raise ReadError(
        FailureKind.NOT_LICENSED, "GET /v1.0/security/secureScores", "not licensed: Entra ID P2 required", status=400
    )


def gives(decision: Decision) -> Callable[[], Decision]:
    return lambda: decision


def must_not_run() -> Decision:
    raise AssertionError("a later source was consulted after a decision")


# Step 1: the first deciding source ---------------------------------------------------------------


@pytest.mark.parametrize(
    "decision",
    [compliant("3 global admins"), non_compliant("5 global admins", [ADMIN]), not_applicable("cloud-only tenant")],
)
def test_the_first_source_that_decides_gives_the_status(decision: Finding) -> None:
    finding = evaluate(GRAPH_CHAIN, {"graph": gives(decision), "securescore": must_not_run})
    assert finding.status is decision.status
    assert finding.reason == decision.reason
    assert finding.evidence == decision.evidence
    assert finding.source is Source.GRAPH


def test_a_fallback_decides_when_the_first_source_failed_and_the_reason_says_why() -> None:
    finding = evaluate(
        GRAPH_CHAIN, {"graph": refused(), "securescore": gives(non_compliant("AdminMFAV2 scores 0", [PROFILE]))}
    )
    assert finding.status is Status.NON_COMPLIANT
    assert finding.source is Source.SECURESCORE
    assert finding.reason.startswith("AdminMFAV2 scores 0")
    assert "Microsoft Graph: GET /v1.0/roleManagement/directory/roleAssignments" in finding.reason
    assert "RoleManagement.Read.Directory" in finding.reason
    assert finding.evidence == (PROFILE,)


def test_no_decision_hands_over_with_its_reason_and_evidence() -> None:
    finding = evaluate(
        GRAPH_CHAIN,
        {
            "graph": gives(no_decision("no policy targets all admin roles", [ADMIN])),
            "securescore": gives(compliant("AdminMFAV2 full score", [PROFILE])),
        },
    )
    assert finding.status is Status.COMPLIANT
    assert finding.source is Source.SECURESCORE
    assert "Microsoft Graph could not decide: no policy targets all admin roles" in finding.reason
    assert finding.evidence == (PROFILE, ADMIN), (
        "the deciding source's evidence first, then what earlier sources gathered"
    )


def test_shared_evidence_is_not_repeated() -> None:
    finding = evaluate(
        GRAPH_CHAIN,
        {"graph": gives(no_decision("?", [ADMIN])), "securescore": gives(non_compliant("x", [ADMIN, PROFILE]))},
    )
    assert finding.evidence == (ADMIN, PROFILE)


def test_a_failure_and_a_hand_over_are_both_named() -> None:
    rec = recommendation("graph", "exchange", "securescore", "manual")
    finding = evaluate(
        rec,
        {
            "graph": refused(),
            "exchange": gives(no_decision("no OWA policy")),
            "securescore": gives(compliant("full score")),
        },
    )
    assert finding.status is Status.COMPLIANT
    assert finding.source is Source.SECURESCORE
    assert "Microsoft Graph: GET" in finding.reason
    assert "Exchange Online could not decide: no OWA policy" in finding.reason


@pytest.mark.parametrize(
    ("source", "expected"), [("dns", Source.DNS), ("exchange", Source.EXCHANGE), ("securescore", Source.SECURESCORE)]
)
def test_each_source_name_maps_to_its_result_source(source: str, expected: Source) -> None:
    finding = evaluate(recommendation(source, "manual"), {source: gives(compliant("ok"))})
    assert finding.source is expected


# Step 2: error ---------------------------------------------------------------------------------


def test_every_source_failed_is_an_error_naming_each_cause() -> None:
    finding = evaluate(GRAPH_CHAIN, {"graph": refused(), "securescore": unlicensed})
    assert finding.status is Status.ERROR
    assert finding.source is Source.NONE
    assert finding.reason.startswith("could not be evaluated: ")
    assert (
        "Microsoft Graph: GET /v1.0/roleManagement/directory/roleAssignments: "
        "grant the application permission RoleManagement.Read.Directory" in finding.reason
    )
    assert "Secure Score: GET /v1.0/security/secureScores: not licensed" in finding.reason


def test_a_failure_outranks_a_manual_answer_from_a_source() -> None:
    finding = evaluate(
        GRAPH_CHAIN, {"graph": gives(manual("policy uses a custom control", [ADMIN])), "securescore": unlicensed}
    )
    assert finding.status is Status.ERROR
    assert "Secure Score" in finding.reason
    assert finding.evidence == (ADMIN,), "what could be read is still attached"


def test_a_failure_after_a_no_decision_is_an_error() -> None:
    finding = evaluate(GRAPH_CHAIN, {"graph": gives(no_decision("ambiguous")), "securescore": unlicensed})
    assert finding.status is Status.ERROR


def test_a_manual_answer_is_not_a_decision_a_later_source_decides() -> None:
    finding = evaluate(
        GRAPH_CHAIN,
        {
            "graph": gives(manual("cannot tell from Graph", [ADMIN])),
            "securescore": gives(non_compliant("scored 0", [PROFILE])),
        },
    )
    assert finding.status is Status.NON_COMPLIANT
    assert finding.source is Source.SECURESCORE
    assert finding.evidence == (PROFILE, ADMIN)


# Step 3: manual --------------------------------------------------------------------------------


def test_nothing_decided_and_nothing_failed_is_manual_with_the_catalogue_check() -> None:
    finding = evaluate(
        GRAPH_CHAIN,
        {
            "graph": gives(no_decision("ambiguous", [ADMIN])),
            "securescore": gives(no_decision("control marked ignored")),
        },
    )
    assert finding.status is Status.MANUAL
    assert finding.source is Source.NONE
    assert finding.reason.startswith(f"Review: {MANUAL_CHECK}")
    assert "Microsoft Graph could not decide: ambiguous" in finding.reason
    assert "Secure Score could not decide: control marked ignored" in finding.reason
    assert finding.evidence == (ADMIN,)


def test_a_manual_answer_from_a_source_keeps_its_own_reason() -> None:
    finding = evaluate(
        GRAPH_CHAIN,
        {
            "graph": gives(no_decision("ambiguous")),
            "securescore": gives(manual("an admin marked AdminMFAV2 as third-party", [PROFILE])),
        },
    )
    assert finding.status is Status.MANUAL
    assert finding.source is Source.SECURESCORE
    assert finding.reason.startswith("an admin marked AdminMFAV2 as third-party")
    assert "Microsoft Graph could not decide: ambiguous" in finding.reason
    assert finding.evidence == (PROFILE,)


def test_the_first_manual_answer_is_kept() -> None:
    rec = recommendation("graph", "exchange", "manual")
    finding = evaluate(rec, {"graph": gives(manual("from graph")), "exchange": gives(manual("from exchange"))})
    assert finding.reason == "from graph"
    assert finding.source is Source.GRAPH


def test_a_manual_only_recommendation_needs_no_decider() -> None:
    finding = evaluate(recommendation("manual"), {})
    assert finding == Finding(Status.MANUAL, f"Review: {MANUAL_CHECK}", (), Source.NONE)


def test_a_manual_source_may_attach_evidence() -> None:
    finding = evaluate(recommendation("manual"), {"manual": gives(manual("review these sharing settings", [ADMIN]))})
    assert finding.status is Status.MANUAL
    assert finding.evidence == (ADMIN,)


def test_a_failed_evidence_read_leaves_a_manual_recommendation_manual() -> None:
    finding = evaluate(
        recommendation("manual"),
        {"manual": refused("SharePointTenantSettings.Read.All", "/v1.0/admin/sharepoint/settings")},
    )
    assert finding.status is Status.MANUAL
    assert MANUAL_CHECK in finding.reason


def test_a_real_catalogue_chain() -> None:
    rec = load_catalogue()["1.1.1"]
    assert rec.sources == ("graph", "securescore", "manual")
    finding = evaluate(
        rec, {"graph": refused("Policy.Read.All"), "securescore": gives(no_decision("no AdminMFAV2 profile"))}
    )
    assert finding.status is Status.ERROR, (
        "a failed decisive read is an error even when the next source is only undecided"
    )
    assert "Policy.Read.All" in finding.reason


# Plan gate -------------------------------------------------------------------------------------


def test_a_gate_refusal_is_an_error_and_no_source_runs() -> None:
    finding = evaluate(
        GRAPH_CHAIN, {"graph": must_not_run, "securescore": must_not_run}, gate=lambda: "not licensed for Entra ID P2"
    )
    assert finding == Finding(Status.ERROR, "not licensed for Entra ID P2", (), Source.NONE)


def test_an_unreadable_licence_list_is_an_error_naming_every_failed_read() -> None:
    def gate() -> str | None:
        raise ReadError(
            FailureKind.PERMISSION,
            "GET /v1.0/subscribedSkus",
            "permission Directory.Read.All not granted",
            permission="Directory.Read.All",
        )

    def graph_refused() -> Finding:
        raise ReadError(
            FailureKind.PERMISSION,
            "GET /v1.0/identity/conditionalAccess/policies",
            "permission Policy.Read.All not granted",
        )

    # Without the licence list no source may decide: a source that could decide compliant is ignored.
    finding = evaluate(GRAPH_CHAIN, {"graph": graph_refused, "securescore": gives(compliant("full"))}, gate=gate)
    assert finding.status is Status.ERROR
    assert finding.reason.startswith("could not be evaluated: licence check:")
    assert "GET /v1.0/subscribedSkus: permission Directory.Read.All not granted" in finding.reason
    assert "Policy.Read.All" in finding.reason


def test_a_gate_that_passes_lets_the_chain_run() -> None:
    finding = evaluate(GRAPH_CHAIN, {"graph": gives(compliant("ok")), "securescore": must_not_run}, gate=lambda: None)
    assert finding.status is Status.COMPLIANT


# Wiring errors ---------------------------------------------------------------------------------


def test_a_source_outside_the_catalogue_chain_is_a_chain_error() -> None:
    with pytest.raises(ChainError, match=r"^1\.1\.3: sources \['dns'\] not in the catalogue chain"):
        evaluate(
            GRAPH_CHAIN,
            {"graph": gives(compliant("ok")), "securescore": gives(compliant("ok")), "dns": gives(compliant("ok"))},
        )


def test_a_source_of_the_chain_left_unwired_is_a_chain_error() -> None:
    with pytest.raises(ChainError, match=r"missing \['securescore'\]"):
        evaluate(GRAPH_CHAIN, {"graph": gives(compliant("ok"))})


def test_a_chain_error_is_raised_before_any_source_runs() -> None:
    with pytest.raises(ChainError):
        evaluate(GRAPH_CHAIN, {"graph": must_not_run, "exchange": must_not_run, "securescore": must_not_run})


# Waivers ---------------------------------------------------------------------------------------

WAIVER = Waiver("1.1.3", "Fifth global admin during the merger", dt.date(2027, 1, 31))
CONFIG = ScanConfig(waivers=(WAIVER,))
FAILING = dataclasses.replace(non_compliant("5 global administrators are assigned", [ADMIN]), source=Source.GRAPH)


@pytest.mark.parametrize("today", [dt.date(2026, 1, 1), dt.date(2027, 1, 31)])
def test_an_active_waiver_waives_a_non_compliance(today: dt.date) -> None:
    finding = apply_waiver("1.1.3", FAILING, CONFIG, today)
    assert finding.status is Status.WAIVED
    assert "Fifth global admin during the merger" in finding.reason
    assert "2027-01-31" in finding.reason
    assert "5 global administrators are assigned" in finding.reason
    assert finding.evidence == FAILING.evidence
    assert finding.source is Source.GRAPH


def test_an_expired_waiver_leaves_it_non_compliant_and_says_so() -> None:
    finding = apply_waiver("1.1.3", FAILING, CONFIG, dt.date(2027, 2, 1))
    assert finding.status is Status.NON_COMPLIANT
    assert finding.reason.startswith("5 global administrators are assigned")
    assert "waiver expired on 2027-01-31" in finding.reason
    assert finding.evidence == FAILING.evidence
    assert finding.source is Source.GRAPH


@pytest.mark.parametrize(
    "finding",
    [
        compliant("3 global admins"),
        Finding(Status.ERROR, "could not be evaluated: Microsoft Graph: refused"),
        manual("review"),
        not_applicable("cloud-only"),
    ],
)
def test_a_waiver_never_changes_anything_but_non_compliant(finding: Finding) -> None:
    assert apply_waiver("1.1.3", finding, CONFIG, dt.date(2026, 1, 1)) is finding
    assert apply_waiver("1.1.3", finding, CONFIG, dt.date(2030, 1, 1)) is finding


def test_a_waiver_for_another_id_does_not_apply() -> None:
    assert apply_waiver("1.1.4", FAILING, CONFIG, dt.date(2026, 1, 1)) is FAILING


def test_no_waivers_leaves_the_finding() -> None:
    assert apply_waiver("1.1.3", FAILING, ScanConfig(), dt.date(2026, 1, 1)) is FAILING
