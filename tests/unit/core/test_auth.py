"""o365cis.auth without an identity server: JWT claims, the PEM certificate credential, one-line AuthErrors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import jwt
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from o365cis.auth import AppToken, AuthError, TokenProvider, _certificate_credential, acquire_app_token, decode_claims
from o365cis.settings import ScanSettings, Secret

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "Zx8Q~not-a-real-secret-but-private"
PASSWORD = "correct horse battery staple"


# decode_claims / AppToken ----------------------------------------------------------------------


def test_claims_of_a_signed_jwt() -> None:
    claims = {
        "tid": TENANT,
        "appid": CLIENT,
        "roles": ["Policy.Read.All", "User.Read.All"],
        "aud": "https://graph.microsoft.com",
    }
    token = jwt.encode(claims, "signing-key-of-at-least-32-bytes!!", algorithm="HS256")
    assert decode_claims(token) == claims


@pytest.mark.parametrize("length", range(1, 9))
def test_claims_whatever_the_base64_padding(length: int) -> None:
    claims = {"x": "y" * length}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert decode_claims(f"header.{payload}.signature") == claims


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dots-at-all",
        "a.!!!not-base64!!!.c",
        "a." + base64.urlsafe_b64encode(b"not json").decode() + ".c",
        "a." + base64.urlsafe_b64encode(b"[1, 2]").decode() + ".c",
        "a." + base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode() + ".c",
    ],
)
def test_an_unreadable_token_has_no_claims(token: str) -> None:
    assert decode_claims(token) == {}


def test_token_roles_keep_strings_only() -> None:
    token = AppToken("x.y.z", {"roles": ["Policy.Read.All", 7, None, "User.Read.All"]})
    assert token.roles == frozenset({"Policy.Read.All", "User.Read.All"})
    assert AppToken("x.y.z", {}).roles == frozenset()


def test_token_repr_never_shows_the_token() -> None:
    token = AppToken("eyJhbGciOi.SECRET-PAYLOAD.sig", {"roles": ["User.Read.All"]})
    assert "SECRET-PAYLOAD" not in repr(token)
    assert "User.Read.All" in repr(token)


# _certificate_credential -----------------------------------------------------------------------


def self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "o365-cis scanner")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_certificate(rsa_key: rsa.RSAPrivateKey) -> x509.Certificate:
    return self_signed(rsa_key)


def key_pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, password: str | None = None, fmt: str = "pkcs8"
) -> bytes:
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    private_format = (
        serialization.PrivateFormat.PKCS8 if fmt == "pkcs8" else serialization.PrivateFormat.TraditionalOpenSSL
    )
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption)


def cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def write_pem(tmp_path: Path, *parts: bytes) -> str:
    path = tmp_path / "app-credential.pem"
    path.write_bytes(b"".join(parts))
    return str(path)


def assert_credential_of(credential: dict[str, str], key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
    """The msal credential holds this key (unencrypted PKCS#8), this certificate and its SHA-1 thumbprint."""
    assert set(credential) == {"private_key", "thumbprint", "public_certificate"}
    assert credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    loaded = serialization.load_pem_private_key(credential["private_key"].encode(), None)
    assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]
    # Entra's x5t is the SHA-1 of the DER certificate.
    assert credential["thumbprint"] == certificate.fingerprint(hashes.SHA1()).hex()
    assert x509.load_pem_x509_certificate(credential["public_certificate"].encode()) == certificate


def test_certificate_then_unencrypted_key(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key))
    assert_credential_of(_certificate_credential(path, None), rsa_key, rsa_certificate)


def test_key_first_in_the_traditional_format(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, key_pem(rsa_key, fmt="traditional"), cert_pem(rsa_certificate))
    assert_credential_of(_certificate_credential(path, None), rsa_key, rsa_certificate)


def test_encrypted_key_with_its_password(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key, PASSWORD))
    assert b"ENCRYPTED PRIVATE KEY" in Path(path).read_bytes()
    assert_credential_of(_certificate_credential(path, PASSWORD), rsa_key, rsa_certificate)


