"""Open the Teams and SharePoint admin APIs of one scan: live through its HttpSession and tokens, or replayed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from o365cis.admin_apis import hosts
from o365cis.admin_apis.client import AdminApiClient, AdminApiReplay, AdminReader
from o365cis.admin_apis.sharepoint import (
    SPO_TENANT,
    SharePointAdmin,
    classify_sharepoint_failure,
    sharepoint_endpoint,
    sharepoint_opt_in,
)
from o365cis.admin_apis.teams import (
    TeamsAdminClient,
    classify_teams_failure,
    teams_endpoint,
    teams_unreachable,
)
from o365cis.findings import ReadError

#: The snapshot body of an opt-in source that was not tried (status 0), holding the one line that says why.
NOT_TRIED = "notTried"

if TYPE_CHECKING:
    from o365cis.scan import ScanContext


class _Unreachable:
    """A Teams reader for a cloud with no known host: every read fails with the same one line."""

    def __init__(self, failure: ReadError) -> None:
        self._failure = failure

    def get(self, request: str) -> Any:
        raise ReadError(self._failure.kind, request, self._failure.detail)


def open_teams(context: ScanContext) -> AdminReader:
    """The Teams admin API reader of this scan."""
    if context.replay is not None:
        return AdminApiReplay(context.replay.lookup, classify_teams_failure)
    assert context.settings is not None and context.tokens is not None
    base = hosts.teams_base(context.settings)
    if base is None:
        return _Unreachable(teams_unreachable(context.settings.cloud))
    tokens = context.tokens

    def token(force_refresh: bool) -> str:
        return tokens.token(hosts.TEAMS_RESOURCE, force_refresh=force_refresh).access_token

    def claims() -> dict[str, Any]:
        return tokens.token(hosts.TEAMS_RESOURCE).claims

    def wids_known() -> bool | None:
        try:
            return isinstance(claims().get("wids"), list)
        except Exception:  # noqa: BLE001 - no token: nothing to tell
            return None

    client = AdminApiClient(
        teams_endpoint(base, token, wids_known=wids_known),
        context.http,
        policy=context.policy,
        limiter=context.limiter,
        recorder=context.recorder.record if context.recorder is not None else None,
    )
    return TeamsAdminClient(client, claims)


def open_sharepoint(context: ScanContext, initial_domain: str | None) -> SharePointAdmin:
    """The opt-in SharePoint admin source of this scan (see o365cis/admin_apis/sharepoint.py)."""
    if context.replay is not None:
        snapshot = context.replay
        replay = AdminApiReplay(snapshot.lookup, classify_sharepoint_failure)

        def replayed_skip() -> str | None:
            recorded = snapshot.lookup(SPO_TENANT)
            if recorded is None:
                return (
                    "the snapshot holds no SharePoint admin answer: record one with a certificate sign-in and "
                    "Sites.FullControl.All"
                )
            body = recorded.body
            return str(body[NOT_TRIED]) if isinstance(body, dict) and NOT_TRIED in body else None

        return SharePointAdmin(replay, replayed_skip)
    assert context.settings is not None and context.tokens is not None
    settings, tokens = context.settings, context.tokens
    base = hosts.sharepoint_admin_base(settings, initial_domain)
    if base is None:
        reason = "the SharePoint admin URL is not known (initial domain unread): pass --sharepoint-admin-url"
        return SharePointAdmin(None, lambda: reason)
    resource = base.rstrip("/")

    def token(force_refresh: bool) -> str:
        return tokens.token(resource, force_refresh=force_refresh).access_token

    client = AdminApiClient(
        sharepoint_endpoint(base, token),
        context.http,
        policy=context.policy,
        limiter=context.limiter,
        recorder=context.recorder.record if context.recorder is not None else None,
    )
    certificate = settings.client_secret is None and settings.client_certificate is not None
    decided: list[str | None] = []

    recorder = context.recorder

    def skipped() -> str | None:
        if not decided:
            decided.append(sharepoint_opt_in(certificate, lambda: tokens.token(resource).roles))
            if decided[0] is not None and recorder is not None:
                # A replay must say the same: the snapshot keeps why the opt-in source was not tried.
                recorder.record(SPO_TENANT, 0, {NOT_TRIED: decided[0]})
        return decided[0]

    return SharePointAdmin(client, skipped)
