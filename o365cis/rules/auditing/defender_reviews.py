"""The manual reviews of Defender: 5.9 malware detections (Defender for Office 365), 5.13 Defender for Cloud Apps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from o365cis import licensing
from o365cis.findings import Finding
from o365cis.rules._types import Json, JsonList
from o365cis.rules._values import plural
from o365cis.rules.auditing._events import alert_evidence, counts, filled, rows_of
from o365cis.rules.manual_review import ManualReview
from o365cis.rules.securescore import SecureScore

#: alerts_v2 serviceSource values (https://learn.microsoft.com/graph/api/resources/security-alert).
DEFENDER_FOR_OFFICE = "microsoftDefenderForOffice365"


DEFENDER_FOR_CLOUD_APPS = "microsoftDefenderForCloudApps"


#: Defender for Cloud Apps service plans (unverified names, as the catalogue says).
CLOUD_APP_SECURITY_PLANS: tuple[str, ...] = ("ADALLOM_S_STANDALONE", "ADALLOM_S_O365")


def _alerts_from(alerts: JsonList, service_source: str) -> list[Json]:
    return [a for a in rows_of(alerts) if str(a.get("serviceSource") or "").lower() == service_source.lower()]


def malware_detections_review(
    alerts: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.9: the weekly review of malware detections, with the week's Defender for Office 365 alerts."""
    review = ManualReview(
        "Review in the Defender portal > Reports > Email & collaboration > Threat protection status (malware view): "
        "confirm malware detections are reviewed at least weekly and each review is recorded",
        failures,
    )
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        office = _alerts_from(alerts, DEFENDER_FOR_OFFICE)
        titles = Counter(filled(a.get("title")) for a in office)
        review.note(
            f"{plural(len(office), 'Defender for Office 365 alert')} in the last 7 days ({counts(titles)}); tenants "
            "without Defender for Office 365 show none"
        )
        review.add(alert_evidence(office), "alerts")
    review.secure_score(secure_score, ["MalwareDetections"])
    return review.finding()


def cloud_app_security_review(
    subscribed_skus: JsonList | None,
    alerts: JsonList | None,
    secure_score: SecureScore | None = None,
    *,
    failures: Mapping[str, str] | None = None,
) -> Finding:
    """5.13: whether Defender for Cloud Apps is set up, with its plans, the week's alerts and Secure Score controls."""
    review = ManualReview(
        "Review in the Defender portal > Settings > Cloud apps > App connectors: Microsoft 365 must be connected, and "
        "alerting policies must be in use (the connector and policies have no read API among this scanner's sources)",
        failures,
    )
    if subscribed_skus is None:
        review.missing("subscribed_skus", "subscribedSkus", "Directory.Read.All")
    else:
        skus = rows_of(subscribed_skus)
        present = licensing.plan_present(skus, CLOUD_APP_SECURITY_PLANS)
        review.note(
            f"a Cloud App Security plan ({' or '.join(CLOUD_APP_SECURITY_PLANS)}) is "
            f"{'present' if present else 'not present'} in subscribedSkus"
        )
        review.add(licensing.plan_evidence(skus, CLOUD_APP_SECURITY_PLANS), "plans")
    if alerts is None:
        review.missing("alerts", "security alerts of the last 7 days (alerts_v2)", "SecurityAlert.Read.All")
    else:
        cloud_apps = _alerts_from(alerts, DEFENDER_FOR_CLOUD_APPS)
        review.note(f"{plural(len(cloud_apps), 'Defender for Cloud Apps alert')} in the last 7 days")
        review.add(alert_evidence(cloud_apps), "alerts")
    review.secure_score(secure_score, ["mcas_mda_enabled", "CloudApplicationSecurityEnabled"])
    return review.finding()
