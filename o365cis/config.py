"""The --cis-config YAML file: break-glass accounts and groups, approved public groups, thresholds and waivers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: Admin role template ids ("admin roles" in the catalogue's terms): the 14 built-in roles of Microsoft's
#: "Require multifactor authentication for administrators" Conditional Access template
#: (https://learn.microsoft.com/entra/identity/conditional-access/howto-conditional-access-policy-admin-mfa).
#: Global Reader is not one of them: a policy built from the template must not fail for leaving it out.
#: config.admin_role_ids overrides the list.
DEFAULT_ADMIN_ROLE_IDS: tuple[str, ...] = (
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
    "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
    "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d",  # Password Administrator
    "b0f54661-2d74-4c50-afa3-1ec803f12efe",  # Billing Administrator
    "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
    "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",  # Conditional Access Administrator
)
GLOBAL_ADMIN_ROLE_ID = "62e90394-69f5-4237-9190-012177145e10"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_RECOMMENDATION_ID = re.compile(r"^\d+(\.\d+){1,2}$")
_PLATFORMS = ("ios", "android")
#: The third-party storage providers Teams can offer (3.7), as the config file spells them (README.md).
STORAGE_PROVIDERS = ("dropbox", "box", "googledrive", "sharefile", "egnyte")


class ConfigError(ValueError):
    """The config file is invalid; the message is one line naming the key."""


@dataclass(frozen=True)
class Waiver:
    """Accepts a known non-compliance of one recommendation until a date."""

    id: str
    reason: str
    expires: dt.date

    def active_on(self, day: dt.date) -> bool:
        return day <= self.expires


@dataclass(frozen=True)
class ScanConfig:
    """Organisation-specific facts the rules need and the tenant cannot tell."""

    break_glass_accounts: frozenset[str] = frozenset()
    #: Groups that hold only emergency-access accounts: a qualifying CA policy may exclude them, as Microsoft
    #: recommends for break-glass accounts. They widen the allowed CA exclusions only; rules that exempt users
    #: (1.1.1 (b)) still exempt just the accounts named in break_glass_accounts.
    break_glass_groups: frozenset[str] = frozenset()
    approved_public_groups: frozenset[str] = frozenset()
    phs_max_age_hours: float = 72.0
    mdm_platforms: tuple[str, ...] = _PLATFORMS
    #: 3.7: third-party storage providers the organisation approves in Teams (default: none).
    approved_storage_providers: frozenset[str] = frozenset()
    admin_role_ids: tuple[str, ...] = DEFAULT_ADMIN_ROLE_IDS
    waivers: tuple[Waiver, ...] = field(default=())

    def waiver_for(self, recommendation_id: str) -> Waiver | None:
        """The waiver written for this id (expired or not), if any."""
        for waiver in self.waivers:
            if waiver.id == recommendation_id:
                return waiver
        return None


_KEYS = {
    "break_glass_accounts",
    "break_glass_groups",
    "approved_public_groups",
    "phs_max_age_hours",
    "mdm_platforms",
    "approved_storage_providers",
    "admin_role_ids",
    "waivers",
}


def _guid_list(value: Any, key: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and _GUID.match(v) for v in value):
        raise ConfigError(f"{key}: expected a list of object ids (GUIDs)")
    return frozenset(v.lower() for v in value)


def _waivers(value: Any, known_ids: frozenset[str] | None) -> tuple[Waiver, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("waivers: expected a list of {id, reason, expires}")
    waivers: list[Waiver] = []
    for index, item in enumerate(value):
        where = f"waivers[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a mapping with id, reason and expires")
        unknown = set(item) - {"id", "reason", "expires"}
        if unknown:
            raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key")
        if not isinstance(item.get("id"), str):
            raise ConfigError(f'{where}.id: quote the id (YAML reads 2.10 as the number 2.1), e.g. id: "2.10"')
        rec_id = str(item.get("id", "")).strip()
        if not _RECOMMENDATION_ID.match(rec_id) or (known_ids is not None and rec_id not in known_ids):
            raise ConfigError(f"{where}.id: {rec_id!r} is not a recommendation id of the benchmark")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}.reason: a waiver needs a reason")
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise ConfigError(f"{where}.expires: {expires!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            raise ConfigError(f"{where}.expires: a waiver needs an expiry date (YYYY-MM-DD)")
        waivers.append(Waiver(rec_id, reason.strip(), expires))
    return tuple(waivers)


def parse_config(data: Any, known_ids: frozenset[str] | None = None) -> ScanConfig:
    """Validate a loaded YAML document; raise ConfigError naming the first bad key."""
    if data is None:
        return ScanConfig()
    if not isinstance(data, dict):
        raise ConfigError("the config file must be a YAML mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(_KEYS))})")
    hours = data.get("phs_max_age_hours", 72)
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
        raise ConfigError("phs_max_age_hours: expected a positive number of hours")
    platforms = data.get("mdm_platforms", list(_PLATFORMS))
    if not isinstance(platforms, list) or not all(isinstance(p, str) and p.lower() in _PLATFORMS for p in platforms):
        raise ConfigError("mdm_platforms: expected a list drawn from ios, android")
    providers = data.get("approved_storage_providers", [])
    if not isinstance(providers, list) or not all(
        isinstance(p, str) and p.strip().lower() in STORAGE_PROVIDERS for p in providers
    ):
        raise ConfigError(f"approved_storage_providers: expected a list drawn from {', '.join(STORAGE_PROVIDERS)}")
    admin_roles = data.get("admin_role_ids")
    return ScanConfig(
        break_glass_accounts=_guid_list(data.get("break_glass_accounts"), "break_glass_accounts"),
        break_glass_groups=_guid_list(data.get("break_glass_groups"), "break_glass_groups"),
        approved_public_groups=_guid_list(data.get("approved_public_groups"), "approved_public_groups"),
        phs_max_age_hours=float(hours),
        mdm_platforms=tuple(dict.fromkeys(p.lower() for p in platforms)),
        approved_storage_providers=frozenset(p.strip().lower() for p in providers),
        admin_role_ids=tuple(sorted(_guid_list(admin_roles, "admin_role_ids")))
        if admin_roles is not None
        else DEFAULT_ADMIN_ROLE_IDS,
        waivers=_waivers(data.get("waivers"), known_ids),
    )


def load_config(path: str | Path | None, known_ids: frozenset[str] | None = None) -> ScanConfig:
    """Read the --cis-config file (None gives the defaults)."""
    if path is None:
        return ScanConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"config file {path} is not valid YAML{where}") from None
    return parse_config(data, known_ids)
