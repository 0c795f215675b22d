"""The SharePoint Online admin REST API, an opt-in source (2.5): the tenant object, read app-only.

  GET <https://<prefix>-admin.sharepoint.com or --sharepoint-admin-url>/_api/SPO.Tenant
  Accept: application/json;odata=verbose (the object then sits under "d")
SharePoint accepts app-only tokens only when the client assertion is signed with a certificate
(https://learn.microsoft.com/sharepoint/dev/solution-guidance/security-apponly-azuread: "you need to use a
certificate"), and reading the tenant needs the SharePoint application permission Sites.FullControl.All. Many
organisations will not grant full control to a reader, so the source is tried only when the scan signs in with a
certificate and the SharePoint token's roles hold that permission; otherwise it says, in one line, what would let it
decide. Once tried, a failed read is an ordinary failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from o365cis.admin_apis.client import AdminApiClient, AdminApiReplay, Endpoint
from o365cis.admin_apis.errors import said, throttled, transport_failure
from o365cis.findings import FailureKind, ReadError

SPO_TENANT = "GET {sharepoint_admin}/_api/SPO.Tenant"
PLACEHOLDER = "{sharepoint_admin}"
SHAREPOINT_PERMISSION = "Sites.FullControl.All"
ACCEPT = "application/json;odata=verbose"

#: What lets the opt-in source decide (the one line of a skipped source).
OPT_IN = (
    f"sign in with a certificate and grant the app the SharePoint application permission {SHAREPOINT_PERMISSION} "
    "(opt-in) to let the SharePoint admin API decide"
)


def classify_sharepoint_failure(status: int, body: Any, request: str) -> ReadError:
    failure = transport_failure(status, body, request) or throttled(status, body, request)
    if failure is not None:
        return failure
    if status in (401, 403):
        return ReadError(
            FailureKind.PERMISSION,
            request,
            f"the SharePoint admin API refused the app ({status}) although its token holds {SHAREPOINT_PERMISSION}: "
            f"check the permission's admin consent and the certificate sign-in ({said(status, body)})",
            permission=SHAREPOINT_PERMISSION,
            status=status,
        )
    return ReadError(
        FailureKind.SERVICE, request, f"SharePoint admin API answered {status} ({said(status, body)})", status=status
    )


def sharepoint_endpoint(base_url: str, token: Callable[[bool], str]) -> Endpoint:
    return Endpoint(base_url, token, classify_sharepoint_failure, PLACEHOLDER, {"Accept": ACCEPT})


class SharePointAdmin:
    """The opt-in source: `skipped()` says why it is not tried (None: tried), `tenant()` reads SPO.Tenant."""

    def __init__(self, reader: AdminApiClient | AdminApiReplay | None, skipped: Callable[[], str | None]) -> None:
        self._reader = reader
        self._skipped = skipped

    def skipped(self) -> str | None:
        return self._skipped()

    def tenant(self) -> Any:
        if self._reader is None:
            raise ReadError(FailureKind.PERMISSION, SPO_TENANT, OPT_IN, permission=SHAREPOINT_PERMISSION)
        return self._reader.get(SPO_TENANT)


def sharepoint_opt_in(certificate: bool, roles: Callable[[], frozenset[str]]) -> str | None:
    """None when the source is to be tried, else why not (no certificate sign-in, no token, no permission)."""
    if not certificate:
        return f"the scan signs in with a client secret, which SharePoint refuses app-only: {OPT_IN}"
    try:
        granted = roles()
    except Exception as exc:  # noqa: BLE001 - one-line auth errors: no token means the source is not tried
        return f"no SharePoint admin token ({str(exc)[:200]}): {OPT_IN}"
    if SHAREPOINT_PERMISSION not in granted:
        return f"the SharePoint token holds no {SHAREPOINT_PERMISSION}: {OPT_IN}"
    return None
