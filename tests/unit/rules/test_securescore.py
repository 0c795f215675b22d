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
        # No profile (no maxScore) and no percentage: the control measures nothing and counts as absent.
        (
            lambda s, p: (controls(s)[0].update(scoreInPercentage=None), p.pop(0)),
            "AdminMFAV2 has no maximum score and no percentage",
        ),
        (lambda s, p: controls(s)[0].update(scoreInPercentage=None, score=None), "no usable figures"),
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
        ["UserRiskPolicy", "SigninRiskPolicy"],
        NOW,
        on_full=Status.MANUAL,
        note="confirm enforcement",
        every_present=True,
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


# ----------------------------------------------------------------------------------------------- issue 9 items 6, 17


def deprecated(name: str) -> Callable[..., Any]:
    return lambda s, p: profile(p, name).update(deprecated=True)


def marked(name: str, state: str, when: str = "2024-04-15T00:00:00Z") -> Callable[..., Any]:
    return lambda s, p: profile(p, name).update(controlStateUpdates=[{"state": state, "updatedDateTime": when}])


def changes(*patches: Callable[..., Any]) -> Callable[..., Any]:
    def apply(s: list[dict[str, Any]], p: list[dict[str, Any]]) -> None:
        for one in patches:
            one(s, p)

    return apply


ZERO_MAX = changes(
    lambda s, p: controls(s)[0].update(score=0.0, scoreInPercentage=None),
    lambda s, p: profile(p, "AdminMFAV2").update(maxScore=0),
)


@pytest.mark.parametrize(
    ("change", "names", "expected", "words"),
    [
        # Deprecated: absent, the next name is tried (MFARegistrationV2 is at 50%).
        (
            deprecated("AdminMFAV2"),
            ["AdminMFAV2", "MFARegistrationV2"],
            Status.NON_COMPLIANT,
            "AdminMFAV2 is deprecated",
        ),
        (deprecated("AdminMFAV2"), ["AdminMFAV2"], None, "AdminMFAV2 is deprecated"),
        # ... even when it is also marked.
        (
            changes(deprecated("AdminMFAV2"), marked("AdminMFAV2", "Ignored")),
            ["AdminMFAV2", "MFARegistrationV2"],
            Status.NON_COMPLIANT,
            "MFARegistrationV2 is below full",
        ),
        # Neighbour: deprecated false (or absent) is an ordinary control.
        (lambda s, p: profile(p, "AdminMFAV2").update(deprecated=False), ["AdminMFAV2"], Status.COMPLIANT, "full"),
        (lambda s, p: profile(p, "AdminMFAV2").update(deprecated="true"), ["AdminMFAV2"], Status.COMPLIANT, "full"),
        # maxScore 0 with no percentage: score 0 of 0 used to read as full (compliant); now absent.
        (ZERO_MAX, ["AdminMFAV2"], None, "AdminMFAV2 has no maximum score"),
        (ZERO_MAX, ["AdminMFAV2", "BlockLegacyAuthentication"], Status.COMPLIANT, "BlockLegacyAuthentication"),
        # Neighbours: a percentage, or a positive maximum, decides.
        (lambda s, p: profile(p, "AdminMFAV2").update(maxScore=0), ["AdminMFAV2"], Status.COMPLIANT, "(100%)"),
        (
            lambda s, p: controls(s)[0].update(scoreInPercentage=None),
            ["AdminMFAV2"],
            Status.COMPLIANT,
            "score 10 of 10",
        ),
        # A marked control is present: the search ends, the full alternative after it is not used.
        (
            marked("AdminMFAV2", "ThirdParty"),
            ["AdminMFAV2", "BlockLegacyAuthentication"],
            None,
            "AdminMFAV2 is marked ThirdParty",
        ),
        # A missing name before it is still skipped.
        (None, ["NoSuchControl", "AdminMFAV2"], Status.COMPLIANT, "NoSuchControl is not in the latest snapshot"),
        # The latest entry decides: on a tie of updatedDateTime, the last one listed.
        (
            lambda s, p: profile(p, "AdminMFAV2").update(
                controlStateUpdates=[
                    {"state": "Default", "updatedDateTime": "2024-04-15T00:00:00Z"},
                    {"state": "Reviewed", "updatedDateTime": "2024-04-15T00:00:00Z"},
                ]
            ),
            ["AdminMFAV2", "BlockLegacyAuthentication"],
            None,
            "marked Reviewed",
        ),
        (
            lambda s, p: profile(p, "AdminMFAV2").update(
                controlStateUpdates=[
                    {"state": "Reviewed", "updatedDateTime": "2024-04-15T00:00:00Z"},
                    {"state": "Default", "updatedDateTime": "2024-04-15T00:00:00Z"},
                ]
            ),
            ["AdminMFAV2", "BlockLegacyAuthentication"],
            Status.COMPLIANT,
            "AdminMFAV2 is at full",
        ),
    ],
)
def test_choosing_among_alternatives(
    change: Callable[..., Any] | None, names: list[str], expected: Status | None, words: str
) -> None:
    decision = score(change).decide(names, NOW)
    assert (decision.status if isinstance(decision, Finding) else None) is expected, decision.reason
    assert words in decision.reason


