"""End to end: the real suite, over HTTPS and a loopback DNS server, decides every Exchange- and DNS-backed
recommendation (1.2, 2.2-2.5, 2.8, 3.1, 3.2, 3.4, 3.5, section 4, 5.1, 5.2, 5.7, 5.8, 5.12, 5.14, 6.4 and the
section 7 ActiveSync fallback) as the catalogue says, through the source it names.

Every case of tests/e2e/exchange_cases.py is scanned once (a few at a time) by a module-scoped fixture;
the tests read the results documents, the fakes' call and query logs, and the snapshots those scans left.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from o365cis.catalogue import sort_key
from o365cis.http import RetryPolicy
from tests.e2e.exchange_cases import (
    ACTIVESYNC_FALLBACK,
    ALL_UNDER_TEST,
    COMPLIANCE_DECIDED,
    DNS_DECIDED,
    EXCHANGE_DECIDED,
    EXCHANGE_EVIDENCE_ONLY,
    EXCHANGE_WITH_SECURESCORE,
    EXCHANGE_WITHOUT_FALLBACK,
    EXTERNAL_ARCHIVE,
    FAILING_CMDLET,
    FEDERATED,
    INITIAL,
    LEGACY_ADDIN_POLICY,
    REVIEW_SPF,
    ROOT,
    SPF_WITH_EXP,
    ScanCase,
    ScanOutcome,
    all_cases,
    replay_all,
    run_scans,
)

EXCHANGE_PERMISSION = "Exchange.ManageAsApp"
EXCHANGE_ROLE = "Global Reader"
COMPLIANCE_ROLE = "Compliance Administrator or Global Reader"
INTUNE_NOT_LICENSED = "Request not applicable to target tenant"
COMPLIANCE_CMDLETS = ("Get-Label", "Get-LabelPolicy", "Get-DlpCompliancePolicy")


# ------------------------------------------------------------------------------------------------ scans
@pytest.fixture(scope="module")
def cases() -> dict[str, ScanCase]:
    """The scan cases by name (their scenarios are what the fakes served)."""
    return {case.name: case for case in all_cases()}


@pytest.fixture(scope="module")
def scans(cases: dict[str, ScanCase], tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanOutcome]:
    """Every case scanned once, concurrently, each against its own fake cloud."""
    return run_scans(list(cases.values()), tmp_path_factory.mktemp("exchange-dns-scans"))


@pytest.fixture(scope="module")
def golden(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The golden tenant's scan."""
    return scans["golden"]


