"""The Exchange Online admin API client: InvokeCommand with paging, retries, host fallback, caching, snapshots.

Protocol (the one the ExchangeOnlineManagement module v3 uses for its REST cmdlets; Microsoft does not document it
as a public API, so this follows what public clients that mirror the module send):
  POST <host>/adminapi/beta/<tenant id>/InvokeCommand
  body {"CmdletInput": {"CmdletName": "Get-OrganizationConfig", "Parameters": {...}}}
  Authorization: Bearer <app-only token for <host>/.default>; the app needs Exchange.ManageAsApp and an Entra role.
  X-AnchorMailbox: APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@<organization>: in app-only mode the
    module routes every call to the organisation's arbitration mailbox (there is no signed-in user to anchor on);
    <organization> is the tenant's initial *.onmicrosoft.com domain (the tenant id is accepted too).
  X-ResponseFormat: json and Prefer: odata.maxpagesize=1000, as the module sends them.
  App-only access needs the Exchange.ManageAsApp permission and an Entra role on the app's service principal
  (https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2).
  Answer {"value": [...], "@odata.nextLink": "<url>"}; the next page is the same POST sent to the nextLink.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from o365cis.exchange.cmdlets import COMPLIANCE_CMDLETS, declared_keep
from o365cis.exchange.errors import (
    BUDGET_CODE,
    NOT_IN_SNAPSHOT_CODE,
    classify_exchange_failure,
    is_unknown_cmdlet,
)
from o365cis.findings import FailureKind, ReadError
from o365cis.http import (
    BudgetExhausted,
    HttpSession,
    PagingLimits,
    RateLimiter,
    RetryPolicy,
    TransportError,
    decoded,
    redact_body,
    same_origin,
    send,
)
from o365cis.projection import Projection, project
from o365cis.settings import Secret

SYSTEM_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}"
PAGE_SIZE = 1000

TokenSource = Callable[[str], str]
Recorder = Callable[[str, int, Any], None]
Items = list[dict[str, Any]]


class ExchangeReader(Protocol):
    """What the collectors need: the objects a cmdlet returns, or a ReadError."""

    def invoke(self, cmdlet: str, parameters: Mapping[str, Any] | None = None) -> Items: ...


def invoke_path(tenant_id: str) -> str:
    """The InvokeCommand path of a tenant (the same on the Exchange and the compliance host)."""
    return f"/adminapi/beta/{tenant_id}/InvokeCommand"


def parameters_json(parameters: Mapping[str, Any] | None) -> str:
    """Cmdlet parameters as canonical JSON (sorted keys), so equal calls share one cache and snapshot key."""
    return json.dumps(dict(parameters or {}), sort_keys=True, separators=(",", ":"))


def record_key(tenant_id: str, cmdlet: str, parameters: Mapping[str, Any] | None = None) -> str:
    """Snapshot key of one cmdlet call: `POST <path> <CmdletName> <params json>`."""
    return f"POST {invoke_path(tenant_id)} {cmdlet} {parameters_json(parameters)}"


def request_label(cmdlet: str, parameters: Mapping[str, Any] | None = None) -> str:
    """The request as the catalogue writes it, for errors.

    For example `POST {exchange}/adminapi/beta/{tenant}/InvokeCommand Get-X`.
    """
    host = "{compliance}" if cmdlet in COMPLIANCE_CMDLETS else "{exchange}"
    params = "".join(f" -{k} {v}" for k, v in sorted((parameters or {}).items()))
    return f"POST {host}/adminapi/beta/{{tenant}}/InvokeCommand {cmdlet}{params}"


class _Memo:
    """Results and failures per key, computed once even when several threads ask at the same time."""

    def __init__(self) -> None:
        self._done: dict[str, Items | ReadError] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str, compute: Callable[[], Items]) -> Items:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                try:
                    self._done[key] = compute()
                except ReadError as failure:
                    self._done[key] = failure
            done = self._done[key]
        if isinstance(done, ReadError):
            raise done
        # A new list of the cached objects, not copies of them: rules never mutate what they read (ARCHITECTURE,
        # as TenantReader hands out Graph data), and copying 100,000 mailboxes for each rule that reads them cost
        # tens of megabytes at the scan's peak.
        return list(done)


class ExchangeAdminClient:
    """Runs read-only cmdlets for one scan; each distinct call goes over the network at most once."""

    def __init__(
        self,
        tenant_id: str,
        exchange_url: str,
        token_provider: TokenSource,
        *,
        compliance_url: str | None = None,
        organization: str | None = None,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        recorder: Recorder | None = None,
        refresh_token: TokenSource | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.exchange_url = exchange_url.rstrip("/")
        self.compliance_url = (compliance_url or exchange_url).rstrip("/")
        self.organization = organization or tenant_id
        self._tokens = token_provider
        #: Gets a new token for a scope, bypassing the cache (called once on a 401).
        self._refresh = refresh_token
        self._session = session or HttpSession()
        self._policy = policy or RetryPolicy()
        self._limiter = limiter
        self._recorder = recorder
        self._memo = _Memo()
        self._count = 0
        self._count_lock = threading.Lock()

    @property
    def request_count(self) -> int:
        """HTTP requests sent (pages and host fallbacks included, retries not), for the benchmarks."""
        return self._count

    def hosts_for(self, cmdlet: str) -> tuple[str, ...]:
        """Compliance cmdlets try the compliance host, then the Exchange host; the rest the Exchange host."""
        if cmdlet in COMPLIANCE_CMDLETS and self.compliance_url != self.exchange_url:
            return (self.compliance_url, self.exchange_url)
        return (self.exchange_url,)

    def invoke(self, cmdlet: str, parameters: Mapping[str, Any] | None = None) -> Items:
        """Every object the cmdlet returns (all pages); raises ReadError naming what to grant or what failed."""
        key = f"{self.hosts_for(cmdlet)[0]} {record_key(self.tenant_id, cmdlet, parameters)}"
        return self._memo.get(key, lambda: self._run(cmdlet, dict(parameters or {})))

    def _run(self, cmdlet: str, parameters: dict[str, Any]) -> Items:
        hosts = self.hosts_for(cmdlet)
        key = record_key(self.tenant_id, cmdlet, parameters)
        for position, host in enumerate(hosts):
            status, body = self._call(host, cmdlet, parameters)
            if status == 200:
                self._record(key, 200, body)
                return list(body["value"])
            falls_back = position + 1 < len(hosts) and (status == 404 or is_unknown_cmdlet(status, body))
            if not falls_back:
                self._record(key, status, body)
                raise classify_exchange_failure(
                    status, body, request_label(cmdlet, parameters), compliance=cmdlet in COMPLIANCE_CMDLETS
                )
        raise AssertionError("unreachable: the last host always returns or raises")

    def _record(self, key: str, status: int, body: Any) -> None:
        if self._recorder is not None:
            # Error bodies may echo the request's Authorization header: never store them raw.
            self._recorder(key, status, body if status == 200 else redact_body(body))

    def _call(self, host: str, cmdlet: str, parameters: dict[str, Any]) -> tuple[int, Any]:
        """(200, {"value": all items}) or the failing (status, body); status 0 for transport failures."""
        url: str | None = f"{host}{invoke_path(self.tenant_id)}"
        payload = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}}
        items: Items = []
        # No $select in InvokeCommand: objects are cut to what the rules read as each page arrives.
        projection = Projection(declared_keep(cmdlet, parameters))
        paging = PagingLimits(f"{cmdlet} on {urlsplit(host).hostname}")
        while url:
            try:
                token = Secret(self._tokens(f"{host}/.default"))
            except Exception as exc:  # noqa: BLE001 - the auth module's errors are one-line and secret-free
                return 0, {"error": {"code": "TokenAcquisitionFailed", "message": str(exc)[:300]}}
            with self._count_lock:
                self._count += 1

            def refreshed(scope: str = f"{host}/.default") -> dict[str, str] | None:
                # A long scan can outlive the Exchange token: ask for a new one once and resend.
                if self._refresh is None:
                    return None
                try:
                    return {"Authorization": Secret(f"Bearer {self._refresh(scope)}")}
                except Exception as exc:  # noqa: BLE001 - a refresh that fails is this read's failure, not the scan's
                    raise _RefreshFailed(f"token refresh failed: {str(exc)[:300]}") from None

            try:
                response = send(
                    self._session,
                    "POST",
                    url,
                    policy=self._policy,
                    limiter=self._limiter,
                    on_unauthorized=refreshed,
                    json=payload,
                    headers={
                        "Authorization": Secret(f"Bearer {token}"),
                        "Accept": "application/json",
                        "X-AnchorMailbox": f"APP:{SYSTEM_MAILBOX}@{self.organization}",
                        "X-ResponseFormat": "json",
                        "X-CmdletName": cmdlet,
                        "Prefer": f"odata.maxpagesize={PAGE_SIZE}",
                    },
                )
            except BudgetExhausted as exc:
                return 0, {"error": {"code": BUDGET_CODE, "message": str(exc)}}
            except _RefreshFailed as exc:
                return 0, {"error": {"code": "TokenAcquisitionFailed", "message": str(exc)}}
            except TransportError as exc:
                return 0, {"error": {"code": type(exc).__name__, "message": str(exc)}}
            except requests.RequestException as exc:
                return 0, {"error": {"code": type(exc).__name__, "message": "request failed"}}
            status, body = decoded(response)
            # The raw page (megabytes for wide objects) must not stay alive while the next one is read.
            del response
            if status >= 400 or status == 0:
                return status, body
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                return 0, {
                    "error": {"code": "UnexpectedAnswer", "message": "the admin API answered without a value list"}
                }
            items.extend(projection(item for item in body["value"] if isinstance(item, dict)))
            next_link, page_items = body.get("@odata.nextLink"), len(body["value"])
            del body  # the whole decoded page: only its projection is kept
            url = next_link if isinstance(next_link, str) and next_link else None
            if url and not same_origin(url, host):
                # Never send the token to another host than the one it was issued for.
                return 0, {
                    "error": {
                        "code": "UnexpectedNextLink",
                        "message": f"nextLink points to another host ({urlsplit(url).netloc})",
                    }
                }
            problem = paging.problem(url, page_items) if url else None
            if problem:
                return 0, {"error": {"code": "PagingStopped", "message": problem}}
        return 200, {"value": items}


class _RefreshFailed(TransportError):
    """The forced token refresh after a 401 failed: the read fails, the scan goes on."""


class ExchangeReplay:
    """Answers cmdlets from a snapshot: what `ExchangeAdminClient` recorded, failures included."""

    def __init__(self, tenant_id: str, lookup: Callable[[str], Any]) -> None:
        self.tenant_id = tenant_id
        self._lookup = lookup

    def invoke(self, cmdlet: str, parameters: Mapping[str, Any] | None = None) -> Items:
        """The recorded objects, or the recorded failure as a ReadError."""
        label = request_label(cmdlet, parameters)
        recorded = self._lookup(record_key(self.tenant_id, cmdlet, parameters))
        if recorded is None:
            raise classify_exchange_failure(
                0,
                {"error": {"code": NOT_IN_SNAPSHOT_CODE, "message": "the snapshot holds no answer to this cmdlet"}},
                label,
            )
        if isinstance(recorded, Mapping):
            status, body = int(recorded.get("status", 0)), recorded.get("body")
        else:
            status, body = int(recorded.status), recorded.body
        if status == 200 and isinstance(body, dict) and isinstance(body.get("value"), list):
            # Projected as a live read is, so a snapshot saved whole (older ones) decides the same way.
            objects = (dict(item) for item in body["value"] if isinstance(item, Mapping))
            return project(objects, declared_keep(cmdlet, parameters))
        if status == 200:
            raise ReadError(FailureKind.SERVICE, label, "the snapshot's answer has no value list")
        raise classify_exchange_failure(status, body, label, compliance=cmdlet in COMPLIANCE_CMDLETS)
