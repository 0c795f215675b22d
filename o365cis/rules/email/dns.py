"""Section 4 (Email Security / Exchange Online): DKIM (4.11), SPF (4.12) and DMARC (4.13) from DNS look-ups of
the mail domains; 4.11 also needs Get-DkimSigningConfig (signing enabled), a decisive read of the same source.

The rules raise ReadError (4.11: a NoDecision carrying it) when look-ups failed and no domain fails outright: a failed
look-up is no verdict, so the result is error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from o365cis.dns.mail import MailDomain, MailDomains, dkim_names, dmarc_name, needs_root_dmarc, spf_name
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.dns.records import (
    EXCHANGE_ONLINE_SPF_INCLUDE,
    dkim_public_key,
    dkim_records,
    dmarc_policy,
    dmarc_records,
    is_exchange_online_include,
    read_spf,
    spf_records,
    tag_list,
)
from o365cis.findings import (
    Decision,
    Evidence,
    EvidenceType,
    FailureKind,
    NoDecision,
    ReadError,
    TextEnum,
    compliant,
    manual,
    no_decision,
    non_compliant,
    not_applicable,
)
from o365cis.rules._exchange import objects, powershell_text, prop_bool, prop_is, prop_text
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural


class DomainVerdict(TextEnum):
    """One mail domain's DNS outcome for a rule; a rule's verdict aggregates them over the mail domains."""

    VALID = "valid"
    INVALID = "invalid or absent"
    FAILED = "failed"
    REVIEW = "needs review"
    #: Only 4.11: Get-DkimSigningConfig could not say either way (or was not read).
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class DomainCheck:
    """One mail domain's DNS outcome for a rule: verdict, what was seen, and the look-ups that failed."""

    domain: str
    verdict: DomainVerdict
    detail: str
    failed: tuple[DnsOutcome, ...] = ()

    def evidence(self) -> Evidence:
        return Evidence(EvidenceType.DOMAIN, None, self.domain, f"{self.verdict}: {self.detail}")


def _outcome(outcomes: Mapping[str, DnsOutcome], name: str) -> DnsOutcome:
    found = outcomes.get(name)
    if found is None:
        return DnsOutcome(name, OutcomeKind.FAILED, failure="not looked up")
    return found


def _skipped(domains: MailDomains) -> list[Evidence]:
    return [Evidence(EvidenceType.DOMAIN, None, s.name, f"skipped: {s.why}") for s in domains.skipped]


def _dns_failure(checks: Sequence[DomainCheck], what: str) -> ReadError:
    failed = [c for c in checks if c.verdict == DomainVerdict.FAILED]
    first = failed[0].failed[0].name if failed and failed[0].failed else "?"
    story = "; ".join(f"{c.domain} (" + ", ".join(f"{o.name}: {o.failure}" for o in c.failed) + ")" for c in failed)
    return ReadError(
        FailureKind.SERVICE,
        f"DNS TXT {first}",
        f"{what} look-ups failed for {plural(len(failed), 'mail domain')}: {story}",
    )


def _aggregate(domains: MailDomains, checks: list[DomainCheck], what: str, valid_reason: str) -> Decision:
    """The catalogue's "DNS outcome" aggregation; review comes last (4.12) and becomes manual."""
    if not domains.evaluated:
        return not_applicable(f"The tenant has no custom mail domain to check {what} for", _skipped(domains))
    ordered = sorted(
        checks,
        key=lambda c: (
            c.verdict != DomainVerdict.INVALID,
            c.verdict != DomainVerdict.FAILED,
            c.verdict != DomainVerdict.REVIEW,
            c.domain,
        ),
    )
    evidence = [c.evidence() for c in ordered] + _skipped(domains)
    invalid = [c.domain for c in checks if c.verdict == DomainVerdict.INVALID]
    if invalid:
        return non_compliant(
            f"{what} is missing or wrong for {plural(len(invalid), 'mail domain')}: {', '.join(invalid)}", evidence
        )
    if any(c.verdict == DomainVerdict.FAILED for c in checks):
        raise _dns_failure(checks, what)
    review = [c.domain for c in checks if c.verdict == DomainVerdict.REVIEW]
    if review:
        return manual(f"{what} of {', '.join(review)} needs review (see each domain's evidence)", evidence)
    return compliant(valid_reason.format(count=plural(len(checks), "mail domain")), evidence)


