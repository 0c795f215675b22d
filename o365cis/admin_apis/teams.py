"""The Teams admin API ("Skype and Teams Tenant Admin API"): the tenant's federation and client configuration.

Microsoft does not document this API. The Teams PowerShell module (MicrosoftTeams, Get-CsTenantFederationConfiguration
and Get-CsTeamsClientConfiguration) reads these paths over REST, and public tools read them the same way; the paths,
the host and the shapes here are those observed by such tools, not a published contract:
  GET <base>/Skype.Policy/configurations/TenantFederationSettings/configuration/global
  GET <base>/Skype.Policy/configurations/TeamsClientConfiguration/configuration/Global
  Authorization: Bearer <app-only token for 48ac35b8-9aa8-4d74-927d-1f4a14a0b239/.default> (secret or certificate).
The app's service principal needs an Entra role (Global Reader suffices); some tenants also require the app
permission application_access on that API. What the answer looks like is the rules' business (3.3, 3.7): they
accept the shapes seen and turn anything else into "cannot decide".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o365cis.admin_apis.client import AdminApiClient, Endpoint
from o365cis.admin_apis.errors import said, throttled, transport_failure
from o365cis.findings import FailureKind, ReadError

#: The catalogue's requests (each is also the snapshot key).
FEDERATION = "GET {teams}/Skype.Policy/configurations/TenantFederationSettings/configuration/global"
CLIENT_CONFIGURATION = "GET {teams}/Skype.Policy/configurations/TeamsClientConfiguration/configuration/Global"
PLACEHOLDER = "{teams}"

#: The Entra role the scanner asks for, and the optional app permission on the Teams admin API.
TEAMS_ROLE = "Global Reader"
TEAMS_APP_PERMISSION = "application_access"
#: The catalogue's name for this access (its permissions table).
TEAMS_PERMISSION = "Teams admin API"

#: Entra role template ids that may read the Teams tenant configuration (directory role templates:
#: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference): Global Reader,
#: Global Administrator, Teams Administrator, Skype for Business Administrator.
READING_ROLE_IDS = frozenset(
    {
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "62e90394-69f5-4237-9190-012177145e10",
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "75941009-915a-4869-abe7-691bff18279e",
    }
)

_GRANT = (
    f"assign the app's service principal the Entra role {TEAMS_ROLE} (or Teams Administrator), and grant the app "
    f"permission {TEAMS_APP_PERMISSION} on the Skype and Teams Tenant Admin API where the tenant requires it"
)


def role_preflight(claims: dict[str, Any]) -> str | None:
    """Why the Teams token cannot read the configuration (its `wids` claim holds no reading role), else None.

    App-only tokens carry the service principal's directory roles in `wids` where Entra includes the claim; when
    it is absent nothing can be told before the call (None).
    """
    wids = claims.get("wids")
    if not isinstance(wids, list):
        return None
    if READING_ROLE_IDS & {str(w).lower() for w in wids}:
        return None
    return "the app's Teams token names no Entra role that may read the Teams configuration (wids claim)"


def classify_teams_failure(status: int, body: Any, request: str, *, wids_known: bool | None = None) -> ReadError:
    """A failed Teams admin API answer as a ReadError (401/403 name the role and the app permission)."""
    failure = transport_failure(status, body, request) or throttled(status, body, request)
    if failure is not None:
        return failure
    if status in (401, 403):
        unchecked = (
            "; the token carried no wids claim, so the role could not be checked before the call"
            if wids_known is False
            else ""
        )
        return ReadError(
            FailureKind.PERMISSION,
            request,
            f"the Teams admin API refused the app ({status}): {_GRANT}{unchecked} ({said(status, body)})",
            permission=TEAMS_PERMISSION,
            status=status,
        )
    hint = " (the path is undocumented by Microsoft and may have changed)" if status == 404 else ""
    return ReadError(
        FailureKind.SERVICE, request, f"Teams admin API answered {status}{hint} ({said(status, body)})", status=status
    )


class TeamsAdminClient:
    """Reads the Teams configuration objects; the Entra role is checked from the token's `wids` before any call."""

    def __init__(self, client: AdminApiClient, claims: Callable[[], dict[str, Any]]) -> None:
        self._client = client
        self._claims = claims

    def get(self, request: str) -> Any:
        try:
            claims = self._claims()
        except Exception as exc:  # noqa: BLE001 - one-line auth errors; the read fails, the scan goes on
            raise ReadError(FailureKind.SERVICE, request, f"no Teams admin API token: {str(exc)[:300]}") from None
        refusal = role_preflight(claims)
        if refusal is not None:
            raise ReadError(FailureKind.PERMISSION, request, f"{refusal}: {_GRANT}", permission=TEAMS_PERMISSION)
        return self._client.get(request)


def teams_endpoint(base_url: str, token: Callable[[bool], str], *, wids_known: Callable[[], bool | None]) -> Endpoint:
    """The Endpoint of the Teams admin API at `base_url`."""

    def classify(status: int, body: Any, request: str) -> ReadError:
        return classify_teams_failure(status, body, request, wids_known=wids_known())

    return Endpoint(base_url, token, classify, PLACEHOLDER, {"Accept": "application/json"})


def teams_unreachable(cloud: str) -> ReadError:
    """The cloud has no known Teams admin host and none was given."""
    return ReadError(
        FailureKind.SERVICE,
        "GET {teams}/Skype.Policy/...",
        f"the Teams admin API host of the {cloud} cloud is not known to this scanner: pass --teams-url",
    )
