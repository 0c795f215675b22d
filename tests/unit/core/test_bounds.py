"""The pieces behind issue 10's bounds: origin checks, paging limits, redaction, body decoding, snapshots that
are not snapshots, private output files, DNS look-up lifetime and the email's verdict wording."""

from __future__ import annotations

import json
import socket
import stat
import time
from pathlib import Path

import pytest
import requests

from o365cis.dns.outcome import OutcomeKind
from o365cis.dns.resolver import DnsResolver
from o365cis.http import PagingLimits, decoded, redact, redact_body, same_origin
from o365cis.outputs import OutputPathError, claim_private_outputs, narrow
from o365cis.settings import Secret
from o365cis.snapshot import Snapshot, SnapshotError, load_snapshot

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("https://graph.test/v1.0/users?$skip=1", True),
        ("https://graph.test:443/v1.0/users", True),
        ("https://GRAPH.test/v1.0/users", True),
        ("http://graph.test/v1.0/users", False),
        ("https://graph.test:8443/v1.0/users", False),
        ("https://graph.test.evil.test/v1.0/users", False),
        ("https://evil.test@graph.test.evil.test/", False),
        ("https://graph.test:notaport/", False),
    ],
)
def test_same_origin_compares_scheme_host_and_port(url: str, same: bool) -> None:
    assert same_origin(url, "https://graph.test") is same


def test_paging_stops_on_a_repeated_link() -> None:
    paging = PagingLimits("GET /v1.0/users")
    assert paging.problem("/v1.0/users?$skip=1", 10) is None
    assert "repeats a nextLink" in (paging.problem("/v1.0/users?$skip=1", 10) or "")


def test_paging_stops_at_the_page_and_item_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PagingLimits, "max_pages", 3)
    pages = PagingLimits("GET /v1.0/users")
    problems = [pages.problem(f"/v1.0/users?$skip={n}", 1) for n in range(3)]
    assert problems[:2] == [None, None] and "more than 3 pages" in (problems[2] or "")
    monkeypatch.setattr(PagingLimits, "max_items", 5)
    items = PagingLimits("Get-Mailbox on outlook.test")
    assert "more than 5 items" in (items.problem("/next", 6) or "") and "Get-Mailbox" in (items.problem("/n", 1) or "")


def test_redaction_reaches_every_string_of_a_body() -> None:
    body = {"error": {"message": f"Bearer {TOKEN}", "details": [{"message": f"token {TOKEN}"}], TOKEN: 1}}
    text = json.dumps(redact_body(body))
    assert TOKEN not in text and text.count("[redacted]") == 3
    assert redact(f"authorization: bearer {TOKEN}") == "authorization: [redacted]"


def test_a_secret_header_value_hides_itself_in_reprs() -> None:
    headers = {"Authorization": Secret(f"Bearer {TOKEN}")}
    assert TOKEN not in repr(headers) and headers["Authorization"] == f"Bearer {TOKEN}"


def _response(status: int, content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = content
    response.url = "https://graph.test/v1.0/users"
    response.headers["Content-Type"] = "application/json"
    return response


@pytest.mark.parametrize(
    "content", [b"[" * 100_000, b"\xff\xfe", b"<html>", b'{"value": [}'], ids=["deep", "bad-utf8", "html", "invalid"]
)
def test_a_success_that_does_not_decode_is_a_failure_never_data(content: bytes) -> None:
    status, body = decoded(_response(200, content))
    assert status == 0 and "not JSON" in body["error"]["message"] and "graph.test" in body["error"]["message"]


def test_an_error_page_that_is_not_json_keeps_its_status() -> None:
    status, body = decoded(_response(403, b"<html>Forbidden</html>"))
    assert status == 403 and body["error"]["code"] == "InvalidJson"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"responses": {"k": "str"}}, 'responses["k"]'),
        ({"tenant": "x"}, '"tenant" must be an object'),
        ({"roles": {"graph": "User.Read.All"}}, '"roles.graph" must be a list'),
        ({"roles": {"graph": [1]}}, "list of strings"),
        ({"created": 5}, '"created" must be a string'),
        ({"dns": []}, '"dns" must be an object'),
        ({"responses": {"k": {"status": True}}}, "integer"),
    ],
)
def test_a_snapshot_of_the_wrong_shape_is_a_one_line_error(tmp_path: Path, extra: dict, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "o365cis-snapshot", "version": 1, **extra}), encoding="utf-8")
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_a_saved_snapshot_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    snapshot = Snapshot(tenant_id="t", graph_roles=frozenset({"User.Read.All"}))
    snapshot.record("GET /v1.0/users", 200, {"value": []})
    snapshot.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_snapshot(path).lookup("GET /v1.0/users") is not None


def test_output_paths_are_claimed_0600_before_the_scan(tmp_path: Path) -> None:
    existing = tmp_path / "old.csv"
    existing.write_text("x", encoding="utf-8")
    existing.chmod(0o644)
    created = claim_private_outputs([("--cis-json", str(tmp_path / "new" / "r.json")), ("--cis-csv", str(existing))])
    assert created == [tmp_path / "new" / "r.json"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (existing, created[0]))
    replaced = tmp_path / "replaced.xml"
    replaced.write_text("<x/>", encoding="utf-8")
    narrow([str(replaced), None, str(tmp_path / "absent")])
    assert stat.S_IMODE(replaced.stat().st_mode) == 0o600


def test_an_unwritable_output_path_names_its_option(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    first = tmp_path / "first.json"
    with pytest.raises(OutputPathError) as caught:
        claim_private_outputs([("--cis-json", str(first)), ("--html", str(blocker / "report.html"))])
    assert str(caught.value).startswith("--html ") and "cannot be written" in str(caught.value)
    assert not first.exists(), "files claimed before the failure are released"


def test_a_dns_look_up_ends_within_its_lifetime() -> None:
    # Two servers that never answer, generous per-query timeouts and retries: only the lifetime bounds it.
    silent = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        for sock in silent:
            sock.bind(("127.0.0.1", 0))
        servers = [f"127.0.0.1:{sock.getsockname()[1]}" for sock in silent]
        resolver = DnsResolver(servers, timeout=0.4, attempts=5, lifetime=1.0)
        started = time.monotonic()
        outcome = resolver.query_txt("contoso.com")
        elapsed = time.monotonic() - started
    finally:
        for sock in silent:
            sock.close()
    assert outcome.kind is OutcomeKind.FAILED and elapsed < 1.5
    assert "lifetime" in (outcome.detail or "")
