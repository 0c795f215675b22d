"""o365cis.settings: options and variables (CONTRACT section 1), clouds, host overrides, secrets, rate limit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from o365cis.settings import (
    CLOUDS,
    DEFAULT_RATE_LIMIT,
    ScanSettings,
    Secret,
    SettingsError,
    build_settings,
    parse_dns_servers,
    parse_rate_limit,
    resolve_hosts,
)

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OTHER_CLIENT = "ffffffff-eeee-dddd-cccc-bbbbbbbbbbbb"
SECRET = "s3cr3t~value.with-chars"


def minimal(**extra: object) -> dict[str, object | None]:
    """Option values for a scan with a client secret."""
    return {"tenant_id": TENANT, "client_id": CLIENT, "client_secret": SECRET, **extra}


# Missing options -------------------------------------------------------------------------------


def test_nothing_given_lists_every_missing_option_in_one_line() -> None:
    with pytest.raises(SettingsError) as caught:
        build_settings({}, environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert "--tenant-id (AZURE_TENANT_ID)" in message
    assert "--client-id (AZURE_CLIENT_ID)" in message
    assert "AZURE_CLIENT_SECRET" in message
    assert "--client-certificate (AZURE_CLIENT_CERTIFICATE_PATH)" in message
    assert "--demo" in message and "--snapshot" in message


def test_only_the_missing_options_are_named() -> None:
    with pytest.raises(SettingsError) as caught:
        build_settings({"client_id": CLIENT, "client_secret": SECRET}, environ={})
    message = str(caught.value)
    assert "--tenant-id" in message
    assert "--client-id" not in message
    assert "credential" not in message


def test_empty_option_counts_as_not_given() -> None:
    with pytest.raises(SettingsError, match="--tenant-id"):
        build_settings(minimal(tenant_id=""), environ={})


def test_environ_argument_replaces_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    with pytest.raises(SettingsError, match="--tenant-id"):
        build_settings({"client_id": CLIENT, "client_secret": SECRET}, environ={})


def test_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    settings = build_settings({})
    assert (settings.tenant_id, settings.client_id, str(settings.client_secret)) == (TENANT, CLIENT, SECRET)


# Option versus variable ------------------------------------------------------------------------


def test_everything_from_variables() -> None:
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_SECRET": SECRET}
    settings = build_settings({"tenant_id": None, "client_id": None}, environ=env)
    assert settings.tenant_id == TENANT
    assert settings.client_id == CLIENT
    assert str(settings.client_secret) == SECRET
    assert settings.cloud == "global"


@pytest.mark.parametrize(
    ("option", "variable", "given", "ignored", "read"),
    [
        ("tenant_id", "AZURE_TENANT_ID", TENANT, OTHER_TENANT, lambda s: s.tenant_id),
        ("client_id", "AZURE_CLIENT_ID", CLIENT, OTHER_CLIENT, lambda s: s.client_id),
        ("client_secret", "AZURE_CLIENT_SECRET", "from-option", "from-env", lambda s: str(s.client_secret)),
        ("cloud", "O365CIS_CLOUD", "china", "usgov", lambda s: s.cloud),
        (
            "authority_url",
            "O365CIS_AUTHORITY_URL",
            "https://login.option.test",
            "https://login.env.test",
            lambda s: s.authority_url,
        ),
        (
            "graph_url",
            "O365CIS_GRAPH_URL",
            "https://graph.option.test",
            "https://graph.env.test",
            lambda s: s.graph_url,
        ),
        (
            "exchange_url",
            "O365CIS_EXCHANGE_URL",
            "https://exo.option.test",
            "https://exo.env.test",
            lambda s: s.exchange_url,
        ),
        (
            "compliance_url",
            "O365CIS_COMPLIANCE_URL",
            "https://scc.option.test",
            "https://scc.env.test",
            lambda s: s.compliance_url,
        ),
        ("rate_limit", "O365CIS_RATE_LIMIT", "2", "9", lambda s: s.rate_limit),
        ("dns_servers", "O365CIS_DNS_SERVERS", ["127.0.0.1:5353"], "10.0.0.1", lambda s: s.dns_servers),
        (
            "client_certificate_password",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "pw-option",
            "pw-env",
            lambda s: str(s.client_certificate_password),
        ),
    ],
)
def test_option_beats_variable(
    option: str, variable: str, given: object, ignored: str, read: Callable[[ScanSettings], object]
) -> None:
    from_option = read(build_settings(minimal(**{option: given}), environ={variable: ignored}))
    from_env = read(build_settings(minimal(**{option: None}), environ={variable: ignored}))
    expected = {"rate_limit": 2.0, "dns_servers": ("127.0.0.1:5353",)}.get(option, given)
    assert from_option == expected
    assert from_env != from_option


def test_ca_bundle_option_beats_variable(tmp_path: Path) -> None:
    option_file, env_file = tmp_path / "option.pem", tmp_path / "env.pem"
    option_file.write_text("x")
    env_file.write_text("y")
    env = {"O365CIS_CA_BUNDLE": str(env_file)}
    assert build_settings(minimal(ca_bundle=str(option_file)), environ=env).ca_bundle == str(option_file)
    assert build_settings(minimal(), environ=env).ca_bundle == str(env_file)


def test_missing_ca_bundle_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(SettingsError, match=r"--ca-bundle: no such file .*nope\.pem"):
        build_settings(minimal(ca_bundle=str(missing)), environ={})


# Identity values -------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", [TENANT, TENANT.upper(), "contoso.onmicrosoft.com", "corp.contoso.com"])
def test_tenant_may_be_a_guid_or_a_domain(tenant: str) -> None:
    assert build_settings(minimal(tenant_id=tenant), environ={}).tenant_id == tenant


@pytest.mark.parametrize("tenant", ["not a tenant", "contoso", "1234", "https://contoso.com"])
def test_bad_tenant_is_named(tenant: str) -> None:
    with pytest.raises(SettingsError, match="--tenant-id must be a GUID or a domain name"):
        build_settings(minimal(tenant_id=tenant), environ={})


def test_client_id_must_be_a_guid() -> None:
    with pytest.raises(SettingsError, match="--client-id must be the application"):
        build_settings(minimal(client_id="my-app"), environ={})


def test_certificate_instead_of_a_secret(tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = build_settings(
        {"tenant_id": TENANT, "client_id": CLIENT, "client_certificate": str(pem)},
        environ={"AZURE_CLIENT_CERTIFICATE_PASSWORD": "pw"},
    )
    assert settings.client_secret is None
    assert settings.client_certificate == str(pem)
    assert isinstance(settings.client_certificate_password, Secret)
    assert str(settings.client_certificate_password) == "pw"


def test_certificate_path_from_its_variable(tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("x")
    env = {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT, "AZURE_CLIENT_CERTIFICATE_PATH": str(pem)}
    assert build_settings({}, environ=env).client_certificate == str(pem)


def test_missing_certificate_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"--client-certificate: no such file"):
        build_settings(
            {"tenant_id": TENANT, "client_id": CLIENT, "client_certificate": str(tmp_path / "x.pem")}, environ={}
        )


def test_a_secret_takes_precedence_over_a_certificate(tmp_path: Path) -> None:
    settings = build_settings(minimal(client_certificate=str(tmp_path / "unused.pem")), environ={})
    assert str(settings.client_secret) == SECRET
    assert settings.client_certificate is None


# Secrets ---------------------------------------------------------------------------------------


def test_secret_repr_hides_the_value() -> None:
    secret = Secret(SECRET)
    assert SECRET not in repr(secret)
    assert str(secret) == SECRET, "msal needs the real value"


def test_settings_repr_hides_secret_and_certificate_password(tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("x")
    with_secret = build_settings(minimal(), environ={})
    with_certificate = build_settings(
        {
            "tenant_id": TENANT,
            "client_id": CLIENT,
            "client_certificate": str(pem),
            "client_certificate_password": "pa55word!",
        },
        environ={},
    )
    assert SECRET not in repr(with_secret)
    assert "pa55word!" not in repr(with_certificate)
    assert "pa55word!" not in f"{with_certificate!r} {[with_certificate]}"


# Clouds and hosts ------------------------------------------------------------------------------

# Endpoints of the national clouds: https://learn.microsoft.com/graph/deployments and the
# Exchange Online / Security & Compliance PowerShell connection documentation.
EXPECTED_HOSTS = {
    "global": (
        "https://login.microsoftonline.com",
        "https://graph.microsoft.com",
        "https://outlook.office365.com",
        "https://ps.compliance.protection.outlook.com",
    ),
    "usgov": (
        "https://login.microsoftonline.us",
        "https://graph.microsoft.us",
        "https://outlook.office365.us",
        "https://ps.compliance.protection.office365.us",
    ),
    "usgovdod": (
        "https://login.microsoftonline.us",
        "https://dod-graph.microsoft.us",
        "https://webmail.apps.mil",
        "https://l5.ps.compliance.protection.office365.us",
    ),
    "china": (
        "https://login.chinacloudapi.cn",
        "https://microsoftgraph.chinacloudapi.cn",
        "https://partner.outlook.cn",
        "https://ps.compliance.protection.partner.outlook.cn",
    ),
}


def test_the_four_clouds_are_known() -> None:
    assert set(CLOUDS) == set(EXPECTED_HOSTS)


@pytest.mark.parametrize("cloud", sorted(EXPECTED_HOSTS))
def test_cloud_picks_its_hosts(cloud: str) -> None:
    settings = build_settings(minimal(cloud=cloud), environ={})
    login, graph, exchange, compliance = EXPECTED_HOSTS[cloud]
    assert settings.cloud == cloud
    assert (settings.authority_url, settings.graph_url, settings.exchange_url, settings.compliance_url) == (
        login,
        graph,
        exchange,
        compliance,
    )
    assert settings.authority == f"{login}/{TENANT}"
    assert settings.is_microsoft_authority


def test_default_cloud_is_global() -> None:
    settings = build_settings(minimal(), environ={})
    assert settings.cloud == "global"
    assert settings.graph_url == "https://graph.microsoft.com"


def test_cloud_name_is_case_insensitive() -> None:
    assert build_settings(minimal(cloud=" USGov "), environ={}).cloud == "usgov"


def test_unknown_cloud_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError) as caught:
        build_settings(minimal(cloud="germany"), environ={})
    assert "--cloud must be one of global, usgov, usgovdod, china" in str(caught.value)
    assert "germany" in str(caught.value)


def test_host_overrides_replace_the_cloud_defaults_and_lose_trailing_slashes() -> None:
    settings = build_settings(
        minimal(
            cloud="usgov",
            authority_url="https://127.0.0.1:8443/",
            graph_url="https://127.0.0.1:8444/",
            exchange_url="https://127.0.0.1:8445",
            compliance_url="https://127.0.0.1:8446/",
        ),
        environ={},
    )
    assert settings.authority_url == "https://127.0.0.1:8443"
    assert settings.authority == f"https://127.0.0.1:8443/{TENANT}"
    assert settings.graph_url == "https://127.0.0.1:8444"
    assert settings.exchange_url == "https://127.0.0.1:8445"
    assert settings.compliance_url == "https://127.0.0.1:8446"
    assert not settings.is_microsoft_authority


def test_overriding_one_host_keeps_the_cloud_for_the_others() -> None:
    settings = build_settings(minimal(cloud="china", graph_url="https://graph.proxy.test"), environ={})
    assert settings.graph_url == "https://graph.proxy.test"
    assert settings.authority_url == EXPECTED_HOSTS["china"][0]
    assert settings.exchange_url == EXPECTED_HOSTS["china"][2]
    assert settings.compliance_url == EXPECTED_HOSTS["china"][3]


def test_compliance_follows_an_overridden_exchange_url() -> None:
    settings = build_settings(minimal(exchange_url="https://exo.private.test"), environ={})
    assert settings.compliance_url == "https://exo.private.test"


def test_explicit_compliance_url_beats_the_exchange_override() -> None:
    settings = build_settings(minimal(exchange_url="https://exo.test", compliance_url="https://scc.test"), environ={})
    assert (settings.exchange_url, settings.compliance_url) == ("https://exo.test", "https://scc.test")


def test_resolve_hosts_directly() -> None:
    assert resolve_hosts(None, None, None, None, None) == ("global", *EXPECTED_HOSTS["global"])
    assert resolve_hosts("usgovdod", None, None, "https://exo.test/", None)[3:] == (
        "https://exo.test",
        "https://exo.test",
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("graph_url", "http://graph.microsoft.com"),
        ("graph_url", "graph.microsoft.com"),
        ("authority_url", "https://"),
        ("exchange_url", "https://outlook office365.com"),
        ("compliance_url", "ftp://scc.test"),
    ],
)
def test_bad_urls_are_named(option: str, value: str) -> None:
    flag = "--" + option.replace("_", "-")
    with pytest.raises(SettingsError) as caught:
        build_settings(minimal(**{option: value}), environ={})
    assert str(caught.value).startswith(f"{flag} must be an https:// URL")


def test_authority_override_is_not_a_microsoft_authority() -> None:
    settings = ScanSettings(tenant_id=TENANT, client_id=CLIENT, authority_url="https://login.fake.test")
    assert not settings.is_microsoft_authority


# Rate limit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("2.5", 2.5), ("10", 10.0), (3, 3.0), (0.5, 0.5)])
def test_rate_limit_value(value: object, expected: float) -> None:
    assert parse_rate_limit(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0", "-1", "fast"])
def test_bad_rate_limit_is_named(value: str) -> None:
    with pytest.raises(SettingsError, match="--rate-limit"):
        parse_rate_limit(value)


def test_rate_limit_must_be_a_finite_number() -> None:
    with pytest.raises(SettingsError, match="--rate-limit"):
        parse_rate_limit("nan")


@pytest.mark.parametrize("switch", ["True", "true", "1", "yes", "on"])
def test_use_rate_limiter_turns_on_the_default_cap(switch: str) -> None:
    assert parse_rate_limit(None, switch) == DEFAULT_RATE_LIMIT
    env = {"USE_RATE_LIMITER": switch}
    assert build_settings(minimal(), environ=env).rate_limit == DEFAULT_RATE_LIMIT


@pytest.mark.parametrize("switch", [None, "", "False", "0", "no"])
def test_no_rate_limit_unless_asked(switch: str | None) -> None:
    assert parse_rate_limit(None, switch) is None
    assert parse_rate_limit("", switch) is None


def test_explicit_rate_limit_beats_use_rate_limiter() -> None:
    assert parse_rate_limit("1.5", "True") == 1.5
    settings = build_settings(minimal(), environ={"O365CIS_RATE_LIMIT": "7", "USE_RATE_LIMITER": "True"})
    assert settings.rate_limit == 7.0


def test_rate_limit_variable() -> None:
    assert build_settings(minimal(), environ={"O365CIS_RATE_LIMIT": "3"}).rate_limit == 3.0


# DNS servers -----------------------------------------------------------------------------------


def test_dns_servers_from_comma_separated_variable() -> None:
    settings = build_settings(minimal(), environ={"O365CIS_DNS_SERVERS": "1.1.1.1, 127.0.0.1:5353,,"})
    assert settings.dns_servers == ("1.1.1.1", "127.0.0.1:5353")


def test_dns_servers_from_a_repeated_option() -> None:
    assert parse_dns_servers(["8.8.8.8", "127.0.0.1:53,9.9.9.9"]) == ("8.8.8.8", "127.0.0.1:53", "9.9.9.9")


@pytest.mark.parametrize("server", ["::1", "[::1]:5353", "2001:db8::53", "[2001:db8::53]"])
def test_ipv6_dns_servers(server: str) -> None:
    assert parse_dns_servers(server) == (server,)


@pytest.mark.parametrize("empty", [None, "", [], ()])
def test_no_dns_servers_means_the_system_resolver(empty: object) -> None:
    assert parse_dns_servers(empty) == ()  # type: ignore[arg-type]


@pytest.mark.parametrize("server", ["dns.google", "1.1.1", "1.1.1.1:port", "http://1.1.1.1"])
def test_bad_dns_server_is_named(server: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_dns_servers(server)
    assert "--dns-server must be IP or IP:PORT" in str(caught.value)
    assert server in str(caught.value)


@pytest.mark.parametrize("server", ["300.1.1.1", "1.1.1.1:99999", "beef", "cafe"])
def test_dns_server_must_be_a_real_address(server: str) -> None:
    with pytest.raises(SettingsError, match="--dns-server"):
        parse_dns_servers(server)
