"""App-only tokens from the Microsoft identity platform (msal), with one-line, secret-free errors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from o365cis.http import HttpSession, TransportError
from o365cis.settings import ScanSettings, Secret


class AuthError(Exception):
    """A token could not be had. `kind` is one of bad_credentials, unknown_tenant, unknown_client,
    no_consent, unreachable, bad_certificate; the message is one line and never holds a secret."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# AADSTS codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
_AADSTS_KINDS = {
    7000215: ("bad_credentials", "the client secret was rejected (invalid secret)"),
    7000222: ("bad_credentials", "the client secret has expired"),
    700027: (
        "bad_credentials",
        "the client certificate assertion was rejected (certificate not registered on the app?)",
    ),
    700024: ("bad_credentials", "the client assertion is not within its valid time range"),
    700016: ("unknown_client", "the application (client) id was not found in the tenant"),
    90002: ("unknown_tenant", "the tenant was not found"),
    900023: ("unknown_tenant", "the tenant id is not a valid tenant"),
    90033: ("unknown_tenant", "the tenant is not available"),
    65001: ("no_consent", "admin consent has not been granted for the application"),
    500011: (
        "no_consent",
        "the resource principal was not found in the tenant (service not provisioned or no consent)",
    ),
}


def _reason(exc: requests.RequestException) -> str:
    """Why a request failed, in one secret-free line: the scanner's own refusals say it, the rest by type."""
    return str(exc) if isinstance(exc, TransportError) else type(exc).__name__


def _unprocessable(authority_url: str, exc: Exception) -> AuthError:
    """Anything else msal raises (e.g. a TypeError on a token answer whose expires_in is null) as a sign-in failure.

    Raised `from None`: the frames of msal's exception hold the token answer and the client secret as locals, and
    a traceback shown with locals (`pytest -l`, an INTERNALERROR) must have no way to print them.
    """
    return AuthError(
        "unreachable",
        f"the identity platform at {authority_url} gave an answer that could not be processed ({type(exc).__name__})",
    )


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def decode_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT access token (not verified: only read for its roles and tenant)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True)
class AppToken:
    """An access token and what it grants."""

    access_token: str
    claims: dict[str, Any]

    @property
    def roles(self) -> frozenset[str]:
        roles = self.claims.get("roles") or []
        return frozenset(r for r in roles if isinstance(r, str))

    def __repr__(self) -> str:
        return f"AppToken(roles={sorted(self.roles)!r})"


def _private_key(pem: bytes, password: str | None, path: str) -> Any:
    try:
        return serialization.load_pem_private_key(pem, password.encode() if password else None)
    except TypeError:
        if password:  # a password was given for a key that has none
            return _private_key(pem, None, path)
        raise AuthError(
            "bad_certificate", f"the private key in {path} is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD"
        ) from None
    except ValueError:
        raise AuthError("bad_certificate", f"{path} holds no readable private key (wrong password?)") from None


