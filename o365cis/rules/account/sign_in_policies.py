"""Sign-in policies: 1.1.6 legacy authentication blocked, 1.1.8-1.1.10 sign-in and user risk policies, 1.1.12
security defaults off where Conditional Access is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from o365cis.config import ScanConfig
from o365cis.findings import Decision, Evidence, EvidenceType, compliant, no_decision, non_compliant
from o365cis.rules._types import Json
from o365cis.rules._values import lowered
from o365cis.rules.conditional_access import (
    PolicyCheck,
    check_policies,
    grant_failure,
    near_misses,
    no_policy_reason,
    policy_evidence,
)


def _blocks_legacy_clients(policy: Json) -> list[str]:
    types = {t.lower() for t in (policy.get("conditions") or {}).get("clientAppTypes") or [] if isinstance(t, str)}
    failures = (
        [] if {"exchangeactivesync", "other"} <= types else ['clientAppTypes lacks "exchangeActiveSync" and "other"']
    )
    return failures + grant_failure(policy, ("block",))


def legacy_auth_blocked(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.6: a qualifying CA policy for All users blocks the exchangeActiveSync and other client app types."""
    checks = check_policies(
        policies,
        config.break_glass_accounts,
        requirement=_blocks_legacy_clients,
        allow_client_app_types=True,
        break_glass_groups=config.break_glass_groups,
    )
    passing = [c for c in checks if c.passes]
    if not passing:
        return non_compliant(
            no_policy_reason(checks, "blocks legacy authentication (Exchange ActiveSync and other clients)"),
            near_misses(checks),
        )
    return compliant(
        f"Policy '{passing[0].name}' blocks legacy authentication for All users and all cloud apps",
        [policy_evidence(passing[0])],
    )


def _levels(policy: Json, key: str) -> set[str]:
    return {str(v).lower() for v in (policy.get("conditions") or {}).get(key) or []}


def _risk_checks(
    policies: Sequence[Json], config: ScanConfig, risk_list: str, requirement: Callable[[Json], list[str]]
) -> list[PolicyCheck]:
    return check_policies(
        policies,
        config.break_glass_accounts,
        requirement=requirement,
        allow_risk=frozenset({risk_list}),
        break_glass_groups=config.break_glass_groups,
    )


def risk_policies_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.8 (Graph part): qualifying CA policies for user risk and for sign-in risk (any grant); else NoDecision."""

    def names(key: str) -> Callable[[Json], list[str]]:
        return lambda p: [] if _levels(p, key) else [f"{key} is empty"]

    user = _risk_checks(policies, config, "userRiskLevels", names("userRiskLevels"))
    signin = _risk_checks(policies, config, "signInRiskLevels", names("signInRiskLevels"))
    user_ok = [c for c in user if c.passes]
    signin_ok = [c for c in signin if c.passes]
    if user_ok and signin_ok:
        return compliant(
            f"User risk policy '{user_ok[0].name}' and sign-in risk policy '{signin_ok[0].name}' are enabled",
            [policy_evidence(user_ok[0]), policy_evidence(signin_ok[0])],
        )
    missing = [what for what, ok in (("user risk", user_ok), ("sign-in risk", signin_ok)) if not ok]
    found = [policy_evidence(c) for c in (*user_ok[:1], *signin_ok[:1])]
    candidates = [
        c
        for c in (*user, *signin)
        if not c.passes and (_levels(c.policy, "userRiskLevels") or _levels(c.policy, "signInRiskLevels"))
    ]
    return no_decision(
        f"No qualifying Conditional Access policy for {' and '.join(missing)}; a legacy Identity Protection policy "
        "(not readable in Graph v1.0) may cover it",
        [*found, *near_misses(candidates)],
    )


def _signin_risk_requirement(policy: Json) -> list[str]:
    failures = (
        []
        if {"medium", "high"} <= _levels(policy, "signInRiskLevels")
        else ['signInRiskLevels lacks "medium" and "high"']
    )
    return failures + grant_failure(policy, ("mfa", "block"))


def _user_risk_requirement(policy: Json) -> list[str]:
    failures = [] if "high" in _levels(policy, "userRiskLevels") else ['userRiskLevels lacks "high"']
    return failures + grant_failure(policy, ("passwordChange", "block"))


def _risk_policy_enabled(
    policies: Sequence[Json],
    config: ScanConfig,
    risk_list: str,
    requirement: Callable[[Json], list[str]],
    passing_wording: str,
    kind: str,
) -> Decision:
    """The 1.1.9 and 1.1.10 decision over the risk list `risk_list`: compliant on the first qualifying policy that
    meets `requirement`, else NoDecision naming the `kind` of risk policy a legacy Identity Protection policy may be."""
    checks = _risk_checks(policies, config, risk_list, requirement)
    passing = [c for c in checks if c.passes]
    if passing:
        return compliant(f"Policy '{passing[0].name}' {passing_wording}", [policy_evidence(passing[0])])
    candidates = [c for c in checks if _levels(c.policy, risk_list)]
    return no_decision(
        f"No qualifying Conditional Access {kind} policy; a legacy Identity Protection {kind} policy "
        "(not readable in Graph v1.0) may cover it",
        near_misses(candidates),
    )


def signin_risk_policy_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.9 (Graph part): a qualifying CA policy for medium and high sign-in risk needs MFA or blocks."""
    return _risk_policy_enabled(
        policies,
        config,
        "signInRiskLevels",
        _signin_risk_requirement,
        "requires MFA or blocks on medium and high sign-in risk",
        "sign-in risk",
    )


def user_risk_policy_enabled(policies: Sequence[Json], config: ScanConfig) -> Decision:
    """1.1.10 (Graph part): a qualifying CA policy for high user risk requires a password change (or risk remediation)
    or blocks; else NoDecision."""
    return _risk_policy_enabled(
        policies,
        config,
        "userRiskLevels",
        _user_risk_requirement,
        "requires a password change or blocks on high user risk",
        "user risk",
    )


def security_defaults_disabled(policy: Json, ca_policies: Sequence[Json] | None = None) -> Decision:
    """1.1.12: identitySecurityDefaultsEnforcementPolicy.isEnabled is false (CA policies are evidence only)."""
    enabled = policy.get("isEnabled") if isinstance(policy, Mapping) else None
    evidence = [
        Evidence(
            type=EvidenceType.SETTING,
            id=str(policy.get("id") or "") if isinstance(policy, Mapping) else None,
            name="Security defaults",
            detail=f"isEnabled {enabled}",
        )
    ]
    ca_note = ""
    if ca_policies is not None:
        on = [p for p in ca_policies if isinstance(p, Mapping) and lowered(p.get("state")) == "enabled"]
        evidence.append(
            Evidence(type=EvidenceType.COUNT, name="enabled Conditional Access policies", detail=str(len(on)))
        )
        if enabled is False and not on:
            ca_note = "; warning: no Conditional Access policy is enabled either, so nothing replaces the defaults"
    if enabled is False:
        return compliant("Security defaults are disabled" + ca_note, evidence)
    if enabled is True:
        return non_compliant("Security defaults are enabled", evidence)
    return no_decision("identitySecurityDefaultsEnforcementPolicy did not return isEnabled", evidence)
