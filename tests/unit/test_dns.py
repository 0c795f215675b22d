"""The DNS resolver, look-up cache and snapshot replay against a real DNS server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from o365cis.dns.lookups import DnsLookups, lookup_dmarc
from o365cis.dns.mail import MailDomain, mail_domains
from o365cis.dns.outcome import DnsOutcome, OutcomeKind
from o365cis.dns.resolver import DnsResolver, resolver_for, system_servers
from o365cis.dns.servers import NameServer, parse_server
from o365cis.findings import FailureKind, ReadError
from tests.fake_exchange import fixtures
from tests.fake_exchange.dns_server import FakeDnsServer

dns_server = fixtures.dns_server
fresh_dns = fixtures.fresh_dns

KEY_TARGET = "selector1-contoso-com._domainkey.contoso.onmicrosoft.com"


def resolver(server: FakeDnsServer, *, timeout: float = 0.2, attempts: int = 2) -> DnsResolver:
    return DnsResolver([server.address], timeout=timeout, attempts=attempts)


def silent_port() -> tuple[socket.socket, str]:
    """A bound UDP socket that never answers: queries to it time out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock, f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.53", NameServer("10.0.0.53", 53)),
        ("127.0.0.1:5353", NameServer("127.0.0.1", 5353)),
        ("::1", NameServer("::1", 53)),
        ("[::1]:5353", NameServer("::1", 5353)),
    ],
)
def test_server_forms_are_parsed(text: str, expected: NameServer) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["dns.example.com", "127.0.0.1:0", "127.0.0.1:70000", "[::1]x", "1.2.3"])
def test_bad_server_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="DNS server"):
        parse_server(text)


def test_without_servers_the_system_configuration_is_used() -> None:
    assert resolver_for([]).servers == system_servers()


def test_txt_strings_of_a_record_are_joined(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"TXT": [["v=spf1 include:spf.protection.outlook.com", " -all"], "MS=ms123"]}})

    outcome = resolver(fresh_dns).query_txt("Contoso.COM.")

    assert outcome.kind is OutcomeKind.FOUND
    assert outcome.name == "contoso.com"
    assert sorted(outcome.records) == ["MS=ms123", "v=spf1 include:spf.protection.outlook.com -all"]
    assert outcome.cname_chain == ()


def test_a_cname_chain_is_followed_and_recorded(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone(
        {
            "selector1._domainkey.contoso.com": {"CNAME": "hop.contoso.net"},
            "hop.contoso.net": {"CNAME": KEY_TARGET},
            KEY_TARGET: {"TXT": ["v=DKIM1; k=rsa; p=MIIB"]},
        }
    )

    outcome = resolver(fresh_dns).query_txt("selector1._domainkey.contoso.com")

    assert outcome.kind is OutcomeKind.FOUND
    assert outcome.cname_chain == ("hop.contoso.net", KEY_TARGET)
    assert outcome.final_name == KEY_TARGET
    assert outcome.records == ("v=DKIM1; k=rsa; p=MIIB",)


def test_a_cname_the_server_did_not_chase_is_asked_for(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.chase_cnames = False
    fresh_dns.set_zone(
        {"selector1._domainkey.contoso.com": {"CNAME": KEY_TARGET}, KEY_TARGET: {"TXT": ["v=DKIM1; p=MIIB"]}}
    )

    outcome = resolver(fresh_dns).query_txt("selector1._domainkey.contoso.com")

    assert outcome.kind is OutcomeKind.FOUND and outcome.cname_chain == (KEY_TARGET,)
    assert [q[0] for q in fresh_dns.queries] == ["selector1._domainkey.contoso.com", KEY_TARGET]


def test_a_missing_name_is_nxdomain(fresh_dns: FakeDnsServer) -> None:
    outcome = resolver(fresh_dns).query_txt("_dmarc.contoso.com")

    assert outcome.kind is OutcomeKind.NXDOMAIN and outcome.records == ()


def test_a_cname_to_nowhere_is_nxdomain_with_its_chain(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"selector2._domainkey.contoso.com": {"CNAME": "gone.contoso.onmicrosoft.com"}})

    outcome = resolver(fresh_dns).query_txt("selector2._domainkey.contoso.com")

    assert outcome.kind is OutcomeKind.NXDOMAIN
    assert outcome.cname_chain == ("gone.contoso.onmicrosoft.com",)


def test_a_name_without_txt_is_nodata(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {}})

    assert resolver(fresh_dns).query_txt("contoso.com").kind is OutcomeKind.NODATA


