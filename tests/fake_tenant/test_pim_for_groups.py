"""The fake's PIM-for-Groups read (issue 9): filter required, its own permission, the P2 licence gate; and the
Secure Score `deprecated` knob."""

from __future__ import annotations

import datetime as dt

import requests

from .conftest import NARROW_ID, UNLICENSED_ID, _renamed, graph_token
from .data_common import utc_now
from .data_directory import pim_group_eligibility
from .data_security import control_profiles
from .model import Scenario
from .patching import graph_pointer, patch, with_roles
from .paths import GROUP_ELIGIBILITY_INSTANCES, GROUPS
from .server import FakeTenantServer

PIM_ID = "44444444-4444-4444-8444-444444444444"
READ_WRITE_ID = "55555555-5555-4555-8555-555555555555"


def _tier0(golden: Scenario) -> str:
    return next(g["id"] for g in golden.graph[GROUPS] if g["displayName"] == "SG-Tier0-GlobalAdmins")


def _with_eligibility(golden: Scenario) -> tuple[Scenario, str, str]:
    """The golden tenant with one eligible member and one eligible owner of tier0, and a row of another group."""
    tier0 = _tier0(golden)
    other_group = next(g["id"] for g in golden.graph[GROUPS] if g["id"] != tier0)
    member, owner = golden.graph["/v1.0/users"][5]["id"], golden.graph["/v1.0/users"][6]["id"]
    since = utc_now() - dt.timedelta(days=30)
    rows = [
        pim_group_eligibility(tier0, member, start=since),
        pim_group_eligibility(tier0, owner, start=since, access="owner"),
        pim_group_eligibility(other_group, member, start=since),
    ]
    ops = [("add", graph_pointer(GROUP_ELIGIBILITY_INSTANCES, "-"), row) for row in rows]
    return _renamed(patch(golden, ops), PIM_ID, "pim.example"), tier0, member


def _list(session: requests.Session, server: FakeTenantServer, tenant: str, query: str = "") -> requests.Response:
    auth = {"Authorization": f"Bearer {graph_token(server, tenant)}"}
    return session.get(f"{server.url}{GROUP_ELIGIBILITY_INSTANCES}{query}", headers=auth)


def test_the_golden_tenant_has_no_eligible_group_member(
    server: FakeTenantServer, session: requests.Session, golden: Scenario
) -> None:
    answer = _list(session, server, "contoso.com", f"?$filter=groupId eq '{_tier0(golden)}'")
    assert answer.status_code == 200 and answer.json()["value"] == []


def test_rows_are_filtered_by_group_as_graph_documents_them(
    server: FakeTenantServer, session: requests.Session, golden: Scenario
) -> None:
    scenario, tier0, member = _with_eligibility(golden)
    server.add_scenario(scenario)
    try:
        rows = _list(session, server, PIM_ID, f"?$filter=groupId eq '{tier0}'").json()["value"]
    finally:
        server.remove_scenario(PIM_ID)
    assert {(r["principalId"], r["accessId"]) for r in rows} == {
        (member, "member"),
        (scenario.graph["/v1.0/users"][6]["id"], "owner"),
    }
    assert set(rows[0]) >= {"id", "groupId", "principalId", "accessId", "memberType", "startDateTime", "endDateTime"}
    assert all(r["groupId"] == tier0 and r["memberType"] == "direct" for r in rows)


def test_a_list_without_a_group_or_principal_filter_is_refused(
    server: FakeTenantServer, session: requests.Session
) -> None:
    answer = _list(session, server, "contoso.com")
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "BadRequest")
    assert answer.json()["error"]["message"] == "The request requires a $filter on groupId or principalId."


def test_a_token_without_the_permission_is_denied(server: FakeTenantServer, session: requests.Session) -> None:
    """Neither Directory.Read.All nor RoleManagement.Read.Directory reads PIM for Groups."""
    answer = _list(session, server, NARROW_ID, "?$filter=groupId eq 'x'")
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "Authorization_RequestDenied")


def test_the_read_write_permission_also_reads(
    server: FakeTenantServer, session: requests.Session, golden: Scenario
) -> None:
    roles = ["Directory.Read.All", "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"]
    server.add_scenario(_renamed(with_roles(golden, roles), READ_WRITE_ID, "readwrite.example"))
    try:
        answer = _list(session, server, READ_WRITE_ID, f"?$filter=groupId eq '{_tier0(golden)}'")
    finally:
        server.remove_scenario(READ_WRITE_ID)
    assert answer.status_code == 200


def test_without_entra_id_p2_the_read_is_not_licensed(server: FakeTenantServer, session: requests.Session) -> None:
    """The same refusal as the other PIM reads: 400 AadPremiumLicenseRequired."""
    answer = _list(session, server, UNLICENSED_ID, "?$filter=groupId eq 'x'")
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "AadPremiumLicenseRequired")


def test_a_control_profile_can_be_deprecated(golden: Scenario) -> None:
    profiles = control_profiles(golden.tenant_id, utc_now(), deprecated=["AdminMFAV2"])
    flags = {p["id"]: p["deprecated"] for p in profiles}
    assert flags["AdminMFAV2"] is True
    assert not any(flag for name, flag in flags.items() if name != "AdminMFAV2")
