"""o365cis.snapshot: recording, the file format, saving and loading, and one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from o365cis.snapshot import FORMAT, VERSION, RecordedResponse, Snapshot, SnapshotError, load_snapshot

USERS_KEY = "GET /v1.0/users?$top=999"
DENIED = {
    "error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}
}


def sample() -> Snapshot:
    snapshot = Snapshot(
        tenant_id="11111111-2222-3333-4444-555555555555",
        tenant_name="Contoso",
        created="2025-01-02T03:04:05+00:00",
        graph_roles=frozenset({"Policy.Read.All", "Directory.Read.All"}),
        exchange_roles=frozenset({"Exchange.ManageAsApp"}),
        dns={"contoso.com": {"TXT": ["v=spf1 -all"]}},
    )
    snapshot.record(USERS_KEY, 200, {"value": [{"id": "u1"}]})
    snapshot.record("GET /v1.0/identity/conditionalAccess/policies", 403, DENIED)
    return snapshot


def test_record_and_lookup() -> None:
    snapshot = sample()
    assert snapshot.lookup(USERS_KEY) == RecordedResponse(200, {"value": [{"id": "u1"}]})
    assert snapshot.lookup("GET /v1.0/identity/conditionalAccess/policies") == RecordedResponse(403, DENIED)
    assert snapshot.lookup("GET /v1.0/domains") is None


def test_a_later_answer_replaces_an_earlier_one() -> None:
    snapshot = Snapshot()
    snapshot.record(USERS_KEY, 503, None)
    snapshot.record(USERS_KEY, 200, {"value": []})
    assert snapshot.lookup(USERS_KEY) == RecordedResponse(200, {"value": []})


def test_the_file_document() -> None:
    document = sample().to_json()
    assert document["format"] == FORMAT == "o365cis-snapshot"
    assert document["version"] == VERSION == 1
    assert document["created"] == "2025-01-02T03:04:05+00:00"
    assert document["tenant"] == {"id": "11111111-2222-3333-4444-555555555555", "name": "Contoso"}
    assert document["roles"] == {
        "graph": ["Directory.Read.All", "Policy.Read.All"],
        "exchange": ["Exchange.ManageAsApp"],
    }
    assert list(document["responses"]) == sorted(document["responses"]), "stable order for diffs"
    assert document["responses"][USERS_KEY] == {"status": 200, "body": {"value": [{"id": "u1"}]}}
    assert document["dns"] == {"contoso.com": {"TXT": ["v=spf1 -all"]}}
    json.dumps(document)  # serialisable as it stands


def test_created_defaults_to_now_in_utc() -> None:
    created = dt.datetime.fromisoformat(Snapshot().to_json()["created"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    original = sample()
    path = tmp_path / "deep" / "er" / "snapshot.json"
    original.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["snapshot.json"], "no temporary file is left behind"
    loaded = load_snapshot(path)
    assert loaded.tenant_id == original.tenant_id
    assert loaded.tenant_name == "Contoso"
    assert loaded.created == original.created
    assert loaded.graph_roles == original.graph_roles
    assert loaded.exchange_roles == original.exchange_roles
    assert loaded.responses == original.responses
    assert loaded.dns == original.dns
    assert loaded.to_json() == original.to_json()


def test_unknown_exchange_roles_stay_unknown(tmp_path: Path) -> None:
    """None (no Exchange token was tried) is not the same as an empty role set."""
    path = tmp_path / "s.json"
    Snapshot(exchange_roles=None).save(path)
    assert load_snapshot(path).exchange_roles is None
    Snapshot(exchange_roles=frozenset()).save(path)
    assert load_snapshot(path).exchange_roles == frozenset()


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("old")
    sample().save(path)
    assert load_snapshot(path).tenant_name == "Contoso"


def test_concurrent_recording_loses_nothing() -> None:
    snapshot = Snapshot()

    def record(worker: int) -> None:
        for n in range(100):
            snapshot.record(f"GET /v1.0/w{worker}/{n}", 200, {"n": n})
            snapshot.to_json()

    threads = [threading.Thread(target=record, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(snapshot.to_json()["responses"]) == 600


def test_a_minimal_file_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION}))
    loaded = load_snapshot(path)
    assert loaded.responses == {}
    assert loaded.graph_roles == frozenset()
    assert loaded.exchange_roles is None
    assert loaded.tenant_id is None


# Errors ----------------------------------------------------------------------------------------


def one_line_error(path: Path) -> str:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_missing_file(tmp_path: Path) -> None:
    assert one_line_error(tmp_path / "none.json").startswith("cannot read snapshot")


def test_invalid_json_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n"format": "o365cis-snapshot",\n"version": 1,,\n}')
    message = one_line_error(path)
    assert "is not valid JSON" in message
    assert "(line 3)" in message


@pytest.mark.parametrize("document", [[], {"version": 1}, {"format": "other", "version": 1}, "text"])
def test_not_a_snapshot(tmp_path: Path, document: object) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    assert "is not an o365-cis snapshot" in one_line_error(path)


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_another_version_is_refused(tmp_path: Path, version: object) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": FORMAT, "version": version}))
    message = one_line_error(path)
    assert f"has version {version!r}" in message
    assert "reads version 1" in message