def test_servfail_is_retried_then_reported(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"rcode": "SERVFAIL"}})

    outcome = resolver(fresh_dns, attempts=3).query_txt("contoso.com")

    assert (outcome.kind, outcome.failure) == (OutcomeKind.FAILED, "SERVFAIL")
    assert len(fresh_dns.queries_for("contoso.com")) == 3
    assert fresh_dns.address in (outcome.detail or "")


def test_refused_is_reported_without_retrying(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"rcode": "REFUSED"}})

    outcome = resolver(fresh_dns, attempts=3).query_txt("contoso.com")

    assert (outcome.kind, outcome.failure) == (OutcomeKind.FAILED, "REFUSED")
    assert len(fresh_dns.queries_for("contoso.com")) == 1


def test_no_answer_is_a_timeout_after_the_retries(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"timeout": True}})

    outcome = resolver(fresh_dns, timeout=0.1, attempts=2).query_txt("contoso.com")

    assert (outcome.kind, outcome.failure) == (OutcomeKind.FAILED, "timeout")
    assert len(fresh_dns.queries_for("contoso.com")) == 2
    assert "timeout after 2 attempt(s)" in (outcome.detail or "")


def test_a_truncated_answer_is_asked_again_over_tcp(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"truncate": True, "TXT": ["v=spf1 include:spf.protection.outlook.com -all"]}})

    outcome = resolver(fresh_dns).query_txt("contoso.com")

    assert outcome.records == ("v=spf1 include:spf.protection.outlook.com -all",)
    assert [q[2] for q in fresh_dns.queries] == ["udp", "tcp"]


def test_an_answer_too_large_for_udp_comes_over_tcp(fresh_dns: FakeDnsServer) -> None:
    records = [f"{i}-" + "k" * 400 for i in range(5)]
    fresh_dns.set_zone({"contoso.com": {"TXT": records}})

    outcome = resolver(fresh_dns).query_txt("contoso.com")

    assert sorted(outcome.records) == sorted(records)
    assert [q[2] for q in fresh_dns.queries] == ["udp", "tcp"]


def test_the_next_server_is_asked_when_one_does_not_answer(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"TXT": ["hello"]}})
    sock, dead = silent_port()
    try:
        outcome = DnsResolver([dead, fresh_dns.address], timeout=0.1, attempts=1).query_txt("contoso.com")
    finally:
        sock.close()

    assert outcome.records == ("hello",)


def test_every_server_failing_is_reported_per_server(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"rcode": "REFUSED"}})
    sock, dead = silent_port()
    try:
        outcome = DnsResolver([dead, fresh_dns.address], timeout=0.1, attempts=1).query_txt("contoso.com")
    finally:
        sock.close()

    assert outcome.failure == "timeout/REFUSED"
    assert dead in (outcome.detail or "") and fresh_dns.address in (outcome.detail or "")


def test_a_cname_loop_fails_instead_of_spinning(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.chase_cnames = False
    fresh_dns.set_zone({"a.contoso.com": {"CNAME": "b.contoso.com"}, "b.contoso.com": {"CNAME": "a.contoso.com"}})

    outcome = resolver(fresh_dns).query_txt("a.contoso.com")

    assert (outcome.kind, outcome.failure) == (OutcomeKind.FAILED, "CNAME loop")


def test_a_failure_at_the_cname_target_is_the_lookups_failure(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"selector1._domainkey.contoso.com": {"CNAME": KEY_TARGET}, KEY_TARGET: {"rcode": "SERVFAIL"}})

    outcome = resolver(fresh_dns, attempts=1).query_txt("selector1._domainkey.contoso.com")

    assert (outcome.kind, outcome.failure, outcome.cname_chain) == (OutcomeKind.FAILED, "SERVFAIL", (KEY_TARGET,))


def test_no_server_at_all_is_a_named_failure() -> None:
    empty = DnsResolver([NameServer("127.0.0.1", 53)])
    empty.servers = ()

    assert empty.query_txt("contoso.com").failure == "no DNS server configured"


