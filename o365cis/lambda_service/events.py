"""Validation of the request and scan events (deploy/README.md, Invoke): every problem is listed, no value is echoed."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from o365cis.settings import DOMAIN_PATTERN, GUID_PATTERN, Secret

#: The access types a scan supports; the original product's only one is an app registration's secret.
SUPPORTED_ACCESS_TYPES: tuple[str, ...] = ("credentials",)

#: requestId becomes a DynamoDB key and a folder name: letters, digits, '.', '_' and '-', starting with a letter,
#: digit or '_' (never '.', so never '..', and never '-', which tools read as an option).
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
REQUEST_ID_MAX = 128

#: RFC 5322 dot-atom local part, ASCII only; quoted local parts are refused (they allow header-breaking characters).
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EMAIL_MAX = 254
SECRET_MAX = 1024
#: A KMS ciphertext of a SECRET_MAX-byte secret is about 1.2 KB; base64 makes it 4/3 of that.
SEALED_SECRET_MAX = 4096
BODY_MAX = 64 * 1024


@dataclass(frozen=True)
class Problem:
    """One invalid field: where it is and what is wrong, without its value."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class ScanJob:
    """A validated scan: whose tenant, with which credentials, and who gets the report."""

    request_id: str
    tenant_id: str
    client_id: str
    client_secret: Secret
    email: str
    access_type: str = "credentials"
    #: The secret as the request function sealed it (base64 KMS ciphertext); client_secret is empty until opened.
    client_secret_kms: str | None = None

    def scan_event(self, sealed_secret: str | None = None) -> dict[str, Any]:
        """The scan function's event (deploy/README.md, Invoke): with `sealed_secret`, no plain secret in it."""
        secret = {"client_secret_kms": sealed_secret} if sealed_secret else {"client_secret": str(self.client_secret)}
        return {
            "requestId": self.request_id,
            "access_type": self.access_type,
            "access_input": {"client_id": self.client_id, **secret, "tenant_id": self.tenant_id},
            "email": self.email,
        }


class InvalidEvent(ValueError):
    """The event cannot be accepted; `problems` lists every reason."""

    def __init__(self, problems: list[Problem], request_id: str | None = None) -> None:
        self.problems = problems
        self.request_id = request_id
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def check_request_id(value: Any, where: str) -> list[Problem]:
    """A bounded string of safe characters (it names a database key and a folder)."""
    if value is None or value == "":
        return [Problem(where, "required")]
    if not isinstance(value, str):
        return [Problem(where, "must be a string")]
    if len(value) > REQUEST_ID_MAX:
        return [Problem(where, f"at most {REQUEST_ID_MAX} characters")]
    if not REQUEST_ID_PATTERN.match(value):
        return [Problem(where, "only letters, digits, '.', '_' and '-', starting with a letter, digit or '_'")]
    return []


def check_email(value: Any, where: str) -> list[Problem]:
    """A plain ASCII address (local@domain) that cannot inject a mail header."""
    if value is None or value == "":
        return [Problem(where, "required")]
    if not isinstance(value, str):
        return [Problem(where, "must be a string")]
    if len(value) > EMAIL_MAX:
        return [Problem(where, f"at most {EMAIL_MAX} characters")]
    if _CONTROL.search(value) or not value.isascii():
        return [Problem(where, "must not contain control characters (line breaks) or non-ASCII characters")]
    if value.count("@") != 1:
        return [Problem(where, "must be one address of the form name@domain")]
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _LOCAL_PART.match(local) or not DOMAIN_PATTERN.match(domain):
        return [Problem(where, "must be one address of the form name@domain")]
    return []


def _check_guid(value: Any, where: str, what: str) -> list[Problem]:
    if value is None or value == "":
        return [Problem(where, "required")]
    if not isinstance(value, str) or not GUID_PATTERN.match(value):
        return [Problem(where, f"must be {what}, a GUID")]
    return []


def _check_tenant(value: Any, where: str) -> list[Problem]:
    if value is None or value == "":
        return [Problem(where, "required")]
    if not isinstance(value, str) or not (GUID_PATTERN.match(value) or DOMAIN_PATTERN.match(value)):
        return [Problem(where, "must be the directory (tenant) id, a GUID, or a verified domain name")]
    return []


def _check_secret(value: Any, where: str) -> list[Problem]:
    if value is None or value == "":
        return [Problem(where, "required")]
    if not isinstance(value, str):
        return [Problem(where, "must be a string")]
    if len(value) > SECRET_MAX or _CONTROL.search(value):
        return [Problem(where, f"must be at most {SECRET_MAX} printable characters")]
    return []


def _check_sealed_secret(value: Any, where: str) -> list[Problem]:
    if not isinstance(value, str) or not value:
        return [Problem(where, "must be a base64 string")]
    if len(value) > SEALED_SECRET_MAX or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return [Problem(where, f"must be base64, at most {SEALED_SECRET_MAX} characters")]
    return []


