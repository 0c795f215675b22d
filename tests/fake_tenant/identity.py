"""The fake Microsoft identity platform: OpenID discovery, client-credentials tokens, token validation.

Shapes follow https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
and https://learn.microsoft.com/entra/identity-platform/certificate-credentials (client assertions).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jwt
from cryptography import x509

from .certificates import certificate_thumbprints, thumbprint_to_x5t
from .errors import Response, identity_error
from .model import ClientApp, Scenario

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: What an access token's audience lets it call.
GRAPH, EXCHANGE, BOTH = "graph", "exchange", "both"
#: The Teams admin API (its resource is a GUID) and the SharePoint admin API (<server url>/sharepoint here).
TEAMS, SHAREPOINT = "teams", "sharepoint"
TEAMS_RESOURCE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"
#: The path under the server's URL that stands for a tenant's SharePoint admin host.
SHAREPOINT_PREFIX = "/sharepoint"

#: Resource ids of the real services, accepted so a test can ask for a token shaped like production's.
#: The server's own URL is BOTH: the scanner is pointed at one URL for Graph and Exchange, so one
#: token (MSAL caches by scope) must serve both; it then carries the Graph and the Exchange roles.
#: A path under the server's URL (e.g. <url>/compliance, a Security & Compliance host mounted there)
#: is an admin API audience: EXCHANGE.
KNOWN_RESOURCES: dict[str, str] = {
    "https://graph.microsoft.com": GRAPH,
    "00000003-0000-0000-c000-000000000000": GRAPH,
    "https://outlook.office365.com": EXCHANGE,
    "https://outlook.office.com": EXCHANGE,
    "00000002-0000-0ff1-ce00-000000000000": EXCHANGE,
    "https://ps.compliance.protection.outlook.com": EXCHANGE,
    TEAMS_RESOURCE: TEAMS,
}

#: Clock skew Entra tolerates on client assertions (seconds).
_ASSERTION_LEEWAY = 300


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of validating a bearer token: the claims, or why it is refused."""

    claims: dict[str, Any] | None
    failure: str | None = None

    @property
    def valid(self) -> bool:
        return self.claims is not None


class TokenIssuer:
    """Mints HS256 access tokens with a server-only key and validates them against the server clock."""

    def __init__(self, lifetime: int, clock: Callable[[], float]) -> None:
        self.lifetime = lifetime
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._issued: set[str] = set()
        self._revoked: set[str] = set()

    def issue(self, claims: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Sign `claims` plus the time and id claims; returns (token, full claims)."""
        now = int(self._clock())
        token_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        full = {**claims, "iat": now, "nbf": now, "exp": now + self.lifetime, "uti": token_id}
        with self._lock:
            self._issued.add(token_id)
        header = {"typ": "JWT", "kid": "fake-tenant-signing-key"}
        return jwt.encode(full, self._key, algorithm="HS256", headers=header), full

    def revoke_all(self) -> None:
        """Make every token issued so far invalid (as if it had expired)."""
        with self._lock:
            self._revoked |= self._issued

    def check(self, token: str) -> TokenCheck:
        """Validate signature, lifetime (server clock) and revocation; the audience is the caller's business."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidSignatureError:
            return TokenCheck(None, "signature")
        except jwt.PyJWTError:
            return TokenCheck(None, "malformed")
        now = self._clock()
        with self._lock:
            revoked = claims.get("uti") in self._revoked
        if revoked or not claims.get("nbf", 0) <= now < claims.get("exp", 0):
            return TokenCheck(None, "expired")
        return TokenCheck(claims)


def audience_kind(resource: str, base_url: str) -> str | None:
    """GRAPH, EXCHANGE or BOTH for a token audience; None when this server hosts no such resource."""
    resource = resource.rstrip("/").lower()
    base = base_url.lower()
    if resource == base:
        return BOTH
    if resource == base + SHAREPOINT_PREFIX:
        return SHAREPOINT
    if resource.startswith(base + "/"):
        return EXCHANGE
    return KNOWN_RESOURCES.get(resource)


def roles_for(scenario: Scenario, kind: str) -> list[str]:
    """The application roles a token for this audience carries (Graph roles, Exchange roles, or both)."""
    if kind == GRAPH:
        return list(scenario.granted_roles)
    if kind == EXCHANGE:
        return list(scenario.exchange_roles)
    if kind == TEAMS:
        return list(scenario.teams_roles)
    if kind == SHAREPOINT:
        return list(scenario.sharepoint_roles)
    return list(dict.fromkeys([*scenario.granted_roles, *scenario.exchange_roles]))


def openid_configuration(base_url: str, scenario: Scenario) -> dict[str, Any]:
    """The tenant's v2.0 OpenID Connect discovery document (endpoints always name the tenant GUID)."""
    root = f"{base_url}/{scenario.tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base_url}/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid"],
        "kerberos_endpoint": f"{root}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def unknown_tenant(tenant: str) -> Response:
    """What login.microsoftonline.com answers for a tenant id or domain it does not know."""
    return identity_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check that the tenant ID is correct and that you are signing in to "
        "the right cloud. The tenant may also have no active subscriptions, in which case an administrator "
        "should check with the subscription owner.",
    )


