"""Mail domains (the catalogue's term) and the TXT look-ups 4.11-4.13 make for them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.dns.outcome import DnsOutcome, OutcomeKind, normalise_name

MICROSOFT_MANAGED_SUFFIX = ".onmicrosoft.com"


@dataclass(frozen=True)
class MailDomain:
    """A verified custom domain used for email; `root` is its verified root domain when it is a subdomain."""

    name: str
    is_root: bool = True
    root: str | None = None


@dataclass(frozen=True)
class SkippedDomain:
    """A domain of the tenant the DNS checks leave out, and why."""

    name: str
    why: str


@dataclass(frozen=True)
class MailDomains:
    """The domains the DNS checks evaluate, and the ones they skip."""

    evaluated: tuple[MailDomain, ...]
    skipped: tuple[SkippedDomain, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.evaluated)


def mail_domains(domains: Sequence[Mapping[str, Any]]) -> MailDomains:
    """The "mail domains" of GET /v1.0/domains: verified, supporting Email, not *.onmicrosoft.com."""
    verified_roots = sorted(
        (
            normalise_name(str(d.get("id") or ""))
            for d in domains
            if d.get("isVerified") is True and d.get("isRoot") is not False
        ),
        key=len,
        reverse=True,
    )
    evaluated: list[MailDomain] = []
    skipped: list[SkippedDomain] = []
    for item in domains:
        name = normalise_name(str(item.get("id") or ""))
        if not name:
            continue
        services = item.get("supportedServices") or []
        if name.endswith(MICROSOFT_MANAGED_SUFFIX):
            skipped.append(
                SkippedDomain(name, "Microsoft-managed *.onmicrosoft.com domain (Microsoft publishes its records)")
            )
        elif item.get("isVerified") is not True:
            skipped.append(SkippedDomain(name, "not verified"))
        elif "Email" not in services:
            skipped.append(SkippedDomain(name, "not used for email (supportedServices has no Email)"))
        else:
            is_root = item.get("isRoot") is not False
            root = None if is_root else next((r for r in verified_roots if name.endswith("." + r)), None)
            evaluated.append(MailDomain(name, is_root, root))
    return MailDomains(tuple(evaluated), tuple(skipped))


def dkim_names(domain: str) -> tuple[str, str]:
    """The two selector names Exchange Online signs with (selector1 and selector2)."""
    return (f"selector1._domainkey.{normalise_name(domain)}", f"selector2._domainkey.{normalise_name(domain)}")


def spf_name(domain: str) -> str:
    """SPF lives in the TXT records of the domain itself."""
    return normalise_name(domain)


def dmarc_name(domain: str) -> str:
    """The DMARC record's name (RFC 7489 section 6.1)."""
    return f"_dmarc.{normalise_name(domain)}"


def needs_root_dmarc(domain: MailDomain, own: DnsOutcome) -> bool:
    """A subdomain without a DMARC name of its own is covered by its root's record (the 4.13 rule)."""
    return not domain.is_root and domain.root is not None and own.kind in (OutcomeKind.NXDOMAIN, OutcomeKind.NODATA)
