"""3.3 and 3.7 over the Teams admin API's answers (undocumented shapes) and 2.5 over SharePoint's SPO.Tenant."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.findings import NoDecision, Status
from o365cis.rules.applications import infected_file_download_blocked
from o365cis.rules.data_management import teams_cloud_storage_approved, teams_external_domains_restricted


def status(decision: Any) -> str:
    return "no_decision" if isinstance(decision, NoDecision) else decision.status.value


def federation(**values: Any) -> dict[str, Any]:
    return {"Identity": "Global", "BlockedDomains": [], "AllowPublicUsers": False, **values}


# 3.3 -----------------------------------------------------------------------------------------------------------------

ALLOW_LIST_SHAPES = {
    "REST object": {"AllowedDomain": [{"Domain": "fabrikam.com"}]},
    "object holding one entry": {"AllowedDomain": {"Domain": "fabrikam.com"}},
    "lower-case names": {"allowedDomain": [{"domain": "fabrikam.com"}]},
    "list of strings": ["fabrikam.com", "tailspin.com"],
    "list of objects": [{"Domain": "fabrikam.com"}],
    "one-element array wrapper": [{"AllowedDomain": [{"Domain": "fabrikam.com"}]}],
    "strings under AllowedDomain": {"AllowedDomain": ["fabrikam.com"]},
}


@pytest.mark.parametrize("domains", ALLOW_LIST_SHAPES.values(), ids=ALLOW_LIST_SHAPES.keys())
def test_an_explicit_allow_list_complies_in_every_shape_seen(domains: Any) -> None:
    decision = teams_external_domains_restricted(federation(AllowFederatedUsers=True, AllowedDomains=domains))
    assert status(decision) == "compliant", decision
    assert "fabrikam.com" in decision.reason  # type: ignore[union-attr]


def test_external_access_off_complies_whatever_the_lists_say() -> None:
    decision = teams_external_domains_restricted(federation(AllowFederatedUsers=False, AllowedDomains={}))
    assert status(decision) == "compliant"


@pytest.mark.parametrize(
    "domains",
    [{}, [], {"AllowedDomain": []}, {"AllowAllKnownDomains": {}}, "AllowAllKnownDomains"],
    ids=["empty object", "empty list", "empty AllowedDomain", "AllowAllKnownDomains object", "PowerShell string"],
)
def test_allow_all_or_an_empty_allow_list_fails_whatever_is_blocked(domains: Any) -> None:
    body = federation(AllowFederatedUsers=True, AllowedDomains=domains, BlockedDomains=[{"Domain": "evil.example"}])
    assert status(teams_external_domains_restricted(body)) == "non_compliant"


@pytest.mark.parametrize("value", [None, "maybe", 1], ids=["null", "a string", "a number"])
def test_no_true_false_allow_federated_users_cannot_decide(value: Any) -> None:
    decision = teams_external_domains_restricted(federation(AllowFederatedUsers=value, AllowedDomains={}))
    assert isinstance(decision, NoDecision) and "AllowFederatedUsers" in decision.reason


def test_absent_allow_federated_users_cannot_decide() -> None:
    decision = teams_external_domains_restricted(federation(AllowedDomains={"AllowedDomain": []}))
    assert isinstance(decision, NoDecision)


@pytest.mark.parametrize(
    ("domains", "named"),
    [
        ({"Something": 1}, "an object with Something"),
        ([1, 2], "a list holding a number"),
        (42, "a number"),
        ([{"Name": "x"}, {"Name": "y"}], "a list holding an object"),
        (None, "null"),
    ],
)
def test_an_unrecognised_allow_list_cannot_decide_and_names_its_shape(domains: Any, named: str) -> None:
    decision = teams_external_domains_restricted(federation(AllowFederatedUsers=True, AllowedDomains=domains))
    assert isinstance(decision, NoDecision), decision
    assert named in decision.reason


@pytest.mark.parametrize(
    ("body", "named"), [([], "an empty list"), ([{}, {}], "a list of 2 items"), ("text", "a string"), (None, "null")]
)
def test_an_answer_that_is_not_one_object_cannot_decide(body: Any, named: str) -> None:
    for rule in (teams_external_domains_restricted, lambda b: teams_cloud_storage_approved(b, ())):
        decision = rule(body)
        assert isinstance(decision, NoDecision) and named in decision.reason


def test_federation_evidence_lists_the_settings() -> None:
    decision = teams_external_domains_restricted(
        federation(AllowFederatedUsers=True, AllowedDomains=["fabrikam.com"], AllowTeamsConsumer=True)
    )
    names = [e.name for e in decision.evidence]
    assert names[:2] == ["AllowFederatedUsers", "AllowedDomains"] and "AllowTeamsConsumer" in names


# 3.7 -----------------------------------------------------------------------------------------------------------------

ALL_OFF = {
    "AllowDropBox": False,
    "AllowBox": False,
    "AllowGoogleDrive": False,
    "AllowShareFile": False,
    "AllowEgnyte": False,
}


def test_every_switch_off_complies() -> None:
    assert status(teams_cloud_storage_approved(dict(ALL_OFF), ())) == "compliant"


def test_an_approved_switch_on_complies_and_an_unapproved_one_fails() -> None:
    body = {**ALL_OFF, "AllowBox": True}
    assert status(teams_cloud_storage_approved(body, frozenset({"box"}))) == "compliant"
    decision = teams_cloud_storage_approved(body, frozenset({"dropbox"}))
    assert status(decision) == "non_compliant" and "AllowBox (box)" in decision.reason  # type: ignore[union-attr]


def test_switch_names_match_case_insensitively() -> None:
    body = {**{k: v for k, v in ALL_OFF.items() if k != "AllowDropBox"}, "AllowDropbox": True}
    assert status(teams_cloud_storage_approved(body, ())) == "non_compliant"
    assert status(teams_cloud_storage_approved(body, frozenset({"dropbox"}))) == "compliant"


def test_an_unapproved_switch_on_fails_even_when_another_is_missing() -> None:
    body = {"AllowGoogleDrive": True, "AllowBox": False}
    assert status(teams_cloud_storage_approved(body, ())) == "non_compliant"


@pytest.mark.parametrize("value", [None, "sometimes"])
def test_a_missing_or_unreadable_switch_with_none_failing_cannot_decide(value: Any) -> None:
    body = {**ALL_OFF, "AllowEgnyte": value}
    decision = teams_cloud_storage_approved(body, ())
    assert isinstance(decision, NoDecision) and "AllowEgnyte" in decision.reason
    del body["AllowEgnyte"]
    assert isinstance(teams_cloud_storage_approved(body, ()), NoDecision)


def test_a_one_element_array_is_the_object() -> None:
    assert status(teams_cloud_storage_approved([dict(ALL_OFF)], ())) == "compliant"


def test_storage_evidence_shows_the_five_switches_and_the_approved_list() -> None:
    decision = teams_cloud_storage_approved({**ALL_OFF, "AllowBox": "True"}, frozenset({"box"}))
    assert status(decision) == "compliant"
    assert [e.name for e in decision.evidence] == [*ALL_OFF, "approved_storage_providers"]


# 2.5 -----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"d": {"DisallowInfectedFileDownload": True}}, Status.COMPLIANT),
        ({"DisallowInfectedFileDownload": True}, Status.COMPLIANT),
        ({"d": {"DisallowInfectedFileDownload": False}}, Status.NON_COMPLIANT),
    ],
)
def test_disallow_infected_file_download_decides(body: Any, expected: Status) -> None:
    decision = infected_file_download_blocked(body)
    assert not isinstance(decision, NoDecision) and decision.status is expected


@pytest.mark.parametrize("body", [{"d": {}}, {"d": {"DisallowInfectedFileDownload": None}}, [], "x", None])
def test_no_true_false_value_cannot_decide(body: Any) -> None:
    assert isinstance(infected_file_download_blocked(body), NoDecision)
