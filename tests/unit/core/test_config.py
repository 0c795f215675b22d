"""o365cis.config: the --cis-config YAML file, every key valid and invalid, and waivers."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from o365cis.catalogue import load_catalogue
from o365cis.config import DEFAULT_ADMIN_ROLE_IDS, ConfigError, ScanConfig, Waiver, load_config, parse_config

GUID_A = "0f8fad5b-d9cb-469f-a165-70867728950e"
GUID_B = "7C9E6679-7425-40DE-944B-E07FC1F90AE7"
KNOWN_IDS = frozenset(load_catalogue())


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cis-config.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(data: Any, known_ids: frozenset[str] | None = KNOWN_IDS) -> str:
    """The one-line message parse_config raises for `data`."""
    with pytest.raises(ConfigError) as caught:
        parse_config(data, known_ids)
    message = str(caught.value)
    assert "\n" not in message
    return message


# Defaults and a full file -----------------------------------------------------------------------


def test_no_file_gives_the_defaults() -> None:
    assert load_config(None) == ScanConfig()
    assert parse_config(None) == ScanConfig()


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "# nothing configured\n")) == ScanConfig()


def test_defaults() -> None:
    config = ScanConfig()
    assert config.break_glass_accounts == frozenset()
    assert config.break_glass_groups == frozenset()
    assert config.approved_public_groups == frozenset()
    assert config.phs_max_age_hours == 72.0
    assert config.mdm_platforms == ("ios", "android")
    assert config.admin_role_ids == DEFAULT_ADMIN_ROLE_IDS
    assert config.waivers == ()


def test_a_full_file_as_the_contract_shows_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        break_glass_accounts: [{GUID_A}, {GUID_B}]
        break_glass_groups: [{GUID_B}]
        approved_public_groups:
          - {GUID_B}
        phs_max_age_hours: 24
        mdm_platforms: [iOS, android, ios]
        admin_role_ids: [{GUID_B}]
        waivers:
          - id: "1.1.3"
            reason: "Fifth global admin during the merger"
            expires: 2027-01-31
          - id: "2.10"
            reason: "  Vendor app pending review  "
            expires: "2026-06-30"
        """,
    )
    config = load_config(path, KNOWN_IDS)
    assert config.break_glass_accounts == frozenset({GUID_A, GUID_B.lower()}), "object ids compare lower-case"
    assert config.break_glass_groups == frozenset({GUID_B.lower()})
    assert config.approved_public_groups == frozenset({GUID_B.lower()})
    assert config.phs_max_age_hours == 24.0
    assert isinstance(config.phs_max_age_hours, float)
    assert config.mdm_platforms == ("ios", "android")
    assert config.admin_role_ids == (GUID_B.lower(),)
    assert config.waivers == (
        Waiver("1.1.3", "Fifth global admin during the merger", dt.date(2027, 1, 31)),
        Waiver("2.10", "Vendor app pending review", dt.date(2026, 6, 30)),
    )


def test_break_glass_groups_are_their_own_key() -> None:
    """Groups widen the allowed CA exclusions only; they never become exempt accounts (catalogue config.*)."""
    config = parse_config({"break_glass_groups": [GUID_A], "break_glass_accounts": None})
    assert config.break_glass_groups == frozenset({GUID_A})
    assert config.break_glass_accounts == frozenset()
    assert parse_config({"break_glass_groups": None}).break_glass_groups == frozenset()
    assert parse_config({"break_glass_groups": []}).break_glass_groups == frozenset()


# The 14 roles of Microsoft's "Require multifactor authentication for administrators" CA template
# (https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-admin-mfa).
TEMPLATE_ADMIN_ROLES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
}
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"


def test_the_default_admin_roles_are_the_template_roles_without_global_reader() -> None:
    assert len(DEFAULT_ADMIN_ROLE_IDS) == len(set(DEFAULT_ADMIN_ROLE_IDS)) == 14
    assert set(DEFAULT_ADMIN_ROLE_IDS) == set(TEMPLATE_ADMIN_ROLES)
    assert GLOBAL_READER not in DEFAULT_ADMIN_ROLE_IDS


def test_admin_role_ids_still_override_the_default_and_may_add_global_reader() -> None:
    config = parse_config({"admin_role_ids": [*TEMPLATE_ADMIN_ROLES, GLOBAL_READER]})
    assert set(config.admin_role_ids) == {*TEMPLATE_ADMIN_ROLES, GLOBAL_READER}


def test_an_empty_platform_list_is_allowed() -> None:
    assert parse_config({"mdm_platforms": []}).mdm_platforms == ()


def test_fractional_hours() -> None:
    assert parse_config({"phs_max_age_hours": 1.5}).phs_max_age_hours == 1.5


# Every key, invalid ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("break_glass_accounts", GUID_A),
        ("break_glass_accounts", ["admin@contoso.com"]),
        ("break_glass_accounts", [123]),
        ("break_glass_accounts", {"id": GUID_A}),
        ("break_glass_groups", GUID_A),
        ("break_glass_groups", ["Emergency access"]),
        ("break_glass_groups", [GUID_A, 7]),
        ("break_glass_groups", {"id": GUID_A}),
        ("approved_public_groups", "all"),
        ("approved_public_groups", [GUID_A, "Marketing"]),
        ("admin_role_ids", ["Global Administrator"]),
        ("admin_role_ids", GUID_A),
        ("phs_max_age_hours", 0),
        ("phs_max_age_hours", -5),
        ("phs_max_age_hours", "72"),
        ("phs_max_age_hours", True),
        ("phs_max_age_hours", None),
        ("mdm_platforms", "ios"),
        ("mdm_platforms", ["ios", "windows"]),
        ("mdm_platforms", [1]),
        ("waivers", "1.1.3"),
        ("waivers", {"id": "1.1.3"}),
    ],
)
def test_a_bad_value_names_its_key(key: str, value: Any) -> None:
    assert config_error({key: value}).startswith(f"{key}:")


