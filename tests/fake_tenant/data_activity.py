"""Activity evidence: directory audits, provisioning logs and the application sign-in summary.

Shapes: https://learn.microsoft.com/graph/api/resources/directoryaudit, .../provisioningobjectsummary and
the beta applicationSignInSummary. Events span the last two weeks, so a 7-day filter has work to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .data_common import GLOBAL_READER, SECURITY_ADMIN, IdSource, iso_ms

_SSPR_SERVICE = "Self-service Password Management"


def _actor(user: dict[str, Any] | None, app: str | None = None) -> dict[str, Any]:
    if user is None:
        return {
            "user": None,
            "app": {"appId": None, "displayName": app, "servicePrincipalId": None, "servicePrincipalName": app},
        }
    return {
        "user": {
            "id": user["id"],
            "displayName": None,
            "userPrincipalName": user["userPrincipalName"],
            "ipAddress": "198.51.100.23",
            "userType": None,
            "homeTenantId": None,
            "homeTenantName": None,
        },
        "app": None,
    }


def _target(user: dict[str, Any], kind: str = "User", properties: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    return {
        "id": user["id"],
        "displayName": user.get("displayName"),
        "type": kind,
        "userPrincipalName": user.get("userPrincipalName"),
        "groupType": None,
        "modifiedProperties": list(properties),
    }


def directory_audits(
    ids: IdSource, now: dt.datetime, users: Sequence[dict[str, Any]], admins: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Audit events, newest first: SSPR activity, role changes, user creation, some older than 7 days."""
    rng = ids.rng
    events: list[dict[str, Any]] = []

    def add(
        days: float,
        category: str,
        service: str,
        activity: str,
        operation: str,
        initiated: dict[str, Any],
        targets: list[dict[str, Any]],
        result: str = "success",
        reason: str = "",
    ) -> None:
        moment = now - dt.timedelta(days=days, minutes=rng.randint(0, 600))
        events.append(
            {
                "id": f"Directory_{ids.guid()}",
                "category": category,
                "correlationId": ids.guid(),
                "result": result,
                "resultReason": reason,
                "activityDisplayName": activity,
                "activityDateTime": iso_ms(moment),
                "loggedByService": service,
                "operationType": operation,
                "initiatedBy": initiated,
                "targetResources": targets,
                "additionalDetails": [],
            }
        )

    for index in range(8):
        user = rng.choice(users)
        days = 0.5 + index * 1.6
        add(
            days,
            "UserManagement",
            _SSPR_SERVICE,
            "Reset password (self-service)",
            "Update",
            _actor(user),
            [_target(user)],
            result="success" if index % 4 else "failure",
            reason="" if index % 4 else "User's account is locked",
        )
        add(
            days + 0.01,
            "UserManagement",
            _SSPR_SERVICE,
            "Self-service password reset flow activity progress",
            "Update",
            _actor(user),
            [_target(user)],
            reason="User successfully reset password",
        )
    role_property = {"displayName": "Role.DisplayName", "oldValue": None, "newValue": '"Security Administrator"'}
    for index, days in enumerate((1.5, 3.2, 6.1, 10.4)):
        admin = admins[index % len(admins)]
        target = rng.choice(users)
        add(
            days,
            "RoleManagement",
            "PIM",
            "Add eligible member to role in PIM completed (permanent)",
            "Add",
            _actor(admin),
            [
                {
                    "id": SECURITY_ADMIN,
                    "displayName": "Security Administrator",
                    "type": "Role",
                    "userPrincipalName": None,
                    "groupType": None,
                    "modifiedProperties": [],
                },
                _target(target),
            ],
        )
        add(
            days + 0.2,
            "RoleManagement",
            "Core Directory",
            "Add member to role",
            "Assign",
            _actor(admin),
            [_target(target, properties=[role_property])],
        )
    add(
        2.4,
        "RoleManagement",
        "Core Directory",
        "Remove member from role",
        "Unassign",
        _actor(admins[0]),
        [_target(rng.choice(users), properties=[{**role_property, "newValue": None, "oldValue": '"Global Reader"'}])],
    )
    for index in range(6):
        created = rng.choice(users)
        initiated = _actor(rng.choice(admins)) if index % 2 else _actor(None, "HR Provisioning Connector")
        add(0.8 + index * 2.1, "UserManagement", "Core Directory", "Add user", "Add", initiated, [_target(created)])
    add(
        4.5,
        "ApplicationManagement",
        "Core Directory",
        "Consent to application",
        "Assign",
        _actor(admins[0]),
        [
            {
                "id": ids.guid(),
                "displayName": "o365-cis scanner",
                "type": "ServicePrincipal",
                "userPrincipalName": None,
                "groupType": None,
                "modifiedProperties": [
                    {"displayName": "ConsentAction.Permissions", "oldValue": None, "newValue": f'"{GLOBAL_READER}"'}
                ],
            }
        ],
    )
    return sorted(events, key=lambda event: event["activityDateTime"], reverse=True)


