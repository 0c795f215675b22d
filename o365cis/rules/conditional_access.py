"""The catalogue's "qualifying CA policy" and "grant requires X" tests over Graph conditionalAccessPolicy JSON.

Graph returns null for every condition that is not set, and omits properties newer than the tenant's
schema, so every read here tolerates null and absence alike
(https://learn.microsoft.com/graph/api/resources/conditionalaccessconditionset).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.directory_roles import role_name
from o365cis.findings import Evidence, EvidenceType
from o365cis.rules._types import Json
from o365cis.rules._values import lowered, plural
from o365cis.rules.evidence import capped

#: Directory Synchronization Accounts: Microsoft's own CA templates exclude it, so excluding it is allowed.
DIRECTORY_SYNC_ROLE_ID = "d29b2b05-8046-44ba-8758-1e26182fcf32"

RISK_LISTS: tuple[str, ...] = ("userRiskLevels", "signInRiskLevels", "servicePrincipalRiskLevels")

#: The four client app types the portal writes when every box under "Client apps" is ticked: the same scope as
#: "all" (https://learn.microsoft.com/graph/api/resources/conditionalaccessconditionset, clientAppTypes).
ALL_CLIENT_APP_TYPES = frozenset({"browser", "mobileappsanddesktopclients", "exchangeactivesync", "other"})

# Conditions this module judges one by one; any other condition with a value narrows the policy.
_KNOWN_CONDITIONS = frozenset(
    {
        "users",
        "applications",
        "clientApplications",
        "clientAppTypes",
        "devices",
        "platforms",
        "locations",
        "authenticationFlows",
        *RISK_LISTS,
    }
)
_KNOWN_APPLICATION_KEYS = frozenset(
    {
        "includeApplications",
        "excludeApplications",
        "includeUserActions",
        "includeAuthenticationContextClassReferences",
        "applicationFilter",
    }
)
_KNOWN_USER_KEYS = frozenset(
    {
        "includeUsers",
        "excludeUsers",
        "includeGroups",
        "excludeGroups",
        "includeRoles",
        "excludeRoles",
        "includeGuestsOrExternalUsers",
        "excludeGuestsOrExternalUsers",
    }
)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> list[str]:
    """A Graph string collection (null -> empty)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        return []
    return [str(v) for v in value if v is not None]


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}


def _has_value(value: Any) -> bool:
    """True when a condition is set: not null, not an empty list/object/string, not the flag value "none"."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in ("", "none")
    if isinstance(value, Mapping):
        return any(_has_value(v) for k, v in value.items() if not str(k).startswith("@odata"))
    if isinstance(value, list):
        return len(value) > 0
    return bool(value)


def _unknown_keys_set(values: Mapping[str, Any], known: frozenset[str]) -> list[str]:
    """The keys outside `known` (and not @odata annotations) that are set, sorted: a newer narrowing disqualifies."""
    return [key for key in sorted(set(values) - known) if not key.startswith("@odata") and _has_value(values.get(key))]


def _short(values: Iterable[str], limit: int = 5) -> str:
    items = list(values)
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def policy_label(policy: Json) -> str:
    """The policy's displayName, or its id when it has none."""
    return str(policy.get("displayName") or policy.get("id") or "(unnamed policy)")


def _state_failures(policy: Json) -> list[str]:
    state = str(policy.get("state") or "")
    if state.lower() == "enabled":
        return []
    if state.lower() == "enabledforreportingbutnotenforced":
        return ["report-only (state enabledForReportingButNotEnforced)"]
    return [f"state is {state or 'missing'}"]


def _user_failures(
    users: Mapping[str, Any],
    break_glass: frozenset[str],
    break_glass_groups: frozenset[str],
    required_roles: Collection[str] | None,
) -> list[str]:
    failures: list[str] = []
    include_all = "all" in _lower(_strings(users.get("includeUsers")))
    if required_roles is None:
        if not include_all:
            failures.append('includeUsers does not contain "All"')
    elif not include_all:
        missing = _lower(required_roles) - _lower(_strings(users.get("includeRoles")))
        if missing:
            names = sorted(role_name(r) for r in missing)
            failures.append(
                f'neither includeUsers "All" nor every admin role: '
                f"{len(missing)} missing from includeRoles ({_short(names)})"
            )
    excluded_users = [u for u in _strings(users.get("excludeUsers")) if u.lower() not in break_glass]
    if excluded_users:
        failures.append(f"excludes users that are not break-glass accounts: {_short(excluded_users)}")
    # Microsoft recommends excluding emergency-access accounts through a group; only the configured ones are allowed.
    excluded_groups = [g for g in _strings(users.get("excludeGroups")) if g.lower() not in break_glass_groups]
    if excluded_groups:
        failures.append(f"excludes groups: {_short(excluded_groups)}")
    excluded_roles = [r for r in _strings(users.get("excludeRoles")) if r.lower() != DIRECTORY_SYNC_ROLE_ID]
    if excluded_roles:
        failures.append(f"excludes roles other than Directory Synchronization Accounts: {_short(excluded_roles)}")
    if _has_value(users.get("excludeGuestsOrExternalUsers")):
        failures.append("excludes guests or external users")
    for key in sorted(set(users) - _KNOWN_USER_KEYS):
        if key.lower().startswith("exclude") and _has_value(users.get(key)):
            failures.append(f"users.{key} is set")
    return failures


