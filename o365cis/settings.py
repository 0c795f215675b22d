"""Scan settings from command-line options and environment variables (README.md, Options)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from o365cis.dns.servers import parse_server


class SettingsError(ValueError):
    """An option or variable is missing or malformed; the message is one line."""


@dataclass(frozen=True)
class Cloud:
    """The service hosts of one Microsoft cloud."""

    login: str
    graph: str
    exchange: str
    compliance: str


# National cloud endpoints: https://learn.microsoft.com/graph/deployments and the Exchange Online
# PowerShell environment names (O365USGovGCCHigh, O365USGovDoD, O365China).
CLOUDS: dict[str, Cloud] = {
    "global": Cloud(
        "https://login.microsoftonline.com",
        "https://graph.microsoft.com",
        "https://outlook.office365.com",
        "https://ps.compliance.protection.outlook.com",
    ),
    "usgov": Cloud(
        "https://login.microsoftonline.us",
        "https://graph.microsoft.us",
        "https://outlook.office365.us",
        "https://ps.compliance.protection.office365.us",
    ),
    "usgovdod": Cloud(
        "https://login.microsoftonline.us",
        "https://dod-graph.microsoft.us",
        "https://webmail.apps.mil",
        "https://l5.ps.compliance.protection.office365.us",
    ),
    "china": Cloud(
        "https://login.chinacloudapi.cn",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://partner.outlook.cn",
        "https://ps.compliance.protection.partner.outlook.cn",
    ),
}

GUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")

#: The conservative cap USE_RATE_LIMITER=True turns on (requests per second per scan).
DEFAULT_RATE_LIMIT = 4.0


class Secret(str):
    """A string that never shows itself in repr, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"


def is_tenant_id(value: str) -> bool:
    """A tenant is named by its GUID or one of its verified domain names."""
    return bool(GUID_PATTERN.match(value) or DOMAIN_PATTERN.match(value))


def _https_url(value: str, name: str) -> str:
    value = value.strip().rstrip("/")
    if not re.match(r"^https://[^/\s]+(:\d+)?(/[^\s]*)?$", value):
        raise SettingsError(f"{name} must be an https:// URL, got {value!r}")
    return value


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ScanSettings:
    """Everything needed to reach a tenant's services."""

    tenant_id: str
    client_id: str
    client_secret: Secret | None = None
    client_certificate: str | None = None
    client_certificate_password: Secret | None = None
    cloud: str = "global"
    authority_url: str = CLOUDS["global"].login
    graph_url: str = CLOUDS["global"].graph
    exchange_url: str = CLOUDS["global"].exchange
    compliance_url: str = CLOUDS["global"].compliance
    ca_bundle: str | None = None
    dns_servers: tuple[str, ...] = ()
    rate_limit: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def authority(self) -> str:
        return f"{self.authority_url}/{self.tenant_id}"

    @property
    def is_microsoft_authority(self) -> bool:
        return any(self.authority_url == cloud.login for cloud in CLOUDS.values())


def resolve_hosts(
    cloud: str | None,
    authority_url: str | None,
    graph_url: str | None,
    exchange_url: str | None,
    compliance_url: str | None,
) -> tuple[str, str, str, str, str]:
    """Cloud defaults with the per-host overrides applied (compliance follows an overridden exchange)."""
    cloud_name = (cloud or "global").strip().lower()
    if cloud_name not in CLOUDS:
        raise SettingsError(f"--cloud must be one of {', '.join(CLOUDS)}, got {cloud!r}")
    hosts = CLOUDS[cloud_name]
    exchange = _https_url(exchange_url, "--exchange-url") if exchange_url else hosts.exchange
    if compliance_url:
        compliance = _https_url(compliance_url, "--compliance-url")
    elif exchange_url:
        compliance = exchange
    else:
        compliance = hosts.compliance
    return (
        cloud_name,
        _https_url(authority_url, "--authority-url") if authority_url else hosts.login,
        _https_url(graph_url, "--graph-url") if graph_url else hosts.graph,
        exchange,
        compliance,
    )


