"""Fixtures for the Lambda service tests: moto (DynamoDB, Lambda) and SMTP servers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme
from aiosmtpd.controller import Controller
from moto.server import ThreadedMotoServer

from o365cis.lambda_service.config import ServiceConfig
from o365cis.lambda_service.handlers import ScanServices
from o365cis.lambda_service.status import StatusStore

from .fakes import FakeScan
from .servers import (
    REGION,
    SCAN_FUNCTION,
    MotoEndpoint,
    RecordingHandler,
    SmtpServer,
    StallingHandler,
    authenticator,
    dummy_zip,
    free_port,
    server_tls_context,
)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoEndpoint]:
    """One moto server on 127.0.0.1 (a free port) for the session; Lambda invokes are answered without Docker."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = MotoEndpoint(f"http://{host}:{port}")
    # moto's "simple" Lambda backend accepts invokes without running the code (there is no Docker here).
    answer = requests.post(f"{endpoint.url}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10)
    assert answer.status_code == 201
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, moto_server: MotoEndpoint) -> None:
    """Every boto3 client the code under test builds reaches moto, with dummy credentials."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_LAMBDA"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def table_name(moto_server: MotoEndpoint, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh status table (on-demand, TTL on `ttl`, as deploy/template.yaml declares it)."""
    name = "status-" + "".join(c for c in request.node.name if c.isalnum())[-200:]
    client = moto_server.client("dynamodb")
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    try:
        yield name
    finally:
        client.delete_table(TableName=name)


@pytest.fixture
def store(moto_server: MotoEndpoint, table_name: str) -> StatusStore:
    """The status store on the fresh table."""
    return StatusStore(moto_server.client("dynamodb"), table_name)


@pytest.fixture(scope="session")
def scan_function(moto_server: MotoEndpoint) -> str:
    """The scan function, created once in moto's Lambda (with the IAM role moto insists on)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = moto_server.client("iam").create_role(RoleName="o365cis-scan", AssumeRolePolicyDocument=json.dumps(trust))
    moto_server.client("lambda").create_function(
        FunctionName=SCAN_FUNCTION,
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="lambda_handler.scan_handler",
        Code={"ZipFile": dummy_zip()},
    )
    return SCAN_FUNCTION


@pytest.fixture
def service_config(table_name: str, tmp_path: Path) -> ServiceConfig:
    """ServiceConfig on the fresh table, with TEMP_PATH inside the test's own folder."""
    return ServiceConfig(
        table_name=table_name, scan_function_name=SCAN_FUNCTION, temp_path=tmp_path / "scans", rate_limit=None
    )


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    """The private CA the SMTP servers' certificates come from."""
    return trustme.CA()


@pytest.fixture(scope="session")
def smtp_ca_path(smtp_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """That CA as a PEM file, for MAIL_CA_BUNDLE."""
    path = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return path


def _serving(server: SmtpServer, handler: RecordingHandler, **options: Any) -> Iterator[SmtpServer]:
    """Run an aiosmtpd controller for `server` with these options until the test is over."""
    controller = Controller(handler, hostname=server.host, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def fake_scan() -> FakeScan:
    """A scan step that writes both reports."""
    return FakeScan()


@pytest.fixture
def scan_services(
    service_config: ServiceConfig, store: StatusStore, smtp_server: SmtpServer, fake_scan: FakeScan
) -> ScanServices:
    """The scan function's collaborators: moto's DynamoDB, the STARTTLS+AUTH SMTP server, the fake scan."""
    return ScanServices(config=service_config, store=store, mail=smtp_server.settings(), scan=fake_scan)


def _starttls_options(server: SmtpServer, ca: trustme.CA) -> dict[str, Any]:
    """STARTTLS required, AUTH (PLAIN/LOGIN) required and allowed only after it."""
    return {
        "tls_context": server_tls_context(ca),
        "require_starttls": True,
        "authenticator": authenticator(server),
        "auth_require_tls": True,
        "auth_required": True,
    }


@pytest.fixture
def smtp_server(smtp_ca: trustme.CA, smtp_ca_path: Path) -> Iterator[SmtpServer]:
    """SMTP requiring STARTTLS, with AUTH (PLAIN/LOGIN) allowed only after it, on a loopback port."""
    server = SmtpServer("127.0.0.1", free_port(), smtp_ca_path)
    yield from _serving(server, RecordingHandler(server), **_starttls_options(server, smtp_ca))


@pytest.fixture
def smtps_server(smtp_ca: trustme.CA, smtp_ca_path: Path) -> Iterator[SmtpServer]:
    """SMTP over implicit TLS (the MAIL_USE_SSL case), with AUTH required."""
    server = SmtpServer("127.0.0.1", free_port(), smtp_ca_path)
    yield from _serving(
        server,
        RecordingHandler(server),
        ssl_context=server_tls_context(smtp_ca),
        authenticator=authenticator(server),
        # aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH; this whole connection is TLS already.
        auth_require_tls=False,
        auth_required=True,
    )


@pytest.fixture
def plain_smtp_server(smtp_ca_path: Path) -> Iterator[SmtpServer]:
    """SMTP without any TLS (a local relay or sink), AUTH accepted in the clear."""
    server = SmtpServer("127.0.0.1", free_port(), smtp_ca_path)
    yield from _serving(server, RecordingHandler(server), authenticator=authenticator(server), auth_require_tls=False)


#: How long the stalling SMTP server sits on a message before answering.
STALL_SECONDS = 30.0


@pytest.fixture
def stalling_smtp_server(smtp_ca: trustme.CA, smtp_ca_path: Path) -> Iterator[SmtpServer]:
    """SMTP with STARTTLS and AUTH that answers the message only after STALL_SECONDS."""
    server = SmtpServer("127.0.0.1", free_port(), smtp_ca_path)
    yield from _serving(server, StallingHandler(server, STALL_SECONDS), **_starttls_options(server, smtp_ca))


@pytest.fixture
def kms_key(moto_server: MotoEndpoint) -> str:
    """A symmetric KMS key on moto, as deploy/template.yaml's SecretKey."""
    return str(moto_server.client("kms").create_key(Description="o365cis client secrets")["KeyMetadata"]["Arn"])
