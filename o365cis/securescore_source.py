"""The Secure Score source of the evaluation chain: the latest snapshot and the control profiles, read once on first
use (collectors), decided by the rule of rules/securescore.py. It joins the two layers, as the fixtures do."""

from __future__ import annotations

import datetime as dt
import threading

from o365cis.catalogue import Recommendation
from o365cis.collectors import reads
from o365cis.collectors.tenant import TenantReader
from o365cis.findings import Decision
from o365cis.rules.securescore import SecureScore, securescore_side


class SecureScoreSource:
    """Decides a recommendation from Secure Score by its catalogue control names (and its deviation, if any).

    A failed read raises ReadError from decide(), so the chain moves on to the next source.
    """

    def __init__(self, tenant: TenantReader, as_of: dt.datetime) -> None:
        self._tenant = tenant
        self._as_of = as_of
        self._score: SecureScore | None = None
        self._lock = threading.Lock()

    def score(self) -> SecureScore:
        with self._lock:
            if self._score is None:
                self._score = SecureScore(
                    self._tenant.read(reads.SECURE_SCORES), self._tenant.read(reads.SECURE_SCORE_PROFILES)
                )
            return self._score

    def decide(self, recommendation: Recommendation) -> Decision:
        """The Secure Score verdict for one recommendation."""
        return securescore_side(
            recommendation.id,
            self.score(),
            recommendation.securescore,
            self._as_of,
            all_controls=recommendation.securescore_all,
        )
