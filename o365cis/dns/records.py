"""Reading SPF, DMARC and DKIM TXT records: which strings are such records, and their tags or terms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: The include Microsoft publishes for Exchange Online senders
#: (https://learn.microsoft.com/defender-office-365/email-authentication-spf-configure).
EXCHANGE_ONLINE_SPF_INCLUDE = "spf.protection.outlook.com"

# RFC 7208 section 4.5: an SPF record is "v=spf1" followed by a space or the end; "v=spf10" is not one.
_SPF = re.compile(r"^v=spf1(\s|$)", re.IGNORECASE)
# RFC 7489 section 6.4: the record starts with the v tag, value DMARC1.
_DMARC = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)", re.IGNORECASE)
_DKIM = re.compile(r"^\s*v\s*=\s*DKIM1\s*(;|$)", re.IGNORECASE)

DMARC_POLICIES = ("none", "quarantine", "reject")


def spf_records(records: Iterable[str]) -> list[str]:
    """The TXT records that are SPF records."""
    return [r for r in records if _SPF.match(r.strip())]


def spf_terms(record: str) -> list[str]:
    """The record's terms after the version, lower-cased."""
    return [term.lower() for term in record.split()[1:]]


# RFC 7208 section 5: the mechanisms. Section 6: a modifier is `name=value`, its name starting with a letter.
_SPF_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_SPF_NEEDS_TARGET = ("include", "ip4", "ip6", "exists")
_SPF_MODIFIER = re.compile(r"^[a-z][a-z0-9_.-]*=")
_SPF_QUALIFIERS = "+-~?"


@dataclass(frozen=True)
class SpfMechanism:
    """One mechanism: its qualifier (`+` when none is written, RFC 7208 4.6.2), name and target."""

    qualifier: str
    name: str
    target: str

    def __str__(self) -> str:
        return f"{self.qualifier}{self.name}" + (f":{self.target}" if self.target else "")


@dataclass(frozen=True)
class SpfRecord:
    """An SPF record read as RFC 7208 section 4.6 evaluates it.

    `evaluated` holds the mechanisms up to and including the first `all`: evaluation stops at the first match and
    `all` always matches (5.1), so the ones after it (`unreached`) never count. Modifiers (exp=, redirect=, others)
    are not mechanisms; redirect= is ignored when an all mechanism is present (6.1). `errors` are syntax errors,
    each of which makes check_host() return permerror for the whole record (4.6).
    """

    evaluated: tuple[SpfMechanism, ...]
    unreached: tuple[SpfMechanism, ...]
    modifiers: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def all_mechanism(self) -> SpfMechanism | None:
        """The first `all` mechanism, where evaluation ends; None when the record has none."""
        last = self.evaluated[-1] if self.evaluated else None
        return last if last is not None and last.name == "all" else None

    def modifier(self, name: str) -> str | None:
        """The value of the first modifier of that name, or None."""
        prefix = f"{name}="
        return next((m[len(prefix) :] for m in self.modifiers if m.startswith(prefix)), None)


def _spf_mechanism(term: str) -> SpfMechanism | None:
    qualifier = term[0] if term[:1] in _SPF_QUALIFIERS and len(term) > 1 else "+"
    body = term[1:] if term[:1] in _SPF_QUALIFIERS else term
    name = re.split(r"[:/]", body, maxsplit=1)[0]
    if name not in _SPF_MECHANISMS:
        return None
    rest = body[len(name) :]
    if name == "all":
        return SpfMechanism(qualifier, name, "") if not rest else None
    if name in _SPF_NEEDS_TARGET and (not rest.startswith(":") or len(rest) < 2):
        return None
    return SpfMechanism(qualifier, name, rest[1:] if rest.startswith(":") else rest)


def read_spf(record: str) -> SpfRecord:
    """The record's terms in evaluation order (terms are lower-cased: SPF names are case-insensitive, 4.6.1)."""
    evaluated: list[SpfMechanism] = []
    unreached: list[SpfMechanism] = []
    modifiers: list[str] = []
    errors: list[str] = []
    for term in spf_terms(record):
        if _SPF_MODIFIER.match(term):
            name = term.partition("=")[0]
            # RFC 7208 section 6: redirect= and exp= may each appear at most once.
            if name in ("redirect", "exp") and any(m.startswith(f"{name}=") for m in modifiers):
                errors.append(f"{term} (a second {name}=, RFC 7208 6)")
            modifiers.append(term)
            continue
        mechanism = _spf_mechanism(term)
        if mechanism is None:
            errors.append(f"{term} (not a mechanism or modifier, RFC 7208 4.6.1)")
        elif evaluated and evaluated[-1].name == "all":
            unreached.append(mechanism)
        else:
            evaluated.append(mechanism)
    return SpfRecord(tuple(evaluated), tuple(unreached), tuple(modifiers), tuple(errors))


def is_exchange_online_include(mechanism: SpfMechanism) -> bool:
    """Whether the mechanism passes Exchange Online's senders: `include:spf.protection.outlook.com`, qualifier +."""
    return (
        mechanism.name == "include" and mechanism.target == EXCHANGE_ONLINE_SPF_INCLUDE and mechanism.qualifier == "+"
    )


def dmarc_records(records: Iterable[str]) -> list[str]:
    """The TXT records that are DMARC records (RFC 7489 says the others are ignored)."""
    return [r for r in records if _DMARC.match(r)]


def tag_list(record: str) -> dict[str, str]:
    """`tag=value` pairs separated by semicolons (DMARC and DKIM share the syntax), tags lower-cased."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        tag, sep, value = part.partition("=")
        if sep and tag.strip():
            tags.setdefault(tag.strip().lower(), value.strip())
    return tags


def dmarc_policy(record: str) -> str | None:
    """The p= value, lower-cased, when it is one of none, quarantine, reject."""
    value = tag_list(record).get("p", "").lower()
    return value if value in DMARC_POLICIES else None


def dkim_records(records: Iterable[str]) -> list[str]:
    """The TXT records that start with `v=DKIM1`."""
    return [r for r in records if _DKIM.match(r)]


def dkim_public_key(record: str) -> str:
    """The p= value (whitespace removed); empty when the key is revoked or missing (RFC 6376 3.6.1)."""
    return "".join(tag_list(record).get("p", "").split())
