"""TenantReader: each Graph read performed at most once per scan, after a permission pre-flight."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from o365cis.catalogue import satisfied_by
from o365cis.collectors import reads
from o365cis.collectors.reads import GraphRead
from o365cis.findings import FailureKind, ReadError
from o365cis.graph.client import GraphClient


class TenantReader:
    """The tenant as the scan reads it. Results and failures are cached by read key, thread-safely,
    so that tests sharing a collection (and a concurrent prefetch) cause one request chain only."""

    def __init__(self, client: GraphClient, roles: frozenset[str], started: dt.datetime) -> None:
        self.client = client
        self.roles = roles
        self.started = started
        self._results: dict[str, Any] = {}
        self._failures: dict[str, ReadError] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def since_7_days(self) -> str:
        """ISO 8601 UTC time seven days before the scan started ({now-7d} in the catalogue)."""
        return (self.started - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def preflight(self, read: GraphRead) -> ReadError | None:
        """A read whose permission the token lacks is not attempted (the error names the permission)."""
        if any(satisfied_by(p, self.roles) for p in read.permissions):
            return None
        return ReadError(
            FailureKind.PERMISSION,
            f"GET {read.path}",
            f"permission {read.permission} not granted to the app (grant it and admin-consent it)",
            permission=read.permission,
        )

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def read(self, read: GraphRead) -> Any:
        """The read's data (a list for collections, a dict for singletons); raises its ReadError."""
        with self._lock_for(read.key):
            if read.key in self._results:
                return self._results[read.key]
            if read.key in self._failures:
                raise self._failures[read.key]
            try:
                refused = self.preflight(read)
                if refused is not None:
                    raise refused
                params = dict(read.params)
                headers = dict(read.headers)
                if read.collection:
                    data: Any = self.client.get_all(read.path, params, headers=headers, permission=read.permission)
                else:
                    data = self.client.get(read.path, params, headers=headers, permission=read.permission)
            except ReadError as failure:
                self._failures[read.key] = failure
                raise
            self._results[read.key] = data
            return data

    def attempt(self, read: GraphRead) -> tuple[Any, ReadError | None]:
        """(data, None) or (None, failure): for evidence reads that must not stop a result."""
        try:
            return self.read(read), None
        except ReadError as failure:
            return None, failure

    def prefetch(self, wanted: Iterable[GraphRead], workers: int = 4) -> None:
        """Fetch independent collections concurrently; failures stay cached for the tests to report."""
        unique = {r.key: r for r in wanted}.values()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="graph-prefetch") as pool:
            list(pool.map(self.attempt, unique))

    # Reads whose failure the catalogue gives a meaning ------------------------------------------

    def eligible_role_instances(self) -> list[dict[str, Any]]:
        """PIM eligibility; a refusal for lack of Entra ID P2 means there are no eligible holders.

        A refusal for a missing permission stays a failed read (docs/CONCEPTS.md, "Admin users").
        """
        try:
            return self.read(reads.ROLE_ELIGIBILITY_INSTANCES)
        except ReadError as failure:
            if failure.kind is FailureKind.NOT_LICENSED:
                return []
            raise

    def group_eligibility_instances(self, group_id: str) -> list[dict[str, Any]]:
        """PIM for Groups eligibility of one group; a refusal for lack of Entra ID P2 means nobody is eligible.

        A refusal for a missing permission stays a failed read (docs/CONCEPTS.md, "Admin users").
        """
        try:
            return self.read(reads.group_eligibility_instances(group_id))
        except ReadError as failure:
            if failure.kind is FailureKind.NOT_LICENSED:
                return []
            raise

    def group_members(self, group_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Transitive members of each group (one request chain per group, cached)."""
        return {gid: self.read(reads.group_transitive_members(gid)) for gid in dict.fromkeys(group_ids)}
