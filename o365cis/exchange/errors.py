"""What an Exchange Online admin API failure means: missing permission or role, unknown cmdlet, service failure."""

from __future__ import annotations

import json
from typing import Any

from o365cis.findings import FailureKind, ReadError
from o365cis.http import redact

#: The application permission (API "Office 365 Exchange Online") every InvokeCommand call needs.
EXCHANGE_PERMISSION = "Exchange.ManageAsApp"
#: The Entra role the app's service principal needs for the Exchange cmdlets this scanner runs.
EXCHANGE_ROLE = "Global Reader"
#: ... and for the Security & Compliance cmdlets.
COMPLIANCE_ROLE = "Compliance Administrator or Global Reader"

# Transport failures carry status 0 and one of these codes (the Graph client uses the same convention).
BUDGET_CODE = "RetryBudgetExhausted"
NOT_IN_SNAPSHOT_CODE = "NotInSnapshot"

_UNKNOWN_CMDLET_MARKERS = ("commandnotfoundexception", "is not recognized as")


def _flatten(value: Any) -> list[str]:
    """Every message string of an error body, nested JSON-in-a-string included."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() == "message" and isinstance(item, str):
                found.append(item)
                # Exchange puts the cmdlet's own error, as a JSON string, in error.details[].message.
                if item.lstrip().startswith("{"):
                    try:
                        found.extend(_flatten(json.loads(item)))
                    except ValueError:
                        pass
            else:
                found.extend(_flatten(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_flatten(item))
    return found


def error_code_and_message(body: Any) -> tuple[str, str]:
    """(code, most specific message) of an admin API error body.

    The outer error.message is often only "Error executing cmdlet"; the cause sits in error.details[] or
    innererror, sometimes as "<id>|<exception type>|<text>": the last message that says more wins.
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code = str(error.get("code") or "")
    messages = [" ".join(m.split()) for m in _flatten(error) if m.strip()]
    specific = [m for m in messages if m.lower() != "error executing cmdlet"]
    message = (specific or messages or [""])[-1]
    if message.count("|") >= 2:
        message = message.split("|", 2)[2].strip() or message
    return code, message


def is_unknown_cmdlet(status: int, body: Any) -> bool:
    """The host does not know the cmdlet (or does not offer it to this app): worth asking the other host."""
    if status < 400:
        return False
    text = json.dumps(body).lower() if body is not None else ""
    return any(marker in text for marker in _UNKNOWN_CMDLET_MARKERS)


def classify_exchange_failure(status: int, body: Any, request: str, *, compliance: bool = False) -> ReadError:
    """Map an admin API answer that is not a success to a ReadError (catalogue "Failure signals")."""
    code, message = error_code_and_message(body)
    # A proxy may echo the Authorization header into the body: redact before the text is shown or recorded.
    said = redact(f"{code}: {message}" if code and message else code or message or f"HTTP {status}")[:300]
    role = COMPLIANCE_ROLE if compliance else EXCHANGE_ROLE
    if status == 0:
        kind = {BUDGET_CODE: FailureKind.BUDGET, NOT_IN_SNAPSHOT_CODE: FailureKind.NOT_IN_SNAPSHOT}.get(
            code, FailureKind.SERVICE
        )
        return ReadError(kind, request, f"service failure: {said}", code=code or None)
    if status == 401:
        detail = (
            "the Exchange admin API refused the app's token (401): grant the application permission "
            f"{EXCHANGE_PERMISSION} (API Office 365 Exchange Online) with admin consent"
        )
        # Both grants are needed and a 401 does not say which is missing (Exchange also answers 401 "User is not
        # allowed to call <cmdlet>" when the service principal holds no role: MicrosoftDocs/office-docs-powershell
        # issue 7970), so the error names both.
        detail += f", and assign the app's service principal the Entra role {role}"
        return ReadError(
            FailureKind.PERMISSION,
            request,
            f"{detail} ({said})",
            permission=EXCHANGE_PERMISSION,
            status=status,
            code=code or None,
        )
    if status == 403:
        return ReadError(
            FailureKind.PERMISSION,
            request,
            "the app's service principal holds no Entra role that may run this cmdlet (403): "
            f"assign it {role} ({said})",
            permission=role,
            status=status,
            code=code or None,
        )
    if is_unknown_cmdlet(status, body):
        # Cmdlets outside the app's roles, or of a service the tenant lacks (Defender for Office 365), are unknown.
        return ReadError(
            FailureKind.PERMISSION,
            request,
            f"the cmdlet is not available to the app: assign its service principal {role}, "
            f"or the tenant lacks the service ({said})",
            permission=role,
            status=status,
            code=code or None,
        )
    if status in (429, 503, 504):
        return ReadError(
            FailureKind.BUDGET,
            request,
            f"throttled or unavailable past the retry budget ({said})",
            status=status,
            code=code or None,
        )
    return ReadError(
        FailureKind.SERVICE, request, f"Exchange admin API answered {status} ({said})", status=status, code=code or None
    )
