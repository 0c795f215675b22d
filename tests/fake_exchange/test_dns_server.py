"""The fake DNS server on the wire (dnspython as a client), and the golden zone end to end through the DNS rules."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from o365cis.dns.lookups import DnsLookups, lookup_dkim, lookup_dmarc, lookup_spf
from o365cis.dns.mail import mail_domains
from o365cis.dns.resolver import DnsResolver
from o365cis.findings import Status
from o365cis.rules.email import dns as email_dns
from tests.fake_exchange import fixtures
from tests.fake_exchange.dns_server import FakeDnsServer
from tests.fake_exchange.scenarios import golden_dns_zone, golden_exchange_data

dns_server = fixtures.dns_server
fresh_dns = fixtures.fresh_dns


def ask(server: FakeDnsServer, name: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, "127.0.0.1", timeout=2, port=server.port)


def test_unknown_names_are_nxdomain(fresh_dns: FakeDnsServer) -> None:
    assert ask(fresh_dns, "nothing.example").rcode() == dns.rcode.NXDOMAIN


def test_configured_rcodes_are_answered(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"a.example": {"rcode": "SERVFAIL"}, "b.example": {"rcode": "REFUSED"}})

    assert ask(fresh_dns, "a.example").rcode() == dns.rcode.SERVFAIL
    assert ask(fresh_dns, "b.example").rcode() == dns.rcode.REFUSED


def test_truncation_is_for_udp_only(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"a.example": {"truncate": True, "TXT": ["hello"]}})

    udp = ask(fresh_dns, "a.example")
    tcp = ask(fresh_dns, "a.example", tcp=True)

    assert udp.flags & dns.flags.TC and not udp.answer
    assert [r.strings for r in tcp.answer[0]] == [(b"hello",)]


def test_long_text_is_split_into_255_byte_strings(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"a.example": {"TXT": ["x" * 600]}})

    answer = ask(fresh_dns, "a.example", tcp=True)

    assert [len(s) for s in answer.answer[0][0].strings] == [255, 255, 90]


def test_cnames_are_chased_within_the_zone(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"a.example": {"CNAME": "b.example"}, "b.example": {"TXT": ["v=DKIM1; p=x"]}})

    answer = ask(fresh_dns, "a.example")

    assert [rrset.rdtype for rrset in answer.answer] == [dns.rdatatype.CNAME, dns.rdatatype.TXT]


def test_the_golden_zone_passes_dkim_spf_and_dmarc(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone(golden_dns_zone(["contoso.com", "sales.contoso.com"], "contoso.onmicrosoft.com"))
    domains = mail_domains(
        [
            {"id": "contoso.com", "isVerified": True, "isRoot": True, "supportedServices": ["Email"]},
            {"id": "sales.contoso.com", "isVerified": True, "isRoot": False, "supportedServices": ["Email"]},
            {"id": "contoso.onmicrosoft.com", "isVerified": True, "isRoot": True, "supportedServices": ["Email"]},
        ]
    )
    lookups = DnsLookups(DnsResolver([fresh_dns.address], timeout=1))

    decisions = [
        email_dns.dkim_enabled(
            domains,
            lookup_dkim(lookups, domains.evaluated),
            golden_exchange_data(["contoso.com", "sales.contoso.com"], "contoso.onmicrosoft.com")["cmdlets"][
                "Get-DkimSigningConfig"
            ],
        ),
        email_dns.spf_published(domains, lookup_spf(lookups, domains.evaluated)),
        email_dns.dmarc_published(domains, lookup_dmarc(lookups, domains.evaluated)),
    ]

    assert [d.status for d in decisions] == [Status.COMPLIANT] * 3  # type: ignore[union-attr]
    # Two selectors, the apex and _dmarc for each of the two domains: no root look-up was needed.
    assert len({q[0] for q in fresh_dns.queries}) == 8
