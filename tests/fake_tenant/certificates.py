"""App registration certificates for certificate (client assertion) sign-in tests."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class AppCertificate:
    """A self-signed app certificate and its key, written to disk the way an admin would keep them."""

    #: PEM file holding the certificate followed by the private key (encrypted when a password is set).
    pem_path: Path
    #: PKCS#12 file holding the same pair (same password).
    pfx_path: Path
    certificate_pem: str
    private_key_pem: str
    password: str | None
    #: SHA-1 thumbprint, upper-case hex (what the Entra portal shows).
    thumbprint: str
    #: SHA-256 thumbprint, lower-case hex.
    thumbprint_sha256: str

    @property
    def x5t(self) -> str:
        """The base64url SHA-1 thumbprint a client assertion names in its `x5t` header."""
        return thumbprint_to_x5t(self.thumbprint)


def thumbprint_to_x5t(hex_thumbprint: str) -> str:
    """Base64url (unpadded) encoding of a hex thumbprint, as JWT `x5t` / `x5t#S256` headers carry it."""
    return base64.urlsafe_b64encode(bytes.fromhex(hex_thumbprint)).rstrip(b"=").decode("ascii")


def certificate_thumbprints(certificate_pem: str) -> tuple[str, str]:
    """The (SHA-1 upper-case hex, SHA-256 lower-case hex) thumbprints of a PEM certificate."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    return cert.fingerprint(hashes.SHA1()).hex().upper(), cert.fingerprint(hashes.SHA256()).hex()


def make_app_certificate(
    directory: Path,
    *,
    password: str | None = None,
    common_name: str = "o365-cis scanner",
    valid_days: int = 365,
    key_size: int = 2048,
) -> AppCertificate:
    """Create a self-signed RSA certificate and key under `directory` (PEM and PFX)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    certificate_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    private_key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")
    directory.mkdir(parents=True, exist_ok=True)
    pem_path = directory / "app-certificate.pem"
    pem_path.write_text(certificate_pem + private_key_pem)
    pfx_path = directory / "app-certificate.pfx"
    pfx_path.write_bytes(pkcs12.serialize_key_and_certificates(b"o365-cis", key, cert, None, encryption))
    sha1, sha256 = certificate_thumbprints(certificate_pem)
    return AppCertificate(
        pem_path=pem_path,
        pfx_path=pfx_path,
        certificate_pem=certificate_pem,
        private_key_pem=private_key_pem,
        password=password,
        thumbprint=sha1,
        thumbprint_sha256=sha256,
    )
