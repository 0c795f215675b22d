"""DNS look-ups for SPF, DKIM and DMARC: a resolver, per-scan caching with snapshot record/replay, mail domains."""

from o365cis.dns.lookups import DnsLookups, request_key
from o365cis.dns.mail import (
    MailDomain,
    MailDomains,
    SkippedDomain,
    dkim_names,
    dmarc_name,
    lookup_dkim,
    lookup_dmarc,
    lookup_spf,
    mail_domains,
    spf_name,
)
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.dns.resolver import DnsResolver, NameServer, parse_server, resolver_for

__all__ = [
    "DnsLookups",
    "DnsOutcome",
    "DnsResolver",
    "MailDomain",
    "MailDomains",
    "NameServer",
    "OutcomeKind",
    "SkippedDomain",
    "dkim_names",
    "dmarc_name",
    "lookup_dkim",
    "lookup_dmarc",
    "lookup_spf",
    "mail_domains",
    "parse_server",
    "request_key",
    "resolver_for",
    "spf_name",
]