def _certificate_credential(path: str, password: str | None) -> dict[str, str]:
    """msal's certificate credential from one PEM file holding the certificate and its private key."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise AuthError("bad_certificate", f"cannot read client certificate {path}: {exc.strerror}") from None
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise AuthError("bad_certificate", f"{path} holds no PEM certificate") from None
    key = _private_key(pem, password, path)
    if not isinstance(key, rsa.RSAPrivateKey):
        # msal signs client assertions with RS256/PS256: Entra app certificates must hold RSA keys.
        raise AuthError(
            "bad_certificate", f"the private key in {path} is not an RSA key (Entra client certificates need RSA)"
        )
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
        raise AuthError("bad_certificate", f"the private key in {path} does not belong to its certificate")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    thumbprint = hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()  # noqa: S324 - Entra's x5t is SHA-1
    return {
        "private_key": key_pem,
        "thumbprint": thumbprint,
        "public_certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }


class TokenProvider:
    """Gets and refreshes app-only tokens for any resource of the tenant (Graph, Exchange...)."""

    def __init__(self, settings: ScanSettings, session: HttpSession | None = None) -> None:
        self.settings = settings
        self.session = session or HttpSession(settings.ca_bundle)
        self._lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None
        #: One-line messages of sign-ins that failed after the scan began (e.g. a secret revoked mid-scan).
        self.failures: list[str] = []

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is not None:
            return self._app
        s = self.settings
        if s.client_secret:
            credential: Any = str(s.client_secret)
        else:
            assert s.client_certificate
            password = str(s.client_certificate_password) if s.client_certificate_password else None
            credential = _certificate_credential(s.client_certificate, password)
        try:
            self._app = msal.ConfidentialClientApplication(
                s.client_id,
                client_credential=credential,
                authority=s.authority,
                http_client=self.session,
                # Instance discovery asks login.microsoftonline.com about the authority host;
                # an authority override (private endpoint, test server) must skip it.
                instance_discovery=s.is_microsoft_authority,
                timeout=30,
            )
        except ValueError as exc:
            raise AuthError(
                "unknown_tenant",
                f"tenant {s.tenant_id!r} was not found at {s.authority_url} ({_first_line(str(exc))[:160]})",
            ) from None
        except requests.RequestException as exc:
            raise AuthError(
                "unreachable", f"cannot reach the identity platform at {s.authority_url}: {_reason(exc)}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - see _unprocessable
            raise _unprocessable(s.authority_url, exc) from None
        return self._app

    def token(self, resource: str, *, force_refresh: bool = False) -> AppToken:
        """A token for `resource` (e.g. the Graph URL); msal's cache serves it until it nears expiry."""
        scope = f"{resource.rstrip('/')}/.default"
        with self._lock:
            app = self._application()
            try:
                if force_refresh:
                    app.remove_tokens_for_client()
                result = app.acquire_token_for_client(scopes=[scope])
            except requests.RequestException as exc:
                raise AuthError(
                    "unreachable",
                    f"cannot reach the identity platform at {self.settings.authority_url}: {_reason(exc)}",
                ) from None
            except ValueError as exc:
                raise AuthError(
                    "unknown_tenant", f"tenant {self.settings.tenant_id!r}: {_first_line(str(exc))[:160]}"
                ) from None
            except Exception as exc:  # noqa: BLE001 - see _unprocessable
                raise _unprocessable(self.settings.authority_url, exc) from None
        if "access_token" not in result:
            error = self._error_from(result)
            self.failures.append(str(error))
            raise error
        # Out of the plain dict at once: a traceback shown with locals (pytest -l) must not print the token.
        access_token = Secret(result.pop("access_token"))
        return AppToken(access_token, decode_claims(access_token))

    def _error_from(self, result: dict[str, Any]) -> AuthError:
        codes = result.get("error_codes") or []
        for code in codes:
            if code in _AADSTS_KINDS:
                kind, text = _AADSTS_KINDS[code]
                return AuthError(
                    kind,
                    f"sign-in for app {self.settings.client_id} in tenant {self.settings.tenant_id} failed: "
                    f"{text} (AADSTS{code})",
                )
        error = result.get("error") or "unknown_error"
        description = _first_line(result.get("error_description") or "")[:200]
        return AuthError(
            "bad_credentials" if error == "invalid_client" else error, f"sign-in failed: {error}: {description}"
        )


def acquire_app_token(settings: ScanSettings, provider: TokenProvider | None = None) -> AppToken:
    """A Graph token, checked for admin consent (an app without granted roles gets a token without `roles`)."""
    provider = provider or TokenProvider(settings)
    token = provider.token(settings.graph_url)
    if not token.roles:
        raise AuthError(
            "no_consent",
            f"app {settings.client_id} has no application permissions granted in tenant {settings.tenant_id}: "
            "grant admin consent for the permissions listed in README.md",
        )
    return token
