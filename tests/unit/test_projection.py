"""Reads keep only the properties their rules read, page by page: Graph (keep on GraphRead) and Exchange (keep on
CmdletCall), live and replayed, and what a snapshot records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from o365cis.collectors import reads
from o365cis.exchange import ExchangeReplay, record_key
from o365cis.exchange.cmdlets import MAILBOX, MAILBOX_FIELDS, declared_keep
from o365cis.graph.client import GraphClient, RawResponse, request_key
from o365cis.projection import Row, json_default, project
from o365cis.snapshot import Snapshot
from tests.fake_exchange.fixtures import TENANT_ID
from tests.fake_exchange.wide import wide_mailbox
from tests.unit.test_exchange_client import Server, exchange_server, make_client, tenant_server, use

__all__ = ["exchange_server", "tenant_server"]  # module fixtures shared with the Exchange client tests


def test_project_keeps_the_named_properties_and_leaves_absent_ones_absent() -> None:
    items = [{"id": "1", "a": None, "b": 2, "c": [3]}, "not an object", {"b": 5}]

    assert project(items, ("id", "a", "missing")) == [{"id": "1", "a": None}, "not an object", {}]
    assert project(items, None) == items


def wide_user(n: int) -> dict[str, Any]:
    """A user as Graph returns it without $select honoured: more than the scan asked for."""
    return {"id": f"u{n}", "userPrincipalName": f"u{n}@contoso.com", "accountEnabled": True, "userType": "Member",
            "onPremisesExtensionAttributes": {f"extensionAttribute{i}": "x" * 40 for i in range(1, 16)},
            "proxyAddresses": [f"smtp:u{n}@contoso.com"] * 5}  # fmt: skip


class PagedFetch:
    """Two pages of wide users, as a Graph that ignores $select would send them."""

    def __call__(self, relative_url: str, headers: Mapping[str, str]) -> RawResponse:
        if "skip" in relative_url:
            return RawResponse(200, {"value": [wide_user(3)]})
        return RawResponse(200, {"value": [wide_user(1), wide_user(2)], "@odata.nextLink": "/v1.0/users?skip=1"})


def test_graph_pages_are_projected_as_they_arrive_and_recorded_projected() -> None:
    recorder = Snapshot(tenant_id=TENANT_ID)
    client = GraphClient("https://graph.test", PagedFetch(), recorder)

    users = client.get_all(reads.USERS.path, dict(reads.USERS.params), keep=reads.USERS.keep)

    assert [u["id"] for u in users] == ["u1", "u2", "u3"]
    assert all(set(u) == {"id", "userPrincipalName", "accountEnabled", "userType"} for u in users)
    recorded = [recorder.lookup(request_key(url)) for url in ("/v1.0/users?skip=1",)]
    assert recorded[0] is not None and set(recorded[0].body["value"][0]) <= set(reads.USERS.keep or ())


def test_users_and_registration_rows_keep_what_the_section_1_rules_read() -> None:
    assert reads.USERS.keep is not None and {"id", "accountEnabled", "userType", "userPrincipalName"} <= set(
        reads.USERS.keep
    )
    # The $select and the projection name the same properties.
    assert set(reads.USERS.keep) == set(dict(reads.USERS.params)["$select"].split(","))
    assert reads.REGISTRATION_DETAILS.keep is not None
    assert {"id", "userType", "isMfaCapable", "isSsprEnabled", "userPrincipalName"} <= set(
        reads.REGISTRATION_DETAILS.keep
    )


def test_a_catalogue_parsed_call_gets_the_declared_projection() -> None:
    assert declared_keep("Get-Mailbox", {"ResultSize": "Unlimited"}) == MAILBOX_FIELDS == MAILBOX.keep
    assert declared_keep("Get-Mailbox", {"ResultSize": "10"}) is None  # another call: kept whole
    assert declared_keep("Get-OrganizationConfig") is None


def test_exchange_mailbox_pages_are_projected_and_recorded_projected(exchange_server: Server) -> None:
    server, handler = exchange_server
    boxes = [
        wide_mailbox(i, f"user{i}@contoso.com", f"User {i}", f"id-{i}", "contoso.onmicrosoft.com") for i in range(3)
    ]
    use(server, page_size=2, cmdlets={"Get-Mailbox": boxes})
    recorded: dict[str, Any] = {}
    client = make_client(server, recorder=lambda key, status, body: recorded.__setitem__(key, body))

    mailboxes = client.invoke(MAILBOX.name, MAILBOX.parameters)

    assert len(boxes[0]) > 200 and [c.skip for c in handler.calls] == [0, 2]
    assert [m["UserPrincipalName"] for m in mailboxes] == [f"user{i}@contoso.com" for i in range(3)]
    assert all(set(m) == set(MAILBOX_FIELDS) & set(boxes[0]) for m in mailboxes)
    assert mailboxes[0]["RoleAssignmentPolicy"] == boxes[0]["RoleAssignmentPolicy"]
    assert mailboxes[0]["AuditOwner"] == boxes[0]["AuditOwner"]
    saved = recorded[record_key(TENANT_ID, MAILBOX.name, MAILBOX.parameters)]["value"]
    assert saved == mailboxes


def test_a_snapshot_saved_whole_replays_projected() -> None:
    box = wide_mailbox(0, "user0@contoso.com", "User 0", "id-0", "contoso.onmicrosoft.com")
    stored = {record_key(TENANT_ID, MAILBOX.name, MAILBOX.parameters): {"status": 200, "body": {"value": [box]}}}
    replay = ExchangeReplay(TENANT_ID, stored.get)

    [mailbox] = replay.invoke(MAILBOX.name, MAILBOX.parameters)

    assert set(mailbox) == set(MAILBOX_FIELDS) & set(box)


def test_a_row_reads_like_the_dict_it_stands_for_and_keeps_missing_apart_from_null() -> None:
    [row, other] = project([{"id": "1", "a": None, "b": [2], "x": 9}, {"b": [2], "id": "2"}], ("id", "a", "b", "c"))

    assert isinstance(row, Row) and isinstance(row, Mapping) and not isinstance(row, dict)
    assert row["id"] == "1" and row["a"] is None and "a" in row and row.get("a", "default") is None
    assert "c" not in row and row.get("c") is None and row.get("c", "default") == "default" and "x" not in row
    with pytest.raises(KeyError):
        row["c"]
    assert list(row) == ["id", "a", "b"] and len(row) == 3 and list(row.values()) == ["1", None, [2]]
    assert dict(row) == {"id": "1", "a": None, "b": [2]} == row and row == {"id": "1", "a": None, "b": [2]}
    assert row != {"id": "1", "b": [2]} and row != other and other == {"id": "2", "b": [2]}
    assert {**other} == {"id": "2", "b": [2]} and repr(other) == repr({"id": "2", "b": [2]})
    with pytest.raises(TypeError):
        row["id"] = "2"  # type: ignore[index]
    assert json.dumps([row], default=json_default) == '[{"id": "1", "a": null, "b": [2]}]'


def test_a_snapshot_of_rows_saves_them_as_objects_and_replays_them(tmp_path: Path) -> None:
    box = wide_mailbox(0, "user0@contoso.com", "User 0", "id-0", "contoso.onmicrosoft.com")
    key = record_key(TENANT_ID, MAILBOX.name, MAILBOX.parameters)
    recorder = Snapshot(tenant_id=TENANT_ID)
    recorder.record(key, 200, {"value": project([box], MAILBOX_FIELDS)})

    recorder.save(tmp_path / "snapshot.json")

    saved = json.loads((tmp_path / "snapshot.json").read_text(encoding="utf-8"))["responses"][key]["body"]["value"]
    assert saved == [{name: box[name] for name in MAILBOX_FIELDS if name in box}]
    [replayed] = ExchangeReplay(TENANT_ID, recorder.lookup).invoke(MAILBOX.name, MAILBOX.parameters)
    assert replayed == saved[0]
