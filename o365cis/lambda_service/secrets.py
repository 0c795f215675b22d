"""Secrets in transit and at rest (deploy/README.md, Secrets): the client secret sealed with KMS, the SMTP password
read from Secrets Manager.

The client secret is encrypted with the requestId as KMS encryption context, so the ciphertext only opens for
that request: a payload replayed under another requestId, or copied from a log, dead-letter queue or failure
destination, decrypts to nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from o365cis.lambda_service.aws import error_code

#: The encryption-context key both functions use; the IAM policies in deploy/template.yaml require it.
CONTEXT_KEY = "requestId"


class SecretError(Exception):
    """A secret could not be sealed, opened or read; one line naming the operation and AWS's error code."""


class SecretBox:
    """Seals and opens client secrets with one KMS key, bound to a requestId."""

    def __init__(self, kms_client: Any, key_id: str | None = None) -> None:
        self._kms = kms_client
        self._key_id = key_id

    def seal(self, secret: str, request_id: str) -> str:
        """The secret encrypted under the key for this requestId, base64 (the `client_secret_kms` value)."""
        if not self._key_id:
            raise SecretError("cannot encrypt the client secret: SECRET_KMS_KEY_ID is not set")
        try:
            answer = self._kms.encrypt(
                KeyId=self._key_id,
                Plaintext=secret.encode("utf-8"),
                EncryptionContext={CONTEXT_KEY: request_id},
            )
        except (BotoCoreError, ClientError) as exc:
            raise SecretError(f"cannot encrypt the client secret with KMS: {error_code(exc)}") from None
        return base64.b64encode(answer["CiphertextBlob"]).decode("ascii")

    def open(self, sealed: str, request_id: str) -> str:
        """The plain secret; SecretError when it was sealed for another requestId or is not a KMS ciphertext."""
        try:
            blob = base64.b64decode(sealed, validate=True)
        except (binascii.Error, ValueError):
            raise SecretError("cannot decrypt client_secret_kms: it is not base64") from None
        try:
            # The key id is inside the ciphertext; the context must match the one it was sealed with.
            answer = self._kms.decrypt(CiphertextBlob=blob, EncryptionContext={CONTEXT_KEY: request_id})
            return bytes(answer["Plaintext"]).decode("utf-8")
        except (BotoCoreError, ClientError) as exc:
            raise SecretError(
                f"cannot decrypt client_secret_kms for this requestId with KMS: {error_code(exc)}"
            ) from None
        except UnicodeDecodeError:
            raise SecretError("cannot decrypt client_secret_kms: the plaintext is not UTF-8") from None


def read_secret_string(secrets_client: Any, secret_id: str) -> str:
    """The SecretString of a Secrets Manager secret (the SMTP password); SecretError names only the code."""
    try:
        answer = secrets_client.get_secret_value(SecretId=secret_id)
    except (BotoCoreError, ClientError) as exc:
        code = error_code(exc)
        raise SecretError(f"cannot read MAIL_PASSWORD_SECRET_ARN from Secrets Manager: {code}") from None
    value = answer.get("SecretString")
    if not isinstance(value, str) or not value:
        raise SecretError("MAIL_PASSWORD_SECRET_ARN holds no SecretString")
    return value
