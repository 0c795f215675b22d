"""DNS server addresses as the --dns-server option and the system configuration give them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class NameServer:
    """One resolver address: an IPv4 or IPv6 address and a port."""

    host: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 53 else f"{host}:{self.port}"


def parse_server(value: str) -> NameServer:
    """`IP`, `IP:PORT`, `IPv6` or `[IPv6]:PORT` (the --dns-server forms); ValueError otherwise."""
    text = value.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"DNS server {value!r}: expected [IPv6]:PORT")
            port = _port(rest[1:], value)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(port_text, value)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"DNS server {value!r} is not an IP address (IP or IP:PORT expected)") from None
    return NameServer(host, port)


def _port(text: str, value: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"DNS server {value!r}: port must be 1-65535")
    return int(text)