class TokenEndpoint:
    """POST /<tenant>/oauth2/v2.0/token for grant_type=client_credentials (secret or certificate)."""

    def __init__(self, issuer: TokenIssuer, base_url: Callable[[], str]) -> None:
        self._issuer = issuer
        self._base_url = base_url

    def handle(self, tenant_segment: str, scenario: Scenario, headers: Mapping[str, str], body: bytes) -> Response:
        """Authenticate the client and answer with a token or an Entra-style error."""
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        basic_id, basic_secret = _basic_credentials(headers.get("Authorization", ""))
        if form.get("grant_type") != "client_credentials":
            return identity_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type; this fake only implements 'client_credentials'.",
            )
        client_id = form.get("client_id") or basic_id
        if not client_id:
            return identity_error(
                400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."
            )
        app = scenario.clients.get(client_id) or scenario.clients.get(client_id.lower())
        if app is None:
            return identity_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{scenario.display_name}'. "
                "This can happen if the application has not been installed by the administrator of the tenant or "
                "consented to by any user in the tenant. You may have sent your authentication request to the "
                "wrong tenant.",
            )
        scope = form.get("scope", "")
        failure = self._check_scope(scope)
        if failure is not None:
            return failure
        if form.get("client_assertion") or form.get("client_assertion_type"):
            failure = self._check_assertion(tenant_segment, scenario, client_id, app, form)
            auth_method = "2"
        elif form.get("client_secret") is not None or basic_secret is not None:
            failure = self._check_secret(client_id, app, form.get("client_secret", basic_secret))
            auth_method = "1"
        else:
            failure = identity_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if failure is not None:
            return failure
        resource = scope.strip()[: -len("/.default")]
        return self._grant(scenario, client_id, app, resource, auth_method)

    def _check_scope(self, scope: str) -> Response | None:
        scopes = scope.split()
        if not scopes:
            return identity_error(
                400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."
            )
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return identity_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI).",
            )
        resource = scopes[0][: -len("/.default")]
        if audience_kind(resource, self._base_url()) is None:
            return identity_error(
                400,
                "invalid_resource",
                500011,
                f"The resource principal named {resource} was not found in the tenant. This can happen if the "
                "application has not been installed by the administrator of the tenant.",
            )
        return None

    @staticmethod
    def _check_secret(client_id: str, app: ClientApp, secret: str | None) -> Response | None:
        if app.secret is not None and secret is not None and hmac.compare_digest(app.secret, secret):
            return None
        return identity_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
            f"value, not the client secret ID, for a secret added to app '{client_id}'.",
        )

    def _check_assertion(
        self, tenant_segment: str, scenario: Scenario, client_id: str, app: ClientApp, form: Mapping[str, str]
    ) -> Response | None:
        def refuse(reason: str) -> Response:
            return identity_error(
                401, "invalid_client", 700027, f"Client assertion failed signature validation. [Reason - {reason}]"
            )

        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            return identity_error(
                400,
                "invalid_request",
                700023,
                f"The client_assertion_type must be '{CLIENT_ASSERTION_TYPE}'.",
            )
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return identity_error(400, "invalid_request", 50027, "JWT token is invalid or is malformed.")
        if app.certificate_pem is None:
            return refuse("The key was not found. No certificate is registered for this application.")
        sha1, sha256 = certificate_thumbprints(app.certificate_pem)
        sent = header.get("x5t#S256") or header.get("x5t")
        # Clients differ on base64url padding (MSAL keeps the "="); Entra accepts either.
        if not isinstance(sent, str) or sent.rstrip("=") not in (thumbprint_to_x5t(sha1), thumbprint_to_x5t(sha256)):
            return refuse(f"The key was not found., Thumbprint of key used by client: '{_x5t_to_hex(sent)}'")
        algorithm = header.get("alg")
        if algorithm not in ("RS256", "PS256"):
            return refuse(f"The assertion is signed with an unsupported algorithm '{algorithm}'.")
        public_key = x509.load_pem_x509_certificate(app.certificate_pem.encode("ascii")).public_key()
        base = self._base_url()
        audiences = [f"{base}/{name}/oauth2/v2.0/token" for name in dict.fromkeys([scenario.tenant_id, tenant_segment])]
        try:
            claims = jwt.decode(
                assertion,
                public_key,  # type: ignore[arg-type]  # an RSA key from an X.509 certificate
                algorithms=[algorithm],
                audience=audiences,
                leeway=_ASSERTION_LEEWAY,
                options={"require": ["aud", "exp", "iss", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            return identity_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        except jwt.InvalidAudienceError:
            return refuse(f"The audience claim must be the token endpoint, one of {audiences}.")
        except jwt.PyJWTError as exc:
            return refuse(f"The signature or the claims are invalid: {exc}.")
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return identity_error(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )
        return None

    def _grant(self, scenario: Scenario, client_id: str, app: ClientApp, resource: str, auth_method: str) -> Response:
        kind = audience_kind(resource, self._base_url()) or GRAPH
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{scenario.tenant_id}/",
            "idp": f"https://sts.windows.net/{scenario.tenant_id}/",
            "tid": scenario.tenant_id,
            "appid": client_id,
            "app_displayname": app.display_name,
            "appidacr": auth_method,
            "idtyp": "app",
            "oid": app.service_principal_id,
            "sub": app.service_principal_id,
            "ver": "1.0",
        }
        roles = roles_for(scenario, kind)
        if roles:  # Entra leaves the claim out entirely when no application permission has admin consent.
            claims["roles"] = roles
        if scenario.directory_role_ids is not None and kind not in (GRAPH, BOTH):
            claims["wids"] = list(scenario.directory_role_ids)
        token, _ = self._issuer.issue(claims)
        body = {
            "token_type": "Bearer",
            "expires_in": self._issuer.lifetime,
            "ext_expires_in": self._issuer.lifetime,
            "access_token": token,
        }
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Cache-Control": "no-store, no-cache",
            "Pragma": "no-cache",
            "x-ms-request-id": str(uuid.uuid4()),
        }
        return 200, headers, body


def _basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    if not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _x5t_to_hex(x5t: Any) -> str:
    if not isinstance(x5t, str):
        return ""
    try:
        return base64.urlsafe_b64decode(x5t + "=" * (-len(x5t) % 4)).hex().upper()
    except (binascii.Error, ValueError):
        return x5t
