"""The Secure Score reader: latest snapshot, profile maxScore, latest state, the standard rule and its deviations."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from o365cis.findings import Finding, NoDecision, Status
from o365cis.rules.securescore import SecureScore, number, parse_datetime, securescore_side, snapshot_age

NOW = dt.datetime(2024, 5, 2, 6, 0, tzinfo=dt.UTC)

SCORES: list[dict[str, Any]] = [
    {
        "id": "tenant-1_2024-05-01",
        "azureTenantId": "tenant-1",
        "createdDateTime": "2024-05-01T00:00:00Z",
        "currentScore": 342.94,
        "maxScore": 863.0,
        "controlScores": [
            {
                "controlCategory": "Identity",
                "controlName": "AdminMFAV2",
                "description": "Require MFA for administrative roles",
                "score": 10.0,
                "scoreInPercentage": 100.0,
                "implementationStatus": "You have 3 of 3 admins protected",
                "lastSynced": "2024-05-01T03:00:00Z",
            },
            {
                "controlCategory": "Identity",
                "controlName": "MFARegistrationV2",
                "score": 4.5,
                "scoreInPercentage": "50",
                "lastSynced": "2024-05-01T03:00:00Z",
            },
            {"controlCategory": "Identity", "controlName": "SelfServicePasswordReset", "score": 1.0},
            {"controlCategory": "Identity", "controlName": "UserRiskPolicy", "score": 7.0, "scoreInPercentage": 100.0},
            {
                "controlCategory": "Identity",
                "controlName": "SigninRiskPolicy",
                "score": 7.0,
                "scoreInPercentage": 100.0,
            },
            {
                "controlCategory": "Identity",
                "controlName": "BlockLegacyAuthentication",
                "score": 8.0,
                "scoreInPercentage": 100.0,
            },
        ],
    }
]
PROFILES: list[dict[str, Any]] = [
    {
        "id": "AdminMFAV2",
        "title": "Ensure multifactor authentication is enabled for all users in administrative roles",
        "maxScore": 10.0,
        "controlStateUpdates": [],
    },
    {
        "id": "MFARegistrationV2",
        "title": "Ensure multifactor authentication is enabled for all users",
        "maxScore": 9.0,
        "controlStateUpdates": None,
    },
    {"id": "SelfServicePasswordReset", "title": "Enable self-service password reset", "maxScore": "1"},
    {"id": "UserRiskPolicy", "title": "Turn on user risk policy", "maxScore": 7.0},
    {"id": "SigninRiskPolicy", "title": "Turn on sign-in risk policy", "maxScore": 7.0},
    {
        "id": "BlockLegacyAuthentication",
        "title": "Enable Conditional Access policies to block legacy authentication",
        "maxScore": 8.0,
        "controlStateUpdates": [
            {
                "assignedTo": "",
                "comment": "",
                "state": "Ignored",
                "updatedBy": "a@contoso.com",
                "updatedDateTime": "2024-03-01T00:00:00Z",
            },
            {
                "assignedTo": "",
                "comment": "back",
                "state": "Default",
                "updatedBy": "a@contoso.com",
                "updatedDateTime": "2024-04-01T00:00:00Z",
            },
        ],
    },
]


def score(change: Callable[[list[dict[str, Any]], list[dict[str, Any]]], Any] | None = None) -> SecureScore:
    """The golden Secure Score with one change applied to (snapshots, profiles)."""
    scores, profiles = copy.deepcopy(SCORES), copy.deepcopy(PROFILES)
    if change is not None:
        change(scores, profiles)
    return SecureScore(scores, profiles)


def controls(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = scores[0]["controlScores"]
    return found


def profile(profiles: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(p for p in profiles if p["id"] == name)


def test_control_joins_snapshot_and_profile() -> None:
    control = score().control(["adminmfav2"])
    assert control is not None
    assert (control.name, control.score, control.max_score, control.percentage) == ("AdminMFAV2", 10.0, 10.0, 100.0)
    assert control.implementation_status == "You have 3 of 3 admins protected"
    assert control.snapshot_created == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert control.state is None and control.full is True


def test_first_present_alternative_is_used() -> None:
    control = score().control(["NoSuchControl", "MFARegistrationV2", "AdminMFAV2"])
    assert control is not None and control.name == "MFARegistrationV2"
    assert score().control(["NoSuchControl"]) is None


def test_string_figures_are_coerced() -> None:
    control = score().control("MFARegistrationV2")
    assert control is not None and control.percentage == 50.0 and control.full is False
    sspr = score().control("SelfServicePasswordReset")
    assert (
        sspr is not None and sspr.max_score == 1.0 and sspr.percentage is None and sspr.full is True
    )  # score >= maxScore
    assert number("12.5") == 12.5 and number("n/a") is None and number(True) is None and number(float("nan")) is None


def test_latest_snapshot_is_chosen_by_created_date() -> None:
    def older_first(scores: list[dict[str, Any]], _: Any) -> None:
        old = copy.deepcopy(scores[0])
        old["createdDateTime"] = "2024-04-01T00:00:00Z"
        old["controlScores"][0]["scoreInPercentage"] = 0
        scores.insert(0, old)

    control = score(older_first).control("AdminMFAV2")
    assert control is not None and control.percentage == 100.0


@pytest.mark.parametrize(
    ("updates", "expected"),
    [
        ([], None),
        ([{"state": "Ignored", "updatedDateTime": "2024-03-01T00:00:00Z"}], "Ignored"),
        (
            [
                {"state": "Ignored", "updatedDateTime": "2024-04-01T00:00:00Z"},
                {"state": "Default", "updatedDateTime": "2024-03-01T00:00:00Z"},
            ],
            "Ignored",
        ),
        (
            [
                {"state": "Default", "updatedDateTime": "2024-03-01T00:00:00Z"},
                {"state": "ThirdParty", "updatedDateTime": "2024-04-01T00:00:00Z"},
            ],
            "ThirdParty",
        ),
        # A tie on updatedDateTime: the last entry in the list wins.
        (
            [
                {"state": "Reviewed", "updatedDateTime": "2024-04-01T00:00:00Z"},
                {"state": "Default", "updatedDateTime": "2024-04-01T00:00:00Z"},
            ],
            "Default",
        ),
        (
            [
                {"state": "Default", "updatedDateTime": "2024-04-01T00:00:00Z"},
                {"state": "Reviewed", "updatedDateTime": "2024-04-01T00:00:00.0000000Z"},
            ],
            "Reviewed",
        ),
    ],
)
def test_latest_control_state(updates: list[dict[str, Any]], expected: str | None) -> None:
    control = score(lambda _, p: profile(p, "AdminMFAV2").update(controlStateUpdates=updates)).control("AdminMFAV2")
    assert control is not None and control.state == expected


def test_standard_rule_full_is_compliant_and_reason_carries_the_facts() -> None:
    decision = score().decide(["AdminMFAV2"], NOW)
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT
    assert "Secure Score control AdminMFAV2 is at full score" in decision.reason
    assert "score 10 of 10 (100%)" in decision.reason
    assert "snapshot of 2024-05-01 00:00 UTC, 30 hours old" in decision.reason
    assert decision.evidence[0].type == "secureScoreControl" and decision.evidence[0].id == "AdminMFAV2"
    assert decision.evidence[0].detail is not None and "You have 3 of 3 admins protected" in decision.evidence[0].detail


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda s, p: controls(s)[0].update(scoreInPercentage=99.5), Status.NON_COMPLIANT),
        (lambda s, p: controls(s)[0].update(scoreInPercentage="100.0"), Status.COMPLIANT),
        (lambda s, p: controls(s)[0].update(scoreInPercentage=None, score=9.0), Status.NON_COMPLIANT),
        (lambda s, p: controls(s)[0].update(scoreInPercentage=None, score="10"), Status.COMPLIANT),
        (lambda s, p: controls(s)[0].update(controlName="ADMINMFAV2"), Status.COMPLIANT),
    ],
)
def test_standard_rule_figures(change: Callable[..., Any], status: Status) -> None:
    decision = score(change).decide(["AdminMFAV2"], NOW)
    assert isinstance(decision, Finding) and decision.status is status


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s, p: controls(s).pop(0), "not in the latest snapshot"),
        (lambda s, p: s.clear(), "no snapshot"),
        (
            lambda s, p: profile(p, "AdminMFAV2").update(
                controlStateUpdates=[{"state": "Ignored", "updatedDateTime": "2024-04-01T00:00:00Z"}]
            ),
            "marked Ignored",
        ),
        (
            lambda s, p: profile(p, "AdminMFAV2").update(
                controlStateUpdates=[{"state": "thirdParty", "updatedDateTime": "2024-04-01T00:00:00Z"}]
            ),
            "marked thirdParty",
        ),
        (
            lambda s, p: profile(p, "AdminMFAV2").update(
                controlStateUpdates=[{"state": "Reviewed", "updatedDateTime": "2024-04-01T00:00:00Z"}]
            ),
            "marked Reviewed",
        ),
        (lambda s, p: (controls(s)[0].update(scoreInPercentage=None), p.pop(0)), "no usable figures"),
    ],
)
def test_standard_rule_hands_over_when_absent_marked_or_unusable(change: Callable[..., Any], words: str) -> None:
    decision = score(change).decide(["AdminMFAV2"], NOW)
    assert isinstance(decision, NoDecision)
    assert words in decision.reason and "Secure Score" in decision.reason


def test_marked_default_after_ignored_decides_again() -> None:
    decision = score().decide(["BlockLegacyAuthentication"], NOW)
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT and "state Default" in decision.reason


def test_deviations_change_what_full_and_absent_mean() -> None:
    full_is_manual = score().decide(["AdminMFAV2"], NOW, on_full=Status.MANUAL, note="review enforcement")
    assert isinstance(full_is_manual, Finding) and full_is_manual.status is Status.MANUAL
    assert full_is_manual.reason.endswith("; review enforcement")
    below = score().decide(["MFARegistrationV2"], NOW, on_full=Status.MANUAL, note="review enforcement")
    assert (
        isinstance(below, Finding) and below.status is Status.NON_COMPLIANT and "review enforcement" not in below.reason
    )
    absent = score().decide(["NoSuchControl"], NOW, on_absent=Status.MANUAL, note="check the legacy policy")
    assert isinstance(absent, Finding) and absent.status is Status.MANUAL and "check the legacy policy" in absent.reason


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (None, Status.MANUAL),
        (lambda s, p: controls(s)[3].update(scoreInPercentage=0), Status.NON_COMPLIANT),
        # below full wins over an absent partner
        (lambda s, p: (controls(s)[3].update(scoreInPercentage=0), controls(s).pop(4)), Status.NON_COMPLIANT),
        # ... and over an ignored one
        (
            lambda s, p: (
                controls(s)[4].update(scoreInPercentage=0),
                profile(p, "UserRiskPolicy").update(
                    controlStateUpdates=[{"state": "Ignored", "updatedDateTime": "2024-01-01T00:00:00Z"}]
                ),
            ),
            Status.NON_COMPLIANT,
        ),
        (lambda s, p: controls(s).pop(4), None),
        (
            lambda s, p: profile(p, "SigninRiskPolicy").update(
                controlStateUpdates=[{"state": "ThirdParty", "updatedDateTime": "2024-01-01T00:00:00Z"}]
            ),
            None,
        ),
    ],
)
def test_all_rule_over_two_controls(change: Callable[..., Any] | None, expected: Status | None) -> None:
    decision = score(change).decide_all(
        ["UserRiskPolicy", "SigninRiskPolicy"], NOW, on_full=Status.MANUAL, note="confirm enforcement"
    )
    if expected is None:
        assert isinstance(decision, NoDecision) and "SigninRiskPolicy" in decision.reason
    else:
        assert isinstance(decision, Finding) and decision.status is expected
        assert "Secure Score" in decision.reason and "hours old" in decision.reason


def test_snapshot_age_wording() -> None:
    created = dt.datetime(2024, 4, 25, tzinfo=dt.UTC)
    assert snapshot_age(created, NOW) == "snapshot of 2024-04-25 00:00 UTC, 7 days old (Secure Score refreshes daily)"
    assert snapshot_age(None, NOW).startswith("snapshot date unknown")
    assert "0 hours old" in snapshot_age(NOW + dt.timedelta(hours=1), NOW)


def test_parse_datetime_accepts_graph_shapes() -> None:
    assert parse_datetime("2024-05-01T00:00:00Z") == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert parse_datetime("2024-05-01T00:00:00.1234567Z") is not None
    assert parse_datetime("2024-05-01T02:00:00+02:00") == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert parse_datetime("2024-05-01T00:00:00") == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert parse_datetime("yesterday") is None and parse_datetime(None) is None


def secure_score(**percentages: float | None) -> SecureScore:
    """A snapshot whose controls have the given scoreInPercentage (None: control absent)."""
    controls = [
        {"controlName": name, "score": value, "scoreInPercentage": value}
        for name, value in percentages.items()
        if value is not None
    ]
    profiles = [{"id": name, "title": name, "maxScore": 100.0, "controlStateUpdates": []} for name in percentages]
    return SecureScore([{"createdDateTime": "2024-05-01T00:00:00Z", "controlScores": controls}], profiles)


@pytest.mark.parametrize(
    ("rec_id", "names", "score", "expected"),
    [
        ("1.1.1", ["AdminMFAV2"], secure_score(AdminMFAV2=100), Status.COMPLIANT),
        ("1.1.1", ["AdminMFAV2"], secure_score(AdminMFAV2=40), Status.NON_COMPLIANT),
        ("1.1.1", ["AdminMFAV2"], secure_score(AdminMFAV2=None), None),
        ("1.1.2", ["MFARegistrationV2"], secure_score(MFARegistrationV2=100), Status.MANUAL),
        ("1.1.2", ["MFARegistrationV2"], secure_score(MFARegistrationV2=70), Status.NON_COMPLIANT),
        ("1.1.3", ["OneAdmin"], secure_score(OneAdmin=100), Status.MANUAL),
        ("1.1.3", ["OneAdmin"], secure_score(OneAdmin=0), Status.NON_COMPLIANT),
        (
            "1.1.8",
            ["UserRiskPolicy", "SigninRiskPolicy"],
            secure_score(UserRiskPolicy=100, SigninRiskPolicy=100),
            Status.MANUAL,
        ),
        (
            "1.1.8",
            ["UserRiskPolicy", "SigninRiskPolicy"],
            secure_score(UserRiskPolicy=100, SigninRiskPolicy=None),
            None,
        ),
        (
            "1.1.8",
            ["UserRiskPolicy", "SigninRiskPolicy"],
            secure_score(UserRiskPolicy=0, SigninRiskPolicy=None),
            Status.NON_COMPLIANT,
        ),
        ("1.1.9", ["SigninRiskPolicy"], secure_score(SigninRiskPolicy=None), Status.MANUAL),
        ("1.1.9", ["SigninRiskPolicy"], secure_score(SigninRiskPolicy=100), Status.MANUAL),
        ("1.1.9", ["SigninRiskPolicy"], secure_score(SigninRiskPolicy=50), Status.NON_COMPLIANT),
        ("1.1.10", ["UserRiskPolicy"], secure_score(UserRiskPolicy=None), Status.MANUAL),
        ("1.1.10", ["UserRiskPolicy"], secure_score(UserRiskPolicy=0), Status.NON_COMPLIANT),
        (
            "1.1.15",
            ["aad_linkedin_connection_disables"],
            secure_score(aad_linkedin_connection_disables=100),
            Status.COMPLIANT,
        ),
        ("1.4", ["spo_legacy_auth"], secure_score(spo_legacy_auth=None), None),
        ("1.5", ["PWAgePolicyNew"], secure_score(PWAgePolicyNew=0), Status.NON_COMPLIANT),
    ],
)
def test_securescore_side(rec_id: str, names: list[str], score: SecureScore, expected: Status | None) -> None:
    decision = securescore_side(rec_id, score, names, NOW)
    assert (decision.status if isinstance(decision, Finding) else None) is expected
    assert "Secure Score" in decision.reason


def test_securescore_side_deviation_reason_says_what_to_review() -> None:
    decision = securescore_side("1.1.2", secure_score(MFARegistrationV2=100), ["MFARegistrationV2"], NOW)
    assert "registration, not enforcement" in decision.reason and "30 hours old" in decision.reason
