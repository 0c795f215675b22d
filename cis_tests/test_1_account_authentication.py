"""CIS section 1: Account / Authentication. Fetch in fixtures, decide in o365cis.rules, conclude with cis."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import invoke
from o365cis.collectors.partial import PartialReads, admin_role_holders, only_eligibility_failed
from o365cis.config import GLOBAL_ADMIN_ROLE_ID
from o365cis.exchange import cmdlets
from o365cis.findings import manual, no_decision
from o365cis.licensing import AAD_PREMIUM_P2
from o365cis.rules.account import admin_roles, collaboration, mfa, modern_auth, passwords, sign_in_policies


@pytest.mark.cis("1.1.1")
def test_admins_require_mfa(cis, tenant, cis_config):
    def graph():
        partial = PartialReads(tenant)
        policies = tenant.read(reads.CONDITIONAL_ACCESS_POLICIES)
        decision = mfa.admins_require_mfa(
            policies,
            cis_config,
            holders=admin_role_holders(partial, cis_config.admin_role_ids),
            users=partial.get(reads.USERS),
            registrations=partial.get(reads.REGISTRATION_DETAILS),
        )
        return partial.hand_over(decision)

    cis.evaluate(graph=graph)


@pytest.mark.cis("1.1.2")
def test_all_users_require_mfa(cis, tenant, cis_config):
    def graph():
        # Only the policy read decides; users and registrations are evidence (their failure is not an error).
        users, _ = tenant.attempt(reads.USERS)
        registrations, _ = tenant.attempt(reads.REGISTRATION_DETAILS)
        policies = tenant.read(reads.CONDITIONAL_ACCESS_POLICIES)
        return mfa.all_users_require_mfa(policies, cis_config, users=users, registrations=registrations)

    cis.evaluate(graph=graph)


@pytest.mark.cis("1.1.3")
def test_between_two_and_four_global_admins(cis, tenant):
    def graph():
        partial = PartialReads(tenant)
        holders = admin_role_holders(partial, [GLOBAL_ADMIN_ROLE_ID])
        eligible_read = holders is not None
        if holders is None and only_eligibility_failed(partial):
            # Eligibility refused for a permission: the active holders alone can still prove "more than four".
            holders = admin_role_holders(partial, [GLOBAL_ADMIN_ROLE_ID], active_only=True)
        if holders is None:
            return partial.hand_over(no_decision("Global Administrator holders could not be read"))
        users, _ = tenant.attempt(reads.USERS)  # evidence: enabled or disabled
        return partial.hand_over(
            admin_roles.global_admin_count_in_range(holders, eligible_read=eligible_read, users=users)
        )

    cis.evaluate(graph=graph)


@pytest.mark.cis("1.1.4")
def test_self_service_password_reset_enabled(cis, tenant):
    cis.evaluate(
        graph=lambda: passwords.sspr_enabled_for_all(tenant.read(reads.REGISTRATION_DETAILS), tenant.read(reads.USERS))
    )


@pytest.mark.cis("1.1.5")
def test_password_protection_enforced_on_premises(cis, tenant):
    cis.evaluate(
        graph=lambda: passwords.password_protection_enforced_on_premises(
            tenant.read(reads.ORGANIZATION), tenant.read(reads.GROUP_SETTINGS)
        )
    )


@pytest.mark.cis("1.1.6")
def test_conditional_access_blocks_legacy_authentication(cis, tenant, cis_config):
    cis.evaluate(
        graph=lambda: sign_in_policies.legacy_auth_blocked(tenant.read(reads.CONDITIONAL_ACCESS_POLICIES), cis_config)
    )


@pytest.mark.cis("1.1.7")
def test_password_hash_sync_recent(cis, tenant, cis_config, as_of):
    cis.evaluate(graph=lambda: passwords.password_hash_sync_recent(tenant.read(reads.ORGANIZATION), cis_config, as_of))


@pytest.mark.cis("1.1.8")
def test_identity_protection_risk_policies(cis, tenant, cis_config, plan_gate):
    cis.evaluate(
        gate=plan_gate(AAD_PREMIUM_P2),
        graph=lambda: sign_in_policies.risk_policies_enabled(
            tenant.read(reads.CONDITIONAL_ACCESS_POLICIES), cis_config
        ),
    )


@pytest.mark.cis("1.1.9")
def test_sign_in_risk_policy(cis, tenant, cis_config, plan_gate):
    cis.evaluate(
        gate=plan_gate(AAD_PREMIUM_P2),
        graph=lambda: sign_in_policies.signin_risk_policy_enabled(
            tenant.read(reads.CONDITIONAL_ACCESS_POLICIES), cis_config
        ),
    )


@pytest.mark.cis("1.1.10")
def test_user_risk_policy(cis, tenant, cis_config, plan_gate):
    cis.evaluate(
        gate=plan_gate(AAD_PREMIUM_P2),
        graph=lambda: sign_in_policies.user_risk_policy_enabled(
            tenant.read(reads.CONDITIONAL_ACCESS_POLICIES), cis_config
        ),
    )


@pytest.mark.cis("1.1.11")
def test_admin_roles_just_in_time(cis, tenant, cis_config, plan_gate):
    cis.evaluate(
        gate=plan_gate(AAD_PREMIUM_P2),
        graph=lambda: admin_roles.admin_roles_just_in_time(
            tenant.read(reads.ROLE_ELIGIBILITY_INSTANCES), tenant.read(reads.ROLE_ASSIGNMENT_INSTANCES), cis_config
        ),
    )


@pytest.mark.cis("1.1.12")
def test_security_defaults_disabled(cis, tenant):
    def graph():
        ca_policies, _ = tenant.attempt(reads.CONDITIONAL_ACCESS_POLICIES)  # evidence only
        return sign_in_policies.security_defaults_disabled(tenant.read(reads.SECURITY_DEFAULTS), ca_policies)

    cis.evaluate(graph=graph)


@pytest.mark.cis("1.1.13")
def test_only_approved_public_groups(cis, tenant, cis_config):
    cis.evaluate(graph=lambda: collaboration.public_groups_approved(tenant.read(reads.UNIFIED_GROUPS), cis_config))


@pytest.mark.cis("1.1.14")
def test_invitations_to_allowed_domains_only(cis, tenant):
    cis.evaluate(
        graph=lambda: collaboration.invitations_allowed_domains_only(tenant.read(reads.B2B_MANAGEMENT_POLICIES))
    )


@pytest.mark.cis("1.1.15")
def test_linkedin_contact_sync_disabled(cis):
    # Graph has no property for LinkedIn account connections: Secure Score is the primary source.
    cis.evaluate()


@pytest.mark.cis("1.2")
def test_exchange_online_modern_authentication(cis, exchange):
    cis.evaluate(
        exchange=lambda: modern_auth.exchange_modern_auth_enabled(invoke(exchange, cmdlets.ORGANIZATION_CONFIG))
    )


@pytest.mark.cis("1.3")
def test_skype_for_business_modern_authentication(cis):
    cis.evaluate(
        manual=lambda: manual(
            "Skype for Business Online was retired on 31 July 2021, and neither Graph nor the Exchange admin API "
            "exposes the Teams OAuth setting. Review: " + cis.recommendation.manual_check
        )
    )


@pytest.mark.cis("1.4")
def test_sharepoint_requires_modern_authentication(cis, tenant):
    cis.evaluate(graph=lambda: modern_auth.sharepoint_modern_auth_required(tenant.read(reads.SHAREPOINT_SETTINGS)))


@pytest.mark.cis("1.5")
def test_passwords_never_expire(cis, tenant):
    cis.evaluate(graph=lambda: passwords.passwords_never_expire(tenant.read(reads.DOMAINS)))
