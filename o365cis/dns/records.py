"""Reading SPF, DMARC and DKIM TXT records: which strings are such records, and their tags or terms."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def spf_authorises_exchange(record: str) -> bool:
    """Whether the record passes Exchange Online's senders.

    That is, it has `include:spf.protection.outlook.com` (qualifier + or none).
    """
    wanted = f"include:{EXCHANGE_ONLINE_SPF_INCLUDE}"
    return any(term in (wanted, f"+{wanted}") for term in spf_terms(record))


def spf_allows_everyone(record: str) -> bool:
    """Whether the record ends in `+all` (or a bare `all`, whose default qualifier is + per RFC 7208 4.6.2)."""
    terms = spf_terms(record)
    return bool(terms) and terms[-1] in ("+all", "all")


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
