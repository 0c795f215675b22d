"""DnsLookups: each TXT name looked up at most once per scan, recorded for snapshots, or replayed from one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from o365cis.dns.mail import MailDomain, dkim_names, dmarc_name, needs_root_dmarc, spf_name
from o365cis.dns.outcome import DnsOutcome, normalise_name
from o365cis.dns.resolver import DnsResolver
from o365cis.findings import FailureKind, ReadError

Recorder = Callable[[str, dict[str, Any]], None]


def request_key(name: str) -> str:
    """The snapshot key of a look-up, spelled like the catalogue's requests: `DNS TXT <name>`."""
    return f"DNS TXT {normalise_name(name)}"


class DnsLookups:
    """TXT look-ups for one scan, live (a DnsResolver) or replayed (the dict `export()` produced).

    Outcomes are cached by name, thread-safely, so the DKIM, SPF and DMARC checks and a concurrent
    prefetch cause one query chain per name. Live outcomes, failures included, are kept for
    `export()` and passed to `recorder` as they arrive, so a replay gives the same verdicts offline.
    """

    def __init__(self, source: DnsResolver | Mapping[str, Any], *, recorder: Recorder | None = None) -> None:
        self._resolver: DnsResolver | None = source if isinstance(source, DnsResolver) else None
        self._replay: dict[str, DnsOutcome] = {}
        if self._resolver is None:
            for key, value in dict(source).items():  # type: ignore[arg-type]
                try:
                    outcome = DnsOutcome.from_json(value)
                except ValueError:
                    continue
                self._replay[request_key(key.removeprefix("DNS TXT "))] = outcome
        self._recorder = recorder
        self._outcomes: dict[str, DnsOutcome] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def replaying(self) -> bool:
        """True when answers come from a snapshot, not the network."""
        return self._resolver is None

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def txt(self, name: str) -> DnsOutcome:
        """The outcome of `TXT name`; in replay, ReadError(not_in_snapshot) for a name never recorded."""
        key = request_key(name)
        with self._lock_for(key):
            if key in self._outcomes:
                return self._outcomes[key]
            if self._resolver is None:
                recorded = self._replay.get(key)
                if recorded is None:
                    raise ReadError(FailureKind.NOT_IN_SNAPSHOT, key, "the snapshot holds no answer to this look-up")
                outcome = recorded
            else:
                outcome = self._resolver.query_txt(name)
                if self._recorder is not None:
                    self._recorder(key, outcome.to_json())
            self._outcomes[key] = outcome
            return outcome

    def many(self, names: Iterable[str], *, workers: int = 8) -> dict[str, DnsOutcome]:
        """Outcomes for several names (queried concurrently when live), keyed by normalised name."""
        unique = list(dict.fromkeys(normalise_name(n) for n in names))
        if self._resolver is None or len(unique) < 2:
            return {name: self.txt(name) for name in unique}
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
            return dict(zip(unique, pool.map(self.txt, unique), strict=True))

    def export(self) -> dict[str, dict[str, Any]]:
        """Every outcome seen so far, `{"DNS TXT <name>": outcome}`: the snapshot's `dns` section."""
        with self._guard:
            keys = sorted(self._outcomes)
        return {key: self._outcomes[key].to_json() for key in keys}


def lookup_dkim(lookups: DnsLookups, domains: Iterable[MailDomain]) -> dict[str, DnsOutcome]:
    """Both selectors of every domain, keyed by queried name."""
    return lookups.many(name for d in domains for name in dkim_names(d.name))


def lookup_spf(lookups: DnsLookups, domains: Iterable[MailDomain]) -> dict[str, DnsOutcome]:
    """The apex TXT of every domain, keyed by queried name."""
    return lookups.many(spf_name(d.name) for d in domains)


def lookup_dmarc(lookups: DnsLookups, domains: Iterable[MailDomain]) -> dict[str, DnsOutcome]:
    """_dmarc of every domain, then _dmarc of the verified root for subdomains that have none."""
    chosen = list(domains)
    outcomes = lookups.many(dmarc_name(d.name) for d in chosen)
    roots = [d.root for d in chosen if d.root and needs_root_dmarc(d, outcomes[dmarc_name(d.name)])]
    outcomes.update(lookups.many(dmarc_name(r) for r in roots))
    return outcomes
