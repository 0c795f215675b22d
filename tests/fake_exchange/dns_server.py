"""A real DNS server on 127.0.0.1 (UDP and TCP, dnslib) answering from a zone dict, with failure simulations.

Zone format (also what a scenario keeps under `extra["dns"]`): name -> entry, where an entry may hold
  "TXT":      list of records; a record is a string, or a list of strings sent as separate character-strings
  "CNAME":    target name (followed within the zone, like a recursive resolver, unless chase_cnames=False)
  "rcode":    "SERVFAIL", "REFUSED", ... answered instead of data
  "timeout":  true: never answered (UDP and TCP)
  "truncate": true: UDP answers carry TC and no records, so the client must ask again over TCP
A name with an empty entry exists without data (NODATA); a name absent from the zone is NXDOMAIN.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Mapping
from typing import Any, Self

from dnslib import CNAME, QTYPE, RCODE, RR, TXT, DNSRecord

Zone = Mapping[str, Mapping[str, Any]]


def _norm(name: str) -> str:
    return str(name).strip().rstrip(".").lower()


def _txt_rdata(record: str | list[str]) -> TXT:
    # A character-string holds at most 255 bytes (RFC 1035 3.3): longer text is split, as DNS hosts do.
    parts = record if isinstance(record, list) else [record]
    chunks = [raw[i : i + 255] for raw in (p.encode("utf-8") for p in parts) for i in range(0, max(len(raw), 1), 255)]
    return TXT(chunks)


class FakeDnsServer:
    """Serves one zone on 127.0.0.1 over UDP and TCP on the same port; records every query it gets."""

    def __init__(self, zone: Zone | None = None, *, chase_cnames: bool = True) -> None:
        self.zone: dict[str, dict[str, Any]] = {}
        self.set_zone(zone or {})
        self.chase_cnames = chase_cnames
        self.queries: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self._udp, self._tcp = self._bind()
        self._threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for server in (self._udp, self._tcp)
        ]

    # ------------------------------------------------------------------ lifecycle
    def _bind(self) -> tuple[socketserver.UDPServer, socketserver.TCPServer]:
        outer = self
        for _ in range(20):
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _UdpHandler)
            port = udp.server_address[1]
            try:
                tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), _TcpHandler, bind_and_activate=False)
                tcp.allow_reuse_address = True
                tcp.server_bind()
                tcp.server_activate()
            except OSError:
                udp.server_close()
                continue
            udp.daemon_threads = tcp.daemon_threads = True
            udp.fake = tcp.fake = outer  # type: ignore[attr-defined]
            return udp, tcp
        raise RuntimeError("no free port for the fake DNS server")

    @property
    def port(self) -> int:
        return int(self._udp.server_address[1])

    @property
    def address(self) -> str:
        """`127.0.0.1:PORT`, the --dns-server form."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_zone(self, zone: Zone) -> None:
        """Replace the zone served (names normalised)."""
        self.zone = {_norm(name): dict(entry or {}) for name, entry in zone.items()}

    def queries_for(self, name: str) -> list[tuple[str, str, str]]:
        return [q for q in self.queries if q[0] == _norm(name)]

    # ------------------------------------------------------------------ answering
    def answer(self, data: bytes, transport: str) -> bytes | None:
        """The wire answer to one query, or None to stay silent (timeout simulation)."""
        try:
            request = DNSRecord.parse(data)
        except Exception:  # noqa: BLE001 - garbage in: no answer, like a real server
            return None
        qname = _norm(str(request.q.qname))
        with self._lock:
            self.queries.append((qname, QTYPE[request.q.qtype], transport))
        entry = self.zone.get(qname)
        if entry is not None and entry.get("timeout"):
            return None
        reply = request.reply()
        if entry is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply.pack()
        if entry.get("rcode"):
            reply.header.rcode = getattr(RCODE, str(entry["rcode"]).upper())
            return reply.pack()
        if transport == "udp" and entry.get("truncate"):
            reply.header.tc = 1
            return reply.pack()
        self._fill(reply, qname, request.q.qtype)
        packed = reply.pack()
        if transport == "udp" and len(packed) > _udp_limit(request):
            truncated = request.reply()
            truncated.header.tc = 1
            return truncated.pack()
        return packed

    def _fill(self, reply: DNSRecord, qname: str, qtype: int) -> None:
        name, seen = qname, set()
        while True:
            entry = self.zone.get(name)
            if entry is None:
                if name != qname:
                    reply.header.rcode = RCODE.NXDOMAIN  # the chain ends at a name that does not exist
                return
            if entry.get("CNAME") and qtype != QTYPE.CNAME:
                target = _norm(entry["CNAME"])
                reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(target), ttl=300))
                if not self.chase_cnames or target in seen:
                    return
                seen.add(name)
                follow = self.zone.get(target)
                if follow is not None and (follow.get("timeout") or follow.get("rcode")):
                    return  # leave the failing target for the client to ask about
                name = target
                continue
            if qtype == QTYPE.TXT:
                for record in entry.get("TXT") or []:
                    reply.add_answer(RR(name, QTYPE.TXT, rdata=_txt_rdata(record), ttl=300))
            return


def _udp_limit(request: DNSRecord) -> int:
    for rr in request.ar:
        if rr.rtype == QTYPE.OPT:
            return max(512, int(rr.rclass))
    return 512


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        answer = self.server.fake.answer(data, "udp")  # type: ignore[attr-defined]
        if answer is not None:
            sock.sendto(answer, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        try:
            while True:
                header = _recv_exact(conn, 2)
                if header is None:
                    return
                (length,) = struct.unpack("!H", header)
                data = _recv_exact(conn, length)
                if data is None:
                    return
                answer = self.server.fake.answer(data, "tcp")  # type: ignore[attr-defined]
                if answer is None:
                    return
                conn.sendall(struct.pack("!H", len(answer)) + answer)
        except OSError:
            return


def _recv_exact(conn: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks
