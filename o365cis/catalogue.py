"""The product's own copy of the benchmark catalogue: ids, sources, permissions and remediation texts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

_HERE = Path(__file__).parent
SECTIONS: dict[int, str] = {
    1: "1 Account / Authentication",
    2: "2 Application Permissions",
    3: "3 Data Management",
    4: "4 Email Security / Exchange Online",
    5: "5 Auditing",
    6: "6 Storage",
    7: "7 Mobile Device Management",
}
LEVELS = frozenset({1, 2})
LICENSES = ("E3", "E5")
SOURCES = ("graph", "dns", "exchange", "securescore", "manual")


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of CIS Microsoft 365 Foundations v1.3.0 as the catalogue describes it."""

    id: str
    section: str
    title: str
    level: int
    license: str
    automated: bool
    evaluation: str
    fallback: tuple[str, ...]
    permissions: tuple[str, ...]
    evidence_permissions: tuple[str, ...]
    securescore: tuple[str, ...]
    manual_check: str
    remediation: str
    #: The catalogue's requests, e.g. "GET /v1.0/domains" or "POST {exchange}/... Get-OrganizationConfig".
    requests: tuple[str, ...] = ()
    #: The rule reads its Secure Score controls with "all": every listed control that is present must be full
    #: (docs/CONCEPTS.md, Secure Score), instead of the first present alternative.
    securescore_all: bool = False

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.evaluation, *self.fallback)


def sort_key(recommendation_id: str) -> tuple[int, ...]:
    """Benchmark order: 1.1.2 < 1.1.10 < 1.2."""
    return tuple(int(part) for part in recommendation_id.split("."))


def _remediation_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted((_HERE / "remediation").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        texts.update({str(k): " ".join(str(v).split()) for k, v in data.items()})
    return texts


@lru_cache(maxsize=1)
def load_catalogue() -> dict[str, Recommendation]:
    """All 84 recommendations by id, in benchmark order (read-only data shipped with the package)."""
    data = json.loads((_HERE / "catalogue.json").read_text(encoding="utf-8"))
    remediation = _remediation_texts()
    items = sorted(data["recommendations"], key=lambda r: sort_key(r["id"]))
    return {
        r["id"]: Recommendation(
            id=r["id"],
            section=r["section"],
            title=r["title"],
            level=int(r["level"]),
            license=r["license"],
            automated=bool(r["automated"]),
            evaluation=r["evaluation"],
            fallback=tuple(r["fallback"]),
            permissions=tuple(r["permissions"]),
            evidence_permissions=tuple(r["evidence_permissions"]),
            securescore=tuple(r["securescore"]),
            manual_check=r["manual_check"],
            remediation=remediation.get(r["id"], ""),
            requests=tuple(r.get("requests", ())),
            securescore_all=r.get("securescore_all") is True,
        )
        for r in items
    }


@lru_cache(maxsize=1)
def permission_notes() -> dict[str, dict[str, object]]:
    """The catalogue's permission summary: api, baseline flag, note, per permission."""
    data = json.loads((_HERE / "catalogue.json").read_text(encoding="utf-8"))
    return {p["permission"]: p for p in data["permissions"]}


def selected(level: int = 2, license: str = "E5") -> list[Recommendation]:
    """Recommendations a scan at this level and licence runs (the --cis-level / --cis-license options)."""
    return [r for r in load_catalogue().values() if r.level <= level and (license == "E5" or r.license == "E3")]


def required_permissions(
    level: int = 2, license: str = "E5", *, include_evidence: bool = False
) -> dict[str, list[str]]:
    """Permission -> ids of the selected recommendations that need it (decisively, unless include_evidence)."""
    needed: dict[str, list[str]] = {}
    for rec in selected(level, license):
        names: Iterable[str] = rec.permissions + (rec.evidence_permissions if include_evidence else ())
        for name in dict.fromkeys(names):
            needed.setdefault(name, []).append(rec.id)
    return dict(sorted(needed.items()))


# Broader application permissions that include a narrower one (Graph permissions reference:
# https://learn.microsoft.com/graph/permissions-reference). A ReadWrite role always includes Read.
_IMPLIED_BY: dict[str, tuple[str, ...]] = {
    "User.Read.All": ("Directory.Read.All",),
    "Domain.Read.All": ("Directory.Read.All",),
    "RoleManagement.Read.Directory": ("RoleManagement.Read.All",),
    "Organization.Read.All": ("Directory.Read.All",),
    "GroupMember.Read.All": ("Group.Read.All", "Directory.Read.All"),
    "Group.Read.All": ("Directory.Read.All",),
}


def satisfied_by(permission: str, roles: frozenset[str]) -> bool:
    """Whether the token's roles grant `permission` (directly, as ReadWrite, or through a broader one)."""
    candidates = {permission, *_IMPLIED_BY.get(permission, ())}
    for candidate in list(candidates):
        if ".Read." in candidate:
            candidates.add(candidate.replace(".Read.", ".ReadWrite.", 1))
    return bool(candidates & roles)


def missing_permissions(roles: frozenset[str], level: int = 2, license: str = "E5") -> dict[str, list[str]]:
    """Permissions the selected recommendations need that the token's roles do not grant."""
    return {name: ids for name, ids in required_permissions(level, license).items() if not satisfied_by(name, roles)}
