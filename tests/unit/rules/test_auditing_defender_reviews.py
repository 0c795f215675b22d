"""The manual reviews of Defender (5.9, 5.13)."""

from __future__ import annotations

from o365cis.rules.auditing import defender_reviews
from tests.unit.rules.auditing_cases import ALERTS, secure_score


def test_malware_review_keeps_defender_for_office_alerts_only() -> None:
    finding = defender_reviews.malware_detections_review(ALERTS, secure_score("MalwareDetections"))
    assert "Threat protection status" in finding.reason
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al2", "al1"]
    assert "2 Defender for Office 365 alerts" in finding.reason


def test_cloud_app_security_plans_alerts_and_controls() -> None:
    skus = [
        {
            "capabilityStatus": "Enabled",
            "skuId": "s1",
            "skuPartNumber": "SPE_E5",
            "servicePlans": [{"servicePlanName": "ADALLOM_S_STANDALONE", "provisioningStatus": "Success"}],
        }
    ]
    finding = defender_reviews.cloud_app_security_review(
        skus, ALERTS, secure_score("mcas_mda_enabled", "CloudApplicationSecurityEnabled")
    )
    assert "App connectors" in finding.reason
    assert "is present in subscribedSkus" in finding.reason
    assert [e.id for e in finding.evidence if e.type == "alert"] == ["al3"]
    assert len([e for e in finding.evidence if e.type == "secureScoreControl"]) == 2
    absent = defender_reviews.cloud_app_security_review([], [], None)
    assert "is not present" in absent.reason
