"""DKIM (4.11: DNS outcomes and Get-DkimSigningConfig), SPF (4.12) and DMARC (4.13) over DNS outcomes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from o365cis.catalogue import load_catalogue
from o365cis.dns.mail import MailDomain, MailDomains, SkippedDomain
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.evaluation import evaluate
from o365cis.findings import Decision, FailureKind, Finding, NoDecision, ReadError, Status
from o365cis.rules.email import dns as email_dns
from tests.fake_exchange.scenarios import dkim_cname_target

INITIAL = "contoso.onmicrosoft.com"


def status(decision: Decision) -> Status | None:
    """The finding's status, or None for a NoDecision."""
    return decision.status if isinstance(decision, Finding) else None


CONTOSO = MailDomain("contoso.com")
SALES = MailDomain("sales.contoso.com", False, "contoso.com")
DOMAINS = MailDomains((CONTOSO,), (SkippedDomain(INITIAL, "Microsoft-managed"),))
KEY = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"


def found(name: str, *records: str, chain: tuple[str, ...] = ()) -> DnsOutcome:
    return DnsOutcome(name, OutcomeKind.FOUND, records, chain)


def kind(name: str, outcome_kind: OutcomeKind, chain: tuple[str, ...] = (), failure: str | None = None) -> DnsOutcome:
    return DnsOutcome(name, outcome_kind, (), chain, failure)


def dkim_outcomes(domain: str = "contoso.com", **override: DnsOutcome) -> dict[str, DnsOutcome]:
    outcomes = {
        f"{s}._domainkey.{domain}": found(
            f"{s}._domainkey.{domain}", KEY, chain=(dkim_cname_target(domain, s, INITIAL),)
        )
        for s in ("selector1", "selector2")
    }
    outcomes.update({name.replace("__", "."): value for name, value in override.items()})
    return outcomes


S1 = "selector1._domainkey.contoso.com"
S2 = "selector2._domainkey.contoso.com"


def dkim_with(name: str, outcome: DnsOutcome) -> dict[str, DnsOutcome]:
    outcomes = dkim_outcomes()
    outcomes[name] = outcome
    return outcomes


