"""Runs the real suite against fake tenants over HTTPS: the servers, the command line, the results."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fake_exchange.dns_server import FakeDnsServer
from tests.fake_exchange.exchange_handler import ExchangeHandler, mount_exchange
from tests.fake_tenant.admin_apis import AdminApis, mount_admin_apis
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.server import FakeTenantServer


@dataclass
class FakeCloud:
    """One HTTPS server (identity platform, Graph, Exchange admin API) and one DNS server on loopback."""

    server: FakeTenantServer
    exchange: ExchangeHandler
    dns: FakeDnsServer
    admin_apis: AdminApis | None = None

    @property
    def teams_url(self) -> str:
        """The fake Teams admin API's base URL (--teams-url)."""
        return f"{self.server.url}/teams"

    @property
    def sharepoint_admin_url(self) -> str:
        """The fake SharePoint admin host's base URL (--sharepoint-admin-url)."""
        return f"{self.server.url}/sharepoint"

    def add(self, scenario: Scenario) -> Scenario:
        """Serve another tenant (its DNS records join the shared zone)."""
        self.server.add_scenario(scenario)
        zone = dict(self.dns.zone)
        zone.update(scenario.extra.get("dns") or {})
        self.dns.set_zone(zone)
        return scenario

    def client(self, scenario: Scenario) -> tuple[str, str]:
        """(client id, secret) of the scenario's first app registration with a secret."""
        for client_id, app in scenario.clients.items():
            if app.secret:
                return client_id, app.secret
        raise LookupError(f"scenario {scenario.tenant_id} has no client secret")

    def args(self, scenario: Scenario, *, client_id: str | None = None) -> list[str]:
        """The command-line options of a scan of this tenant (the secret goes in the environment)."""
        return [
            "--tenant-id",
            scenario.tenant_id,
            "--client-id",
            client_id or self.client(scenario)[0],
            "--authority-url",
            self.server.url,
            "--graph-url",
            self.server.url,
            "--exchange-url",
            self.server.url,
            "--teams-url",
            self.teams_url,
            "--sharepoint-admin-url",
            self.sharepoint_admin_url,
            f"--ca-bundle={self.server.ca_pem_path}",
            f"--dns-server={self.dns.address}",
        ]

    def env(self, scenario: Scenario) -> dict[str, str]:
        """Environment of a scan: the secret as AZURE_CLIENT_SECRET, a short retry budget."""
        return {"AZURE_CLIENT_SECRET": self.client(scenario)[1], "O365CIS_RETRY_BUDGET": "20"}


@contextmanager
def fake_cloud(scenarios: Iterable[Scenario] = (), *, page_size: int = 25) -> Iterator[FakeCloud]:
    """Start the fake services, serving the given tenants."""
    with FakeTenantServer(page_size=page_size) as server, FakeDnsServer() as dns:
        cloud = FakeCloud(server, mount_exchange(server), dns, mount_admin_apis(server))
        for scenario in scenarios:
            cloud.add(scenario)
        yield cloud


def write_config(path: Path, config: dict[str, Any]) -> Path:
    """A --cis-config file."""
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def statuses(results_json: Path) -> dict[str, str]:
    """id -> status of a results document."""
    return {r["id"]: r["status"] for r in json.loads(results_json.read_text(encoding="utf-8"))["results"]}


def results(results_json: Path) -> dict[str, dict[str, Any]]:
    """id -> result of a results document."""
    return {r["id"]: r for r in json.loads(results_json.read_text(encoding="utf-8"))["results"]}


def scan_command(cloud: FakeCloud, scenario: Scenario, out: Path, extra: Sequence[str] = ()) -> list[str]:
    """The full `pytest` argument list of a scan writing its reports under `out`."""
    return [
        *cloud.args(scenario),
        "-p",
        "no:cacheprovider",
        f"--cis-json={out / 'results.json'}",
        f"--cis-csv={out / 'results.csv'}",
        f"--html={out / 'report.html'}",
        f"--junitxml={out / 'junit.xml'}",
        *extra,
    ]