def _application_failures(applications: Mapping[str, Any]) -> list[str]:
    failures: list[str] = []
    if "all" not in _lower(_strings(applications.get("includeApplications"))):
        failures.append('includeApplications does not contain "All"')
    excluded = _strings(applications.get("excludeApplications"))
    if excluded:
        failures.append(f"excludes applications: {_short(excluded)}")
    for key in ("includeUserActions", "includeAuthenticationContextClassReferences", "applicationFilter"):
        if _has_value(applications.get(key)):
            failures.append(f"applications.{key} is set")
    failures += [f"applications.{key} is set" for key in _unknown_keys_set(applications, _KNOWN_APPLICATION_KEYS)]
    return failures


def _narrowing_failures(
    conditions: Mapping[str, Any], *, allow_client_app_types: bool, allow_risk: frozenset[str]
) -> list[str]:
    failures: list[str] = []
    for key in RISK_LISTS:
        levels = _strings(conditions.get(key))
        if levels and key not in allow_risk:
            failures.append(f"{key}: {', '.join(levels)}")
    if _has_value(conditions.get("clientApplications")):
        failures.append("targets workload identities (clientApplications)")
    if _has_value(conditions.get("devices")):
        devices = _dict(conditions.get("devices"))
        # includeDevices ["All"] alone is the unset state of the deprecated device-state condition.
        if (
            _has_value(devices.get("deviceFilter"))
            or _has_value(devices.get("excludeDevices"))
            or (
                _has_value(devices.get("includeDevices")) and _lower(_strings(devices.get("includeDevices"))) != {"all"}
            )
        ):
            failures.append("device filter or device condition set")
    platforms = _dict(conditions.get("platforms"))
    if _has_value(platforms) and (
        _lower(_strings(platforms.get("includePlatforms"))) != {"all"} or _strings(platforms.get("excludePlatforms"))
    ):
        failures.append("platforms condition narrows the policy")
    locations = _dict(conditions.get("locations"))
    if _has_value(locations) and (
        _lower(_strings(locations.get("includeLocations"))) != {"all"} or _strings(locations.get("excludeLocations"))
    ):
        failures.append("locations condition narrows the policy")
    if _has_value(_dict(conditions.get("authenticationFlows")).get("transferMethods")):
        failures.append("authenticationFlows.transferMethods set")
    client_app_types = _lower(_strings(conditions.get("clientAppTypes")))
    if (
        not allow_client_app_types
        and client_app_types
        and client_app_types != {"all"}
        and not client_app_types >= ALL_CLIENT_APP_TYPES
    ):
        failures.append(f"clientAppTypes: {', '.join(_strings(conditions.get('clientAppTypes')))}")
    failures += [f"condition {key} is set" for key in _unknown_keys_set(conditions, _KNOWN_CONDITIONS)]
    return failures


def qualification(
    policy: Json,
    break_glass: frozenset[str],
    *,
    required_roles: Collection[str] | None = None,
    allow_client_app_types: bool = False,
    allow_risk: frozenset[str] = frozenset(),
    break_glass_groups: frozenset[str] = frozenset(),
) -> list[str]:
    """Why the policy is not a qualifying CA policy (empty list: it qualifies).

    required_roles None: includeUsers must hold "All"; a set of role ids: "All" or every one of them in includeRoles.
    allow_client_app_types lets clientAppTypes narrow (1.1.6); allow_risk names the risk lists the rule itself sets.
    break_glass holds user object ids, break_glass_groups group object ids (config.break_glass_groups): the only
    users and groups the policy may exclude.
    """
    conditions = _dict(policy.get("conditions"))
    return [
        *_state_failures(policy),
        *_user_failures(
            _dict(conditions.get("users")),
            frozenset(b.lower() for b in break_glass),
            frozenset(g.lower() for g in break_glass_groups),
            required_roles,
        ),
        *_application_failures(_dict(conditions.get("applications"))),
        *_narrowing_failures(conditions, allow_client_app_types=allow_client_app_types, allow_risk=allow_risk),
    ]


def _grant(policy: Json) -> Mapping[str, Any]:
    return _dict(policy.get("grantControls"))


def _strength_is_mfa(strength: Mapping[str, Any]) -> bool:
    # requirementsSatisfied is "mfa" only for strengths whose every combination is multifactor
    # (https://learn.microsoft.com/graph/api/resources/authenticationstrengthpolicy).
    return str(strength.get("requirementsSatisfied") or "").lower() == "mfa"