def phishing(profiles_: dict[str, dict[str, Any]] | None = None, **percentages: float | None) -> SecureScore:
    """4.10's four controls (None: absent), maxScore 10 each; profiles_ updates a control's profile."""
    names = (
        "mdo_antiphishingpolicies",
        "mdo_phishthresholdlevel",
        "mdo_enablemailboxintelligence",
        "mdo_mailboxintelligenceprotection",
    )
    values = {name: percentages.get(name, 100.0) for name in names}
    scores = [{"controlName": n, "score": v / 10, "scoreInPercentage": v} for n, v in values.items() if v is not None]
    profiles = [
        {"id": n, "title": n, "maxScore": 10.0, "controlStateUpdates": [], **(profiles_ or {}).get(n, {})}
        for n in names
    ]
    return SecureScore([{"createdDateTime": "2024-05-01T00:00:00Z", "controlScores": scores}], profiles)


IGNORED = {"controlStateUpdates": [{"state": "Ignored", "updatedDateTime": "2024-04-01T00:00:00Z"}]}
PHISHING = [
    "mdo_antiphishingpolicies",
    "mdo_phishthresholdlevel",
    "mdo_enablemailboxintelligence",
    "mdo_mailboxintelligenceprotection",
]


@pytest.mark.parametrize(
    ("score_", "expected", "words"),
    [
        # Issue 9 code defect, crafted: the first control full, the second at 0% (was compliant).
        (
            phishing(
                mdo_phishthresholdlevel=0, mdo_enablemailboxintelligence=None, mdo_mailboxintelligenceprotection=None
            ),
            Status.NON_COMPLIANT,
            "mdo_phishthresholdlevel",
        ),
        # Neighbours: the same with the second full; absent ones are skipped.
        (
            phishing(mdo_enablemailboxintelligence=None, mdo_mailboxintelligenceprotection=None),
            Status.COMPLIANT,
            "skipped: Secure Score control mdo_enablemailboxintelligence is not in the latest snapshot",
        ),
        (phishing(), Status.COMPLIANT, "all at full score"),
        (phishing(mdo_mailboxintelligenceprotection=99.0), Status.NON_COMPLIANT, "mdo_mailboxintelligenceprotection"),
        # A deprecated one at 0% is skipped.
        (
            phishing({"mdo_phishthresholdlevel": {"deprecated": True}}, mdo_phishthresholdlevel=0),
            Status.COMPLIANT,
            "mdo_phishthresholdlevel is deprecated",
        ),
        # A marked one means no decision; a below-full partner still decides.
        (
            phishing({"mdo_phishthresholdlevel": IGNORED}),
            None,
            "mdo_phishthresholdlevel is marked Ignored",
        ),
        (
            phishing({"mdo_phishthresholdlevel": IGNORED}, mdo_antiphishingpolicies=50.0),
            Status.NON_COMPLIANT,
            "mdo_antiphishingpolicies",
        ),
        # Nothing present: no decision.
        (
            phishing(
                mdo_antiphishingpolicies=None,
                mdo_phishthresholdlevel=None,
                mdo_enablemailboxintelligence=None,
                mdo_mailboxintelligenceprotection=None,
            ),
            None,
            "not in the latest snapshot",
        ),
    ],
)
def test_all_rule_of_4_10(score_: SecureScore, expected: Status | None, words: str) -> None:
    decision = securescore_side("4.10", score_, PHISHING, NOW, all_controls=True)
    assert (decision.status if isinstance(decision, Finding) else None) is expected, decision.reason
    assert words in decision.reason


def test_without_the_all_marker_the_first_present_alternative_decides() -> None:
    crafted = phishing(mdo_phishthresholdlevel=0)
    decision = securescore_side("4.10", crafted, PHISHING, NOW)
    assert isinstance(decision, Finding) and decision.status is Status.COMPLIANT


def test_1_1_8_needs_both_controls_present() -> None:
    one_missing = secure_score(UserRiskPolicy=100, SigninRiskPolicy=None)
    assert isinstance(securescore_side("1.1.8", one_missing, ["UserRiskPolicy", "SigninRiskPolicy"], NOW), NoDecision)
    both = secure_score(UserRiskPolicy=100, SigninRiskPolicy=100)
    decision = securescore_side("1.1.8", both, ["UserRiskPolicy", "SigninRiskPolicy"], NOW, all_controls=True)
    assert isinstance(decision, Finding) and decision.status is Status.MANUAL
