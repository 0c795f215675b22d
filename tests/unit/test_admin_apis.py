"""The Teams and SharePoint admin API sources against the fake tenant server over real HTTPS: audiences, the Entra
role pre-flight from `wids`, 401/403 naming the grants, faults, the SharePoint opt-in, snapshot record and replay."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from o365cis.admin_apis.sharepoint import SPO_TENANT
from o365cis.admin_apis.teams import CLIENT_CONFIGURATION, FEDERATION
from o365cis.config import ScanConfig
from o365cis.findings import FailureKind, ReadError
from o365cis.scan import ScanContext, open_live_scan, open_replay_scan
from o365cis.settings import ScanSettings, Secret
from tests.fake_tenant.admin_apis import AdminApis, compliant_teams_data, mount_admin_apis
from tests.fake_tenant.certificates import AppCertificate, make_app_certificate
from tests.fake_tenant.golden import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, GOLDEN_TENANT_ID, golden_tenant
from tests.fake_tenant.identity import TEAMS_RESOURCE
from tests.fake_tenant.model import Scenario
from tests.fake_tenant.patching import with_certificate
from tests.fake_tenant.server import FakeTenantServer

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
BASE = golden_tenant(users=10)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeTenantServer, AdminApis]]:
    with FakeTenantServer() as fake:
        yield fake, mount_admin_apis(fake)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> AppCertificate:
    return make_app_certificate(tmp_path_factory.mktemp("cert"))


@pytest.fixture(autouse=True)
def short_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O365CIS_RETRY_BUDGET", "3")


def scenario(**changes: Any) -> Scenario:
    result = copy.deepcopy(BASE)
    result.extra["teams"] = compliant_teams_data()
    for name, value in changes.items():
        setattr(result, name, value)
    return result


def scan(
    server: tuple[FakeTenantServer, AdminApis],
    tenant: Scenario,
    *,
    certificate: AppCertificate | None = None,
    record: bool = False,
    sharepoint_url: bool = True,
) -> ScanContext:
    fake, handler = server
    fake.add_scenario(tenant)
    fake.faults.clear()
    handler.calls.clear()
    settings = ScanSettings(
        tenant_id=GOLDEN_TENANT_ID,
        client_id=GOLDEN_CLIENT_ID,
        client_secret=None if certificate else Secret(GOLDEN_CLIENT_SECRET),
        client_certificate=str(certificate.pem_path) if certificate else None,
        authority_url=fake.url,
        graph_url=fake.url,
        exchange_url=fake.url,
        compliance_url=fake.url,
        teams_url=f"{fake.url}/teams",
        sharepoint_admin_url=f"{fake.url}/sharepoint" if sharepoint_url else None,
        ca_bundle=fake.ca_pem_path,
    )
    return open_live_scan(settings, ScanConfig(), record=record)


def refusal(context: ScanContext, request: str) -> ReadError:
    with pytest.raises(ReadError) as caught:
        context.teams().get(request)
    return caught.value


# Teams ---------------------------------------------------------------------------------------------------------------


def test_teams_reads_both_objects_once_each_with_the_teams_audience(server: Any) -> None:
    context = scan(server, scenario())
    teams = context.teams()
    assert teams.get(FEDERATION)["AllowFederatedUsers"] is True
    assert teams.get(FEDERATION)["AllowedDomains"] == {"AllowedDomain": [{"Domain": "fabrikam.com"}]}
    assert teams.get(CLIENT_CONFIGURATION)["AllowBox"] is False
    assert [path for _, path, _ in server[1].calls] == [
        "/teams/Skype.Policy/configurations/TenantFederationSettings/configuration/global",
        "/teams/Skype.Policy/configurations/TeamsClientConfiguration/configuration/Global",
    ]


def test_the_fake_refuses_a_token_for_another_audience(server: Any) -> None:
    fake, _ = server
    fake.add_scenario(scenario())
    session = fake.client_session()
    url = f"{fake.url}/teams/Skype.Policy/configurations/TenantFederationSettings/configuration/global"
    graph_token = fake.issue_token(GOLDEN_TENANT_ID, resource=fake.url)
    assert session.get(url, headers={"Authorization": f"Bearer {graph_token}"}).status_code == 401
    teams_token = fake.issue_token(GOLDEN_TENANT_ID, resource=TEAMS_RESOURCE)
    assert session.get(url, headers={"Authorization": f"Bearer {teams_token}"}).status_code == 200


def test_wids_without_a_reading_role_fails_before_any_call(server: Any) -> None:
    context = scan(server, scenario(directory_role_ids=[DIRECTORY_READERS]))
    failure = refusal(context, FEDERATION)
    assert failure.kind is FailureKind.PERMISSION and failure.permission == "Teams admin API"
    assert "Global Reader" in str(failure) and "application_access" in str(failure) and "wids" in str(failure)
    assert server[1].calls == []


def test_wids_with_global_reader_reads(server: Any) -> None:
    context = scan(server, scenario(directory_role_ids=[GLOBAL_READER]))
    assert context.teams().get(CLIENT_CONFIGURATION)["Identity"] == "Global"


def test_a_403_without_wids_names_the_role_the_permission_and_the_missing_claim(server: Any) -> None:
    tenant = scenario()
    tenant.extra["teams"]["entra_role"] = False
    failure = refusal(scan(server, tenant), FEDERATION)
    assert failure.kind is FailureKind.PERMISSION and failure.status == 403
    text = str(failure)
    assert "Global Reader" in text and "application_access" in text and "no wids claim" in text


def test_application_access_required_by_the_tenant_is_named(server: Any) -> None:
    tenant = scenario()
    tenant.extra["teams"]["application_access"] = True
    assert "application_access" in str(refusal(scan(server, tenant), FEDERATION))
    tenant = dataclasses.replace(tenant, teams_roles=["application_access"])
    assert scan(server, tenant).teams().get(FEDERATION)["Identity"] == "Global"


def test_a_service_failure_past_the_budget_is_an_error_and_an_unknown_path_says_undocumented(server: Any) -> None:
    context = scan(server, scenario())
    server[0].faults.fail(100, status=503, path_prefix="/teams/")
    assert refusal(context, FEDERATION).kind is FailureKind.BUDGET
    server[0].faults.clear()
    tenant = scenario()
    del tenant.extra["teams"]["configurations"]["TeamsClientConfiguration"]
    failure = refusal(scan(server, tenant), CLIENT_CONFIGURATION)
    assert failure.kind is FailureKind.SERVICE and "undocumented" in str(failure)


def test_a_snapshot_replays_answers_and_failures(server: Any, tmp_path: Path) -> None:
    tenant = scenario()
    del tenant.extra["teams"]["configurations"]["TeamsClientConfiguration"]
    context = scan(server, tenant, record=True)
    context.teams().get(FEDERATION)
    with pytest.raises(ReadError):
        context.teams().get(CLIENT_CONFIGURATION)
    assert context.recorder is not None
    context.recorder.save(tmp_path / "snap.json")
    replay = open_replay_scan(str(tmp_path / "snap.json"), ScanConfig())
    assert replay.teams().get(FEDERATION)["AllowFederatedUsers"] is True
    with pytest.raises(ReadError) as caught:
        replay.teams().get(CLIENT_CONFIGURATION)
    assert caught.value.status == 404
    assert "Bearer" not in (tmp_path / "snap.json").read_text()


# SharePoint (opt-in) -------------------------------------------------------------------------------------------------


def test_a_secret_sign_in_never_tries_sharepoint(server: Any) -> None:
    source = scan(server, scenario(sharepoint_roles=["Sites.FullControl.All"])).sharepoint()
    assert "certificate" in (source.skipped() or "") and "Sites.FullControl.All" in (source.skipped() or "")
    assert server[1].calls == []


def test_a_replay_says_why_sharepoint_was_not_tried_as_the_scan_did(server: Any, tmp_path: Path) -> None:
    context = scan(server, scenario(), record=True)
    live = context.sharepoint().skipped()
    assert live is not None and context.recorder is not None
    context.recorder.save(tmp_path / "snap.json")
    assert open_replay_scan(str(tmp_path / "snap.json"), ScanConfig()).sharepoint().skipped() == live


def test_a_certificate_without_the_permission_is_not_tried(server: Any, certificate: AppCertificate) -> None:
    source = scan(server, with_certificate(scenario(), certificate), certificate=certificate).sharepoint()
    assert "holds no Sites.FullControl.All" in (source.skipped() or "")


def test_a_certificate_with_the_permission_reads_the_tenant(server: Any, certificate: AppCertificate) -> None:
    tenant = with_certificate(scenario(sharepoint_roles=["Sites.FullControl.All"]), certificate)
    tenant.extra["sharepoint"] = {"tenant": {"DisallowInfectedFileDownload": False}}
    source = scan(server, tenant, certificate=certificate).sharepoint()
    assert source.skipped() is None
    assert source.tenant()["d"]["DisallowInfectedFileDownload"] is False
    assert server[1].calls == [("sharepoint", "/sharepoint/_api/SPO.Tenant", 200)]


def test_once_tried_a_failed_read_is_an_error(server: Any, certificate: AppCertificate) -> None:
    tenant = with_certificate(scenario(sharepoint_roles=["Sites.FullControl.All"]), certificate)
    context = scan(server, tenant, certificate=certificate)
    server[0].faults.fail(100, status=503, path_prefix="/sharepoint/")
    source = context.sharepoint()
    assert source.skipped() is None
    with pytest.raises(ReadError) as caught:
        source.tenant()
    assert caught.value.kind is FailureKind.BUDGET and caught.value.request == SPO_TENANT


def test_the_default_admin_host_comes_from_the_initial_domain(server: Any, certificate: AppCertificate) -> None:
    # No --sharepoint-admin-url: the scope is https://<prefix>-admin.sharepoint.com, which the fake does not host, so
    # no token can be had and the source is not tried (it says why), rather than failing.
    tenant = with_certificate(scenario(sharepoint_roles=["Sites.FullControl.All"]), certificate)
    source = scan(server, tenant, certificate=certificate, sharepoint_url=False).sharepoint()
    assert "no SharePoint admin token" in (source.skipped() or "")