def test_each_name_is_looked_up_once_per_scan(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone({"contoso.com": {"TXT": ["v=spf1 -all"]}})
    lookups = DnsLookups(resolver(fresh_dns))
    threads = [threading.Thread(target=lookups.txt, args=("contoso.com",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lookups.txt("CONTOSO.com.")

    assert len(fresh_dns.queries_for("contoso.com")) == 1


def test_outcomes_are_recorded_and_replay_without_network(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone(
        {
            "contoso.com": {"TXT": [["v=spf1 ", "-all"]]},
            "selector1._domainkey.contoso.com": {"CNAME": KEY_TARGET},
            KEY_TARGET: {"TXT": ["v=DKIM1; p=MIIB"]},
            "bad.contoso.com": {"rcode": "SERVFAIL"},
        }
    )
    recorded: dict[str, Any] = {}
    live = DnsLookups(resolver(fresh_dns, attempts=1), recorder=recorded.__setitem__)
    names = ["contoso.com", "selector1._domainkey.contoso.com", "_dmarc.contoso.com", "bad.contoso.com"]
    seen = live.many(names)
    exported = live.export()
    fresh_dns.queries.clear()

    replay = DnsLookups(exported)

    assert replay.replaying and not live.replaying
    assert recorded == exported
    assert sorted(exported) == sorted(f"DNS TXT {n}" for n in names)
    assert {n: replay.txt(n) for n in names} == seen
    assert fresh_dns.queries == []


def test_replay_of_a_name_never_looked_up_is_not_in_snapshot() -> None:
    with pytest.raises(ReadError) as failure:
        DnsLookups({}).txt("contoso.com")

    assert failure.value.kind is FailureKind.NOT_IN_SNAPSHOT
    assert failure.value.request == "DNS TXT contoso.com"


def test_outcome_json_round_trips() -> None:
    outcome = DnsOutcome(
        "a.contoso.com", OutcomeKind.FAILED, ("x",), ("b.contoso.com",), "timeout", "127.0.0.1:53: timeout"
    )

    assert DnsOutcome.from_json(outcome.to_json()) == outcome
    with pytest.raises(ValueError):
        DnsOutcome.from_json({"kind": "found"})


def test_mail_domains_keep_verified_email_domains_and_say_why_others_are_skipped() -> None:
    domains = [
        {
            "id": "contoso.com",
            "isVerified": True,
            "isRoot": True,
            "supportedServices": ["Email", "OfficeCommunicationsOnline"],
        },
        {"id": "sales.contoso.com", "isVerified": True, "isRoot": False, "supportedServices": ["Email"]},
        {"id": "contoso.onmicrosoft.com", "isVerified": True, "isRoot": True, "supportedServices": ["Email"]},
        {"id": "pending.com", "isVerified": False, "isRoot": True, "supportedServices": ["Email"]},
        {"id": "intranet.com", "isVerified": True, "isRoot": True, "supportedServices": ["Intune"]},
    ]

    result = mail_domains(domains)

    assert result.evaluated == (MailDomain("contoso.com"), MailDomain("sales.contoso.com", False, "contoso.com"))
    assert {s.name: s.why.split(" (")[0] for s in result.skipped} == {
        "contoso.onmicrosoft.com": "Microsoft-managed *.onmicrosoft.com domain",
        "pending.com": "not verified",
        "intranet.com": "not used for email",
    }


def test_dmarc_of_the_root_is_asked_only_for_a_subdomain_without_its_own(fresh_dns: FakeDnsServer) -> None:
    fresh_dns.set_zone(
        {"_dmarc.contoso.com": {"TXT": ["v=DMARC1; p=reject"]}, "_dmarc.hr.contoso.com": {"TXT": ["v=DMARC1; p=none"]}}
    )
    domains = [
        MailDomain("contoso.com"),
        MailDomain("sales.contoso.com", False, "contoso.com"),
        MailDomain("hr.contoso.com", False, "contoso.com"),
    ]

    outcomes = lookup_dmarc(DnsLookups(resolver(fresh_dns)), domains)

    assert outcomes["_dmarc.sales.contoso.com"].kind is OutcomeKind.NXDOMAIN
    assert outcomes["_dmarc.contoso.com"].records == ("v=DMARC1; p=reject",)
    assert len(fresh_dns.queries_for("_dmarc.contoso.com")) == 1


def test_read_spf_stops_at_the_first_all_and_sets_modifiers_apart() -> None:
    from o365cis.dns.records import read_spf

    spf = read_spf("v=spf1 exp=why.example IP4:192.0.2.1 ~include:a.example -ALL include:spf.protection.outlook.com")

    assert [str(m) for m in spf.evaluated] == ["+ip4:192.0.2.1", "~include:a.example", "-all"]
    assert [str(m) for m in spf.unreached] == ["+include:spf.protection.outlook.com"]
    assert spf.all_mechanism is not None and spf.all_mechanism.qualifier == "-"
    assert spf.modifier("exp") == "why.example" and spf.modifier("redirect") is None
    assert spf.errors == ()


def test_read_spf_reports_syntax_errors() -> None:
    from o365cis.dns.records import read_spf

    assert read_spf("v=spf1 a mx/24 ptr exists:%{i}.x.example ip6:2001:db8::/32 -all").errors == ()
    assert [e.split()[0] for e in read_spf("v=spf1 all:x include ip4 foo -all").errors] == [
        "all:x",
        "include",
        "ip4",
        "foo",
    ]
    assert read_spf("v=spf1 include:spf.protection.outlook.com").all_mechanism is None
