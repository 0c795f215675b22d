"""o365cis.catalogue: the shipped catalogue, selection by level/licence, and the permission index."""

from __future__ import annotations

import re

import pytest

from o365cis.catalogue import (
    LEVELS,
    LICENSES,
    SECTIONS,
    SOURCES,
    Recommendation,
    load_catalogue,
    missing_permissions,
    permission_notes,
    required_permissions,
    satisfied_by,
    selected,
    sort_key,
)

CATALOGUE = load_catalogue()


# The catalogue itself ---------------------------------------------------------------------------


def test_the_benchmark_has_84_recommendations_keyed_by_id() -> None:
    assert len(CATALOGUE) == 84
    assert all(key == rec.id for key, rec in CATALOGUE.items())


def test_recommendations_come_in_benchmark_order() -> None:
    ids = list(CATALOGUE)
    assert ids == sorted(ids, key=sort_key)
    assert ids.index("1.1.2") < ids.index("1.1.10") < ids.index("1.2")
    assert ids[0] == "1.1.1"
    assert ids[-1] == "7.13"


def test_sort_key_compares_numerically() -> None:
    assert sort_key("1.1.10") > sort_key("1.1.2")
    assert sort_key("1.2") > sort_key("1.1.15")
    assert sort_key("10.1") > sort_key("9.9")


@pytest.mark.parametrize("rec", CATALOGUE.values(), ids=list(CATALOGUE))
def test_every_recommendation_is_well_formed(rec: Recommendation) -> None:
    assert re.fullmatch(r"\d+(\.\d+){1,2}", rec.id)
    assert rec.section == SECTIONS[int(rec.id.split(".")[0])]
    assert rec.title.strip() == rec.title and rec.title
    assert rec.level in LEVELS
    assert rec.license in LICENSES
    assert rec.sources[0] == rec.evaluation
    assert set(rec.sources) <= set(SOURCES)
    assert len(set(rec.sources)) == len(rec.sources), "a source is tried once"
    assert rec.sources[-1] == "manual", "every chain ends in a manual review"
    assert rec.manual_check.strip()
    assert rec.remediation.strip(), f"{rec.id} has no remediation text in o365cis/remediation/"


def test_the_catalogue_is_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()


def test_every_needed_permission_has_a_note() -> None:
    notes = permission_notes()
    needed = required_permissions(include_evidence=True)
    assert set(needed) <= set(notes)
    assert all(notes[name]["permission"] == name for name in needed)


# Selection -------------------------------------------------------------------------------------


def test_level_2_e5_selects_everything() -> None:
    assert [r.id for r in selected()] == list(CATALOGUE)
    assert [r.id for r in selected(2, "E5")] == list(CATALOGUE)


def test_level_1_leaves_out_level_2() -> None:
    chosen = selected(level=1)
    assert chosen and all(r.level == 1 for r in chosen)
    assert {r.id for r in chosen} == {r.id for r in CATALOGUE.values() if r.level == 1}


def test_e3_leaves_out_e5_only_recommendations() -> None:
    chosen = selected(license="E3")
    assert chosen and all(r.license == "E3" for r in chosen)
    assert len(chosen) < len(CATALOGUE)
    assert {r.id for r in chosen} == {r.id for r in CATALOGUE.values() if r.license == "E3"}


def test_level_and_licence_combine() -> None:
    expected = [r.id for r in CATALOGUE.values() if r.level == 1 and r.license == "E3"]
    assert [r.id for r in selected(1, "E3")] == expected


# Permissions -----------------------------------------------------------------------------------


def test_required_permissions_index_the_decisive_permissions() -> None:
    needed = required_permissions()
    assert list(needed) == sorted(needed)
    for name, ids in needed.items():
        assert ids == [r.id for r in CATALOGUE.values() if name in r.permissions]
    every_decisive = {p for r in CATALOGUE.values() for p in r.permissions}
    assert set(needed) == every_decisive


