"""The Exchange Online (and Security & Compliance) admin API: cmdlets over REST, no PowerShell."""

from o365cis.exchange.client import (
    ExchangeAdminClient,
    ExchangeReader,
    ExchangeReplay,
    record_key,
    request_label,
)
from o365cis.exchange.cmdlets import COMPLIANCE_CMDLETS, DECISIVE_CMDLETS, EVIDENCE_CMDLETS, CmdletCall
from o365cis.exchange.errors import COMPLIANCE_ROLE, EXCHANGE_PERMISSION, EXCHANGE_ROLE, classify_exchange_failure

__all__ = [
    "COMPLIANCE_CMDLETS",
    "COMPLIANCE_ROLE",
    "DECISIVE_CMDLETS",
    "EVIDENCE_CMDLETS",
    "EXCHANGE_PERMISSION",
    "EXCHANGE_ROLE",
    "CmdletCall",
    "ExchangeAdminClient",
    "ExchangeReader",
    "ExchangeReplay",
    "classify_exchange_failure",
    "record_key",
    "request_label",
]