def _check_access(access_type: Any, access_input: Any, where: str, *, sealed_allowed: bool = False) -> list[Problem]:
    problems: list[Problem] = []
    type_where = f"{where}access_type"
    if access_type is None or access_type == "":
        problems.append(Problem(type_where, "required"))
    elif access_type not in SUPPORTED_ACCESS_TYPES:
        problems.append(Problem(type_where, f"must be one of: {', '.join(SUPPORTED_ACCESS_TYPES)}"))
    input_where = f"{where}access_input"
    if not isinstance(access_input, dict):
        problems.append(Problem(input_where, "required: an object with tenant_id, client_id and client_secret"))
        return problems
    problems += _check_tenant(access_input.get("tenant_id"), f"{input_where}.tenant_id")
    problems += _check_guid(access_input.get("client_id"), f"{input_where}.client_id", "the application (client) id")
    if sealed_allowed and "client_secret_kms" in access_input:
        if access_input.get("client_secret") not in (None, ""):
            problems.append(
                Problem(f"{input_where}.client_secret", "give client_secret or client_secret_kms, not both")
            )
        problems += _check_sealed_secret(access_input["client_secret_kms"], f"{input_where}.client_secret_kms")
    else:
        problems += _check_secret(access_input.get("client_secret"), f"{input_where}.client_secret")
    return problems


def _job(request_id: str, access_type: str, access_input: dict[str, Any], email: str) -> ScanJob:
    return ScanJob(
        request_id=request_id,
        tenant_id=access_input["tenant_id"],
        client_id=access_input["client_id"].lower(),
        client_secret=Secret(access_input.get("client_secret") or ""),
        email=email,
        access_type=access_type,
        client_secret_kms=access_input.get("client_secret_kms"),
    )


def _safe_request_id(value: Any) -> str | None:
    return value if isinstance(value, str) and not check_request_id(value, "") else None


def decode_body(event: Any) -> dict[str, Any]:
    """The request's body as an object: given as one, or as a JSON string (API Gateway proxy, maybe base64)."""
    if not isinstance(event, dict):
        raise InvalidEvent([Problem("event", "must be a JSON object")])
    if "body" not in event or event["body"] is None:
        raise InvalidEvent([Problem("body", "required")])
    body = event["body"]
    if isinstance(body, dict):
        return body
    if not isinstance(body, str):
        raise InvalidEvent([Problem("body", "must be an object or a JSON string")])
    if len(body) > BODY_MAX:
        raise InvalidEvent([Problem("body", f"at most {BODY_MAX} characters")])
    text = body
    if event.get("isBase64Encoded") is True:
        # API Gateway HTTP APIs may base64-encode the body of a request they pass through.
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input are all ValueErrors
            raise InvalidEvent([Problem("body", "isBase64Encoded is set but the body is not base64 UTF-8")]) from None
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidEvent([Problem("body", "is not valid JSON")]) from None
    if not isinstance(decoded, dict):
        raise InvalidEvent([Problem("body", "must be a JSON object")])
    return decoded


def parse_request_event(event: Any) -> ScanJob:
    """Validate the request function's event; raise InvalidEvent listing every problem."""
    body = decode_body(event)
    request_id = body.get("requestId")
    problems = check_request_id(request_id, "body.requestId")
    problems += check_email(body.get("email"), "body.email")
    scan_input = body.get("scan_input")
    entry: Any = None
    if scan_input is None or scan_input == []:
        problems.append(Problem("body.scan_input", "required: a list with one access entry"))
    elif not isinstance(scan_input, list):
        problems.append(Problem("body.scan_input", "must be a list with one access entry"))
    elif len(scan_input) != 1:
        problems.append(Problem("body.scan_input", "exactly one access entry is supported (one tenant per request)"))
    elif not isinstance(scan_input[0], dict):
        problems.append(Problem("body.scan_input[0]", "must be an object with access_type and access_input"))
    else:
        entry = scan_input[0]
        problems += _check_access(entry.get("access_type"), entry.get("access_input"), "body.scan_input[0].")
    if problems:
        raise InvalidEvent(problems, _safe_request_id(request_id))
    assert isinstance(entry, dict) and isinstance(request_id, str)
    return _job(request_id, entry["access_type"], entry["access_input"], body["email"])


def parse_scan_event(event: Any) -> ScanJob:
    """Validate the scan function's event (the request function's hand-over, or a direct call).

    The secret is `client_secret` (direct use) or `client_secret_kms` (the request function's hand-over); the
    latter is opened by the handler with the requestId as KMS encryption context.
    """
    if not isinstance(event, dict):
        raise InvalidEvent([Problem("event", "must be a JSON object")])
    request_id = event.get("requestId")
    problems = check_request_id(request_id, "requestId")
    problems += _check_access(event.get("access_type"), event.get("access_input"), "", sealed_allowed=True)
    problems += check_email(event.get("email"), "email")
    if problems:
        raise InvalidEvent(problems, _safe_request_id(request_id))
    assert isinstance(request_id, str)
    return _job(request_id, event["access_type"], event["access_input"], event["email"])
