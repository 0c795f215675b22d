"""Test doubles for the seams the handlers expose: role probe, scan step, Lambda context, recording invoker."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o365cis.admin_apis.teams import TEAMS_PERMISSION
from o365cis.auth import AuthError
from o365cis.catalogue import permission_notes, required_permissions
from o365cis.lambda_service.events import ScanJob
from o365cis.lambda_service.invoker import LambdaInvoker
from o365cis.lambda_service.permissions import EXCHANGE_API, SHAREPOINT_API, TEAMS_API, GrantedRoles
from o365cis.lambda_service.scan_step import ScanReport

TENANT = "0b7c6a5e-8f3d-4c21-9a6b-3e2f1d0c9b8a"
CLIENT = "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
SECRET = "Zq8~lambda.TEST-secret_value"
RECIPIENT = "secops@contoso.com"
SUMMARY = {"compliant": 40, "non_compliant": 12, "manual": 25, "not_applicable": 3, "error": 3, "waived": 1}


def request_event(request_id: str = "req-0001", *, as_string: bool = False, **access: str) -> dict[str, Any]:
    """The request function's event (CONTRACT.md section 4); `access` overrides access_input fields."""
    body = {
        "requestId": request_id,
        "scan_input": [
            {
                "access_type": "credentials",
                "access_input": {"client_id": CLIENT, "client_secret": SECRET, "tenant_id": TENANT, **access},
            }
        ],
        "email": RECIPIENT,
    }
    return {"body": json.dumps(body) if as_string else body}


def scan_event(request_id: str = "req-0001", **access: str) -> dict[str, Any]:
    """The scan function's event."""
    return {
        "requestId": request_id,
        "access_type": "credentials",
        "access_input": {"client_id": CLIENT, "client_secret": SECRET, "tenant_id": TENANT, **access},
        "email": RECIPIENT,
    }


def all_roles(*, without: tuple[str, ...] = ()) -> GrantedRoles:
    """Every permission the full scan needs, split by resource, less `without`."""
    notes = permission_notes()
    other_apis = (EXCHANGE_API, TEAMS_API, SHAREPOINT_API)
    graph = {p for p in required_permissions() if notes[p]["api"] not in other_apis and p not in without}
    exchange = {p for p in required_permissions() if notes[p]["api"] == EXCHANGE_API and p not in without}
    teams = frozenset() if TEAMS_PERMISSION in without else frozenset({TEAMS_PERMISSION})
    return GrantedRoles(frozenset(graph), frozenset(exchange), teams)


@dataclass
class FakeProbe:
    """Answers the sign-in with fixed roles, or raises the AuthError it was given."""

    roles: GrantedRoles = field(default_factory=all_roles)
    error: AuthError | None = None
    jobs: list[ScanJob] = field(default_factory=list)

    def __call__(self, job: ScanJob) -> GrantedRoles:
        self.jobs.append(job)
        if self.error is not None:
            raise self.error
        return self.roles


class RecordingInvoker(LambdaInvoker):
    """The real invoker (moto answers it), remembering each job it handed over and Lambda's echo of it."""

    def __init__(self, client: Any, function_name: str, seal: Any = None) -> None:
        self.echoes: list[dict[str, Any]] = []
        self.invocation_types: list[str] = []
        self.jobs: list[ScanJob] = []

        def capture_headers(request: Any, **_: Any) -> None:
            self.invocation_types.append(request.headers.get("X-Amz-Invocation-Type", b"").decode())

        client.meta.events.register("before-send.lambda.Invoke", capture_headers)
        super().__init__(_EchoingClient(client, self.echoes), function_name, seal)

    def start(self, job: ScanJob) -> None:
        super().start(job)
        self.jobs.append(job)


class _EchoingClient:
    """Wraps a boto3 Lambda client; moto's simple backend answers an invoke with the payload it received."""

    def __init__(self, client: Any, echoes: list[dict[str, Any]]) -> None:
        self._client = client
        self._echoes = echoes

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        answer = self._client.invoke(**kwargs)
        payload = answer.get("Payload")
        if payload is not None:
            self._echoes.append(json.loads(payload.read()))
        return dict(answer)


@dataclass
class FakeScan:
    """A scan step that writes a JSON and an HTML report like the runner does, and remembers its folders."""

    summary: dict[str, int] = field(default_factory=lambda: dict(SUMMARY))
    error: str | None = None
    write_reports: bool = True
    workdirs: list[Path] = field(default_factory=list)
    seen_files: list[list[str]] = field(default_factory=list)
    jobs: list[ScanJob] = field(default_factory=list)

    def __call__(self, job: ScanJob, workdir: Path, allowance: float | None) -> ScanReport:
        self.workdirs.append(workdir)
        self.jobs.append(job)
        self.seen_files.append(sorted(p.name for p in workdir.iterdir()))
        if not self.write_reports:
            return ScanReport(error=self.error)
        json_path = workdir / "results.json"
        json_path.write_text(json.dumps({"tenant": {"id": job.tenant_id}, "summary": self.summary}), encoding="utf-8")
        html_path = workdir / "report.html"
        html_path.write_text(f"<html><body>Report for {job.tenant_id}</body></html>", encoding="utf-8")
        return ScanReport(summary=dict(self.summary), json_path=json_path, html_path=html_path, error=self.error)


@dataclass
class FakeContext:
    """The bits of Lambda's context object the handlers read."""

    remaining_ms: int = 900_000
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
