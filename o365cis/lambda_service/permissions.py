"""Before a scan is queued: sign in as the app and compare its granted roles with what the scan needs.

Graph permissions arrive as the `roles` claim of a Graph token; Exchange.ManageAsApp is a role on the Exchange
Online resource, so it shows only in a token for that resource
(https://learn.microsoft.com/exchange/exchange-online/powershell-v2/app-only-auth-powershell-v2). The Teams admin
API needs an Entra role, read from the `wids` claim of a Teams token where Entra includes it. The SharePoint
permission is opt-in (2.5 stays manual without it), so it is never listed as missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from o365cis.admin_apis.hosts import TEAMS_RESOURCE
from o365cis.admin_apis.teams import TEAMS_PERMISSION, role_preflight
from o365cis.auth import AuthError, TokenProvider, acquire_app_token
from o365cis.catalogue import permission_notes, required_permissions, satisfied_by
from o365cis.lambda_service.events import ScanJob
from o365cis.settings import ScanSettings, build_settings

EXCHANGE_API = "Office 365 Exchange Online"
TEAMS_API = "Skype and Teams Tenant Admin API"
SHAREPOINT_API = "Office 365 SharePoint Online"


@dataclass(frozen=True)
class GrantedRoles:
    """The application roles the app holds, per resource (None: that resource's token could not be had)."""

    graph: frozenset[str]
    exchange: frozenset[str] | None = None
    #: {"Teams admin API"} when the Teams token's wids hold a reading role (or carry no wids to tell), else empty.
    teams: frozenset[str] | None = None


@dataclass(frozen=True)
class MissingPermission:
    """A permission the scan needs and the app lacks, with the recommendations it decides."""

    permission: str
    api: str
    required: bool
    recommendations: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "permission": self.permission,
            "api": self.api,
            "required": self.required,
            "recommendations": list(self.recommendations),
        }


@dataclass(frozen=True)
class PermissionCheck:
    """What is missing; the scan is refused when any baseline permission is (see `refused`)."""

    missing: tuple[MissingPermission, ...] = field(default=())

    @property
    def refused(self) -> bool:
        """Baseline permissions are the ones every tenant can grant: without one, most results would be errors."""
        return any(m.required for m in self.missing)

    def as_list(self) -> list[dict[str, Any]]:
        return [m.as_dict() for m in self.missing]


def check_permissions(roles: GrantedRoles, notes: Mapping[str, Mapping[str, Any]] | None = None) -> PermissionCheck:
    """Compare granted roles with the permissions the full scan (level 2, E5) needs decisively."""
    notes = permission_notes() if notes is None else notes
    missing: list[MissingPermission] = []
    for permission, ids in required_permissions().items():
        note = notes.get(permission, {})
        api = str(note.get("api", "Microsoft Graph"))
        if api == SHAREPOINT_API:
            continue  # opt-in (2.5): without it the scan says what would let 2.5 decide
        granted = {EXCHANGE_API: roles.exchange, TEAMS_API: roles.teams}.get(api, roles.graph)
        if granted is not None and satisfied_by(permission, granted):
            continue
        missing.append(MissingPermission(permission, api, bool(note.get("baseline", False)), tuple(ids)))
    return PermissionCheck(tuple(missing))


def scan_settings(job: ScanJob, environ: Mapping[str, str] | None = None) -> ScanSettings:
    """The job's credentials with the hosts, CA bundle and rate cap of the function's O365CIS_* variables."""
    values = {"tenant_id": job.tenant_id, "client_id": job.client_id, "client_secret": str(job.client_secret)}
    env = dict(os.environ if environ is None else environ)
    # The function's own AZURE_* variables (if any) must never stand in for the event's credentials.
    for name in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD"):
        env.pop(name, None)
    return build_settings(values, env)


def probe_roles(job: ScanJob, environ: Mapping[str, str] | None = None) -> GrantedRoles:
    """Sign in as the job's app: Graph roles (AuthError if sign-in fails), then Exchange roles if obtainable."""
    settings = scan_settings(job, environ)
    provider = TokenProvider(settings)
    try:
        graph = acquire_app_token(settings, provider).roles
        try:
            exchange: frozenset[str] | None = provider.token(settings.exchange_url).roles
        except AuthError:
            # Exchange Online not provisioned or not consented: Exchange.ManageAsApp then counts as missing.
            exchange = None
        try:
            # No wids claim: the role cannot be told here, so it is not listed (the scan names it if refused).
            refusal = role_preflight(provider.token(TEAMS_RESOURCE).claims)
            teams: frozenset[str] | None = frozenset() if refusal else frozenset({TEAMS_PERMISSION})
        except AuthError:
            teams = None
    finally:
        provider.session.close()
    return GrantedRoles(graph, exchange, teams)
