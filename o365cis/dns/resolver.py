"""A stub resolver for TXT look-ups: chosen servers, UDP with TCP on truncation, timeout and small retry."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterable, Sequence

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from o365cis.dns.outcome import DnsOutcome, FailureCause, OutcomeKind, normalise_name
from o365cis.dns.servers import NameServer, parse_server

#: EDNS payload we advertise: the DNS Flag Day 2020 value, large enough for most TXT answers over UDP.
EDNS_PAYLOAD = 1232


def system_servers() -> tuple[NameServer, ...]:
    """The resolvers the operating system is configured with (/etc/resolv.conf, or the registry)."""
    try:
        system = dns.resolver.Resolver(configure=True)
    except (dns.resolver.NoResolverConfiguration, OSError):
        return ()
    servers: list[NameServer] = []
    for entry in system.nameservers:
        address = getattr(entry, "address", entry)
        port = getattr(entry, "port", system.port)
        try:
            servers.append(NameServer(str(ipaddress.ip_address(str(address))), int(port)))
        except ValueError:
            continue  # DoH/DoT entries have URLs: not usable by this stub
    return tuple(servers)


class _Failure(Exception):
    """No usable answer from any server: `cause` is the outcome's failure, `detail` the per-server story."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(cause)
        self.cause = cause
        self.detail = detail


