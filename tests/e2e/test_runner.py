"""o365cis.runner.run_scan, as the Lambda scan function calls it: in-process, reports in one folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from o365cis.runner import ScanRequest, run_scan
from tests.harness.scan import fake_cloud
from tests.harness.tenants import full_golden_tenant


@pytest.fixture(scope="module")
def cloud_and_tenant():  # type: ignore[no-untyped-def]
    tenant = full_golden_tenant(40)
    with fake_cloud([tenant]) as cloud:
        yield cloud, tenant


def request_for(cloud, tenant, **overrides) -> ScanRequest:  # type: ignore[no-untyped-def]
    client_id, secret = cloud.client(tenant)
    values = dict(
        tenant_id=tenant.tenant_id,
        client_id=client_id,
        client_secret=secret,
        authority_url=cloud.server.url,
        graph_url=cloud.server.url,
        exchange_url=cloud.server.url,
        teams_url=cloud.teams_url,
        sharepoint_admin_url=cloud.sharepoint_admin_url,
        ca_bundle=cloud.server.ca_pem_path,
        dns_servers=(cloud.dns.address,),
    )
    values.update(overrides)
    return ScanRequest(**values)


def test_a_scan_writes_all_four_reports_and_its_summary(cloud_and_tenant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cloud, tenant = cloud_and_tenant
    outcome = run_scan(request_for(cloud, tenant), tmp_path / "scan")

    assert outcome.error is None
    assert {p.name for p in (outcome.json_path, outcome.html_path, outcome.junit_path, outcome.csv_path) if p} == {
        "results.json",
        "report.html",
        "junit.xml",
        "results.csv",
    }
    document = json.loads(outcome.json_path.read_text())  # type: ignore[union-attr]
    assert sum(outcome.summary.values()) == len(document["results"]) == 84
    assert cloud.client(tenant)[1] not in outcome.json_path.read_text()  # type: ignore[union-attr]


def test_a_time_limit_stops_the_run_and_says_so(cloud_and_tenant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cloud, tenant = cloud_and_tenant
    outcome = run_scan(request_for(cloud, tenant), tmp_path / "scan", time_limit=0.0)

    assert outcome.error is not None and outcome.error.startswith("timeout: the scan reached its time limit")
    assert 1 <= sum(outcome.summary.values()) < 84


def test_bad_credentials_are_one_line_without_the_secret(cloud_and_tenant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cloud, tenant = cloud_and_tenant
    outcome = run_scan(request_for(cloud, tenant, client_secret="wrong~Secret~123"), tmp_path / "scan")

    assert outcome.exit_code == 4
    assert outcome.error is not None and "AADSTS7000215" in outcome.error and "\n" not in outcome.error
    assert "wrong~Secret~123" not in outcome.error
    assert outcome.json_path is None