def _dkim_selector(outcome: DnsOutcome, label: str) -> tuple[str, str]:
    """(verdict, detail) for one selector: a CNAME whose chain ends in a v=DKIM1 record with a key."""
    if outcome.failed:
        return DomainVerdict.FAILED, f"{label}: look-up failed ({outcome.failure})"
    if outcome.kind in (OutcomeKind.NXDOMAIN, OutcomeKind.NODATA):
        return DomainVerdict.INVALID, f"{label}: {outcome.describe()}"
    if not outcome.cname_chain:
        return DomainVerdict.INVALID, f"{label}: TXT placed at the selector itself, not a CNAME to Microsoft's key"
    keys = dkim_records(outcome.records)
    target = f"CNAME -> {outcome.final_name}"
    if not keys:
        return DomainVerdict.INVALID, f"{label}: {target}, no v=DKIM1 record there"
    if not any(dkim_public_key(k) for k in keys):
        return DomainVerdict.INVALID, f"{label}: {target}, key empty (revoked)"
    return DomainVerdict.VALID, f"{label}: {target}, key present"


def _dkim_dns_check(domain: MailDomain, outcomes: Mapping[str, DnsOutcome]) -> DomainCheck:
    names = dkim_names(domain.name)
    results = [_dkim_selector(_outcome(outcomes, name), name.split(".")[0]) for name in names]
    detail = "; ".join(d for _, d in results)
    verdicts = {v for v, _ in results}
    failed = tuple(o for o in (_outcome(outcomes, n) for n in names) if o.failed)
    if DomainVerdict.INVALID in verdicts:
        return DomainCheck(domain.name, DomainVerdict.INVALID, detail)
    if DomainVerdict.FAILED in verdicts:
        return DomainCheck(domain.name, DomainVerdict.FAILED, detail, failed)
    return DomainCheck(domain.name, DomainVerdict.VALID, detail)


def _dkim_config(configs: JsonList, domain: str) -> Json | None:
    for item in configs:
        if domain in {prop_text(item, k).lower().rstrip(".") for k in ("Domain", "Name", "Identity")}:
            return item
    return None


def _dkim_signing(configs: JsonList, domain: str) -> tuple[DomainVerdict, str]:
    """(verdict, detail) of Get-DkimSigningConfig for one domain: Enabled true and Status, when present, Valid.

    A missing, null or non-boolean Enabled, or a Status that is not text, cannot decide (UNDECIDED).
    """
    item = _dkim_config(configs, domain)
    if item is None:
        return DomainVerdict.INVALID, "Exchange: no DKIM signing config for it (Get-DkimSigningConfig)"
    enabled = prop_bool(item, "Enabled")
    status_value = item.get("Status")
    status = status_value.strip() if isinstance(status_value, str) else None
    seen = f"Exchange: Enabled {powershell_text(item.get('Enabled'))}" + (
        f", Status {powershell_text(status_value)}" if status_value is not None else ""
    )
    if enabled is False or (status and status.lower() != "valid"):
        return DomainVerdict.INVALID, seen
    if enabled is None:
        return DomainVerdict.UNDECIDED, f"{seen} (Enabled missing, null or not a boolean)"
    if status_value is not None and status is None:
        return DomainVerdict.UNDECIDED, f"{seen} (Status is not text)"
    return DomainVerdict.VALID, seen


def _dkim_check(domain: MailDomain, outcomes: Mapping[str, DnsOutcome], configs: JsonList | None) -> DomainCheck:
    """Both halves of 4.11 for one domain: DNS publishes the keys and Exchange signs (configs None: unread)."""
    dns = _dkim_dns_check(domain, outcomes)
    if configs is None:
        return (
            dns
            if dns.verdict != DomainVerdict.VALID
            else DomainCheck(domain.name, DomainVerdict.UNDECIDED, f"{dns.detail}; Exchange: not read")
        )
    signing, seen = _dkim_signing(configs, domain.name)
    detail = f"{dns.detail}; {seen}"
    if DomainVerdict.INVALID in (dns.verdict, signing):
        return DomainCheck(domain.name, DomainVerdict.INVALID, detail)
    if dns.verdict == DomainVerdict.FAILED:
        return DomainCheck(domain.name, DomainVerdict.FAILED, detail, dns.failed)
    return DomainCheck(domain.name, signing, detail)