def dkim_configs(
    enabled: Any = True, status_text: Any = "Valid", domain: str = "contoso.com", *, drop: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    item: dict[str, Any] = {"Domain": domain, "Name": domain, "Enabled": enabled, "Status": status_text}
    for key in drop:
        del item[key]
    return [item]


SIGNING = dkim_configs()


def dkim(outcomes: dict[str, DnsOutcome], configs: Any = None, domains: MailDomains = DOMAINS) -> Decision:
    return email_dns.dkim_enabled(domains, outcomes, SIGNING if configs is None else configs)


EXCHANGE_REFUSED = ReadError(
    FailureKind.PERMISSION,
    "Get-DkimSigningConfig",
    "401: grant Exchange.ManageAsApp",
    permission="Exchange.ManageAsApp",
)


def test_dkim_signed_and_both_selectors_cnamed_to_keys_is_compliant() -> None:
    decision = dkim(dkim_outcomes())

    assert status(decision) is Status.COMPLIANT
    assert decision.evidence[0].name == "contoso.com" and "key present" in (decision.evidence[0].detail or "")
    assert "Exchange: Enabled True, Status Valid" in (decision.evidence[0].detail or "")
    assert decision.evidence[-1].detail == "skipped: Microsoft-managed"


@pytest.mark.parametrize(
    ("case", "configs", "said"),
    [
        # Issue 9 item 11: the CNAMEs resolve to Microsoft's keys, but signing is off (compliant before).
        ("signing off", dkim_configs(enabled=False), "Enabled False"),
        ("signing off, as a string", dkim_configs(enabled="False"), "Enabled False"),
        ("status not Valid", dkim_configs(status_text="CnameMissing"), "Status CnameMissing"),
        ("no config for the domain", dkim_configs(domain="other.com"), "no DKIM signing config"),
        ("no config at all", [], "no DKIM signing config"),
    ],
)
def test_dkim_published_keys_without_signing_fail(case: str, configs: list[dict[str, Any]], said: str) -> None:
    decision = dkim(dkim_outcomes(), configs)

    assert status(decision) is Status.NON_COMPLIANT, decision.reason
    assert "contoso.com" in decision.reason
    assert said in (decision.evidence[0].detail or "")


@pytest.mark.parametrize(
    ("case", "configs"),
    [
        ("Status absent", dkim_configs(drop=("Status",))),
        ("Status null", dkim_configs(status_text=None)),
        ("Status in other case", dkim_configs(status_text="valid")),
    ],
)
def test_dkim_status_is_only_read_when_present(case: str, configs: list[dict[str, Any]]) -> None:
    assert status(dkim(dkim_outcomes(), configs)) is Status.COMPLIANT


@pytest.mark.parametrize(
    ("case", "configs"),
    [
        ("Enabled absent", dkim_configs(drop=("Enabled",))),
        ("Enabled null", dkim_configs(enabled=None)),
        ("Enabled a number", dkim_configs(enabled=1)),
        ("Status not text", dkim_configs(status_text=3)),
    ],
)
def test_dkim_signing_that_cannot_be_read_never_passes(case: str, configs: list[dict[str, Any]]) -> None:
    decision = dkim(dkim_outcomes(), configs)

    assert status(decision) is None
    assert "contoso.com" in decision.reason


@pytest.mark.parametrize(
    ("case", "outcome", "said"),
    [
        ("selector missing", kind(S2, OutcomeKind.NXDOMAIN), "NXDOMAIN"),
        ("selector without data", kind(S2, OutcomeKind.NODATA), "NODATA"),
        ("TXT at the selector itself", found(S2, KEY), "not a CNAME"),
        ("revoked key", found(S2, "v=DKIM1; k=rsa; p=", chain=("t.contoso.onmicrosoft.com",)), "revoked"),
        ("no DKIM record at the target", found(S2, "hello", chain=("t.contoso.onmicrosoft.com",)), "no v=DKIM1"),
        (
            "CNAME to nowhere",
            kind(S2, OutcomeKind.NXDOMAIN, ("gone.contoso.onmicrosoft.com",)),
            "gone.contoso.onmicrosoft.com",
        ),
    ],
)
def test_dkim_selector_faults_fail_the_domain_even_when_signing_is_on(
    case: str, outcome: DnsOutcome, said: str
) -> None:
    decision = dkim(dkim_with(S2, outcome))

    assert status(decision) is Status.NON_COMPLIANT
    assert "contoso.com" in decision.reason
    assert said in (decision.evidence[0].detail or "")


def test_dkim_dns_invalid_decides_even_when_exchange_cannot_be_read() -> None:
    decision = dkim(dkim_with(S2, kind(S2, OutcomeKind.NXDOMAIN)), EXCHANGE_REFUSED)

    assert status(decision) is Status.NON_COMPLIANT
    assert "Exchange: not read" not in (decision.evidence[0].detail or "")


def test_dkim_dns_valid_but_exchange_unreadable_is_no_decision_carrying_the_exchange_failure() -> None:
    decision = dkim(dkim_outcomes(), EXCHANGE_REFUSED)

    assert isinstance(decision, NoDecision)
    assert decision.failures == (EXCHANGE_REFUSED,)
    assert "Exchange: not read" in (decision.evidence[0].detail or "")


def test_dkim_exchange_unreadable_ends_in_error_naming_exchange() -> None:
    recommendation = load_catalogue()["4.11"]
    finding = evaluate(recommendation, {"dns": lambda: dkim(dkim_outcomes(), EXCHANGE_REFUSED)})

    assert finding.status is Status.ERROR
    assert "Exchange.ManageAsApp" in finding.reason


def test_dkim_failed_lookups_carry_the_domain_and_cause() -> None:
    decision = dkim(dkim_with(S1, kind(S1, OutcomeKind.FAILED, failure="timeout")))

    assert isinstance(decision, NoDecision)
    (failure,) = decision.failures
    assert failure.kind is FailureKind.SERVICE
    assert failure.request == f"DNS TXT {S1}"
    assert "contoso.com" in failure.detail and "timeout" in failure.detail


def test_dkim_failed_lookup_and_signing_off_is_non_compliant() -> None:
    decision = dkim(dkim_with(S1, kind(S1, OutcomeKind.FAILED, failure="SERVFAIL")), dkim_configs(enabled=False))

    assert status(decision) is Status.NON_COMPLIANT
    assert "SERVFAIL" in (decision.evidence[0].detail or "") and "Enabled False" in (decision.evidence[0].detail or "")


def test_dkim_failed_lookup_and_exchange_unreadable_name_both() -> None:
    decision = dkim(dkim_with(S1, kind(S1, OutcomeKind.FAILED, failure="SERVFAIL")), EXCHANGE_REFUSED)

    assert isinstance(decision, NoDecision)
    assert [f.kind for f in decision.failures] == [FailureKind.SERVICE, FailureKind.PERMISSION]


def test_dkim_a_failing_domain_decides_even_when_another_lookup_failed() -> None:
    domains = MailDomains((CONTOSO, MailDomain("fabrikam.com")))
    outcomes = {**dkim_with(S1, kind(S1, OutcomeKind.FAILED, failure="SERVFAIL")), **dkim_outcomes("fabrikam.com")}
    outcomes["selector2._domainkey.fabrikam.com"] = kind("selector2._domainkey.fabrikam.com", OutcomeKind.NXDOMAIN)

    decision = dkim(outcomes, [*SIGNING, *dkim_configs(domain="fabrikam.com")], domains)

    assert status(decision) is Status.NON_COMPLIANT
    assert [e.name for e in decision.evidence] == ["fabrikam.com", "contoso.com"]
    assert (decision.evidence[1].detail or "").startswith("failed")


def test_dkim_one_domain_signed_the_other_not() -> None:
    domains = MailDomains((CONTOSO, MailDomain("fabrikam.com")))
    outcomes = {**dkim_outcomes(), **dkim_outcomes("fabrikam.com")}

    decision = dkim(outcomes, [*SIGNING, *dkim_configs(enabled=False, domain="fabrikam.com")], domains)

    assert status(decision) is Status.NON_COMPLIANT
    assert "fabrikam.com" in decision.reason and "contoso.com" not in decision.reason.split(":")[-1]


SPF_OK = "v=spf1 include:spf.protection.outlook.com -all"


@pytest.mark.parametrize(
    ("case", "outcome", "expected", "said"),
    [
        ("Exchange included", found("contoso.com", SPF_OK, "MS=ms123"), Status.COMPLIANT, "published"),
        (
            "plus qualifier and soft fail",
            found("contoso.com", "V=SPF1 +include:SPF.protection.outlook.com ~all"),
            Status.COMPLIANT,
            "published",
        ),
        ("no TXT at all", kind("contoso.com", OutcomeKind.NODATA), Status.NON_COMPLIANT, "contoso.com"),
        ("no such domain", kind("contoso.com", OutcomeKind.NXDOMAIN), Status.NON_COMPLIANT, "contoso.com"),
        ("no v=spf1 record", found("contoso.com", "MS=ms123", "v=spf10 nonsense"), Status.NON_COMPLIANT, "contoso.com"),
        (
            "two SPF records",
            found("contoso.com", SPF_OK, "v=spf1 include:_spf.google.com ~all"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "+all",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com +all"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "bare all",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com all"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "third-party gateway",
            found("contoso.com", "v=spf1 include:spf.gateway.example -all"),
            Status.MANUAL,
            "review",
        ),
        ("redirect", found("contoso.com", "v=spf1 redirect=_spf.contoso.com"), Status.MANUAL, "review"),
        (
            "fail qualifier on the include",
            found("contoso.com", "v=spf1 -include:spf.protection.outlook.com -all"),
            Status.MANUAL,
            "review",
        ),
        # Issue 9 item 12: RFC 7208 4.6 stops at the first all mechanism.
        (
            "+all first",
            found("contoso.com", "v=spf1 +all include:spf.protection.outlook.com"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "-all first",
            found("contoso.com", "v=spf1 -all include:spf.protection.outlook.com"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "~all first",
            found("contoso.com", "v=spf1 ~all include:spf.protection.outlook.com"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "exp= after -all",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com -all exp=explain._spf.contoso.com"),
            Status.COMPLIANT,
            "published",
        ),
        (
            "exp= before the mechanisms",
            found("contoso.com", "v=spf1 exp=explain._spf.contoso.com include:spf.protection.outlook.com -all"),
            Status.COMPLIANT,
            "published",
        ),
        (
            "redirect ignored beside -all",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com -all redirect=_spf.contoso.com"),
            Status.COMPLIANT,
            "published",
        ),
        ("?all", found("contoso.com", "v=spf1 include:spf.protection.outlook.com ?all"), Status.MANUAL, "review"),
        ("no all", found("contoso.com", "v=spf1 include:spf.protection.outlook.com"), Status.MANUAL, "review"),
        (
            "no all, redirect",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com redirect=_spf.contoso.com"),
            Status.MANUAL,
            "review",
        ),
        (
            "mechanism after -all is never reached",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com -all +all"),
            Status.COMPLIANT,
            "published",
        ),
        (
            "other senders before the include",
            found("contoso.com", "v=spf1 ip4:192.0.2.0/24 mx include:spf.protection.outlook.com ~all"),
            Status.COMPLIANT,
            "published",
        ),
        (
            "unknown term (permerror)",
            found("contoso.com", "v=spf1 include:spf.protection.outlook.com inclde:x.example -all"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "include without a target (permerror)",
            found("contoso.com", "v=spf1 include: include:spf.protection.outlook.com -all"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
        (
            "two redirects (permerror)",
            found("contoso.com", "v=spf1 redirect=a.example redirect=b.example"),
            Status.NON_COMPLIANT,
            "contoso.com",
        ),
    ],
)
def test_spf(case: str, outcome: DnsOutcome, expected: Status, said: str) -> None:
    decision = email_dns.spf_published(DOMAINS, {"contoso.com": outcome}, {"contoso.com": SPF_OK})

    assert status(decision) is expected, decision.reason
    assert said.lower() in decision.reason.lower()
    assert f"expected {SPF_OK!r}" in (decision.evidence[0].detail or "")


def test_spf_failure_outranks_review_but_not_a_failing_domain() -> None:
    domains = MailDomains((CONTOSO, MailDomain("fabrikam.com"), MailDomain("tailspin.com")))
    outcomes = {
        "contoso.com": found("contoso.com", "v=spf1 include:spf.gateway.example -all"),
        "fabrikam.com": kind("fabrikam.com", OutcomeKind.FAILED, failure="SERVFAIL"),
        "tailspin.com": found("tailspin.com", SPF_OK),
    }

    with pytest.raises(ReadError, match="fabrikam.com"):
        email_dns.spf_published(domains, outcomes)

    outcomes["tailspin.com"] = kind("tailspin.com", OutcomeKind.NXDOMAIN)
    assert status(email_dns.spf_published(domains, outcomes)) is Status.NON_COMPLIANT


def test_a_domain_never_looked_up_counts_as_failed() -> None:
    with pytest.raises(ReadError, match="not looked up"):
        email_dns.spf_published(DOMAINS, {})


@pytest.mark.parametrize(
    "rule",
    [lambda d, o: email_dns.dkim_enabled(d, o, SIGNING), email_dns.spf_published, email_dns.dmarc_published],
)
def test_no_mail_domain_is_not_applicable(rule: Callable[..., Decision]) -> None:
    decision = rule(MailDomains((), (SkippedDomain(INITIAL, "Microsoft-managed"),)), {})

    assert status(decision) is Status.NOT_APPLICABLE
    assert decision.evidence[0].name == INITIAL


def test_dkim_without_mail_domains_is_not_applicable_even_when_exchange_is_unreadable() -> None:
    assert status(email_dns.dkim_enabled(MailDomains(()), {}, EXCHANGE_REFUSED)) is Status.NOT_APPLICABLE


def dmarc(*records: str, name: str = "_dmarc.contoso.com") -> DnsOutcome:
    return found(name, *records)


@pytest.mark.parametrize(
    ("case", "outcome", "expected", "said"),
    [
        ("reject", dmarc("v=DMARC1; p=reject; rua=mailto:d@contoso.com"), Status.COMPLIANT, "rua=mailto:d@contoso.com"),
        ("none is accepted with advice", dmarc("v=DMARC1; p=none"), Status.COMPLIANT, "advice"),
        ("quarantine with spacing and case", dmarc("v = DMARC1 ; P = Quarantine ; pct=50"), Status.COMPLIANT, "pct=50"),
        (
            "unrelated TXT beside the record",
            dmarc("v=DMARC1; p=reject", "google-site-verification=x"),
            Status.COMPLIANT,
            "p=reject",
        ),
        ("no record (NXDOMAIN)", kind("_dmarc.contoso.com", OutcomeKind.NXDOMAIN), Status.NON_COMPLIANT, "NXDOMAIN"),
        ("no record (NODATA)", kind("_dmarc.contoso.com", OutcomeKind.NODATA), Status.NON_COMPLIANT, "NODATA"),
        ("two records", dmarc("v=DMARC1; p=reject", "v=DMARC1; p=none"), Status.NON_COMPLIANT, "2 DMARC records"),
        ("policy missing", dmarc("v=DMARC1; rua=mailto:d@contoso.com"), Status.NON_COMPLIANT, "p= is missing"),
        ("policy invalid", dmarc("v=DMARC1; p=block"), Status.NON_COMPLIANT, "p= is missing"),
        ("not a DMARC record", dmarc("v=spf1 -all"), Status.NON_COMPLIANT, "no v=DMARC1"),
    ],
)
def test_dmarc(case: str, outcome: DnsOutcome, expected: Status, said: str) -> None:
    decision = email_dns.dmarc_published(DOMAINS, {"_dmarc.contoso.com": outcome})

    assert status(decision) is expected, decision.reason
    assert said.lower() in (decision.evidence[0].detail or "").lower()


def test_dmarc_of_a_subdomain_falls_back_to_its_root() -> None:
    domains = MailDomains((SALES,))
    outcomes = {
        "_dmarc.sales.contoso.com": kind("_dmarc.sales.contoso.com", OutcomeKind.NXDOMAIN),
        "_dmarc.contoso.com": dmarc("v=DMARC1; p=reject; sp=quarantine"),
    }

    decision = email_dns.dmarc_published(domains, outcomes)

    assert status(decision) is Status.COMPLIANT
    assert "root domain contoso.com" in (decision.evidence[0].detail or "") and "sp=quarantine" in (
        decision.evidence[0].detail or ""
    )


def test_dmarc_of_a_subdomain_with_its_own_record_ignores_the_root() -> None:
    domains = MailDomains((SALES,))
    outcomes = {"_dmarc.sales.contoso.com": dmarc("v=DMARC1; p=quarantine", name="_dmarc.sales.contoso.com")}

    assert status(email_dns.dmarc_published(domains, outcomes)) is Status.COMPLIANT


def test_dmarc_missing_at_subdomain_and_root_fails() -> None:
    domains = MailDomains((SALES,))
    outcomes = {
        "_dmarc.sales.contoso.com": kind("_dmarc.sales.contoso.com", OutcomeKind.NODATA),
        "_dmarc.contoso.com": kind("_dmarc.contoso.com", OutcomeKind.NXDOMAIN),
    }

    decision = email_dns.dmarc_published(domains, outcomes)

    assert status(decision) is Status.NON_COMPLIANT
    assert "nor at _dmarc.contoso.com" in (decision.evidence[0].detail or "")


@pytest.mark.parametrize("step", ["own", "root"])
def test_dmarc_failed_lookup_at_either_step_is_a_failure(step: str) -> None:
    domains = MailDomains((SALES,))
    timeout = OutcomeKind.FAILED
    outcomes = {
        "_dmarc.sales.contoso.com": kind(
            "_dmarc.sales.contoso.com", timeout if step == "own" else OutcomeKind.NXDOMAIN, failure="timeout"
        ),
        "_dmarc.contoso.com": kind("_dmarc.contoso.com", timeout, failure="timeout"),
    }

    with pytest.raises(ReadError) as failure:
        email_dns.dmarc_published(domains, outcomes)

    assert "sales.contoso.com" in failure.value.detail


def test_expected_spf_comes_from_the_email_service_record() -> None:
    records = [
        {"recordType": "Mx", "supportedService": "Email", "mailExchange": "contoso-com.mail.protection.outlook.com"},
        {"recordType": "Txt", "supportedService": "Email", "text": SPF_OK},
    ]

    assert email_dns.expected_spf(records) == SPF_OK
    assert email_dns.expected_spf([]) is None


@pytest.mark.parametrize(
    ("record", "verdict", "said"),
    [
        (
            "v=spf1 +all include:spf.protection.outlook.com",
            email_dns.DomainVerdict.INVALID,
            "stops at +all, which authorises every sender",
        ),
        ("v=spf1 all include:spf.protection.outlook.com", email_dns.DomainVerdict.INVALID, "authorises every sender"),
        ("v=spf1 -all include:spf.protection.outlook.com", email_dns.DomainVerdict.INVALID, "never authorised"),
        ("v=spf1 include:spf.protection.outlook.com ~all", email_dns.DomainVerdict.VALID, "reached before ~all"),
        ("v=spf1 include:spf.protection.outlook.com ?all", email_dns.DomainVerdict.REVIEW, "neutral"),
        ("v=spf1 include:spf.protection.outlook.com", email_dns.DomainVerdict.REVIEW, "no all mechanism"),
        ("v=spf1 redirect=_spf.contoso.com", email_dns.DomainVerdict.REVIEW, "redirect=_spf.contoso.com"),
        ("v=spf1 include:spf.protection.outlook.com inclde:x -all", email_dns.DomainVerdict.INVALID, "permerror"),
    ],
)
def test_spf_verdict_names_why(record: str, verdict: email_dns.DomainVerdict, said: str) -> None:
    got, why = email_dns.spf_verdict(record)

    assert got is verdict
    assert said in why
