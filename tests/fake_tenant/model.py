"""A fake tenant as data: its directory ids, app registrations, granted permissions and raw Graph JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A configured Graph failure: (HTTP status, error.code, error.message).
GraphFailure = tuple[int, str, str]


@dataclass
class ClientApp:
    """One app registration the scanner signs in as: a client secret and/or an uploaded certificate."""

    secret: str | None = None
    #: PEM of the public certificate registered on the app (what an admin uploads in the portal).
    certificate_pem: str | None = None
    #: Object id of the app's service principal in this tenant (the token's `oid` and `sub`).
    service_principal_id: str = "00000000-0000-0000-0000-000000000000"
    display_name: str = "o365-cis scanner"


@dataclass
class Scenario:
    """A tenant the fake server answers for, written as Microsoft Graph would return it.

    `graph` maps a Graph path without its query (e.g. "/v1.0/users") to a list (a collection,
    paged by the server) or a dict (a singleton, returned as is). `memberships` maps a group id to
    its direct member ids (users, groups or service principals); the server expands it for
    /groups/{id}/transitiveMembers. `errors` makes a path answer with a Graph error instead.
    `extra` is free-form data for other fakes (e.g. extra["exchange"], extra["dns"]).
    """

    tenant_id: str
    display_name: str
    domains: list[str] = field(default_factory=list)
    clients: dict[str, ClientApp] = field(default_factory=dict)
    #: Microsoft Graph application permissions with admin consent (the Graph token's `roles`).
    granted_roles: list[str] = field(default_factory=list)
    #: Office 365 Exchange Online application permissions (the Exchange token's `roles`).
    exchange_roles: list[str] = field(default_factory=list)
    #: Skype and Teams Tenant Admin API app permissions (the Teams token's `roles`, e.g. application_access).
    teams_roles: list[str] = field(default_factory=list)
    #: Office 365 SharePoint Online app permissions (the SharePoint admin token's `roles`).
    sharepoint_roles: list[str] = field(default_factory=list)
    #: Entra role template ids of the app's service principal, put in admin API tokens as `wids`; None leaves the
    #: claim out (Entra does not always include it). extra["teams"]["entra_role"] decides the Teams API's answer.
    directory_role_ids: list[str] | None = None
    graph: dict[str, Any] = field(default_factory=dict)
    memberships: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, GraphFailure] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def initial_domain(self) -> str | None:
        """The tenant's *.onmicrosoft.com domain, if it has one."""
        for name in self.domains:
            if name.lower().endswith(".onmicrosoft.com"):
                return name
        return None

    def lookup_keys(self) -> list[str]:
        """Every name the tenant can be addressed by: its id and its domain names (lower case)."""
        return [self.tenant_id.lower(), *(name.lower() for name in self.domains)]
