"""Structured logs: one JSON object per line, bound request ids, secrets masked wherever they turn up."""

from __future__ import annotations

import io

from o365cis.lambda_service.logs import MASK, EventLog

from .servers import log_lines


def test_each_event_is_one_json_line_with_its_context() -> None:
    stream = io.StringIO()
    log = EventLog(stream, function="scan").bind(requestId="r-1")
    log.info("scan.started", tenantId="contoso.com")
    log.error("scan.failed", error="multi\nline")
    lines = log_lines(stream.getvalue())
    assert len(stream.getvalue().splitlines()) == 2
    assert [(line["level"], line["event"]) for line in lines] == [("INFO", "scan.started"), ("ERROR", "scan.failed")]
    assert all(line["requestId"] == "r-1" and line["function"] == "scan" for line in lines)
    assert lines[1]["error"] == "multi\nline" and lines[0]["time"].endswith("Z")


def test_registered_secret_is_masked_in_nested_values_and_bound_children() -> None:
    stream = io.StringIO()
    parent = EventLog(stream)
    child = parent.bind(requestId="r-2")
    parent.add_secret("hunter2-secret")
    child.warning("x", detail={"text": ["prefix hunter2-secret suffix"]}, other=("hunter2-secret",))
    (line,) = log_lines(stream.getvalue())
    assert "hunter2-secret" not in stream.getvalue()
    assert line["detail"] == {"text": [f"prefix {MASK} suffix"]} and line["other"] == [MASK]


def test_fields_named_like_secrets_are_never_written() -> None:
    stream = io.StringIO()
    EventLog(stream).info("x", client_secret="abc", headers={"Authorization": "Bearer eyJ0"}, access_token="t", ok="v")
    (line,) = log_lines(stream.getvalue())
    assert line["client_secret"] == MASK and line["headers"] == {"Authorization": MASK} and line["access_token"] == MASK
    assert line["ok"] == "v"


def test_unusual_values_are_stringified_not_fatal() -> None:
    stream = io.StringIO()
    EventLog(stream).info("x", path=io.StringIO, number=1.5, flag=True, none=None)
    (line,) = log_lines(stream.getvalue())
    assert line["number"] == 1.5 and line["flag"] is True and line["none"] is None and "StringIO" in line["path"]