def parse_rate_limit(value: str | float | None, use_rate_limiter: str | None = None) -> float | None:
    """--rate-limit / O365CIS_RATE_LIMIT, or the conservative default when USE_RATE_LIMITER is true."""
    if value not in (None, ""):
        try:
            rate = float(value)  # type: ignore[arg-type]
        except ValueError:
            raise SettingsError(f"--rate-limit must be a number of requests per second, got {value!r}") from None
        if not math.isfinite(rate) or rate <= 0:
            raise SettingsError("--rate-limit must be a positive number of requests per second")
        return rate
    if truthy(use_rate_limiter):
        return DEFAULT_RATE_LIMIT
    return None


def parse_dns_servers(values: list[str] | tuple[str, ...] | str | None) -> tuple[str, ...]:
    """`IP` or `IP:PORT` entries (the variable is comma-separated)."""
    if not values:
        return ()
    items = values.split(",") if isinstance(values, str) else [v for value in values for v in value.split(",")]
    servers = tuple(item.strip() for item in items if item.strip())
    for server in servers:
        try:
            parse_server(server)
        except ValueError:
            raise SettingsError(f"--dns-server must be IP or IP:PORT (IPv6 as [IP]:PORT), got {server!r}") from None
    return servers


def build_settings(values: Mapping[str, object | None], environ: Mapping[str, str] | None = None) -> ScanSettings:
    """ScanSettings from option values (None = not given), falling back to the environment.

    Raises SettingsError naming every missing option and its variable in one line.
    """
    env = os.environ if environ is None else environ

    def pick(option: str, variable: str | None) -> str | None:
        value = values.get(option)
        if value in (None, "") and variable:
            value = env.get(variable)
        return None if value in (None, "") else str(value)

    tenant = pick("tenant_id", "AZURE_TENANT_ID")
    client = pick("client_id", "AZURE_CLIENT_ID")
    secret = pick("client_secret", "AZURE_CLIENT_SECRET")
    certificate = pick("client_certificate", "AZURE_CLIENT_CERTIFICATE_PATH")
    missing = []
    if not tenant:
        missing.append("--tenant-id (AZURE_TENANT_ID)")
    if not client:
        missing.append("--client-id (AZURE_CLIENT_ID)")
    if not secret and not certificate:
        missing.append("a credential: AZURE_CLIENT_SECRET or --client-certificate (AZURE_CLIENT_CERTIFICATE_PATH)")
    if missing:
        raise SettingsError(
            "missing " + ", ".join(missing) + "; or use --demo, or --snapshot FILE, to scan without a tenant"
        )
    assert tenant and client
    if not is_tenant_id(tenant):
        raise SettingsError(f"--tenant-id must be a GUID or a domain name, got {tenant!r}")
    if not GUID_PATTERN.match(client):
        raise SettingsError(f"--client-id must be the application (client) id, a GUID; got {client!r}")
    if certificate and not secret and not Path(certificate).is_file():
        raise SettingsError(f"--client-certificate: no such file {certificate}")
    ca_bundle = pick("ca_bundle", "O365CIS_CA_BUNDLE")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise SettingsError(f"--ca-bundle: no such file {ca_bundle}")
    cloud, login, graph, exchange, compliance = resolve_hosts(
        pick("cloud", "O365CIS_CLOUD"),
        pick("authority_url", "O365CIS_AUTHORITY_URL"),
        pick("graph_url", "O365CIS_GRAPH_URL"),
        pick("exchange_url", "O365CIS_EXCHANGE_URL"),
        pick("compliance_url", "O365CIS_COMPLIANCE_URL"),
    )
    dns_option = values.get("dns_servers")
    password = pick("client_certificate_password", "AZURE_CLIENT_CERTIFICATE_PASSWORD")
    return ScanSettings(
        tenant_id=tenant,
        client_id=client,
        client_secret=Secret(secret) if secret else None,
        client_certificate=certificate if not secret else None,
        client_certificate_password=Secret(password) if password else None,
        cloud=cloud,
        authority_url=login,
        graph_url=graph,
        exchange_url=exchange,
        compliance_url=compliance,
        ca_bundle=ca_bundle,
        dns_servers=parse_dns_servers(dns_option if dns_option else env.get("O365CIS_DNS_SERVERS")),  # type: ignore[arg-type]
        rate_limit=parse_rate_limit(pick("rate_limit", "O365CIS_RATE_LIMIT"), env.get("USE_RATE_LIMITER")),
    )
