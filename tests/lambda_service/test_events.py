"""Event validation: accepted shapes, and every problem of a bad event listed without echoing values."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from o365cis.lambda_service.events import InvalidEvent, parse_request_event, parse_scan_event

TENANT = "0b7c6a5e-8f3d-4c21-9a6b-3e2f1d0c9b8a"
CLIENT = "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
SECRET = "s3cr3t~Value.With-Symbols_01"


def request_body(**changes: Any) -> dict[str, Any]:
    """A valid request body; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "requestId": "scan-2024.06_01",
        "scan_input": [
            {
                "access_type": "credentials",
                "access_input": {"client_id": CLIENT, "client_secret": SECRET, "tenant_id": TENANT},
            }
        ],
        "email": "secops@contoso.com",
    }
    body.update(changes)
    return body


def problems_of(event: Any, parse: Any = parse_request_event) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        parse(event)
    return {p.field: p.message for p in caught.value.problems}


def test_body_as_object_gives_the_job() -> None:
    job = parse_request_event({"body": request_body()})
    assert (job.request_id, job.tenant_id, job.client_id, job.email) == (
        "scan-2024.06_01",
        TENANT,
        CLIENT,
        "secops@contoso.com",
    )
    assert str(job.client_secret) == SECRET
    assert SECRET not in repr(job)


def test_body_as_json_string_like_api_gateway() -> None:
    job = parse_request_event({"body": json.dumps(request_body()), "headers": {"content-type": "application/json"}})
    assert job.request_id == "scan-2024.06_01"


def test_base64_body_of_an_http_api() -> None:
    encoded = base64.b64encode(json.dumps(request_body()).encode()).decode()
    assert parse_request_event({"body": encoded, "isBase64Encoded": True}).tenant_id == TENANT


def test_tenant_may_be_a_domain_name() -> None:
    body = request_body()
    body["scan_input"][0]["access_input"]["tenant_id"] = "contoso.onmicrosoft.com"
    assert parse_request_event({"body": body}).tenant_id == "contoso.onmicrosoft.com"


def test_scan_event_round_trips_through_the_hand_over() -> None:
    job = parse_request_event({"body": request_body()})
    again = parse_scan_event(job.scan_event())
    assert again == job


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({}, "body"),
        ({"body": None}, "body"),
        ({"body": 42}, "body"),
        ({"body": "{not json"}, "body"),
        ({"body": "[1, 2]"}, "body"),
        ({"body": "!!!", "isBase64Encoded": True}, "body"),
        ([], "event"),
    ],
)
def test_a_body_that_is_not_an_object_is_refused(event: Any, field: str) -> None:
    assert field in problems_of(event)


def test_every_problem_is_listed_at_once() -> None:
    body = {
        "requestId": "../../etc/passwd",
        "scan_input": [
            {"access_type": "certificate", "access_input": {"client_id": "not-a-guid", "tenant_id": "bad tenant!"}}
        ],
        "email": "victim@example.com\r\nBcc: everyone@example.com",
    }
    problems = problems_of({"body": body})
    assert set(problems) == {
        "body.requestId",
        "body.email",
        "body.scan_input[0].access_type",
        "body.scan_input[0].access_input.client_id",
        "body.scan_input[0].access_input.tenant_id",
        "body.scan_input[0].access_input.client_secret",
    }
    assert "credentials" in problems["body.scan_input[0].access_type"]
    assert problems["body.scan_input[0].access_input.client_secret"] == "required"


@pytest.mark.parametrize(
    "request_id",
    ["", None, 7, "../x", "a/b", ".hidden", "-rf", "x" * 129, "with space", "semi;colon", "null\x00byte", "ünï"],
)
def test_unsafe_request_ids_are_refused(request_id: Any) -> None:
    assert "body.requestId" in problems_of({"body": request_body(requestId=request_id)})


@pytest.mark.parametrize("request_id", ["a", "_x", "0" * 128, "Scan_2024-06-01.7"])
def test_safe_request_ids_are_accepted(request_id: str) -> None:
    assert parse_request_event({"body": request_body(requestId=request_id)}).request_id == request_id


@pytest.mark.parametrize(
    "address",
    [
        "",
        None,
        "no-at-sign",
        "two@@example.com",
        "a@b@example.com",
        "user@localhost",
        "user@example.com\nBcc: x@example.com",
        "user@example.com\r",
        "User <user@example.com>",
        "user@example.com, other@example.com",
        '"quoted"@example.com',
        ".lead@example.com",
        "dou..ble@example.com",
        "ünicode@example.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        ["user@example.com"],
    ],
)
def test_unsafe_or_malformed_emails_are_refused(address: Any) -> None:
    assert "body.email" in problems_of({"body": request_body(email=address)})


@pytest.mark.parametrize("address", ["a@b.co", "first.last+tag@sub.example.org", "o'brien@example.ie"])
def test_plain_addresses_are_accepted(address: str) -> None:
    assert parse_request_event({"body": request_body(email=address)}).email == address


@pytest.mark.parametrize(
    ("scan_input", "field"),
    [
        (None, "body.scan_input"),
        ([], "body.scan_input"),
        ("credentials", "body.scan_input"),
        ([{}, {}], "body.scan_input"),
        (["x"], "body.scan_input[0]"),
        ([{"access_type": "credentials"}], "body.scan_input[0].access_input"),
        ([{"access_input": {}}], "body.scan_input[0].access_type"),
    ],
)
def test_scan_input_must_be_one_supported_entry(scan_input: Any, field: str) -> None:
    assert field in problems_of({"body": request_body(scan_input=scan_input)})


@pytest.mark.parametrize("secret", [123, "x" * 1025, "line\nbreak"])
def test_bad_secret_is_refused_without_echoing_it(secret: Any) -> None:
    body = request_body()
    body["scan_input"][0]["access_input"]["client_secret"] = secret
    with pytest.raises(InvalidEvent) as caught:
        parse_request_event({"body": body})
    assert "body.scan_input[0].access_input.client_secret" in {p.field for p in caught.value.problems}
    assert str(secret) not in str(caught.value) or isinstance(secret, int)


def test_problems_never_carry_the_submitted_values() -> None:
    body = request_body(requestId="bad id!", email="evil@example.com\nBcc: x@y.zz")
    body["scan_input"][0]["access_input"]["client_id"] = "CLIENT-ID-VALUE"
    with pytest.raises(InvalidEvent) as caught:
        parse_request_event({"body": body})
    text = json.dumps([p.as_dict() for p in caught.value.problems])
    for value in ("bad id!", "evil@example.com", "CLIENT-ID-VALUE", SECRET):
        assert value not in text


def test_invalid_event_keeps_a_safe_request_id_for_the_answer() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_request_event({"body": request_body(email="nope")})
    assert caught.value.request_id == "scan-2024.06_01"
    with pytest.raises(InvalidEvent) as caught:
        parse_request_event({"body": request_body(requestId="../nope", email="nope")})
    assert caught.value.request_id is None


def test_scan_event_problems_use_top_level_fields() -> None:
    event = copy.deepcopy(parse_request_event({"body": request_body()}).scan_event())
    event["access_type"] = "delegated"
    del event["email"]
    assert set(problems_of(event, parse_scan_event)) == {"access_type", "email"}
