"""Fake Teams admin API and SharePoint admin REST, mounted on the fake tenant server.

Teams (`<server url>/teams` stands for https://api.interfaces.records.teams.microsoft.com; pass it as --teams-url):
  GET /teams/Skype.Policy/configurations/<Name>/configuration/<Identity>
  scenario.extra["teams"]:
    "configurations": {"TenantFederationSettings": <body>, "TeamsClientConfiguration": <body>} - answered as given
                      (any JSON: the shape variants are the test's choice); a name not listed answers 404.
    "entra_role":     false -> 403 (the service principal holds no Entra role), as the service answers.
    "application_access": true -> the token must also carry the application_access role (else 403).
    "fail":           an HTTP status (e.g. 503) answered to every read, a service fault (Retry-After 0).
  A token for another audience (Graph, Exchange) is refused with 401, as the real service does.

SharePoint (`<server url>/sharepoint` stands for https://<prefix>-admin.sharepoint.com; pass it as
--sharepoint-admin-url): GET /sharepoint/_api/SPO.Tenant.
  scenario.extra["sharepoint"]: {"tenant": <the SPO.Tenant object>, "verbose": true (default: wrapped in "d"),
  "fail": an HTTP status answered to every read}.
  Only app-only tokens from a certificate sign-in (appidacr "2") are accepted (401 otherwise, as SharePoint answers
  "Unsupported app only token."); the token must be for the SharePoint audience and hold Sites.FullControl.All (403).
"""

from __future__ import annotations

import threading
from typing import Any

from tests.fake_tenant.identity import SHAREPOINT_PREFIX, TEAMS_RESOURCE
from tests.fake_tenant.server import FakeRequest, FakeTenantServer

Response = tuple[int, dict[str, str], Any]
TEAMS_PATH = r"/teams/Skype\.Policy/configurations/(?P<name>[^/]+)/configuration/(?P<identity>[^/]+)"
SPO_TENANT_PATH = SHAREPOINT_PREFIX + r"/_api/SPO\.Tenant"
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_VERBOSE = {"Content-Type": "application/json;odata=verbose;charset=utf-8"}


def _error(status: int, code: str, message: str) -> Response:
    return status, dict(_JSON), {"errorCode": code, "message": message, "error": {"code": code, "message": message}}


def _spo_error(status: int, message: str) -> Response:
    body = {
        "error": {
            "code": "-2147024891, System.UnauthorizedAccessException",
            "message": {"lang": "en-US", "value": message},
        }
    }
    return status, dict(_VERBOSE), body


class AdminApis:
    """Answers both APIs for every scenario the server holds; logs (api, path, status) for assertions."""

    def __init__(self, base_url: Any) -> None:
        self._base_url = base_url
        self.calls: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    def _log(self, api: str, path: str, answer: Response) -> Response:
        with self._lock:
            self.calls.append((api, path, answer[0]))
        return answer

    def teams(self, request: FakeRequest) -> Response:
        return self._log("teams", request.path, self._teams(request))

    def _teams(self, request: FakeRequest) -> Response:
        claims = request.claims
        if claims is None:
            return _error(401, "Unauthorized", f"The access token is {request.token_failure or 'invalid'}.")
        if str(claims.get("aud", "")).lower() != TEAMS_RESOURCE:
            return _error(401, "InvalidAudience", "The token's audience is not the Skype and Teams Tenant Admin API.")
        scenario = request.scenario
        if scenario is None:
            return _error(401, "Unauthorized", "The token was not issued for a known tenant.")
        data: dict[str, Any] = scenario.extra.get("teams") or {}
        if data.get("fail"):
            status, headers, body = _error(int(data["fail"]), "ServiceUnavailable", "The service is unavailable.")
            return status, {**headers, "Retry-After": "0"}, body
        if data.get("entra_role") is False:
            return _error(403, "Forbidden", "The caller does not have an admin role that may read this configuration.")
        if data.get("application_access") and "application_access" not in (claims.get("roles") or []):
            return _error(403, "Forbidden", "The application lacks the application_access permission.")
        assert request.match is not None
        configurations: dict[str, Any] = data.get("configurations") or {}
        name = request.match.group("name")
        if name not in configurations:
            return _error(404, "NotFound", f"No configuration {name}.")
        return 200, dict(_JSON), configurations[name]

    def sharepoint(self, request: FakeRequest) -> Response:
        return self._log("sharepoint", request.path, self._sharepoint(request))

    def _sharepoint(self, request: FakeRequest) -> Response:
        claims = request.claims
        if claims is None:
            return _spo_error(401, f"The access token is {request.token_failure or 'invalid'}.")
        if str(claims.get("aud", "")).rstrip("/").lower() != (self._base_url() + SHAREPOINT_PREFIX).lower():
            return _spo_error(401, "Invalid audience Uri.")
        if str(claims.get("appidacr")) != "2":
            return _spo_error(401, "Unsupported app only token.")
        if "Sites.FullControl.All" not in (claims.get("roles") or []):
            return _spo_error(
                403, "Access denied. You do not have permission to perform this action or access this resource."
            )
        scenario = request.scenario
        data: dict[str, Any] = (scenario.extra.get("sharepoint") if scenario else None) or {}
        if data.get("fail"):
            status, headers, body = _spo_error(int(data["fail"]), "The service is unavailable.")
            return status, {**headers, "Retry-After": "0"}, body
        tenant = data.get("tenant", {"DisallowInfectedFileDownload": True})
        if data.get("verbose", True) and isinstance(tenant, dict):
            return (
                200,
                dict(_VERBOSE),
                {"d": {"__metadata": {"type": "Microsoft.Online.SharePoint.TenantAdministration.Tenant"}, **tenant}},
            )
        return 200, dict(_VERBOSE), tenant


def mount_admin_apis(server: FakeTenantServer) -> AdminApis:
    """Mount the fake Teams and SharePoint admin APIs on the server; returns the handler and its call log."""
    handler = AdminApis(lambda: server.url)
    server.mount("GET", TEAMS_PATH, handler.teams)
    server.mount("GET", SPO_TENANT_PATH, handler.sharepoint)
    return handler


def compliant_teams_data() -> dict[str, Any]:
    """Teams data of a compliant tenant: external access to one allowed domain, no third-party storage."""
    return {
        "configurations": {
            "TenantFederationSettings": {
                "Identity": "Global",
                "AllowFederatedUsers": True,
                "AllowedDomains": {"AllowedDomain": [{"Domain": "fabrikam.com"}]},
                "BlockedDomains": [],
                "AllowPublicUsers": False,
                "AllowTeamsConsumer": False,
                "AllowTeamsConsumerInbound": False,
            },
            "TeamsClientConfiguration": {
                "Identity": "Global",
                "AllowDropBox": False,
                "AllowBox": False,
                "AllowGoogleDrive": False,
                "AllowShareFile": False,
                "AllowEgnyte": False,
                "AllowEmailIntoChannel": True,
            },
        }
    }