@pytest.fixture(scope="module")
def noncompliant(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan with one violation per recommendation under test."""
    return scans["noncompliant"]


@pytest.fixture(scope="module")
def no_exchange_permission(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan whose token lacks Exchange.ManageAsApp (and whose tenant lacks Intune)."""
    return scans["no_exchange_permission"]


@pytest.fixture(scope="module")
def no_entra_role(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan whose app holds no Entra role (nor the Intune permission)."""
    return scans["no_entra_role"]


@pytest.fixture(scope="module")
def service_faults(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan with admin API faults: compliance host 404, paging, a 503 past the budget."""
    return scans["service_faults"]


@pytest.fixture(scope="module")
def dns_failures(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan with DNS timeouts, SERVFAIL and truncation, and an unknown-cmdlet compliance host."""
    return scans["dns_failures"]


@pytest.fixture(scope="module")
def no_mail_domain(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan of a tenant with no custom mail domain (and no Intune licence)."""
    return scans["no_mail_domain"]


@pytest.fixture(scope="module")
def no_domain_permission(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan of 4.11-4.13 by an app that may not list the domains."""
    return scans["no_domain_permission"]


@pytest.fixture(scope="module")
def replays(scans: dict[str, ScanOutcome], tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanOutcome]:
    """Each saved snapshot evaluated offline, after every fake server has stopped."""
    saved = {name: outcome.snapshot for name, outcome in scans.items() if outcome.snapshot is not None}
    return replay_all(saved, tmp_path_factory.mktemp("exchange-dns-replays"))


def _text(outcome: ScanOutcome, recommendation_id: str) -> str:
    """Reason and evidence of one result, for looking up what it names."""
    return outcome.result(recommendation_id)["reason"] + "\n" + outcome.evidence_text(recommendation_id)


def _assert_verdict(outcome: ScanOutcome, recommendation_id: str, status: str, source: str, *named: str) -> None:
    result = outcome.result(recommendation_id)
    assert (result["status"], result["source"]) == (status, source), result["reason"]
    text = _text(outcome, recommendation_id)
    for fragment in named:
        assert fragment in text, f"{recommendation_id} does not name {fragment!r}: {text}"


def _pages(calls: Iterable[Any], cmdlet: str, host: str = "exchange") -> list[int]:
    return sorted(c.skip for c in calls if c.cmdlet == cmdlet and c.host == host and c.status == 200)


def _without(ids: Iterable[str], *dropped: str) -> list[str]:
    return [i for i in ids if i not in dropped]


# ------------------------------------------------------------------------------------------------ golden tenant
def test_golden_scan_passes_with_every_recommendation(golden: ScanOutcome) -> None:
    assert golden.returncode == 0, golden.output[-3000:]
    assert len(golden.results) == 84
    assert {r["status"] for r in golden.results.values()} <= {"compliant", "manual"}


@pytest.mark.parametrize("recommendation_id", EXCHANGE_DECIDED)
def test_golden_exchange_recommendation_compliant_through_exchange(golden: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(golden, recommendation_id, "compliant", "exchange")
    assert "[" not in golden.result(recommendation_id)["reason"], "no earlier source should have failed"


@pytest.mark.parametrize("recommendation_id", DNS_DECIDED)
def test_golden_dns_recommendation_compliant_through_dns(golden: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(golden, recommendation_id, "compliant", "dns", "valid", ROOT, FEDERATED)


@pytest.mark.parametrize("recommendation_id", EXCHANGE_EVIDENCE_ONLY)
def test_golden_evidence_only_recommendation_is_manual_with_exchange_read(
    golden: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(golden, recommendation_id, "manual", "none", "Read:")
    assert "Not read" not in golden.result(recommendation_id)["reason"]


def test_golden_runs_each_cmdlet_once_dkim_signing_included(golden: ScanOutcome) -> None:
    runs = Counter((c.host, c.cmdlet, c.skip) for c in golden.exchange_calls)
    assert runs and max(runs.values()) == 1, runs.most_common(3)
    assert all(c.status == 200 for c in golden.exchange_calls)
    # 4.11 needs signing enabled as well as the DNS keys: Get-DkimSigningConfig is a decisive read of its DNS source.
    assert "Get-DkimSigningConfig" in {c.cmdlet for c in golden.exchange_calls}
    assert "Exchange: Enabled True, Status Valid" in golden.evidence_text("4.11")


def test_golden_asks_each_dns_name_once(golden: ScanOutcome) -> None:
    names = Counter(name for name, _, _ in golden.dns_queries)
    expected = {f"{selector}._domainkey.{d}" for d in (ROOT, FEDERATED) for selector in ("selector1", "selector2")}
    expected |= {ROOT, FEDERATED, f"_dmarc.{ROOT}", f"_dmarc.{FEDERATED}"}
    assert set(names) == expected
    assert set(names.values()) == {1}


# ------------------------------------------------------------------------------------------------ violations
#: id -> (source, what the reason or the evidence must name) in the noncompliant case.
NONCOMPLIANT_EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "1.2": ("exchange", ("OAuth2ClientProfileEnabled is False",)),
    "2.2": ("exchange", ("Default Sharing Policy", "Enabled True")),
    "2.3": ("exchange", ("AllowClickThrough is True",)),
    "2.4": ("exchange", ("EnableATPForSPOTeamsODB False",)),
    "2.8": ("exchange", ("Default Role Assignment Policy", "My Marketplace Apps")),
    "3.1": ("exchange", ("CustomerLockBoxEnabled is False",)),
    "3.2": ("exchange", ("no enabled label policy publishes labels", "Enabled False")),
    "3.4": ("exchange", ("Mode TestWithNotifications",)),
    "3.5": ("exchange", ("Teams", "Mode TestWithNotifications")),
    "4.1": ("exchange", ("EnableFileFilter False",)),
    "4.2": ("exchange", ("NotifyOutboundSpamRecipients",)),
    "4.3": ("exchange", ("Journal legal mail to archive", EXTERNAL_ARCHIVE)),
    "4.4": ("exchange", ("AutoForwardEnabled True", "AutoForwardingMode Automatic")),
    "4.5": ("exchange", ("Trust partner mail", "SetSCL -1", "northwindtraders.com")),
    "4.6": ("exchange", ("rejects auto-forwarded mail", "Automatic")),
    "4.7": ("exchange", ("AllowClickThrough is True",)),
    "4.8": ("exchange", ("Action is Replace (Block expected)",)),
    "4.9": ("exchange", ("AllowBasicAuthSmtp",)),
    "4.10": ("exchange", ("Office365 AntiPhish Default", "PhishThresholdLevel is 1", "SentToMemberOf Executives")),
    "4.11": ("dns", (ROOT, "selector2: NXDOMAIN")),
    "4.12": ("dns", (ROOT, "no TXT record starts with v=spf1")),
    "4.13": ("dns", (ROOT, f"_dmarc.{ROOT} (own): NXDOMAIN")),
    "4.14": ("exchange", ("EnableInternalSenderAdminNotifications False",)),
    "4.15": ("exchange", ("MailTipsAllTipsEnabled is False",)),
    "5.1": ("exchange", ("UnifiedAuditLogIngestionEnabled is False",)),
    "5.2": ("exchange", ("svc-backup", "AuditBypassEnabled True")),
    "6.4": ("exchange", ("OwaMailboxPolicy-Default", "AdditionalStorageProvidersAvailable True")),
}

#: What the manual recommendations attach from Exchange in the noncompliant case.
NONCOMPLIANT_EVIDENCE: dict[str, tuple[str, ...]] = {
    "2.5": ("EnableATPForSPOTeamsODB = false",),
    "5.7": ("adele.private@outlook.example", EXTERNAL_ARCHIVE),
    "5.8": ("AuditDisabled = False",),
    "5.12": ("ceo@contoso.com via bulkmailer.example", "42 messages"),
    "5.14": ("lynne.robbins@contoso.com", "OutboundSpamLast24Hours"),
}

#: The ActiveSync property each section 7 fallback names when the weak default policy fails it.
ACTIVESYNC_PROPERTY: dict[str, str] = {
    "7.2": "PasswordHistory 0",
    "7.3": "PasswordExpiration 90.00:00:00",
    "7.5": "MaxPasswordFailedAttempts Unlimited",
    "7.6": "MinPasswordLength 4",
    "7.7": "MaxInactivityTimeLock 00:15:00",
    "7.8": "RequireDeviceEncryption false",
    "7.9": "AlphanumericPasswordRequired false",
    "7.10": "AllowSimplePassword true",
}

VIOLATED: list[str] = sorted(NONCOMPLIANT_EXPECTED, key=sort_key)
ACTIVESYNC_VIOLATED: list[str] = sorted(ACTIVESYNC_PROPERTY, key=sort_key)


def test_expectation_tables_cover_every_recommendation_under_test() -> None:
    assert set(NONCOMPLIANT_EXPECTED) == set(EXCHANGE_DECIDED) | set(DNS_DECIDED)
    assert set(NONCOMPLIANT_EVIDENCE) == set(EXCHANGE_EVIDENCE_ONLY)
    assert set(ACTIVESYNC_PROPERTY) | {"7.13"} == set(ACTIVESYNC_FALLBACK)


def test_noncompliant_scan_exits_1(noncompliant: ScanOutcome) -> None:
    assert noncompliant.returncode == 1, noncompliant.output[-3000:]
    assert len(noncompliant.results) == 84


@pytest.mark.parametrize("recommendation_id", VIOLATED)
def test_violation_is_non_compliant_naming_the_offender(noncompliant: ScanOutcome, recommendation_id: str) -> None:
    source, named = NONCOMPLIANT_EXPECTED[recommendation_id]
    _assert_verdict(noncompliant, recommendation_id, "non_compliant", source, *named)


@pytest.mark.parametrize("recommendation_id", EXCHANGE_EVIDENCE_ONLY)
def test_manual_recommendation_attaches_exchange_evidence(noncompliant: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(noncompliant, recommendation_id, "manual", "none", *NONCOMPLIANT_EVIDENCE[recommendation_id])


@pytest.mark.parametrize("recommendation_id", ACTIVESYNC_VIOLATED)
def test_activesync_default_policy_decides_when_intune_is_unlicensed(
    noncompliant: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        noncompliant,
        recommendation_id,
        "non_compliant",
        "exchange",
        ACTIVESYNC_PROPERTY[recommendation_id],
        INTUNE_NOT_LICENSED,
    )


def test_activesync_password_required_passes_on_the_weak_policy(noncompliant: ScanOutcome) -> None:
    # The weak default policy still has PasswordEnabled true: that is all 7.13's fallback asks.
    _assert_verdict(noncompliant, "7.13", "compliant", "exchange", "PasswordEnabled true", INTUNE_NOT_LICENSED)


# ------------------------------------------------------------------------------------------------ no Exchange access
def test_without_exchange_permission_every_cmdlet_is_refused_with_401(no_exchange_permission: ScanOutcome) -> None:
    assert no_exchange_permission.exchange_calls
    assert {c.status for c in no_exchange_permission.exchange_calls} == {401}


@pytest.mark.parametrize("recommendation_id", _without(EXCHANGE_WITH_SECURESCORE, "1.2"))
def test_without_exchange_permission_secure_score_decides(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        no_exchange_permission,
        recommendation_id,
        "compliant",
        "securescore",
        "Secure Score control",
        EXCHANGE_PERMISSION,
    )


@pytest.mark.parametrize("recommendation_id", [*EXCHANGE_WITHOUT_FALLBACK, "1.2"])
def test_without_exchange_permission_no_fallback_is_error_naming_it(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    # 1.2's Secure Score control was removed from this tenant, so nothing after Exchange can decide it.
    _assert_verdict(no_exchange_permission, recommendation_id, "error", "none", EXCHANGE_PERMISSION, "401")


@pytest.mark.parametrize("recommendation_id", [*EXCHANGE_WITHOUT_FALLBACK, "1.2"])
def test_without_exchange_permission_error_also_names_the_entra_role(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    assert EXCHANGE_ROLE in no_exchange_permission.result(recommendation_id)["reason"]


@pytest.mark.parametrize("recommendation_id", _without(DNS_DECIDED, "4.11"))
def test_without_exchange_permission_dns_still_decides(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(no_exchange_permission, recommendation_id, "compliant", "dns")


def test_without_exchange_permission_dkim_with_valid_dns_is_error_naming_it(
    no_exchange_permission: ScanOutcome,
) -> None:
    # DNS alone proves nothing for 4.11 (keys are published before signing is enabled): error, not compliant.
    _assert_verdict(
        no_exchange_permission, "4.11", "error", "none", EXCHANGE_PERMISSION, EXCHANGE_ROLE, "Get-DkimSigningConfig"
    )


@pytest.mark.parametrize("recommendation_id", EXCHANGE_EVIDENCE_ONLY)
def test_without_exchange_permission_manual_says_what_was_not_read(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(no_exchange_permission, recommendation_id, "manual", "none", "Not read", EXCHANGE_PERMISSION)


@pytest.mark.parametrize("recommendation_id", _without(ACTIVESYNC_FALLBACK, "7.2"))
def test_intune_and_exchange_refused_secure_score_decides(
    no_exchange_permission: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        no_exchange_permission, recommendation_id, "compliant", "securescore", INTUNE_NOT_LICENSED, EXCHANGE_PERMISSION
    )


def test_intune_exchange_and_secure_score_missing_is_error_naming_both_causes(
    no_exchange_permission: ScanOutcome,
) -> None:
    _assert_verdict(no_exchange_permission, "7.2", "error", "none", INTUNE_NOT_LICENSED, EXCHANGE_PERMISSION)


def test_without_entra_role_every_cmdlet_is_refused_with_403(no_entra_role: ScanOutcome) -> None:
    assert no_entra_role.exchange_calls
    assert {c.status for c in no_entra_role.exchange_calls} == {403}


@pytest.mark.parametrize("recommendation_id", _without(EXCHANGE_WITH_SECURESCORE, "3.2"))
def test_without_entra_role_secure_score_decides(no_entra_role: ScanOutcome, recommendation_id: str) -> None:
    role = COMPLIANCE_ROLE if recommendation_id in COMPLIANCE_DECIDED else EXCHANGE_ROLE
    _assert_verdict(no_entra_role, recommendation_id, "compliant", "securescore", "Secure Score control", "403", role)


@pytest.mark.parametrize("recommendation_id", EXCHANGE_WITHOUT_FALLBACK)
def test_without_entra_role_no_fallback_is_error_naming_the_role(
    no_entra_role: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(no_entra_role, recommendation_id, "error", "none", f"assign it {EXCHANGE_ROLE}")


def test_without_entra_role_compliance_cmdlet_error_names_the_compliance_roles(no_entra_role: ScanOutcome) -> None:
    # 3.2's Secure Score control was removed from this tenant.
    _assert_verdict(no_entra_role, "3.2", "error", "none", f"assign it {COMPLIANCE_ROLE}", "Get-Label")


@pytest.mark.parametrize("recommendation_id", _without(DNS_DECIDED, "4.11"))
def test_without_entra_role_dns_still_decides(no_entra_role: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(no_entra_role, recommendation_id, "compliant", "dns")


def test_without_entra_role_dkim_with_valid_dns_is_error_naming_the_role(no_entra_role: ScanOutcome) -> None:
    _assert_verdict(no_entra_role, "4.11", "error", "none", f"assign it {EXCHANGE_ROLE}", "Get-DkimSigningConfig")


@pytest.mark.parametrize("recommendation_id", EXCHANGE_EVIDENCE_ONLY)
def test_without_entra_role_manual_says_what_was_not_read(no_entra_role: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(no_entra_role, recommendation_id, "manual", "none", "Not read", EXCHANGE_ROLE)


@pytest.mark.parametrize("recommendation_id", _without(ACTIVESYNC_FALLBACK, "7.6"))
def test_intune_permission_and_entra_role_missing_secure_score_decides(
    no_entra_role: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        no_entra_role,
        recommendation_id,
        "compliant",
        "securescore",
        "DeviceManagementConfiguration.Read.All",
        EXCHANGE_ROLE,
    )


def test_intune_permission_entra_role_and_secure_score_missing_is_error(no_entra_role: ScanOutcome) -> None:
    _assert_verdict(
        no_entra_role, "7.6", "error", "none", "DeviceManagementConfiguration.Read.All", f"assign it {EXCHANGE_ROLE}"
    )


# ------------------------------------------------------------------------------------------------ admin API faults
@pytest.mark.parametrize("recommendation_id", COMPLIANCE_DECIDED)
@pytest.mark.parametrize("case", ["service_faults", "dns_failures"])
def test_compliance_cmdlets_fall_back_to_the_exchange_host(
    scans: dict[str, ScanOutcome], case: str, recommendation_id: str
) -> None:
    # service_faults: the compliance host answers 404; dns_failures: it knows no cmdlet (CommandNotFoundException).
    _assert_verdict(scans[case], recommendation_id, "compliant", "exchange")


@pytest.mark.parametrize(("case", "refusal"), [("service_faults", 404), ("dns_failures", 400)])
def test_compliance_host_is_asked_first_then_the_exchange_host(
    scans: dict[str, ScanOutcome], case: str, refusal: int
) -> None:
    calls = scans[case].exchange_calls
    for cmdlet in COMPLIANCE_CMDLETS:
        asked = [(c.host, c.status) for c in calls if c.cmdlet == cmdlet and c.skip == 0]
        assert asked == [("compliance", refusal), ("exchange", 200)], (cmdlet, asked)
    # Exchange cmdlets never go to the compliance host.
    assert {c.cmdlet for c in calls if c.host == "compliance"} == set(COMPLIANCE_CMDLETS)


def test_paged_cmdlet_output_is_read_to_the_last_page(service_faults: ScanOutcome, cases: dict[str, ScanCase]) -> None:
    # One object per page: the offending role assignment policy is the third page.
    _assert_verdict(
        service_faults, "2.8", "non_compliant", "exchange", "Developers Role Assignment Policy", "My Custom Apps"
    )
    assert _pages(service_faults.exchange_calls, "Get-RoleAssignmentPolicy") == [0, 1, 2]
    served = cases["service_faults"].scenario.extra["exchange"]["cmdlets"]
    read = {c.cmdlet for c in service_faults.exchange_calls if c.status == 200}
    for cmdlet in read:
        assert _pages(service_faults.exchange_calls, cmdlet) == list(range(max(1, len(served[cmdlet])))), cmdlet


def _attempts_within(budget: float, policy: RetryPolicy) -> int:
    """Most attempts the product's backoff fits in `budget` seconds (every jittered wait at its shortest)."""
    attempts, waited = 1, 0.0
    while attempts < policy.max_attempts:
        shortest = min(policy.max_delay, policy.base_delay * 2 ** (attempts - 1)) / 2
        if waited + shortest > budget:
            break
        waited += shortest
        attempts += 1
    return attempts


def test_cmdlet_failing_past_the_retry_budget_is_retried_then_given_up_once(service_faults: ScanOutcome) -> None:
    failed = [c for c in service_faults.exchange_calls if c.cmdlet == FAILING_CMDLET]
    assert {c.status for c in failed} == {503}
    # Retried, then the failure is remembered: 4.14 does not start a second round of retries after 4.1's.
    assert 2 <= len(failed) <= _attempts_within(2.0, RetryPolicy())


def test_cmdlet_failing_past_the_retry_budget_hands_over_to_secure_score(service_faults: ScanOutcome) -> None:
    _assert_verdict(
        service_faults, "4.1", "compliant", "securescore", FAILING_CMDLET, "HTTP 503", "retry budget of 2 s exhausted"
    )


def test_cmdlet_failing_past_the_retry_budget_without_fallback_is_error(service_faults: ScanOutcome) -> None:
    _assert_verdict(
        service_faults, "4.14", "error", "none", FAILING_CMDLET, "HTTP 503", "retry budget of 2 s exhausted"
    )


def test_dkim_disabled_in_exchange_for_a_domain_dns_could_not_read(service_faults: ScanOutcome) -> None:
    _assert_verdict(service_faults, "4.11", "non_compliant", "dns", FEDERATED, "SERVFAIL", "Exchange: Enabled False")


def test_spf_naming_another_gateway_needs_review(service_faults: ScanOutcome) -> None:
    # The catalogue: an SPF record without include:spf.protection.outlook.com (and not +all) is for review.
    _assert_verdict(service_faults, "4.12", "manual", "dns", ROOT, REVIEW_SPF, "needs review")


@pytest.mark.parametrize("recommendation_id", ACTIVESYNC_FALLBACK)
def test_activesync_default_policy_without_password_fails_section_7(
    service_faults: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        service_faults,
        recommendation_id,
        "non_compliant",
        "exchange",
        "does not require a password (PasswordEnabled false)",
    )


# ------------------------------------------------------------------------------------------------ DNS failures
def test_dkim_timeout_and_servfail_with_signing_on_is_error_naming_them(dns_failures: ScanOutcome) -> None:
    # Signing enabled in Exchange does not prove the keys are published: the failed look-ups decide error.
    _assert_verdict(
        dns_failures,
        "4.11",
        "error",
        "none",
        f"selector1._domainkey.{FEDERATED}: timeout",
        f"selector2._domainkey.{FEDERATED}: SERVFAIL",
        "Exchange: Enabled True",
    )
    assert f"selector1-contoso-com._domainkey.{INITIAL}" in dns_failures.evidence_text("4.11")
    assert [c.cmdlet for c in dns_failures.exchange_calls].count("Get-DkimSigningConfig") == 1


def test_spf_look_up_timeout_is_error_naming_domain_and_failure(dns_failures: ScanOutcome) -> None:
    _assert_verdict(dns_failures, "4.12", "error", "none", FEDERATED, "timeout")
    assert ROOT not in dns_failures.result("4.12")["reason"]


def test_dmarc_look_up_servfail_is_error_naming_domain_and_failure(dns_failures: ScanOutcome) -> None:
    _assert_verdict(dns_failures, "4.13", "error", "none", f"_dmarc.{FEDERATED}", "SERVFAIL")


def test_failed_look_ups_are_retried_before_giving_up(dns_failures: ScanOutcome) -> None:
    udp = Counter(name for name, _, transport in dns_failures.dns_queries if transport == "udp")
    for name in (
        f"selector1._domainkey.{FEDERATED}",
        f"selector2._domainkey.{FEDERATED}",
        FEDERATED,
        f"_dmarc.{FEDERATED}",
    ):
        assert udp[name] >= 2, (name, udp[name])


def test_truncated_answers_are_asked_again_over_tcp(dns_failures: ScanOutcome) -> None:
    transports: dict[str, set[str]] = defaultdict(set)
    for name, _, transport in dns_failures.dns_queries:
        transports[name].add(transport)
    assert transports[f"selector1._domainkey.{ROOT}"] == {"udp", "tcp"}
    assert transports[ROOT] == {"udp", "tcp"}
    assert transports[f"selector2._domainkey.{ROOT}"] == {"udp"}
    # The TCP answer decided normally: contoso.com's DKIM is valid in 4.11's evidence.
    assert f'"name": "{ROOT}"' in dns_failures.evidence_text("4.11")
    assert "valid: selector1: CNAME" in dns_failures.evidence_text("4.11")


def test_truncated_apex_answer_is_recorded_as_found(dns_failures: ScanOutcome) -> None:
    # 4.12 ends in error because of fabrikam.com, so its result cannot show contoso.com; the snapshot can.
    assert dns_failures.snapshot is not None
    dns = json.loads(dns_failures.snapshot.read_text(encoding="utf-8"))["dns"]
    assert dns[f"DNS TXT {ROOT}"]["kind"] == "found"
    assert any("include:spf.protection.outlook.com" in r for r in dns[f"DNS TXT {ROOT}"]["records"])
    assert dns[f"DNS TXT {FEDERATED}"]["kind"] == "failed"
    assert dns[f"DNS TXT {FEDERATED}"]["failure"] == "timeout"


@pytest.mark.parametrize("recommendation_id", DNS_DECIDED)
def test_no_mail_domain_is_not_applicable(no_mail_domain: ScanOutcome, recommendation_id: str) -> None:
    _assert_verdict(no_mail_domain, recommendation_id, "not_applicable", "dns", "no custom mail domain")


def test_no_mail_domain_means_no_look_up(no_mail_domain: ScanOutcome) -> None:
    assert no_mail_domain.dns_queries == []


@pytest.mark.parametrize("recommendation_id", ACTIVESYNC_FALLBACK)
def test_activesync_compliant_default_policy_passes_when_intune_is_unlicensed(
    no_mail_domain: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        no_mail_domain, recommendation_id, "compliant", "exchange", "Exchange ActiveSync", INTUNE_NOT_LICENSED
    )


def test_without_domain_permission_only_the_dns_recommendations_ran(no_domain_permission: ScanOutcome) -> None:
    assert set(no_domain_permission.results) == set(DNS_DECIDED), no_domain_permission.output[-3000:]
    assert no_domain_permission.dns_queries == []
    assert not any(r.path == "/v1.0/domains" for r in no_domain_permission.graph_requests)


@pytest.mark.parametrize("recommendation_id", DNS_DECIDED)
def test_without_domain_permission_dns_recommendations_are_error_naming_it(
    no_domain_permission: ScanOutcome, recommendation_id: str
) -> None:
    # Directory.Read.All also grants the domain list, so this tenant's app lacks both.
    _assert_verdict(no_domain_permission, recommendation_id, "error", "none", "Domain.Read.All", "GET /v1.0/domains")


# ------------------------------------------------------------------------------------------------ snapshots
@pytest.mark.parametrize("case", ["golden", "noncompliant", "dns_failures"])
def test_snapshot_replays_offline_to_the_same_statuses(
    scans: dict[str, ScanOutcome], replays: dict[str, ScanOutcome], case: str
) -> None:
    live, offline = scans[case], replays[case]
    assert offline.returncode == live.returncode, offline.output[-3000:]
    assert {i: r["status"] for i, r in offline.results.items()} == {i: r["status"] for i, r in live.results.items()}
    for recommendation_id in ALL_UNDER_TEST:
        seen_live, seen_offline = live.result(recommendation_id), offline.result(recommendation_id)
        assert (seen_offline["source"], seen_offline["reason"]) == (seen_live["source"], seen_live["reason"]), (
            recommendation_id
        )


@pytest.mark.parametrize("case", ["golden", "noncompliant", "dns_failures"])
def test_snapshot_holds_every_dns_answer_and_no_secret(
    scans: dict[str, ScanOutcome], cases: dict[str, ScanCase], case: str
) -> None:
    snapshot_path: Path | None = scans[case].snapshot
    assert snapshot_path is not None
    text = snapshot_path.read_text(encoding="utf-8")
    asked = {name for name, _, _ in scans[case].dns_queries}
    assert {f"DNS TXT {name}" for name in asked} <= set(json.loads(text)["dns"])
    secret = next(app.secret for app in cases[case].scenario.clients.values() if app.secret)
    assert secret and secret not in text


# ------------------------------------------------------------------------------------------------ issue 9 (11, 12, 14)
def test_issue9_dkim_keys_published_but_signing_off_is_non_compliant(scans: dict[str, ScanOutcome]) -> None:
    crafted = scans["issue9_crafted"]
    _assert_verdict(crafted, "4.11", "non_compliant", "dns", ROOT, "key present", "Exchange: Enabled False")
    assert FEDERATED not in crafted.result("4.11")["reason"]


def test_issue9_spf_all_before_the_exchange_include_is_non_compliant(scans: dict[str, ScanOutcome]) -> None:
    crafted = scans["issue9_crafted"]
    _assert_verdict(crafted, "4.12", "non_compliant", "dns", ROOT, "never authorised")
    # The modifier after -all changes nothing: fabrikam.com is valid.
    assert SPF_WITH_EXP in crafted.evidence_text("4.12")
    assert "is reached before -all" in crafted.evidence_text("4.12")
    assert FEDERATED not in crafted.result("4.12")["reason"]


def test_issue9_cis_addin_remediation_is_compliant(scans: dict[str, ScanOutcome]) -> None:
    _assert_verdict(
        scans["issue9_crafted"], "2.8", "compliant", "exchange", LEGACY_ADDIN_POLICY, "not in use", "My Custom Apps"
    )


def test_issue9_dkim_invalid_in_dns_decides_without_exchange(scans: dict[str, ScanOutcome]) -> None:
    neighbours = scans["issue9_neighbours"]
    _assert_verdict(neighbours, "4.11", "non_compliant", "dns", ROOT, "selector2: NXDOMAIN")
    assert {c.status for c in neighbours.exchange_calls} == {401}


def test_issue9_spf_plus_all_first_is_non_compliant(scans: dict[str, ScanOutcome]) -> None:
    _assert_verdict(scans["issue9_neighbours"], "4.12", "non_compliant", "dns", ROOT, "authorises every sender")


def test_issue9_addin_policy_still_used_by_a_mailbox_is_non_compliant(scans: dict[str, ScanOutcome]) -> None:
    _assert_verdict(
        scans["issue9_addin_in_use"], "2.8", "non_compliant", "exchange", LEGACY_ADDIN_POLICY, "named by 1 mailbox"
    )


# ------------------------------------------------------------------------------------------------ policies that apply
@pytest.fixture(scope="module")
def policies_that_apply(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan where custom policies covering every accepted domain shadow the default / built-in ones."""
    return scans["policies_that_apply"]


@pytest.mark.parametrize("recommendation_id", ["2.3", "4.7"])
def test_a_bad_custom_safe_links_policy_for_everyone_is_not_rescued_by_the_built_in_one(
    policies_that_apply: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(
        policies_that_apply,
        recommendation_id,
        "non_compliant",
        "exchange",
        "Strict Safe Links",
        "AllowClickThrough is True",
        "Built-In Protection Policy",
    )


@pytest.mark.parametrize(
    ("recommendation_id", "shadowed"),
    [("4.8", "Built-In Protection Policy"), ("4.10", "Office365 AntiPhish Default")],
)
def test_a_good_custom_policy_for_every_accepted_domain_shadows_the_failing_last_one(
    policies_that_apply: ScanOutcome, recommendation_id: str, shadowed: str
) -> None:
    _assert_verdict(policies_that_apply, recommendation_id, "compliant", "exchange", shadowed, "does not apply")


# ------------------------------------------------------------------------------------------------ presets, audit rules
@pytest.fixture(scope="module")
def presets_and_audit_rules(scans: dict[str, ScanOutcome]) -> ScanOutcome:
    """The scan with the Standard preset for everyone, Audit-mode transport rules and a Sales outbound policy."""
    return scans["presets_and_audit_rules"]


@pytest.mark.parametrize("recommendation_id", ["2.3", "4.7", "4.8", "4.10"])
def test_the_standard_preset_for_everyone_shadows_failing_policies(
    presets_and_audit_rules: ScanOutcome, recommendation_id: str
) -> None:
    _assert_verdict(presets_and_audit_rules, recommendation_id, "compliant", "exchange", "Standard preset")


@pytest.mark.parametrize(
    ("recommendation_id", "listed"),
    [("4.3", "Trial: journal to archive"), ("4.5", "Trial: trust partner mail")],
)
def test_audit_mode_transport_rules_are_listed_never_counted(
    presets_and_audit_rules: ScanOutcome, recommendation_id: str, listed: str
) -> None:
    _assert_verdict(presets_and_audit_rules, recommendation_id, "compliant", "exchange", listed, "listed only")


def test_a_forwarding_block_in_audit_mode_does_not_block(presets_and_audit_rules: ScanOutcome) -> None:
    _assert_verdict(
        presets_and_audit_rules,
        "4.6",
        "non_compliant",
        "exchange",
        "Mode Audit (takes no action)",
        "Sales forwarding",
        "FromMemberOf Sales",
    )


def test_an_outbound_policy_for_one_group_keeps_forwarding_on(presets_and_audit_rules: ScanOutcome) -> None:
    _assert_verdict(
        presets_and_audit_rules,
        "4.4",
        "non_compliant",
        "exchange",
        "Sales forwarding",
        "FromMemberOf Sales",
        "AutoForwardEnabled True",
    )
