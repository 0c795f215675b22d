"""tools/catalogue_from_yaml.py: the product's catalogue.json from a controls.yaml revision (inline specs only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.tools import load_tool

tool = load_tool("catalogue_from_yaml")


def control(rec_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rec_id,
        "section": "3 Data Management",
        "title": f"Recommendation {rec_id}",
        "level": 1,
        "license": "E3",
        "automated": True,
        "evaluation": "graph",
        "fallback": ["manual"],
        "requests": ["GET /v1.0/organization"],
        "permissions": ["Directory.Read.All"],
        "evidence_permissions": [],
        "securescore": [],
        "rule": "not copied",
        "evidence": "not copied",
        "manual_check": "Look\n  somewhere.",
        "confidence": "A",
    }
    return base | fields


def spec(*controls: dict[str, Any], summary: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "benchmark": {"name": "CIS", "version": "1.3.0"},
        "controls": list(controls),
        "shared_requests": [
            {
                "request": "GET /v1.0/organization",
                "permission": "Directory.Read.All",
                "note": "Organization.Read.All is narrower.",
            },
            {
                "request": "GET /v1.0/subscribedSkus",
                "permission": "Directory.Read.All",
                "note": "LicenseAssignment.Read.All or Organization.Read.All are narrower.",
            },
        ],
        "permissions_summary": summary
        or [
            {
                "permission": "Directory.Read.All",
                "api": "Microsoft Graph",
                "baseline": True,
                "used_by": ["3.1"],
                "evidence_only": [],
                "note": "Directory. Narrower alternatives are named in shared_requests.",
            }
        ],
    }


def test_a_known_control_keeps_the_product_fields_only() -> None:
    converted = tool.convert(spec(control("3.1")))
    assert converted["recommendations"] == [
        {
            "id": "3.1",
            "section": "3 Data Management",
            "title": "Recommendation 3.1",
            "level": 1,
            "license": "E3",
            "automated": True,
            "evaluation": "graph",
            "fallback": ["manual"],
            "permissions": ["Directory.Read.All"],
            "evidence_permissions": [],
            "securescore": [],
            "manual_check": "Look somewhere.",
            "requests": ["GET /v1.0/organization"],
        }
    ]


def test_narrower_alternatives_are_spelled_out_from_the_shared_requests() -> None:
    note = tool.convert(spec(control("3.1")))["permissions"][0]["note"]
    assert note == "Directory. Narrower alternatives: Organization.Read.All, LicenseAssignment.Read.All."


def test_the_compliance_placeholder_is_spelled_out_in_notes_but_not_in_requests() -> None:
    exchange = {
        "permission": "Exchange.ManageAsApp",
        "api": "Office 365 Exchange Online",
        "baseline": True,
        "used_by": ["3.2"],
        "evidence_only": [],
        "note": "Every Exchange and {compliance} read fails.",
    }
    request = "POST {compliance}/adminapi/beta/{tenant}/InvokeCommand Get-DlpCompliancePolicy"
    converted = tool.convert(
        spec(
            control("3.2", evaluation="exchange", requests=[request], permissions=["Exchange.ManageAsApp"]),
            summary=[exchange],
        )
    )
    assert converted["permissions"][0]["note"] == "Every Exchange and Security & Compliance read fails."
    assert converted["recommendations"][0]["requests"] == [request]


def test_a_source_the_product_cannot_read_is_held_back_as_manual() -> None:
    teams = control(
        "3.3",
        evaluation="teams",
        fallback=["manual"],
        requests=["GET {teams}/Skype.Policy/configurations/TenantFederationSettings/configuration/global"],
        permissions=["Teams admin API"],
    )
    sharepoint = control(
        "2.5",
        evaluation="sharepoint",
        fallback=["manual"],
        requests=[
            "GET {sharepoint_admin}/_api/SPO.Tenant",
            "POST {exchange}/adminapi/beta/{tenant}/InvokeCommand Get-AtpPolicyForO365 (evidence)",
        ],
        permissions=["Sites.FullControl.All"],
    )
    summary = [
        {
            "permission": "Teams admin API",
            "api": "Skype and Teams Tenant Admin API",
            "baseline": False,
            "used_by": ["3.3"],
            "evidence_only": [],
            "note": "role",
        },
        {
            "permission": "Sites.FullControl.All",
            "api": "Office 365 SharePoint Online",
            "baseline": False,
            "used_by": ["2.5"],
            "evidence_only": [],
            "note": "opt-in",
        },
    ]
    converted = tool.convert(spec(teams, sharepoint, summary=summary))
    by_id = {r["id"]: r for r in converted["recommendations"]}
    assert (
        by_id["3.3"]["evaluation"],
        by_id["3.3"]["fallback"],
        by_id["3.3"]["permissions"],
        by_id["3.3"]["requests"],
    ) == (
        "manual",
        [],
        [],
        [],
    )
    assert by_id["2.5"]["requests"] == [
        "POST {exchange}/adminapi/beta/{tenant}/InvokeCommand Get-AtpPolicyForO365 (evidence)"
    ]
    assert by_id["2.5"]["evaluation"] == "manual" and by_id["2.5"]["permissions"] == []
    assert converted["permissions"] == []


def test_an_unknown_source_with_decisive_reads_left_is_refused() -> None:
    odd = control("3.3", evaluation="teams", requests=["GET /v1.0/organization"])
    with pytest.raises(SystemExit, match="decisive requests left"):
        tool.convert(spec(odd))


def test_a_pending_chain_waits_for_the_rules_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tool, "PENDING_CHAINS", {"4.11": ("dns", ("exchange", "manual"))})
    dkim = control("4.11", evaluation="dns", fallback=["manual"])
    assert tool.convert(spec(dkim))["recommendations"][0]["fallback"] == ["exchange", "manual"]


def test_4_11_has_its_revised_chain() -> None:
    dkim = control("4.11", evaluation="dns", fallback=["manual"])
    assert tool.convert(spec(dkim))["recommendations"][0]["fallback"] == ["manual"]


def test_output_is_deterministic_and_check_mode_reports_staleness(tmp_path: Path) -> None:
    source = tmp_path / "controls.yaml"
    source.write_text(yaml.safe_dump(spec(control("3.1"))), encoding="utf-8")
    output = tmp_path / "catalogue.json"
    assert tool.main([str(source), "--output", str(output)]) == 0
    first = output.read_bytes()
    assert tool.main([str(source), "--output", str(output)]) == 0
    assert output.read_bytes() == first and json.loads(first)["benchmark"]["version"] == "1.3.0"
    assert tool.main([str(source), "--output", str(output), "--check"]) == 0
    output.write_text("{}", encoding="utf-8")
    assert tool.main([str(source), "--output", str(output), "--check"]) == 1


@pytest.mark.parametrize(
    ("rule", "names", "expected"),
    [
        (
            'compliant if ...\nSecure Score fallback uses "all": every listed control that is present must be full.',
            ["a", "b"],
            True,
        ),
        ('Otherwise Secure Score decides with\n  "all": either below full -> non_compliant.', ["a", "b"], True),
        # The SPF "all" mechanism is not a Secure Score rule; nor is "all" without Secure Score controls.
        ('evaluation stops at the first "all" mechanism. Secure Score is not used.', ["a"], False),
        ('Secure Score fallback uses "all".', [], False),
        ("Secure Score decides (first present is used).", ["a", "b"], False),
    ],
)
def test_the_secure_score_all_rule_is_carried_as_a_marker(rule: str, names: list[str], expected: bool) -> None:
    converted = tool.convert(spec(control("3.1", rule=rule, securescore=names)))["recommendations"][0]
    assert converted.get("securescore_all", False) is expected
    assert ("securescore_all" in converted) is expected  # left out where false: the file changes only there
