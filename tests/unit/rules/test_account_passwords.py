"""1.1.4, 1.1.5, 1.1.7 and 1.5: SSPR, password protection, password hash sync, passwords never expire."""

from __future__ import annotations

import pytest

from o365cis.config import ScanConfig
from o365cis.findings import Finding, Status
from o365cis.rules.account.passwords import (
    password_hash_sync_recent,
    password_protection_enforced_on_premises,
    passwords_never_expire,
    sspr_enabled_for_all,
)
from tests.unit.rules.account_cases import (
    ALICE,
    CONFIG,
    EVE,
    GOLDEN,
    NOW,
    Patch,
    domain,
    drop,
    org,
    password_values,
    registration,
    set_row,
    status_of,
    tenant,
    user_row,
)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, isSsprEnabled=False), Status.NON_COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, isSsprEnabled=None), Status.NON_COMPLIANT),
        (lambda t: set_row(t, "registrations", EVE, userType="Member", isSsprEnabled=False), Status.NON_COMPLIANT),
        (
            lambda t: (
                set_row(t, "users", ALICE, accountEnabled=False),
                set_row(t, "registrations", ALICE, isSsprEnabled=False),
            ),
            Status.COMPLIANT,
        ),
        (
            lambda t: (drop(t, "users", id=EVE), set_row(t, "registrations", EVE, isSsprEnabled=False)),
            Status.COMPLIANT,
        ),  # /users does not show it enabled
        (lambda t: t.update(registrations=[r for r in t["registrations"] if r["userType"] == "guest"]), Status.MANUAL),
    ],
)
def test_sspr_enabled_for_all(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    assert status_of(sspr_enabled_for_all(t["registrations"], t["users"])) is expected


def test_sspr_caps_long_lists_but_counts_exactly() -> None:
    rows = [
        {**registration(EVE, sspr=False), "id": f"u-{i}", "userPrincipalName": f"u{i}@contoso.com"} for i in range(60)
    ]
    users = [{**user_row(EVE), "id": f"u-{i}"} for i in range(60)]
    decision = sspr_enabled_for_all(rows, users)
    assert (
        isinstance(decision, Finding)
        and decision.reason == "Self-service password reset is not enabled for 60 of 60 enabled member users"
    )
    assert (
        len(decision.evidence) == 51
        and decision.evidence[-1].type == "count"
        and decision.evidence[-1].detail == "10 more users not listed (60 in all)"
    )


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),
        (lambda t: password_values(t)[0].update(value="Audit"), Status.NON_COMPLIANT),
        (lambda t: password_values(t)[1].update(value="False"), Status.NON_COMPLIANT),
        (lambda t: password_values(t).pop(1), Status.NON_COMPLIANT),
        (lambda t: t["group_settings"].pop(1), Status.NON_COMPLIANT),  # defaults: Audit
        (
            lambda t: (
                password_values(t)[0].update(name="bannedpasswordcheckonpremisesmode", value="Enforced"),
                password_values(t)[1].update(value="true"),
            ),
            Status.COMPLIANT,
        ),
        (lambda t: t["organization"][0].update(onPremisesSyncEnabled=None), Status.NOT_APPLICABLE),
        (lambda t: t["organization"][0].update(onPremisesSyncEnabled=False), Status.NOT_APPLICABLE),
    ],
)
def test_password_protection_enforced_on_premises(patch: Patch | None, expected: Status) -> None:
    t = tenant(patch)
    decision = password_protection_enforced_on_premises(t["organization"], t["group_settings"])
    assert status_of(decision) is expected
    if expected is not Status.NOT_APPLICABLE:
        assert any(e.type == "note" and "agents" in (e.detail or "") for e in decision.evidence)


