"""CIS section 7: Mobile Device Management. Intune (beta lists) decides; Exchange ActiveSync is the fallback."""

from __future__ import annotations

import pytest

from o365cis.collectors import reads
from o365cis.collectors.evidence import EvidenceReads, invoke
from o365cis.collectors.intune import read_intune
from o365cis.exchange.cmdlets import MOBILE_DEVICE_MAILBOX_POLICY
from o365cis.rules.mobile_devices import device_policies, mailbox_policy


@pytest.fixture
def activesync(exchange, cis):
    """The Exchange ActiveSync fallback of this recommendation: the default mobile device mailbox policy."""
    return lambda: mailbox_policy.activesync_policy_meets(
        cis.recommendation.id, invoke(exchange, MOBILE_DEVICE_MAILBOX_POLICY)
    )


@pytest.fixture
def intune(tenant, cis_config):
    """`intune(rule)`: a section 7 rule over the assigned compliance policies and device restriction profiles."""
    return lambda rule: rule(
        read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES),
        read_intune(tenant, reads.DEVICE_CONFIGURATIONS),
        cis_config,
    )


@pytest.mark.cis("7.1")
def test_mdm_policies_require_advanced_security(cis, tenant, cis_config, secure_score):
    def review():
        evidence = EvidenceReads()
        policies = evidence.graph("compliance_policies", tenant, reads.DEVICE_COMPLIANCE_POLICIES)
        settings = evidence.graph("device_management", tenant, reads.DEVICE_MANAGEMENT)
        return device_policies.mdm_policies_review(
            policies, settings, cis_config, evidence.secure_score(secure_score), failures=evidence.failures
        )

    cis.evaluate(manual=review)


@pytest.mark.cis("7.2")
def test_mobile_password_reuse_prohibited(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.password_reuse_prohibited), exchange=activesync)


@pytest.mark.cis("7.3")
def test_mobile_passwords_never_expire(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.device_passwords_never_expire), exchange=activesync)


@pytest.mark.cis("7.4")
def test_jailbroken_devices_blocked(cis, tenant, cis_config):
    cis.evaluate(
        graph=lambda: device_policies.jailbroken_devices_blocked(
            read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES), cis_config
        )
    )


@pytest.mark.cis("7.5")
def test_mobile_wipe_on_failed_sign_ins(cis, tenant, cis_config, activesync):
    cis.evaluate(
        graph=lambda: device_policies.wipe_on_failed_sign_ins(
            read_intune(tenant, reads.DEVICE_CONFIGURATIONS), cis_config
        ),
        exchange=activesync,
    )


@pytest.mark.cis("7.6")
def test_mobile_minimum_password_length(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.minimum_password_length), exchange=activesync)


@pytest.mark.cis("7.7")
def test_mobile_inactivity_lock(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.inactivity_lock), exchange=activesync)


@pytest.mark.cis("7.8")
def test_mobile_encryption_required(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.encryption_required), exchange=activesync)


@pytest.mark.cis("7.9")
def test_mobile_alphanumeric_password(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.alphanumeric_password_required), exchange=activesync)


@pytest.mark.cis("7.10")
def test_mobile_simple_passwords_blocked(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.simple_passwords_blocked), exchange=activesync)


@pytest.mark.cis("7.11")
def test_devices_require_antivirus_and_firewall(cis, tenant):
    cis.evaluate(
        graph=lambda: device_policies.windows_firewall_and_antivirus_required(
            read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES)
        )
    )


@pytest.mark.cis("7.12")
def test_mdm_required_for_email_profiles(cis, tenant, cis_config):
    cis.evaluate(
        graph=lambda: device_policies.managed_email_profile_required(
            read_intune(tenant, reads.DEVICE_COMPLIANCE_POLICIES), cis_config
        )
    )


@pytest.mark.cis("7.13")
def test_mobile_password_required(cis, intune, activesync):
    cis.evaluate(graph=lambda: intune(device_policies.password_required), exchange=activesync)
