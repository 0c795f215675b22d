"""--teams-url, --sharepoint-admin-url, the per-cloud admin hosts and config.approved_storage_providers."""

from __future__ import annotations

import dataclasses

import pytest

from o365cis.admin_apis.hosts import sharepoint_admin_base, teams_base
from o365cis.config import ConfigError, parse_config
from o365cis.settings import ScanSettings, SettingsError, build_settings

TENANT = "contoso.onmicrosoft.com"
CLIENT = "11111111-2222-3333-4444-555555555555"
BASE = ScanSettings(tenant_id=TENANT, client_id=CLIENT)


def settings(**values: str) -> ScanSettings:
    return build_settings({"tenant_id": TENANT, "client_id": CLIENT, "client_secret": "x", **values}, environ={})


@pytest.mark.parametrize(
    ("cloud", "teams"),
    [
        ("global", "https://api.interfaces.records.teams.microsoft.com"),
        ("usgov", "https://api.interfaces.records.gov.teams.microsoft.us"),
        ("usgovdod", "https://api.interfaces.records.gov.teams.microsoft.us"),
        ("china", None),
    ],
)
def test_the_teams_host_follows_the_cloud(cloud: str, teams: str | None) -> None:
    assert teams_base(dataclasses.replace(BASE, cloud=cloud)) == teams


def test_overrides_are_base_urls_that_may_carry_a_path() -> None:
    given = settings(teams_url="https://proxy.example/teams/", sharepoint_admin_url="https://spo.example/admin")
    assert teams_base(given) == "https://proxy.example/teams"
    assert sharepoint_admin_base(given, None) == "https://spo.example/admin"


def test_environment_variables_name_the_overrides() -> None:
    given = build_settings(
        {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": "x"},
        environ={"O365CIS_TEAMS_URL": "https://t.example", "O365CIS_SHAREPOINT_ADMIN_URL": "https://s.example"},
    )
    assert (given.teams_url, given.sharepoint_admin_url) == ("https://t.example", "https://s.example")


@pytest.mark.parametrize("option", ["teams_url", "sharepoint_admin_url"])
def test_an_override_that_is_not_https_is_a_usage_error(option: str) -> None:
    with pytest.raises(SettingsError, match=option.replace("_", "-")):
        settings(**{option: "http://plain.example"})


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        ("global", "https://contoso-admin.sharepoint.com"),
        ("usgov", "https://contoso-admin.sharepoint.us"),
        ("usgovdod", "https://contoso-admin.sharepoint-mil.us"),
        ("china", "https://contoso-admin.sharepoint.cn"),
    ],
)
def test_the_sharepoint_admin_host_comes_from_the_initial_domain(cloud: str, expected: str) -> None:
    assert sharepoint_admin_base(dataclasses.replace(BASE, cloud=cloud), "Contoso.onmicrosoft.com") == expected
    assert sharepoint_admin_base(dataclasses.replace(BASE, cloud=cloud), None) is None


def test_approved_storage_providers_are_validated_and_lowered() -> None:
    assert parse_config({"approved_storage_providers": ["Box", "dropbox"]}).approved_storage_providers == {
        "box",
        "dropbox",
    }
    assert parse_config({}).approved_storage_providers == frozenset()
    for bad in (["onedrive"], "box", [1]):
        with pytest.raises(ConfigError, match="approved_storage_providers"):
            parse_config({"approved_storage_providers": bad})