@pytest.mark.parametrize(
    ("patch", "config", "expected"),
    [
        (None, CONFIG, Status.COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime=None), CONFIG, Status.NON_COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime="2024-04-20T00:00:00Z"), CONFIG, Status.MANUAL),
        (
            org(onPremisesLastPasswordSyncDateTime="2024-05-01T00:00:00Z"),
            ScanConfig(phs_max_age_hours=24),
            Status.MANUAL,
        ),
        (org(onPremisesLastPasswordSyncDateTime="2024-05-01T00:00:00Z"), CONFIG, Status.COMPLIANT),
        (org(onPremisesLastPasswordSyncDateTime="2024-05-02T07:00:00Z"), CONFIG, Status.COMPLIANT),  # clock skew
        (lambda t: t["organization"][0].pop("onPremisesLastPasswordSyncDateTime"), CONFIG, None),
        (org(onPremisesLastPasswordSyncDateTime="not a date"), CONFIG, None),
        (org(onPremisesSyncEnabled=None, onPremisesLastPasswordSyncDateTime=None), CONFIG, Status.NOT_APPLICABLE),
    ],
)
def test_password_hash_sync_recent(patch: Patch | None, config: ScanConfig, expected: Status | None) -> None:
    assert status_of(password_hash_sync_recent(tenant(patch)["organization"], config, NOW)) is expected


def test_password_hash_sync_reason_gives_the_age() -> None:
    decision = password_hash_sync_recent(GOLDEN["organization"][0], CONFIG, NOW)
    assert (
        isinstance(decision, Finding)
        and decision.reason == "Password hash sync last ran 1.0 hours ago (within 72 hours)"
    )
    assert decision.evidence[0].detail is not None and decision.evidence[0].detail.endswith("age 1.0 hours")


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (None, Status.COMPLIANT),  # the federated, subdomain and unverified 90-day domains are skipped
        (domain("contoso.com", passwordValidityPeriodInDays=90), Status.NON_COMPLIANT),
        (domain("contoso.onmicrosoft.com", passwordValidityPeriodInDays=730), Status.NON_COMPLIANT),
        (domain("contoso.com", passwordValidityPeriodInDays="2147483647"), Status.COMPLIANT),
        # Unset means Microsoft's 90-day default, not "never" (issue 9 item 10); its neighbour one setting away
        # (the value written) is the golden tenant itself.
        (domain("contoso.com", passwordValidityPeriodInDays=None), Status.NON_COMPLIANT),
        (
            lambda t: [d.pop("passwordValidityPeriodInDays") for d in t["domains"] if d["id"] == "contoso.com"],
            Status.NON_COMPLIANT,
        ),
        (domain("contoso.com", passwordValidityPeriodInDays="never"), Status.NON_COMPLIANT),
        (domain("contoso.com", passwordValidityPeriodInDays=2147483646), Status.NON_COMPLIANT),
        (domain("corp.fabrikam.net", authenticationType="Managed"), Status.NON_COMPLIANT),
        (lambda t: [d.update(authenticationType="Federated") for d in t["domains"]], Status.MANUAL),
        (lambda t: t["domains"].clear(), Status.MANUAL),
    ],
)
def test_passwords_never_expire(patch: Patch | None, expected: Status) -> None:
    assert status_of(passwords_never_expire(tenant(patch)["domains"])) is expected


def test_passwords_never_expire_evidence() -> None:
    decision = passwords_never_expire(tenant(domain("contoso.com", passwordValidityPeriodInDays=90))["domains"])
    assert isinstance(decision, Finding)
    assert decision.reason == "Passwords expire in 1 of 2 managed domains: contoso.com (90 days)"
    assert [(e.id, e.detail) for e in decision.evidence] == [
        ("contoso.com", "passwordValidityPeriodInDays 90 (passwords expire)"),
        ("contoso.onmicrosoft.com", "passwordValidityPeriodInDays 2147483647 (never expires)"),
        ("corp.fabrikam.net", "Federated: follows the on-premises policy, skipped"),
    ]


def test_passwords_never_expire_null_names_the_default() -> None:
    decision = passwords_never_expire(tenant(domain("contoso.com", passwordValidityPeriodInDays=None))["domains"])
    assert isinstance(decision, Finding) and decision.status is Status.NON_COMPLIANT
    assert decision.reason == (
        "Passwords expire in 1 of 2 managed domains: contoso.com (not set: Graph documents the 90-day default)"
    )
    assert decision.evidence[0].detail == (
        "passwordValidityPeriodInDays None (not set: Graph documents the 90-day default)"
    )