@pytest.mark.parametrize("key", ["break_glass_account", "thresholds", "Waivers"])
def test_an_unknown_key_is_named(key: str) -> None:
    message = config_error({key: 1})
    assert message.startswith(f"{key}: unknown key")
    assert "break_glass_accounts" in message, "the known keys are listed"


@pytest.mark.parametrize("document", [["waivers"], "waivers", 42])
def test_the_file_must_be_a_mapping(document: Any) -> None:
    assert "must be a YAML mapping" in config_error(document)


def test_invalid_yaml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "break_glass_accounts: [a, b\nwaivers: []\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "is not valid YAML" in message
    assert "(line " in message
    assert "\n" not in message


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError, match=r"cannot read config file .*missing\.yaml"):
        load_config(missing)


def test_load_config_validates_like_parse_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^phs_max_age_hours:"):
        load_config(write(tmp_path, "phs_max_age_hours: -1\n"))


# Waivers ---------------------------------------------------------------------------------------


def waiver(**fields: Any) -> dict[str, Any]:
    return {"waivers": [{"id": "1.1.3", "reason": "merger", "expires": "2027-01-31", **fields}]}


def test_an_unknown_recommendation_id_is_refused() -> None:
    message = config_error(waiver(id="9.9.9"))
    assert message.startswith("waivers[0].id:")
    assert "'9.9.9'" in message


@pytest.mark.parametrize("rec_id", ["", "abc", "1", "1.1.1.1", "v1.1.3"])
def test_a_malformed_id_is_refused_even_without_a_catalogue(rec_id: str) -> None:
    assert config_error(waiver(id=rec_id), known_ids=None).startswith("waivers[0].id:")


def test_without_a_catalogue_any_well_formed_id_is_accepted() -> None:
    assert parse_config(waiver(id="9.9.9"), None).waivers[0].id == "9.9.9"


def test_the_index_of_the_bad_waiver_is_named() -> None:
    data = {"waivers": [waiver()["waivers"][0], {"id": "1.1.4", "expires": "2027-01-31"}]}
    assert config_error(data).startswith("waivers[1].reason:")


@pytest.mark.parametrize("reason", [None, "", "   ", 5])
def test_a_waiver_needs_a_reason(reason: Any) -> None:
    fields = waiver(reason=reason)
    if reason is None:
        del fields["waivers"][0]["reason"]
    assert config_error(fields).startswith("waivers[0].reason: a waiver needs a reason")


@pytest.mark.parametrize("expires", ["2027-13-01", "31/01/2027", "next year", "2027-02-30"])
def test_a_bad_date_is_named(expires: str) -> None:
    message = config_error(waiver(expires=expires))
    assert message.startswith("waivers[0].expires:")
    assert repr(expires) in message


@pytest.mark.parametrize("expires", [None, 20270131, dt.datetime(2027, 1, 31, 12, 0)])
def test_a_waiver_needs_an_expiry_date(expires: Any) -> None:
    fields = waiver(expires=expires)
    if expires is None:
        del fields["waivers"][0]["expires"]
    assert config_error(fields).startswith("waivers[0].expires: a waiver needs an expiry date")


def test_an_unknown_waiver_key_is_named() -> None:
    assert config_error(waiver(owner="it")).startswith("waivers[0].owner: unknown key")


def test_a_waiver_must_be_a_mapping() -> None:
    assert config_error({"waivers": ["1.1.3"]}).startswith("waivers[0]:")


def test_a_yaml_date_and_a_quoted_date_both_work(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        waivers:
          - {id: "1.1.3", reason: a, expires: 2027-01-31}
          - {id: "1.1.4", reason: b, expires: "2027-01-31"}
        """,
    )
    assert [w.expires for w in load_config(path, KNOWN_IDS).waivers] == [dt.date(2027, 1, 31)] * 2


def test_a_yaml_timestamp_is_not_a_date(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - {id: '1.1.3', reason: a, expires: 2027-01-31 10:00:00}\n")
    with pytest.raises(ConfigError, match=r"^waivers\[0\]\.expires:"):
        load_config(path, KNOWN_IDS)


def test_an_unquoted_two_part_id_is_not_taken_for_another_recommendation(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - {id: 2.10, reason: vendor app, expires: 2027-01-31}\n")
    assert isinstance(yaml.safe_load(path.read_text())["waivers"][0]["id"], float)
    try:
        config = load_config(path, KNOWN_IDS)
    except ConfigError as refused:
        assert "waivers[0].id" in str(refused)  # refusing (asking for quotes) is a correct answer too
        return
    assert config.waiver_for("2.1") is None
    assert config.waiver_for("2.10") is not None


def test_waiver_is_active_through_its_expiry_day() -> None:
    waiver_ = Waiver("1.1.3", "merger", dt.date(2027, 1, 31))
    assert waiver_.active_on(dt.date(2027, 1, 30))
    assert waiver_.active_on(dt.date(2027, 1, 31))
    assert not waiver_.active_on(dt.date(2027, 2, 1))


def test_waiver_for_finds_the_waiver_of_an_id() -> None:
    config = parse_config({"waivers": [{"id": "1.1.3", "reason": "r", "expires": "2020-01-01"}]}, KNOWN_IDS)
    assert config.waiver_for("1.1.3") == Waiver("1.1.3", "r", dt.date(2020, 1, 1)), "expired waivers are returned too"
    assert config.waiver_for("1.1.4") is None
