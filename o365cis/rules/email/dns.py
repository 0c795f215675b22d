"""Section 4 (Email Security / Exchange Online): DKIM (4.11), SPF (4.12) and DMARC (4.13) from DNS look-ups of
the mail domains, and 4.11's Exchange fallback (Get-DkimSigningConfig).

The rules raise ReadError when look-ups failed and no domain fails outright: a failed look-up is no verdict, so the
result is error, or, for 4.11, the Exchange fallback decides the domains DNS could not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from o365cis.dns.mail import MailDomain, MailDomains, dkim_names, dmarc_name, needs_root_dmarc, spf_name
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.dns.records import (
    EXCHANGE_ONLINE_SPF_INCLUDE,
    dkim_public_key,
    dkim_records,
    dmarc_policy,
    dmarc_records,
    spf_allows_everyone,
    spf_authorises_exchange,
    spf_records,
    tag_list,
)
from o365cis.findings import (
    Decision,
    Evidence,
    EvidenceType,
    FailureKind,
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
    #: Only 4.11's Exchange fallback: Get-DkimSigningConfig could not say either way.
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
        return manual(
            f"{what} of {', '.join(review)} does not include Exchange Online directly: "
            "review the senders it authorises",
            evidence,
        )
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


def dkim_published(domains: MailDomains, outcomes: Mapping[str, DnsOutcome]) -> Decision:
    """4.11 (DNS): both selectors of every mail domain are CNAMEs to a published DKIM key.

    Raises ReadError when look-ups failed and no domain fails outright: the Exchange fallback
    (dkim_enabled_in_exchange) then decides the failed domains.
    """
    checks = [_dkim_dns_check(d, outcomes) for d in domains.evaluated]
    return _aggregate(domains, checks, "DKIM", "DKIM signing keys are published for all {count}")


def _dkim_config(configs: JsonList, domain: str) -> Json | None:
    for item in configs:
        if domain in {prop_text(item, k).lower().rstrip(".") for k in ("Domain", "Name", "Identity")}:
            return item
    return None


def dkim_enabled_in_exchange(
    domains: MailDomains, outcomes: Mapping[str, DnsOutcome], dkim_signing_configs: JsonList | None
) -> Decision:
    """4.11 (Exchange fallback): Get-DkimSigningConfig decides the domains whose DNS look-ups failed.

    It never decides the others.
    """
    configs = objects(dkim_signing_configs)
    checks: list[DomainCheck] = []
    for domain in domains.evaluated:
        check = _dkim_dns_check(domain, outcomes)
        if check.verdict != DomainVerdict.FAILED:
            checks.append(check)
            continue
        item = _dkim_config(configs, domain.name)
        if item is None:
            checks.append(
                DomainCheck(
                    domain.name,
                    DomainVerdict.INVALID,
                    f"DNS failed ({check.detail}); Exchange has no DKIM signing config for it",
                )
            )
            continue
        enabled = prop_bool(item, "Enabled")
        status = prop_text(item, "Status")
        seen = f"DNS failed ({check.detail}); Exchange: Enabled {powershell_text(item.get('Enabled'))}" + (
            f", Status {status}" if status else ""
        )
        if enabled is None:
            checks.append(DomainCheck(domain.name, DomainVerdict.UNDECIDED, seen))
        elif enabled and (not status or status.lower() == "valid"):
            checks.append(DomainCheck(domain.name, DomainVerdict.VALID, seen))
        else:
            checks.append(DomainCheck(domain.name, DomainVerdict.INVALID, seen))
    if not domains.evaluated:
        return not_applicable("The tenant has no custom mail domain to check DKIM for", _skipped(domains))
    evidence = [
        c.evidence() for c in sorted(checks, key=lambda c: (c.verdict != DomainVerdict.INVALID, c.domain))
    ] + _skipped(domains)
    invalid = [c.domain for c in checks if c.verdict == DomainVerdict.INVALID]
    if invalid:
        return non_compliant(
            f"DKIM is not enabled for {plural(len(invalid), 'mail domain')}: {', '.join(invalid)}", evidence
        )
    undecided = [c.domain for c in checks if c.verdict == DomainVerdict.UNDECIDED]
    if undecided:
        return no_decision(f"Get-DkimSigningConfig carries no Enabled value for {', '.join(undecided)}", evidence)
    return compliant(
        f"DKIM is enabled for all {plural(len(checks), 'mail domain')} (Exchange decided the ones DNS could not)",
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
    if spf_allows_everyone(record):
        return DomainCheck(
            domain.name, DomainVerdict.INVALID, f"{record!r} ends in +all (authorises every sender){hint}"
        )
    if spf_authorises_exchange(record):
        return DomainCheck(domain.name, DomainVerdict.VALID, f"{record!r}{hint}")
    return DomainCheck(
        domain.name,
        DomainVerdict.REVIEW,
        f"{record!r} has no include:{EXCHANGE_ONLINE_SPF_INCLUDE} (gateway or redirect?){hint}",
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
