"""The request function's permission check for the Teams admin API role and the opt-in SharePoint permission."""

from __future__ import annotations

import dataclasses

from o365cis.admin_apis.teams import TEAMS_PERMISSION
from o365cis.lambda_service.permissions import TEAMS_API, check_permissions

from .fakes import all_roles


def missing(roles) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {m["permission"]: m for m in check_permissions(roles).as_list()}


def test_every_grant_leaves_nothing_missing_and_the_opt_in_permission_is_never_listed() -> None:
    assert missing(all_roles()) == {}
    assert "Sites.FullControl.All" not in missing(dataclasses.replace(all_roles(), graph=frozenset()))


def test_a_missing_teams_role_is_listed_but_does_not_refuse_the_scan() -> None:
    roles = all_roles(without=(TEAMS_PERMISSION,))
    found = missing(roles)
    assert set(found) == {TEAMS_PERMISSION}
    assert found[TEAMS_PERMISSION]["api"] == TEAMS_API and found[TEAMS_PERMISSION]["required"] is False
    assert sorted(found[TEAMS_PERMISSION]["recommendations"]) == ["3.3", "3.7"]
    assert not check_permissions(roles).refused


def test_no_teams_token_counts_as_missing() -> None:
    assert TEAMS_PERMISSION in missing(dataclasses.replace(all_roles(), teams=None))
