"""A fake Exchange Online (and Security & Compliance) admin API: InvokeCommand, mounted on the fake tenant server.

Scenario data lives in `scenario.extra["exchange"]`:
  "cmdlets":     {cmdlet name: [result objects]}; a cmdlet not listed is unknown (400, CommandNotFoundException),
                 like a Defender for Office 365 cmdlet in a tenant without it.
  "errors":      {cmdlet name: error or [errors]}; an error is {"status", "code", "message", "headers", "times"}:
                 answered `times` times (default: always), then the next one, then the cmdlet's data.
  "entra_role":  false -> 403 for every cmdlet (the app's service principal holds no Entra role).
  "compliance":  "ok" (default), "missing" (the compliance host answers 404) or "unknown" (it knows no cmdlet).
  "page_size":   objects per page before an @odata.nextLink (default 1000).
A token without the Exchange.ManageAsApp role (the scenario's `exchange_roles`) gets 401.

The compliance host is the same server under the path prefix `/compliance` (pass
`compliance_url=<server url>/compliance`); requests without a prefix are the Exchange host.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fake_tenant.server import FakeRequest, FakeTenantServer

Response = tuple[int, dict[str, str], Any]

#: The path the ExchangeOnlineManagement module posts cmdlets to, optionally under a host prefix.
INVOKE_PATH = r"(?P<prefix>/compliance)?/adminapi/beta/(?P<tenant>[^/]+)/InvokeCommand"
MANAGE_AS_APP = "Exchange.ManageAsApp"
_JSON = {"Content-Type": "application/json; charset=utf-8"}


def exchange_error(status: int, code: str, message: str, *, cmdlet: str = "", exception: str = "") -> Response:
    """An error as the admin API shapes it: a generic outer message, the cmdlet's own error in details[]."""
    exception = exception or "Microsoft.Exchange.Management.Tasks.TaskException"
    inner = f"Ex{abs(hash((code, cmdlet))) % 0xFFFFFF:06X}|{exception}|{message}"
    body = {
        "error": {
            "code": code,
            "message": "Error executing cmdlet" if cmdlet else message,
            "details": [{"code": "Context", "target": "", "message": inner}],
            "innererror": {"message": message, "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"},
        }
    }
    return status, dict(_JSON), body


def unknown_cmdlet(cmdlet: str) -> Response:
    return exchange_error(
        400,
        "BadRequest",
        f"The term '{cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program.",
        cmdlet=cmdlet,
        exception="System.Management.Automation.CommandNotFoundException",
    )


@dataclass(frozen=True)
class InvokeCall:
    """One InvokeCommand request the fake answered."""

    host: str  # "exchange" or "compliance"
    tenant: str
    cmdlet: str
    parameters: dict[str, Any]
    skip: int
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class ExchangeHandler:
    """Answers InvokeCommand for every scenario the server holds; logs the calls for assertions."""

    def __init__(self) -> None:
        self.calls: list[InvokeCall] = []
        self._served_errors: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def calls_for(self, cmdlet: str) -> list[InvokeCall]:
        return [c for c in self.calls if c.cmdlet == cmdlet]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._served_errors.clear()

    def __call__(self, request: FakeRequest) -> Response:
        """The mounted handler: (status, headers, JSON body)."""
        host = "compliance" if request.match is not None and request.match.group("prefix") else "exchange"
        tenant = request.match.group("tenant") if request.match is not None else ""
        try:
            body = request.json() or {}
            cmdlet_input = body["CmdletInput"]
            cmdlet = str(cmdlet_input["CmdletName"])
            parameters = dict(cmdlet_input.get("Parameters") or {})
        except (ValueError, KeyError, TypeError):
            return exchange_error(
                400, "BadRequest", 'The request body must be {"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}.'
            )
        skip = int(request.query.get("$skiptoken", "0") or 0)
        status, headers, payload = self._answer(request, host, tenant, cmdlet, parameters, skip)
        with self._lock:
            self.calls.append(InvokeCall(host, tenant, cmdlet, parameters, skip, status, dict(request.headers)))
        return status, headers, payload

    def _answer(
        self, request: FakeRequest, host: str, tenant: str, cmdlet: str, parameters: dict[str, Any], skip: int
    ) -> Response:
        if request.claims is None:
            return exchange_error(401, "Unauthorized", f"The access token is {request.token_failure or 'invalid'}.")
        if MANAGE_AS_APP not in (request.claims.get("roles") or []):
            return exchange_error(401, "Unauthorized", f"The token lacks the {MANAGE_AS_APP} role.")
        scenario = request.scenario
        if scenario is None or scenario.tenant_id.lower() != str(request.claims.get("tid", "")).lower():
            return exchange_error(401, "Unauthorized", "The token was not issued for this organization.")
        data: dict[str, Any] = scenario.extra.get("exchange") or {}
        if data.get("entra_role") is False:
            return exchange_error(
                403, "Forbidden", f"The caller has no role that allows running {cmdlet}.", cmdlet=cmdlet
            )
        if host == "compliance":
            mode = data.get("compliance", "ok")
            if mode == "missing":
                return 404, dict(_JSON), {"error": {"code": "NotFound", "message": "The resource could not be found."}}
            if mode == "unknown":
                return unknown_cmdlet(cmdlet)
        injected = self._injected_error(scenario.tenant_id, host, cmdlet, data.get("errors") or {})
        if injected is not None:
            return injected
        cmdlets: dict[str, Any] = data.get("cmdlets") or {}
        if cmdlet not in cmdlets:
            return unknown_cmdlet(cmdlet)
        # A lazy Sequence (the memory benchmark's 100,000 wide mailboxes) is sliced per page, never copied whole.
        source = cmdlets[cmdlet] or []
        items = source if isinstance(source, Sequence) else list(source)
        size = int(data.get("page_size") or 1000)
        page: dict[str, Any] = {
            "@odata.context": f"{_base(request)}/adminapi/beta/{tenant}/$metadata#Collection(Exchange.GenericHashTable)"
        }
        page["value"] = items[skip : skip + size]
        if skip + size < len(items):
            page["@odata.nextLink"] = f"{_base(request)}{request.path}?$skiptoken={skip + size}"
        return 200, dict(_JSON), page

    def _injected_error(self, tenant: str, host: str, cmdlet: str, errors: dict[str, Any]) -> Response | None:
        configured = errors.get(cmdlet)
        if configured is None:
            return None
        sequence = configured if isinstance(configured, list) else [configured]
        key = (tenant, host, cmdlet)
        with self._lock:
            served = self._served_errors.get(key, 0)
            remaining = served
            for error in sequence:
                times = error.get("times")
                if times is None or remaining < int(times):
                    self._served_errors[key] = served + 1
                    status, headers, body = exchange_error(
                        int(error.get("status", 500)),
                        str(error.get("code", "InternalServerError")),
                        str(error.get("message", "The service failed.")),
                        cmdlet=cmdlet,
                    )
                    return status, {**headers, **(error.get("headers") or {})}, body
                remaining -= int(times)
        return None


def _base(request: FakeRequest) -> str:
    prefix = "/compliance" if request.match is not None and request.match.group("prefix") else ""
    return f"https://{request.headers.get('Host', '127.0.0.1')}{prefix}"


def mount_exchange(server: FakeTenantServer) -> ExchangeHandler:
    """Mount the fake admin API (both hosts) on the fake tenant server; returns the handler and its call log."""
    handler = ExchangeHandler()
    server.mount("POST", INVOKE_PATH, handler)
    return handler
