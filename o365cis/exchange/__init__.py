"""The Exchange Online (and Security & Compliance) admin API: cmdlets over REST, no PowerShell."""

from o365cis.exchange.client import (
    ExchangeAdminClient,
    ExchangeReader,
    ExchangeReplay,
    record_key,
    request_label,
)
from o365cis.exchange.cmdlets import (
    COMPLIANCE_CMDLETS,
    CmdletCall,
    CmdletRequest,
    cmdlets_for_requests,
    parse_cmdlet_request,
)
from o365cis.exchange.errors import COMPLIANCE_ROLE, EXCHANGE_PERMISSION, EXCHANGE_ROLE, classify_exchange_failure

__all__ = [
    "COMPLIANCE_CMDLETS",
    "COMPLIANCE_ROLE",
    "EXCHANGE_PERMISSION",
    "EXCHANGE_ROLE",
    "CmdletCall",
    "CmdletRequest",
    "ExchangeAdminClient",
    "ExchangeReader",
    "ExchangeReplay",
    "classify_exchange_failure",
    "cmdlets_for_requests",
    "parse_cmdlet_request",
    "record_key",
    "request_label",
]