def dkim_enabled(
    domains: MailDomains, outcomes: Mapping[str, DnsOutcome], dkim_signing_configs: JsonList | ReadError
) -> Decision:
    """4.11: for every mail domain Exchange signs with DKIM (Get-DkimSigningConfig) and DNS publishes both keys.

    DNS alone proves nothing: Microsoft publishes the keys behind the selector CNAMEs before signing is enabled
    (https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure). `dkim_signing_configs`
    is the cmdlet's output, or the ReadError that kept it from being read: a domain DNS proves invalid still decides
    non_compliant; otherwise the failed read makes the result error (the catalogue's 4.11 rule).
    """
    if not domains.evaluated:
        return not_applicable("The tenant has no custom mail domain to check DKIM for", _skipped(domains))
    exchange_failure = dkim_signing_configs if isinstance(dkim_signing_configs, ReadError) else None
    configs = None if exchange_failure is not None else objects(cast(JsonList, dkim_signing_configs))
    checks = [_dkim_check(d, outcomes, configs) for d in domains.evaluated]
    order = (DomainVerdict.INVALID, DomainVerdict.FAILED, DomainVerdict.UNDECIDED, DomainVerdict.VALID)
    ordered = sorted(checks, key=lambda c: (order.index(c.verdict), c.domain))
    evidence = [c.evidence() for c in ordered] + _skipped(domains)
    invalid = [c.domain for c in checks if c.verdict == DomainVerdict.INVALID]
    if invalid:
        return non_compliant(
            f"DKIM is not enabled in Exchange or not published in DNS for {plural(len(invalid), 'mail domain')}: "
            f"{', '.join(invalid)}",
            evidence,
        )
    failures: list[ReadError] = []
    if any(c.verdict == DomainVerdict.FAILED for c in checks):
        failures.append(_dns_failure(checks, "DKIM"))
    if exchange_failure is not None:
        failures.append(exchange_failure)
    if failures:
        return NoDecision(
            "no mail domain is proven to fail, but DKIM could not be checked for every one (see the failed reads)",
            tuple(evidence),
            tuple(failures),
        )
    undecided = [c.domain for c in checks if c.verdict == DomainVerdict.UNDECIDED]
    if undecided:
        return no_decision(
            f"Get-DkimSigningConfig cannot say whether {', '.join(undecided)} "
            f"{'is' if len(undecided) == 1 else 'are'} signed",
            evidence,
        )
    return compliant(
        f"DKIM signing is enabled in Exchange and its keys are published for all {plural(len(checks), 'mail domain')}",
        evidence,
    )


def expected_spf(service_configuration_records: JsonList | None) -> str | None:
    """Microsoft's expected SPF text from GET /v1.0/domains/{id}/serviceConfigurationRecords (evidence only)."""
    for record in objects(service_configuration_records):
        text = record.get("text")
        if isinstance(text, str) and text.lower().startswith("v=spf1") and prop_is(record, "supportedService", "Email"):
            return text
    return None


def _spf_check(domain: MailDomain, outcome: DnsOutcome, expected: str | None) -> DomainCheck:
    hint = f"; expected {expected!r}" if expected else ""
    if outcome.failed:
        return DomainCheck(domain.name, DomainVerdict.FAILED, f"look-up failed ({outcome.failure}){hint}", (outcome,))
    if outcome.kind is not OutcomeKind.FOUND:
        return DomainCheck(domain.name, DomainVerdict.INVALID, f"no SPF record: {outcome.describe()}{hint}")
    records = spf_records(outcome.records)
    if not records:
        return DomainCheck(domain.name, DomainVerdict.INVALID, f"no TXT record starts with v=spf1{hint}")
    if len(records) > 1:
        return DomainCheck(
            domain.name, DomainVerdict.INVALID, f"{len(records)} SPF records (permerror): " + " | ".join(records) + hint
        )
    record = records[0]
    verdict, why = spf_verdict(record)
    return DomainCheck(domain.name, verdict, f"{record!r}: {why}{hint}")


