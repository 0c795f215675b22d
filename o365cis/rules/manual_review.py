"""ManualReview: the manual finding of a recommendation no API can decide, what to review and where, and a summary of
what could be read, naming every source that could not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from o365cis.findings import Evidence, Finding, manual
from o365cis.rules.evidence import capped
from o365cis.rules.securescore import SecureScore


class ManualReview:
    """Collects what a manual review read (notes and evidence) and what it could not, into one finding."""

    def __init__(self, check: str, failures: Mapping[str, str] | None) -> None:
        self.check = check
        self.failures = dict(failures or {})
        self.read: list[str] = []
        self.unread: list[str] = []
        self.evidence: list[Evidence] = []

    def missing(self, key: str, what: str, permission: str) -> None:
        """Record an evidence read that failed (or was not attempted), naming the permission it needs."""
        why = self.failures.get(key)
        self.unread.append(f"{what} (needs {permission}{': ' + why if why else ''})")

    def note(self, text: str) -> None:
        """Record a one-line summary of something read."""
        self.read.append(text)

    def add(self, items: Iterable[Evidence], what: str) -> None:
        """Attach evidence items, capped (what = the kind of item, for the "more not listed" note)."""
        self.evidence += capped(list(items), what)

    def secure_score(self, secure_score: SecureScore | None, names: Sequence[str], key: str = "secure_score") -> None:
        """The listed Secure Score controls, shown only (a review control records a click, never a review)."""
        if secure_score is None:
            self.missing(key, f"Secure Score control {' / '.join(names)}", "SecurityEvents.Read.All")
            return
        found = False
        for name in names:
            control = secure_score.control([name])
            if control is not None:
                found = True
                self.evidence.append(control.evidence())
                self.note(f"Secure Score control {control.name}: {control.figures()} (shown only)")
        if not found:
            self.note(f"Secure Score control {' / '.join(names)} is not in the latest snapshot")

    def finding(self) -> Finding:
        """The manual finding: what to review and where, then what was read and what was not."""
        parts = [self.check]
        if self.read:
            parts.append("Read: " + "; ".join(self.read))
        if self.unread:
            parts.append("Not read: " + "; ".join(self.unread))
        return manual(". ".join(parts), self.evidence)
