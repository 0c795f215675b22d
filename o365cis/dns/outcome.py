"""What one DNS TXT look-up found: records, no such name, no data, or a failure, with the CNAMEs followed."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from o365cis.findings import TextEnum


class OutcomeKind(str, enum.Enum):
    """The four answers a look-up can end in (the "DNS outcome" of docs/CONCEPTS.md builds on them)."""

    FOUND = "found"
    NXDOMAIN = "nxdomain"
    NODATA = "nodata"
    FAILED = "failed"


class FailureCause(TextEnum):
    """Why a look-up failed, as reported in `DnsOutcome.failure` (several joined with "/" when servers disagree)."""

    TIMEOUT = "timeout"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    NETWORK = "network error"
    MALFORMED = "malformed answer"
    CNAME_LOOP = "CNAME loop"
    CNAME_TOO_LONG = "CNAME chain too long"
    NO_SERVER = "no DNS server configured"


def normalise_name(name: str) -> str:
    """Lower case, no trailing dot: the form names are compared and recorded in."""
    return name.strip().rstrip(".").lower()


@dataclass(frozen=True)
class DnsOutcome:
    """The answer to `TXT <name>`.

    `records` holds one string per TXT record, its character-strings joined (RFC 7208 section 3.3 and
    RFC 6376 section 3.6.2.2 both say a record split into strings is read as their concatenation).
    `cname_chain` lists every CNAME target followed from `name`, in order; the records belong to the
    last one. `failure` names the cause of a FAILED look-up; `detail` tells what each server said.
    """

    name: str
    kind: OutcomeKind
    records: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    failure: str | None = None
    detail: str | None = None

    @property
    def final_name(self) -> str:
        """The name the records (or their absence) belong to, after the CNAMEs."""
        return self.cname_chain[-1] if self.cname_chain else self.name

    @property
    def failed(self) -> bool:
        """True when no usable answer came (timeout, SERVFAIL, REFUSED, ...)."""
        return self.kind is OutcomeKind.FAILED

    def describe(self) -> str:
        """One line for evidence: what was found at the name."""
        via = f" via CNAME {' -> '.join(self.cname_chain)}" if self.cname_chain else ""
        if self.kind is OutcomeKind.FOUND:
            shown = "; ".join(repr(record) for record in self.records)
            return f"TXT {shown}{via}"
        if self.kind is OutcomeKind.NXDOMAIN:
            return f"NXDOMAIN (no such name){via}"
        if self.kind is OutcomeKind.NODATA:
            return f"NODATA (name exists, no TXT record){via}"
        return f"look-up failed: {self.failure}{via}" + (f" ({self.detail})" if self.detail else "")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (snapshots)."""
        data: dict[str, Any] = {"name": self.name, "kind": self.kind.value}
        if self.records:
            data["records"] = list(self.records)
        if self.cname_chain:
            data["cname_chain"] = list(self.cname_chain)
        if self.failure:
            data["failure"] = self.failure
        if self.detail:
            data["detail"] = self.detail
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DnsOutcome:
        """The inverse of to_json; raises ValueError on a dict that is not an outcome."""
        try:
            return cls(
                name=normalise_name(str(data["name"])),
                kind=OutcomeKind(data["kind"]),
                records=tuple(str(r) for r in data.get("records") or ()),
                cname_chain=tuple(normalise_name(str(c)) for c in data.get("cname_chain") or ()),
                failure=data.get("failure"),
                detail=data.get("detail"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a DNS outcome: {exc}") from None