def spf_verdict(record: str) -> tuple[DomainVerdict, str]:
    """One SPF record read term by term as RFC 7208 section 4.6 evaluates it (the catalogue's 4.12 rule).

    Valid only when include:spf.protection.outlook.com is reached before an all mechanism that fails (-all) or
    soft-fails (~all) every other sender.
    """
    spf = read_spf(record)
    if spf.errors:
        # RFC 7208 4.6: any syntax error makes check_host() return permerror; no sender is authorised.
        return DomainVerdict.INVALID, "permerror, syntax error in " + ", ".join(spf.errors)
    final = spf.all_mechanism
    exchange = any(is_exchange_online_include(m) for m in spf.evaluated)
    if final is not None and final.qualifier == "+":
        # RFC 7208 4.6.2: no qualifier means "+"; `all` always matches (5.1), so every sender passes.
        return DomainVerdict.INVALID, f"evaluation stops at {final}, which authorises every sender (RFC 7208 5.1)"
    if not exchange and any(m.target == EXCHANGE_ONLINE_SPF_INCLUDE for m in spf.unreached):
        return DomainVerdict.INVALID, (
            f"evaluation stops at {final} before include:{EXCHANGE_ONLINE_SPF_INCLUDE}, "
            "so Exchange Online is never authorised (RFC 7208 4.6)"
        )
    if exchange and final is not None and final.qualifier in "-~":
        return DomainVerdict.VALID, f"include:{EXCHANGE_ONLINE_SPF_INCLUDE} is reached before {final}"
    if not exchange:
        redirect = spf.modifier("redirect") if final is None else None
        via = f"redirect={redirect}" if redirect else "a gateway or other senders"
        return DomainVerdict.REVIEW, (
            f"no include:{EXCHANGE_ONLINE_SPF_INCLUDE} that passes is evaluated (sent through {via}?): "
            "review the senders it authorises"
        )
    if final is None:
        redirect = spf.modifier("redirect")
        if redirect:
            # RFC 7208 6.1: with no all mechanism, the redirect target's record decides the unlisted senders.
            return DomainVerdict.REVIEW, f"no all mechanism: redirect={redirect} decides unlisted senders, review it"
        return DomainVerdict.REVIEW, (
            "no all mechanism: unlisted senders get a neutral result (RFC 7208 4.7), spoofing is not refused"
        )
    return DomainVerdict.REVIEW, (
        f"evaluation stops at {final}: unlisted senders get a neutral result (RFC 7208 8.2), spoofing is not refused"
    )


def spf_published(
    domains: MailDomains, outcomes: Mapping[str, DnsOutcome], expected: Mapping[str, str] | None = None
) -> Decision:
    """4.12: every mail domain publishes exactly one SPF record that authorises Exchange Online."""
    checks = [
        _spf_check(d, _outcome(outcomes, spf_name(d.name)), (expected or {}).get(d.name)) for d in domains.evaluated
    ]
    return _aggregate(domains, checks, "SPF", "SPF records authorising Exchange Online are published for all {count}")


def _dmarc_from(domain: MailDomain, outcome: DnsOutcome, where: str) -> DomainCheck:
    records = dmarc_records(outcome.records) if outcome.kind is OutcomeKind.FOUND else []
    if not records:
        return DomainCheck(
            domain.name, DomainVerdict.INVALID, f"no v=DMARC1 record at {outcome.name} ({where}): {outcome.describe()}"
        )
    if len(records) > 1:
        return DomainCheck(
            domain.name,
            DomainVerdict.INVALID,
            f"{len(records)} DMARC records at {outcome.name} ({where}): none applies (RFC 7489 6.6.3)",
        )
    record = records[0]
    tags = tag_list(record)
    policy = dmarc_policy(record)
    shown = f"{record!r} at {outcome.name} ({where}); " + "; ".join(
        f"{t}={tags[t]}" for t in ("p", "sp", "pct", "rua", "ruf") if t in tags
    )
    if policy is None:
        return DomainCheck(domain.name, DomainVerdict.INVALID, f"{shown}; p= is missing or not none/quarantine/reject")
    advice = "; advice: p=none only monitors, move to quarantine or reject" if policy == "none" else ""
    return DomainCheck(domain.name, DomainVerdict.VALID, shown + advice)


def _dmarc_check(domain: MailDomain, outcomes: Mapping[str, DnsOutcome]) -> DomainCheck:
    own = _outcome(outcomes, dmarc_name(domain.name))
    if own.failed:
        return DomainCheck(domain.name, DomainVerdict.FAILED, f"look-up of {own.name} failed ({own.failure})", (own,))
    if needs_root_dmarc(domain, own) and domain.root:
        root = _outcome(outcomes, dmarc_name(domain.root))
        if root.failed:
            return DomainCheck(
                domain.name,
                DomainVerdict.FAILED,
                f"{own.name}: {own.describe()}; look-up of {root.name} failed ({root.failure})",
                (root,),
            )
        if root.kind is OutcomeKind.FOUND:
            return _dmarc_from(domain, root, f"root domain {domain.root}")
        return DomainCheck(
            domain.name, DomainVerdict.INVALID, f"no DMARC record at {own.name} nor at {root.name} (root domain)"
        )
    return _dmarc_from(domain, own, "own")


def dmarc_published(domains: MailDomains, outcomes: Mapping[str, DnsOutcome]) -> Decision:
    """4.13: every mail domain (or, for a subdomain without one, its root) publishes one DMARC record with a policy."""
    checks = [_dmarc_check(d, outcomes) for d in domains.evaluated]
    return _aggregate(domains, checks, "DMARC", "DMARC records are published for all {count}")
