"""Fuzzed events: the request function never raises and always answers 2xx/4xx with a JSON body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o365cis.lambda_service.config import ServiceConfig
from o365cis.lambda_service.handlers import RequestServices, handle_request
from o365cis.lambda_service.status import StatusStore

from .fakes import CLIENT, SECRET, TENANT, FakeProbe, RecordingInvoker
from .servers import MotoEndpoint

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)

# Fields drawn from near-valid and hostile values, so that some events pass validation and reach the store.
request_ids = st.one_of(st.text(alphabet="abcXYZ019._-", min_size=1, max_size=20), st.text(max_size=140), json_values)
emails = st.one_of(st.just("secops@contoso.com"), st.emails(), st.text(max_size=60), json_values)
tenants = st.one_of(st.just(TENANT), st.just("contoso.onmicrosoft.com"), st.uuids().map(str), st.text(max_size=60))
clients = st.one_of(st.just(CLIENT), st.uuids().map(str), st.text(max_size=40), json_values)
secrets = st.one_of(st.just(SECRET), st.text(max_size=80), json_values)
access_types = st.one_of(st.just("credentials"), st.text(max_size=12), json_values)

access_inputs = st.one_of(
    st.fixed_dictionaries({"client_id": clients, "client_secret": secrets, "tenant_id": tenants}),
    json_values,
)
scan_inputs = st.one_of(
    st.lists(st.fixed_dictionaries({"access_type": access_types, "access_input": access_inputs}), max_size=2),
    json_values,
)
bodies = st.fixed_dictionaries(
    {"requestId": request_ids, "scan_input": scan_inputs, "email": emails},
    optional={"extra": json_values},
)


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with none, one or a few fields replaced by hostile values."""
    access = {"client_id": CLIENT, "client_secret": SECRET, "tenant_id": TENANT}
    body: dict[str, Any] = {
        "requestId": draw(st.text(alphabet="abcXYZ019_", min_size=1, max_size=20)),
        "scan_input": [{"access_type": "credentials", "access_input": access}],
        "email": "secops@contoso.com",
    }
    replacements = {
        "requestId": request_ids,
        "email": emails,
        "client_id": clients,
        "client_secret": secrets,
        "tenant_id": tenants,
        "access_type": access_types,
    }
    for name in draw(st.lists(st.sampled_from(sorted(replacements)), max_size=3, unique=True)):
        value = draw(replacements[name])
        if name in access:
            access[name] = value
        elif name == "access_type":
            body["scan_input"][0]["access_type"] = value
        else:
            body[name] = value
    return body


events = st.one_of(
    st.fixed_dictionaries({"body": near_valid_bodies()}),
    st.fixed_dictionaries({"body": near_valid_bodies().map(json.dumps)}),
    json_values,
    st.fixed_dictionaries({"body": bodies}),
    st.fixed_dictionaries({"body": bodies.map(json.dumps)}),
    st.fixed_dictionaries({"body": st.text(max_size=200), "isBase64Encoded": st.booleans()}),
)


@pytest.fixture
def services(
    service_config: ServiceConfig, store: StatusStore, moto_server: MotoEndpoint, scan_function: str
) -> RequestServices:
    """The request function on moto, with a sign-in that grants everything."""
    return RequestServices(
        config=service_config,
        store=store,
        probe=FakeProbe(),
        invoker=RecordingInvoker(moto_server.client("lambda"), scan_function),
    )


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=events)
def test_request_handler_always_answers_with_json(services: RequestServices, event: Any) -> None:
    result = handle_request(event, None, services)
    assert set(result) == {"statusCode", "headers", "body"}
    assert 200 <= result["statusCode"] < 500
    body = json.loads(result["body"])
    assert isinstance(body, dict) and "requestId" in body and "status" in body
    if result["statusCode"] == 400:
        assert body["errors"] and all(set(e) == {"field", "message"} for e in body["errors"])
    assert SECRET not in result["body"]
