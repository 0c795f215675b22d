"""Records the bundled demo snapshot (o365cis/demo/demo_tenant.json) by scanning the fake demo tenant.

The demo is a real scan: the fake identity platform, Graph, Exchange admin API and DNS of tests/ serve
"Northwind Traders" over HTTPS on loopback, the suite runs against them with --snapshot-save, and the
snapshot it writes is what `pytest --demo` replays. The scan signs in with a certificate whose app holds
SharePoint's Sites.FullControl.All, so the snapshot also holds the Teams admin API's answers (3.3, 3.7) and the
opt-in SharePoint admin API's (2.5). Rerun after changing the demo tenant:

    python tools/make_demo_snapshot.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fake_tenant.certificates import make_app_certificate  # noqa: E402
from tests.fake_tenant.named import demo_tenant  # noqa: E402
from tests.fake_tenant.patching import with_certificate  # noqa: E402
from tests.harness.scan import fake_cloud, write_config  # noqa: E402
from tests.harness.tenants import with_exchange_and_dns  # noqa: E402

TARGET = REPO / "o365cis" / "demo" / "demo_tenant.json"
CONFIG_TARGET = REPO / "o365cis" / "demo" / "demo_config.yaml"


def demo_config(scenario) -> dict:  # type: ignore[no-untyped-def]
    """The organisation's facts `--demo` evaluates with: its break-glass account, its approved groups, a waiver."""
    config = {key: list(value) for key, value in scenario.extra["config"].items()}
    # 3.7: the organisation approves Box, which its Teams offers.
    config["approved_storage_providers"] = ["box"]
    config["waivers"] = [
        {
            "id": "6.1",
            "reason": "Partner extranet migration: domain allow list goes live in Q1",
            "expires": "2027-03-31",
        }
    ]
    return config


def demo_scenario():  # type: ignore[no-untyped-def]
    """Northwind Traders with Exchange and DNS: a believable mix of passes and failures."""
    scenario = with_exchange_and_dns(demo_tenant())
    exchange = scenario.extra["exchange"]["cmdlets"]
    # Exchange: a few common misconfigurations of a mid-size organisation.
    for policy in exchange["Get-SharingPolicy"]:
        if policy.get("Default"):
            policy["Enabled"] = True
            policy["Domains"] = ["*:CalendarSharingFreeBusySimple"]
    for policy in exchange["Get-HostedOutboundSpamFilterPolicy"]:
        if policy.get("IsDefault"):
            policy["AutoForwardingMode"] = "Automatic"
    for domain in exchange["Get-RemoteDomain"]:
        if domain.get("DomainName") == "*":
            domain["AutoForwardEnabled"] = True
    for org in exchange["Get-OrganizationConfig"]:
        org["MailTipsAllTipsEnabled"] = False
    for policy in exchange["Get-OwaMailboxPolicy"]:
        policy["AdditionalStorageProvidersAvailable"] = True
    # DNS: one domain without DMARC, one whose SPF does not authorise Exchange Online.
    zone = scenario.extra["dns"]
    zone.pop("_dmarc.northwindtraders.co.uk", None)
    zone["northwindtraders.co.uk"] = {"TXT": ["v=spf1 include:_spf.mailhost.example -all"]}
    # Teams: external access open to every domain (3.3 fails); Box offered and approved (3.7 passes).
    teams = scenario.extra["teams"]["configurations"]
    teams["TenantFederationSettings"]["AllowedDomains"] = {"AllowAllKnownDomains": {}}
    teams["TeamsClientConfiguration"]["AllowBox"] = True
    # SharePoint (opt-in, certificate sign-in): infected files cannot be downloaded (2.5 passes).
    scenario.sharepoint_roles = ["Sites.FullControl.All"]
    scenario.extra["sharepoint"] = {"tenant": {"DisallowInfectedFileDownload": True}}
    return scenario


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        return record(Path(work))


def record(out: Path) -> int:
    # A certificate sign-in (made for this run only): SharePoint accepts app-only tokens signed with one alone.
    certificate = make_app_certificate(out / "certificate")
    scenario = with_certificate(demo_scenario(), certificate)
    with fake_cloud([scenario]) as cloud:
        work = str(out)
        config = write_config(CONFIG_TARGET, demo_config(scenario))
        snapshot = out / "snapshot.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *cloud.args(scenario),
            f"--cis-config={config}",
            f"--snapshot-save={snapshot}",
            f"--cis-json={out / 'results.json'}",
            f"--html={out / 'report.html'}",
            f"--junitxml={out / 'junit.xml'}",
            f"--cis-csv={out / 'results.csv'}",
            f"--client-certificate={certificate.pem_path}",
        ]
        env = {**os.environ, **cloud.env(scenario), "AZURE_CLIENT_SECRET": ""}
        run = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        print(run.stdout[-1500:])
        if not snapshot.is_file():
            print(run.stderr[-3000:], file=sys.stderr)
            return 1
        data = json.loads(snapshot.read_text())
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        TARGET.write_text(json.dumps(data, indent=None, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
        summary = json.loads((out / "results.json").read_text())["summary"]
        print(f"wrote {TARGET.relative_to(REPO)} ({TARGET.stat().st_size // 1024} KiB): {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