class DnsResolver:
    """Resolves TXT names against fixed servers (or the system's), reporting each failure precisely.

    Each server is tried in order; a timeout or SERVFAIL is retried up to `attempts` times on that
    server before the next one is asked, REFUSED moves on at once. A truncated UDP answer is asked
    again over TCP. CNAMEs are followed (re-asking for the target when the server did not chase it).
    One look-up, every server, retry and CNAME hop included, ends within `lifetime` seconds.
    """

    def __init__(
        self,
        servers: Iterable[str | NameServer] | None = None,
        *,
        timeout: float = 2.0,
        attempts: int = 2,
        max_cname_depth: int = 8,
        lifetime: float = 10.0,
    ) -> None:
        chosen = [s if isinstance(s, NameServer) else parse_server(s) for s in (servers or ())]
        self.servers: tuple[NameServer, ...] = tuple(chosen) if chosen else system_servers()
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.max_cname_depth = max_cname_depth
        self.lifetime = lifetime
        self._ends = threading.local()
        self._count = 0
        self._count_lock = threading.Lock()

    @property
    def query_count(self) -> int:
        """DNS messages sent so far (retries and TCP repeats included), for the benchmarks."""
        return self._count

    def query_txt(self, name: str) -> DnsOutcome:
        """Look up TXT at `name`, following CNAMEs; never raises for DNS reasons."""
        qname = normalise_name(name)
        # Per thread: look-ups run in parallel and each has its own lifetime.
        self._ends.at = time.monotonic() + self.lifetime
        chain: list[str] = []
        current = qname
        for _ in range(self.max_cname_depth + 1):
            try:
                response = self._ask(current)
            except _Failure as failure:
                return DnsOutcome(
                    qname, OutcomeKind.FAILED, cname_chain=tuple(chain), failure=failure.cause, detail=failure.detail
                )
            target = current
            while True:
                cname = _rrset(response, target, dns.rdatatype.CNAME)
                if cname is None:
                    break
                target = normalise_name(cname[0].target.to_text())
                if target == qname or target in chain:
                    return DnsOutcome(
                        qname,
                        OutcomeKind.FAILED,
                        cname_chain=tuple(chain),
                        failure=FailureCause.CNAME_LOOP,
                        detail=f"{target} repeats in the chain",
                    )
                chain.append(target)
                if len(chain) > self.max_cname_depth:
                    return DnsOutcome(
                        qname, OutcomeKind.FAILED, cname_chain=tuple(chain), failure=FailureCause.CNAME_TOO_LONG
                    )
            txt = _rrset(response, target, dns.rdatatype.TXT)
            if txt is not None:
                records = tuple(b"".join(rdata.strings).decode("utf-8", errors="replace") for rdata in txt)
                return DnsOutcome(qname, OutcomeKind.FOUND, records=records, cname_chain=tuple(chain))
            if response.rcode() == dns.rcode.NXDOMAIN:
                return DnsOutcome(qname, OutcomeKind.NXDOMAIN, cname_chain=tuple(chain))
            if target == current:
                return DnsOutcome(qname, OutcomeKind.NODATA, cname_chain=tuple(chain))
            # The server answered with a CNAME but did not chase it (not recursive for that zone): ask for the target.
            current = target
        return DnsOutcome(qname, OutcomeKind.FAILED, cname_chain=tuple(chain), failure=FailureCause.CNAME_TOO_LONG)

    def _ask(self, qname: str) -> dns.message.Message:
        """The first NOERROR or NXDOMAIN answer any server gives for TXT `qname`."""
        if not self.servers:
            raise _Failure(FailureCause.NO_SERVER, "no --dns-server given and none found in the system configuration")
        causes: list[str] = []
        stories: list[str] = []
        for server in self.servers:
            cause, story = self._ask_server(qname, server)
            if isinstance(cause, dns.message.Message):
                return cause
            if cause not in causes:
                causes.append(cause)
            stories.append(f"{server}: {story}")
        raise _Failure("/".join(causes), "; ".join(stories))

    def _ask_server(self, qname: str, server: NameServer) -> tuple[dns.message.Message | str, str]:
        """(answer, "") or (failure cause, what happened) for one server, with its retries."""
        cause, story = FailureCause.TIMEOUT, ""
        for attempt in range(1, self.attempts + 1):
            if self._time_left() <= 0:
                return FailureCause.TIMEOUT, f"look-up lifetime of {self.lifetime:g} s spent"
            query = dns.message.make_query(qname, dns.rdatatype.TXT, use_edns=0, payload=EDNS_PAYLOAD)
            try:
                response = self._udp(query, server)
                if response.flags & dns.flags.TC:
                    response = self._tcp(query, server)
            except dns.exception.Timeout:
                cause, story = FailureCause.TIMEOUT, f"timeout after {attempt} attempt(s) of {self.timeout:g} s"
                continue
            except (dns.exception.DNSException, ValueError) as exc:
                return FailureCause.MALFORMED, f"{FailureCause.MALFORMED} ({type(exc).__name__})"
            except EOFError:
                return FailureCause.NETWORK, f"{FailureCause.NETWORK} (connection closed by the server)"
            except OSError as exc:
                return FailureCause.NETWORK, f"{FailureCause.NETWORK} ({exc.strerror or type(exc).__name__})"
            rcode = response.rcode()
            if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return response, ""
            if rcode == dns.rcode.SERVFAIL:
                cause, story = FailureCause.SERVFAIL, f"SERVFAIL after {attempt} attempt(s)"
                continue
            if rcode == dns.rcode.REFUSED:
                return FailureCause.REFUSED, "REFUSED"
            text = dns.rcode.to_text(rcode)
            return text, text
        return cause, story

    def _udp(self, query: dns.message.Message, server: NameServer) -> dns.message.Message:
        self._counted()
        return dns.query.udp(query, server.host, timeout=self._timeout(), port=server.port, ignore_unexpected=True)

    def _tcp(self, query: dns.message.Message, server: NameServer) -> dns.message.Message:
        # A truncated UDP answer is not usable, so whatever TCP gives (or its failure) is the answer.
        self._counted()
        return dns.query.tcp(query, server.host, timeout=self._timeout(), port=server.port)

    def _time_left(self) -> float:
        ends = getattr(self._ends, "at", None)
        return self.lifetime if ends is None else ends - time.monotonic()

    def _timeout(self) -> float:
        """The query timeout, shortened to what is left of the look-up's lifetime."""
        return max(0.01, min(self.timeout, self._time_left()))

    def _counted(self) -> None:
        with self._count_lock:
            self._count += 1


def _rrset(response: dns.message.Message, name: str, rdtype: dns.rdatatype.RdataType) -> dns.rrset.RRset | None:
    """The answer-section RRset of that name and type (names compared case-insensitively)."""
    wanted = dns.name.from_text(name)
    for rrset in response.answer:
        if rrset.rdtype == rdtype and rrset.name == wanted:
            return rrset
    return None


def resolver_for(servers: Sequence[str] | None, *, timeout: float = 2.0, attempts: int = 2) -> DnsResolver:
    """A resolver from --dns-server values (`IP` or `IP:PORT`, several allowed); the system's when empty."""
    return DnsResolver(servers or None, timeout=timeout, attempts=attempts)