def _satisfies(control: str, builtin: str) -> bool:
    if builtin.lower() == control.lower():
        return True
    # The newer "Require risk remediation" grant replaces "Require password change" for user risk
    # (https://learn.microsoft.com/graph/api/resources/conditionalaccessgrantcontrols).
    return control.lower() == "passwordchange" and builtin.lower() == "riskremediation"


def grant_requires(policy: Json, control: str) -> bool:
    """The catalogue's "grant requires X": X is granted and, under OR, no alternative lets a user skip it."""
    grant = _grant(policy)
    builtins = _strings(grant.get("builtInControls"))
    strength = _dict(grant.get("authenticationStrength"))
    satisfying = [b for b in builtins if _satisfies(control, b)]
    strength_counts = control.lower() == "mfa" and bool(strength) and _strength_is_mfa(strength)
    if not satisfying and not strength_counts:
        return False
    if str(grant.get("operator") or "AND").upper() != "OR":
        return True
    # Under OR every listed control is an alternative; each must itself satisfy X.
    others = [b for b in builtins if not _satisfies(control, b)]
    others += _strings(grant.get("customAuthenticationFactors")) + _strings(grant.get("termsOfUse"))
    if strength and not strength_counts:
        others.append("authenticationStrength")
    return not others


def grant_summary(policy: Json) -> str:
    """The grant as a reviewer reads it, e.g. "OR: mfa, compliantDevice; strength Phishing-resistant MFA"."""
    grant = _grant(policy)
    if not grant:
        return "no grant controls"
    parts = _strings(grant.get("builtInControls"))
    parts += [f"custom factor {f}" for f in _strings(grant.get("customAuthenticationFactors"))]
    parts += [f"terms of use {t}" for t in _strings(grant.get("termsOfUse"))]
    strength = _dict(grant.get("authenticationStrength"))
    if strength:
        label = strength.get("displayName") or strength.get("id") or "?"
        parts.append(f"strength {label} (requirementsSatisfied {strength.get('requirementsSatisfied') or 'unknown'})")
    return f"{str(grant.get('operator') or 'AND').upper()}: {', '.join(parts) if parts else 'nothing'}"


def grant_failure(policy: Json, controls: Collection[str]) -> list[str]:
    """Empty if the grant requires one of the controls (e.g. ("mfa", "block")), else the reason."""
    if any(grant_requires(policy, c) for c in controls):
        return []
    return [f"grant does not require {' or '.join(controls)} ({grant_summary(policy)})"]


@dataclass(frozen=True)
class PolicyCheck:
    """One policy judged against a rule: its failures (empty = the policy satisfies the rule)."""

    policy: Json
    failures: tuple[str, ...]

    @property
    def passes(self) -> bool:
        """True when nothing fails."""
        return not self.failures

    @property
    def id(self) -> str | None:
        """The policy's object id."""
        value = self.policy.get("id")
        return str(value) if value is not None else None

    @property
    def name(self) -> str:
        """The policy's display name (or id)."""
        return policy_label(self.policy)


def check_policies(
    policies: Iterable[Json],
    break_glass: frozenset[str],
    *,
    requirement: Callable[[Json], list[str]],
    required_roles: Collection[str] | None = None,
    allow_client_app_types: bool = False,
    allow_risk: frozenset[str] = frozenset(),
    break_glass_groups: frozenset[str] = frozenset(),
) -> list[PolicyCheck]:
    """Judge every policy (qualification plus the rule's own requirement); passing ones first, then closest misses."""
    checks = [
        PolicyCheck(
            policy,
            tuple(
                qualification(
                    policy,
                    break_glass,
                    required_roles=required_roles,
                    allow_client_app_types=allow_client_app_types,
                    allow_risk=allow_risk,
                    break_glass_groups=break_glass_groups,
                )
                + requirement(policy)
            ),
        )
        for policy in policies
        if isinstance(policy, Mapping)
    ]
    return sorted(checks, key=lambda c: len(c.failures))


NEAR_MISS_LIMIT = 10


def policy_evidence(check: PolicyCheck, detail: str | None = None) -> Evidence:
    """A CA policy as an evidence item; the detail says why it fails, or what it grants when it passes."""
    text = detail or (
        "; ".join(check.failures) if check.failures else f"qualifies; grant {grant_summary(check.policy)}"
    )
    return Evidence(type=EvidenceType.POLICY, id=check.id, name=check.name, detail=text)


def near_misses(checks: Sequence[PolicyCheck], limit: int = NEAR_MISS_LIMIT) -> list[Evidence]:
    """The closest failing policies (fewest failures first) with the reason each fails."""
    failing = [c for c in checks if not c.passes]
    return capped([policy_evidence(c) for c in failing], "policies", limit)


def no_policy_reason(checks: Sequence[PolicyCheck], what: str) -> str:
    """The reason when no Conditional Access policy qualifies, with how many were examined and enabled."""
    enabled = sum(1 for c in checks if lowered(c.policy.get("state")) == "enabled")
    examined = plural(len(checks), "policy", "policies")
    return f"No qualifying Conditional Access policy {what} ({examined} examined, {enabled} enabled)"