def test_a_password_given_as_a_secret(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key, PASSWORD))
    assert_credential_of(_certificate_credential(path, Secret(PASSWORD)), rsa_key, rsa_certificate)


def test_a_trustme_issued_certificate_and_key(tmp_path: Path) -> None:
    leaf = trustme.CA(key_type=trustme.KeyType.RSA).issue_cert("scanner.contoso.com", key_type=trustme.KeyType.RSA)
    path = write_pem(tmp_path, leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes())
    credential = _certificate_credential(path, None)
    certificate = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    assert credential["thumbprint"] == certificate.fingerprint(hashes.SHA1()).hex()
    assert credential["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


def bad_certificate(path: str, password: str | None) -> str:
    """The one-line bad_certificate message, checked to hold no password."""
    with pytest.raises(AuthError) as caught:
        _certificate_credential(path, password)
    assert caught.value.kind == "bad_certificate"
    message = str(caught.value)
    assert "\n" not in message
    if password:
        assert password not in message
    return message


def test_an_encrypted_key_without_a_password_says_which_variable_to_set(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key, PASSWORD))
    assert "is encrypted: set AZURE_CLIENT_CERTIFICATE_PASSWORD" in bad_certificate(path, None)


def test_a_wrong_password(tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key, PASSWORD))
    assert "wrong password?" in bad_certificate(path, "not-the-password")


def test_a_missing_file(tmp_path: Path) -> None:
    assert bad_certificate(str(tmp_path / "none.pem"), None).startswith("cannot read client certificate")


def test_a_key_without_a_certificate(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    assert "holds no PEM certificate" in bad_certificate(write_pem(tmp_path, key_pem(rsa_key)), None)


def test_a_certificate_without_a_key(tmp_path: Path, rsa_certificate: x509.Certificate) -> None:
    assert "holds no readable private key" in bad_certificate(write_pem(tmp_path, cert_pem(rsa_certificate)), None)


def test_a_file_that_is_not_pem(tmp_path: Path) -> None:
    assert "holds no PEM certificate" in bad_certificate(write_pem(tmp_path, b"\x00\x01 binary pfx?"), None)


def test_a_superfluous_password_is_not_reported_as_a_missing_one(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, rsa_certificate: x509.Certificate
) -> None:
    path = write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(rsa_key))
    try:
        _certificate_credential(path, PASSWORD)
    except AuthError as error:
        assert "is encrypted: set" not in str(error)


def test_a_key_that_does_not_match_the_certificate(tmp_path: Path, rsa_certificate: x509.Certificate) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad_certificate(write_pem(tmp_path, cert_pem(rsa_certificate), key_pem(other_key)), None)


