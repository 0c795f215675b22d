"""One scan's connections: live (token, Graph client) or replayed from a snapshot. No module-level state."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from o365cis.auth import AppToken, TokenProvider, acquire_app_token
from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.config import ScanConfig
from o365cis.dns.lookups import DnsLookups
from o365cis.dns.resolver import resolver_for
from o365cis.exchange.client import ExchangeAdminClient, ExchangeReader, ExchangeReplay
from o365cis.exchange.cmdlets import CmdletCall
from o365cis.findings import ReadError
from o365cis.graph.client import GraphClient, live_fetch, replay_fetch
from o365cis.http import HttpSession, Limits, RateLimiter, RetryPolicy
from o365cis.settings import ScanSettings, SettingsError
from o365cis.snapshot import Snapshot, load_snapshot


def retry_policy_from_env() -> RetryPolicy:
    """The retry policy; O365CIS_RETRY_BUDGET (seconds) bounds the time one request may take with retries."""
    budget = _seconds("O365CIS_RETRY_BUDGET", RetryPolicy.budget_seconds)
    return RetryPolicy(budget_seconds=budget, timeout=min(RetryPolicy.timeout, budget))


def _seconds(variable: str, default: float) -> float:
    """A positive number from the environment; a malformed one is a settings error (exit 4), not a crash."""
    text = os.environ.get(variable, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        raise SettingsError(f"{variable} must be a number, got {text!r}") from None
    if not value > 0:
        raise SettingsError(f"{variable} must be positive, got {text!r}")
    return value


def limits_from_env() -> Limits:
    """Per-request bounds; O365CIS_REQUEST_DEADLINE (seconds) and O365CIS_MAX_RESPONSE_MB override the defaults.

    The connect and read timeouts never exceed the overall deadline, so a small deadline (tests) bounds them too.
    """
    default = Limits()
    deadline = _seconds("O365CIS_REQUEST_DEADLINE", default.request_deadline)
    megabytes = _seconds("O365CIS_MAX_RESPONSE_MB", default.max_body_bytes / 2**20)
    return Limits(
        connect_timeout=min(default.connect_timeout, deadline),
        read_timeout=min(default.read_timeout, deadline),
        request_deadline=deadline,
        max_body_bytes=int(megabytes * 2**20),
    )


@dataclass
class ScanContext:
    """What every fixture of one scan shares."""

    tenant: TenantReader
    config: ScanConfig
    as_of: dt.datetime
    tenant_id: str | None
    tenant_name: str | None = None
    settings: ScanSettings | None = None
    tokens: TokenProvider | None = None
    http: HttpSession | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: RateLimiter | None = None
    recorder: Snapshot | None = None
    replay: Snapshot | None = None
    _exchange: ExchangeReader | None = field(default=None, repr=False)

    def prefetch(self, graph_reads: Iterable[GraphRead], cmdlets: Sequence[CmdletCall], workers: int = 4) -> None:
        """Read Graph collections and run Exchange cmdlets, `workers` at a time, before the tests ask for them.

        Failures are cached where they happened (TenantReader, the Exchange client) for the tests to report.
        """
        exchange = self.exchange() if cmdlets else None

        def run(call: CmdletCall) -> None:
            assert exchange is not None
            try:
                exchange.invoke(call.name, call.parameters)
            except ReadError:
                pass

        unique_reads = {read.key: read for read in graph_reads}.values()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prefetch") as pool:
            jobs: list[Future[object]] = [pool.submit(self.tenant.attempt, read) for read in unique_reads]
            jobs += [pool.submit(run, call) for call in dict.fromkeys(cmdlets)]
            for job in jobs:
                job.result()

    def exchange(self) -> ExchangeReader:
        """The Exchange Online admin API for this scan (live, or replayed from the snapshot); one per scan."""
        if self._exchange is None:
            self._exchange = self._open_exchange()
        return self._exchange

    def _open_exchange(self) -> ExchangeReader:
        if self.replay is not None:
            return ExchangeReplay(self.tenant_id or "", self.replay.lookup)
        assert self.settings is not None and self.tokens is not None
        tokens = self.tokens

        def token_for(scope: str) -> str:
            return tokens.token(scope.removesuffix("/.default")).access_token

        def new_token_for(scope: str) -> str:
            return tokens.token(scope.removesuffix("/.default"), force_refresh=True).access_token

        return ExchangeAdminClient(
            self.tenant_id or self.settings.tenant_id,
            self.settings.exchange_url,
            token_for,
            compliance_url=self.settings.compliance_url,
            organization=initial_domain(self.tenant),
            session=self.http,
            policy=self.policy,
            limiter=self.limiter,
            recorder=self.recorder.record if self.recorder is not None else None,
            refresh_token=new_token_for,
        )

    def dns(self) -> DnsLookups:
        """TXT look-ups for this scan (live through --dns-server or the system's resolvers, or replayed)."""
        if self.replay is not None:
            return DnsLookups(self.replay.dns)
        assert self.settings is not None
        recorder = self.recorder
        return DnsLookups(
            resolver_for(list(self.settings.dns_servers) or None),
            recorder=(lambda key, data: recorder.record_dns(key, data)) if recorder is not None else None,
        )

    def close(self) -> None:
        if self.http is not None:
            self.http.close()


def open_live_scan(settings: ScanSettings, config: ScanConfig, *, record: bool = False) -> ScanContext:
    """Authenticate (raising AuthError before any recommendation runs) and connect to Graph."""
    started = dt.datetime.now(dt.UTC)
    policy = retry_policy_from_env()
    http = HttpSession(settings.ca_bundle, limits=limits_from_env())
    tokens = TokenProvider(settings, http)
    token: AppToken = acquire_app_token(settings, tokens)
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None
    tenant_id = str(token.claims.get("tid") or settings.tenant_id)
    recorder = Snapshot(tenant_id=tenant_id, graph_roles=token.roles) if record else None
    client = GraphClient(settings.graph_url, live_fetch(settings.graph_url, http, tokens, policy, limiter), recorder)
    tenant = TenantReader(client, token.roles, started)
    context = ScanContext(
        tenant=tenant,
        config=config,
        as_of=started,
        tenant_id=tenant_id,
        settings=settings,
        tokens=tokens,
        http=http,
        policy=policy,
        limiter=limiter,
        recorder=recorder,
    )
    context.tenant_name = organization_name(tenant)
    if recorder is not None:
        recorder.tenant_name = context.tenant_name
    return context


def open_replay_scan(path: str, config: ScanConfig) -> ScanContext:
    """Evaluate a saved snapshot offline; the clock is the snapshot's, so relative rules read as then."""
    snapshot = load_snapshot(path)
    try:
        as_of = dt.datetime.fromisoformat(snapshot.created.replace("Z", "+00:00"))
    except ValueError:
        as_of = dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    client = GraphClient("", replay_fetch(snapshot))
    tenant = TenantReader(client, snapshot.graph_roles, as_of)
    return ScanContext(
        tenant=tenant,
        config=config,
        as_of=as_of,
        tenant_id=snapshot.tenant_id,
        tenant_name=snapshot.tenant_name,
        replay=snapshot,
    )


def initial_domain(tenant: TenantReader) -> str | None:
    """The tenant's initial *.onmicrosoft.com domain (the Exchange admin API anchors app calls on it)."""
    data, failure = tenant.attempt(reads.ORGANIZATION)
    if failure is not None or not data:
        return None
    for domain in data[0].get("verifiedDomains") or []:
        if domain.get("isInitial"):
            return str(domain.get("name"))
    return None


def organization_name(tenant: TenantReader) -> str | None:
    """The organisation's display name for the report header (None when it cannot be read)."""
    data, failure = tenant.attempt(reads.ORGANIZATION)
    if failure is not None or not data:
        return None
    return data[0].get("displayName")