def provisioning(
    ids: IdSource, tenant_id: str, now: dt.datetime, users: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Provisioning events of the HR inbound connector, newest first."""
    job_id = f"Workday2AAD.{ids.guid().replace('-', '')[:32]}"
    events = []
    for index in range(10):
        user = ids.rng.choice(users)
        moment = now - dt.timedelta(days=0.3 + index * 1.4)
        failed = index == 4
        events.append(
            {
                "id": ids.guid(),
                "activityDateTime": iso_ms(moment),
                "tenantId": tenant_id,
                "jobId": job_id,
                "cycleId": ids.guid(),
                "changeId": ids.guid(),
                "provisioningAction": "create" if index % 3 == 0 else "update",
                "durationInMilliseconds": 800 + index * 37,
                "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
                "servicePrincipal": {"id": ids.guid(), "displayName": "HR Provisioning Connector"},
                "sourceSystem": {"id": ids.guid(), "displayName": "Workday", "details": {}},
                "targetSystem": {"id": ids.guid(), "displayName": "Azure Active Directory", "details": {}},
                "sourceIdentity": {
                    "id": str(10000 + index),
                    "displayName": user["displayName"],
                    "identityType": "Worker",
                    "details": {},
                },
                "targetIdentity": {
                    "id": user["id"],
                    "displayName": user["displayName"],
                    "identityType": "User",
                    "details": {},
                },
                "provisioningStatusInfo": {
                    "status": "failure" if failed else "success",
                    "errorInformation": {
                        "errorCode": "AzureActiveDirectoryConflictEntry",
                        "reason": "An object with the same userPrincipalName already exists.",
                        "additionalDetails": None,
                        "errorCategory": "NonServiceFailure",
                        "recommendedAction": None,
                    }
                    if failed
                    else None,
                },
                "provisioningSteps": [
                    {
                        "name": "EntryImport",
                        "provisioningStepType": "import",
                        "status": "success",
                        "description": "Retrieved the worker from the source system.",
                        "details": {},
                    },
                    {
                        "name": "EntryExportAdd" if index % 3 == 0 else "EntryExportUpdate",
                        "provisioningStepType": "export",
                        "status": "failure" if failed else "success",
                        "description": "Exported the change to the directory.",
                        "details": {},
                    },
                ],
                "modifiedProperties": [
                    {"displayName": "department", "oldValue": None, "newValue": user.get("department")}
                ],
            }
        )
    return events


def application_sign_in_summary(ids: IdSource) -> list[dict[str, Any]]:
    """Beta getAzureADApplicationSignInSummary(period='D7') rows."""
    apps = [
        ("Office 365 Exchange Online", 18250, 61),
        ("Microsoft Teams", 15890, 44),
        ("Office 365 SharePoint Online", 9120, 20),
        ("Microsoft Azure Portal", 312, 9),
        ("HR Portal", 1420, 118),
        ("o365-cis scanner", 14, 0),
    ]
    rows = []
    for name, ok, failed in apps:
        rows.append(
            {
                "id": ids.guid(),
                "appDisplayName": name,
                "successfulSignInCount": ok,
                "failedSignInCount": failed,
                "successPercentage": round(100 * ok / (ok + failed), 2),
            }
        )
    return rows