def test_a_non_rsa_key_is_a_bad_certificate(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    bad_certificate(write_pem(tmp_path, cert_pem(self_signed(key)), key_pem(key)), None)


# AuthError from msal's error dicts -------------------------------------------------------------


@pytest.fixture
def provider() -> TokenProvider:
    """A provider with a secret; nothing here makes it contact an identity server."""
    settings = ScanSettings(tenant_id=TENANT, client_id=CLIENT, client_secret=Secret(SECRET))
    return TokenProvider(settings)


def msal_error(error: str, description: str, codes: list[int] | None = None) -> dict[str, object]:
    """The shape msal returns when the token endpoint refuses (no access_token)."""
    return {
        "error": error,
        "error_description": description,
        "error_codes": codes or [],
        "timestamp": "2025-01-01 00:00:00Z",
        "trace_id": "t",
        "correlation_id": "c",
    }


@pytest.mark.parametrize(
    ("error", "code", "kind", "says"),
    [
        ("invalid_client", 7000215, "bad_credentials", "the client secret was rejected"),
        ("invalid_client", 7000222, "bad_credentials", "the client secret has expired"),
        ("invalid_client", 700027, "bad_credentials", "certificate assertion was rejected"),
        ("invalid_client", 700024, "bad_credentials", "not within its valid time range"),
        ("unauthorized_client", 700016, "unknown_client", "application (client) id was not found"),
        ("invalid_request", 90002, "unknown_tenant", "the tenant was not found"),
        ("invalid_request", 900023, "unknown_tenant", "not a valid tenant"),
        ("invalid_request", 90033, "unknown_tenant", "not available"),
        ("invalid_grant", 65001, "no_consent", "admin consent has not been granted"),
        ("invalid_resource", 500011, "no_consent", "resource principal was not found"),
    ],
)
def test_known_aadsts_codes(provider: TokenProvider, error: str, code: int, kind: str, says: str) -> None:
    description = f"AADSTS{code}: Something happened.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2025-01-01"
    failure = provider._error_from(msal_error(error, description, [code]))
    assert failure.kind == kind
    message = str(failure)
    assert says in message
    assert f"(AADSTS{code})" in message
    assert CLIENT in message and TENANT in message
    assert "\n" not in message and "\r" not in message
    assert SECRET not in message


def test_the_first_known_code_wins(provider: TokenProvider) -> None:
    failure = provider._error_from(msal_error("invalid_client", "x", [50000, 700016, 7000215]))
    assert failure.kind == "unknown_client"


def test_an_unknown_code_with_invalid_client_is_bad_credentials(provider: TokenProvider) -> None:
    failure = provider._error_from(
        msal_error("invalid_client", "AADSTS9999999: Something new.\r\nTrace ID: t", [9999999])
    )
    assert failure.kind == "bad_credentials"
    assert str(failure) == "sign-in failed: invalid_client: AADSTS9999999: Something new."


def test_another_error_keeps_msals_error_name_and_first_line(provider: TokenProvider) -> None:
    failure = provider._error_from(
        msal_error("invalid_scope", "AADSTS1002012: The provided value for scope is not valid.\nmore")
    )
    assert failure.kind == "invalid_scope"
    assert str(failure) == "sign-in failed: invalid_scope: AADSTS1002012: The provided value for scope is not valid."


def test_an_empty_error_dict(provider: TokenProvider) -> None:
    failure = provider._error_from({})
    assert failure.kind == "unknown_error"
    assert str(failure) == "sign-in failed: unknown_error: "


def test_a_long_description_is_cut(provider: TokenProvider) -> None:
    failure = provider._error_from(msal_error("temporarily_unavailable", "x" * 1000))
    assert len(str(failure)) < 260


# acquire_app_token -----------------------------------------------------------------------------


class FixedProvider:
    """Stands in for TokenProvider: hands out one token and remembers the resource asked for."""

    def __init__(self, claims: dict[str, object]) -> None:
        self.claims = claims
        self.resources: list[str] = []

    def token(self, resource: str, *, force_refresh: bool = False) -> AppToken:
        self.resources.append(resource)
        return AppToken("x.y.z", self.claims)


def test_a_token_without_roles_means_no_admin_consent() -> None:
    settings = ScanSettings(tenant_id=TENANT, client_id=CLIENT, client_secret=Secret(SECRET))
    with pytest.raises(AuthError) as caught:
        acquire_app_token(settings, FixedProvider({"tid": TENANT}))  # type: ignore[arg-type]
    assert caught.value.kind == "no_consent"
    assert CLIENT in str(caught.value) and TENANT in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_token_with_roles_is_returned_for_the_graph_host() -> None:
    settings = ScanSettings(
        tenant_id=TENANT, client_id=CLIENT, client_secret=Secret(SECRET), graph_url="https://graph.microsoft.us"
    )
    provider = FixedProvider({"roles": ["Policy.Read.All"]})
    token = acquire_app_token(settings, provider)  # type: ignore[arg-type]
    assert token.roles == frozenset({"Policy.Read.All"})
    assert provider.resources == ["https://graph.microsoft.us"]
