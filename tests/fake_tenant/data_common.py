"""Deterministic ids, timestamps and the role ids shared by the scenario data builders."""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid

# Role template ids (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference).
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
PRIVILEGED_AUTH_ADMIN = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
SECURITY_ADMIN = "194ae4cb-b126-40b2-bd5b-6091b380977d"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SHAREPOINT_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMIN = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
PASSWORD_ADMIN = "966707d0-3269-4727-9be2-8c3a10f19b9d"
BILLING_ADMIN = "b0f54661-2d74-4c50-afa3-1ec803f12efe"
AUTHENTICATION_ADMIN = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
APPLICATION_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APPLICATION_ADMIN = "158c047a-c907-4556-b7ef-446551a6b5f7"
CONDITIONAL_ACCESS_ADMIN = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
DIRECTORY_SYNC_ACCOUNTS = "d29b2b05-8046-44ba-8758-1e26182fcf32"

#: The catalogue's default "admin roles": the 14 of Microsoft's "Require MFA for administrators" template
#: (Global Reader is not one of them; o365cis.config.DEFAULT_ADMIN_ROLE_IDS).
ADMIN_ROLES: tuple[str, ...] = (
    GLOBAL_ADMIN,
    PRIVILEGED_ROLE_ADMIN,
    PRIVILEGED_AUTH_ADMIN,
    SECURITY_ADMIN,
    EXCHANGE_ADMIN,
    SHAREPOINT_ADMIN,
    USER_ADMIN,
    HELPDESK_ADMIN,
    PASSWORD_ADMIN,
    BILLING_ADMIN,
    AUTHENTICATION_ADMIN,
    APPLICATION_ADMIN,
    CLOUD_APPLICATION_ADMIN,
    CONDITIONAL_ACCESS_ADMIN,
)

#: Application ids of Microsoft first-party apps used in the data.
MICROSOFT_GRAPH_APP = "00000003-0000-0000-c000-000000000000"
EXCHANGE_ONLINE_APP = "00000002-0000-0ff1-ce00-000000000000"
OFFICE_365_APP = "Office365"
AZURE_MANAGEMENT_APP = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

#: Password protection settings template (https://learn.microsoft.com/entra/identity/users/groups-settings-cmdlets).
PASSWORD_RULE_TEMPLATE = "5cf42378-d67d-4f36-ba46-e8b86229381d"
GROUP_UNIFIED_TEMPLATE = "62375ab9-6b52-47ed-826b-58e47e0e304b"


class IdSource:
    """Deterministic GUIDs and opaque ids from a seeded random generator."""

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)

    def guid(self) -> str:
        """A random-looking version 4 GUID, the same for the same seed and call order."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def opaque(self, size: int = 24) -> str:
        """An opaque base64url id like the ones Graph uses for role assignments."""
        return base64.urlsafe_b64encode(self.rng.getrandbits(size * 8).to_bytes(size, "big")).rstrip(b"=").decode()


def iso(moment: dt.datetime) -> str:
    """Graph's UTC timestamp format, e.g. 2024-05-01T12:00:00Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: dt.datetime) -> str:
    """Graph's UTC timestamp with fractional seconds (audit and security APIs)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> dt.datetime:
    """The current time, whole seconds, UTC."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