def test_evidence_permissions_are_only_counted_when_asked() -> None:
    decisive = required_permissions()
    with_evidence = required_permissions(include_evidence=True)
    evidence_only = {p for r in CATALOGUE.values() for p in r.evidence_permissions} - set(decisive)
    assert evidence_only, "the catalogue has evidence-only permissions (e.g. section 5)"
    assert not evidence_only & set(decisive)
    assert evidence_only <= set(with_evidence)
    # 5.13 reads Directory.Read.All for evidence only: it is listed only with include_evidence.
    assert "5.13" not in decisive["Directory.Read.All"]
    assert "5.13" in with_evidence["Directory.Read.All"]


def test_an_id_is_listed_once_per_permission() -> None:
    for ids in required_permissions(include_evidence=True).values():
        assert len(ids) == len(set(ids))


def test_required_permissions_follow_the_selection() -> None:
    level1 = required_permissions(level=1)
    ids = {i for values in level1.values() for i in values}
    assert all(CATALOGUE[i].level == 1 for i in ids)
    e3 = required_permissions(license="E3")
    assert all(CATALOGUE[i].license == "E3" for values in e3.values() for i in values)


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        ("Policy.Read.All", {"Policy.Read.All"}),
        ("Policy.Read.All", {"Policy.ReadWrite.All"}),
        ("User.Read.All", {"Directory.Read.All"}),
        ("User.Read.All", {"Directory.ReadWrite.All"}),
        ("User.Read.All", {"User.ReadWrite.All"}),
        ("Domain.Read.All", {"Directory.Read.All"}),
        ("Organization.Read.All", {"Directory.Read.All"}),
        ("RoleManagement.Read.Directory", {"RoleManagement.Read.All"}),
        ("RoleManagement.Read.Directory", {"RoleManagement.ReadWrite.Directory"}),
        ("GroupMember.Read.All", {"Group.Read.All"}),
        ("GroupMember.Read.All", {"Group.ReadWrite.All"}),
        ("Group.Read.All", {"Directory.Read.All"}),
    ],
)
def test_a_permission_is_granted_directly_or_by_a_broader_role(permission: str, roles: set[str]) -> None:
    assert satisfied_by(permission, frozenset(roles))


@pytest.mark.parametrize(
    ("permission", "roles"),
    [
        ("Policy.Read.All", set()),
        ("Policy.Read.All", {"Directory.Read.All"}),
        ("Policy.ReadWrite.All", {"Policy.Read.All"}),
        ("Directory.Read.All", {"User.Read.All"}),
        ("AuditLog.Read.All", {"Reports.Read.All", "Mail.Read"}),
        ("User.Read.All", {"User.ReadBasic.All"}),
    ],
)
def test_a_narrower_or_unrelated_role_does_not_grant_a_permission(permission: str, roles: set[str]) -> None:
    assert not satisfied_by(permission, frozenset(roles))


def test_nothing_missing_when_every_permission_is_granted() -> None:
    assert missing_permissions(frozenset(required_permissions())) == {}


def test_a_missing_permission_is_listed_with_the_ids_that_need_it() -> None:
    roles = frozenset(required_permissions()) - {"Policy.Read.All"}
    missing = missing_permissions(roles)
    assert list(missing) == ["Policy.Read.All"]
    assert missing["Policy.Read.All"] == required_permissions()["Policy.Read.All"]


def test_a_broader_role_covers_the_narrower_permissions() -> None:
    roles = frozenset(required_permissions()) - {"User.Read.All", "Domain.Read.All"}
    assert "Directory.Read.All" in roles
    assert missing_permissions(roles) == {}


def test_missing_permissions_follow_the_selection() -> None:
    nothing = missing_permissions(frozenset(), level=1, license="E3")
    ids = {i for values in nothing.values() for i in values}
    assert ids and all(CATALOGUE[i].level == 1 and CATALOGUE[i].license == "E3" for i in ids)
    assert set(nothing) == set(required_permissions(1, "E3"))


def test_the_secure_score_all_rule_is_marked_where_the_rules_say_so() -> None:
    # controls.yaml: 1.1.8 "Secure Score decides with "all"", 4.10 "Secure Score fallback uses "all"".
    marked = {r.id for r in load_catalogue().values() if r.securescore_all}
    assert marked == {"1.1.8", "4.10"}
