"""Get-Mailbox output at a real tenant's size and width, generated lazily for the memory benchmark.

A real Get-Mailbox object carries about two hundred properties (sizes, quotas, addresses, custom attributes,
retention and audit settings). Holding 100,000 of them in the fake server would cost gigabytes and dominate the
benchmark's machine, so `WideMailboxes` builds each object only when a page asks for it (the fake admin API
slices it like a list).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any, overload

from tests.fake_exchange.scenarios import DEFAULT_ROLE_ASSIGNMENT_POLICY

#: Every audit action 5.2's evidence expects, and more (the tenant stays golden).
AUDIT_ADMIN = [
    "Copy",
    "Create",
    "FolderBind",
    "HardDelete",
    "MessageBind",
    "Move",
    "MoveToDeletedItems",
    "SendAs",
    "SendOnBehalf",
    "SoftDelete",
    "Update",
    "UpdateCalendarDelegation",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
    "ApplyRecord",
    "MailItemsAccessed",
    "Send",
]
AUDIT_DELEGATE = [
    "Create",
    "FolderBind",
    "HardDelete",
    "Move",
    "MoveToDeletedItems",
    "SendAs",
    "SendOnBehalf",
    "SoftDelete",
    "Update",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
    "ApplyRecord",
    "MailItemsAccessed",
]
AUDIT_OWNER = [
    "Create",
    "HardDelete",
    "MailboxLogin",
    "Move",
    "MoveToDeletedItems",
    "SoftDelete",
    "Update",
    "UpdateCalendarDelegation",
    "UpdateFolderPermissions",
    "UpdateInboxRules",
    "ApplyRecord",
    "MailItemsAccessed",
    "Send",
]

_QUOTA = "Unlimited"
_SIZES = {
    "ProhibitSendQuota": "99 GB (106,300,440,576 bytes)",
    "ProhibitSendReceiveQuota": "100 GB (107,374,182,400 bytes)",
    "IssueWarningQuota": "98 GB (105,226,698,752 bytes)",
    "RecoverableItemsQuota": "30 GB (32,212,254,720 bytes)",
    "RecoverableItemsWarningQuota": "20 GB (21,474,836,480 bytes)",
    "CalendarLoggingQuota": "6 GB (6,442,450,944 bytes)",
    "ArchiveQuota": "100 GB (107,374,182,400 bytes)",
    "ArchiveWarningQuota": "90 GB (96,636,764,160 bytes)",
    "MaxSendSize": "35 MB (36,700,160 bytes)",
    "MaxReceiveSize": "36 MB (37,748,736 bytes)",
    "RulesQuota": "256 KB (262,144 bytes)",
}
_NULLS = (
    "ForwardingAddress",
    "ForwardingSmtpAddress",
    "LitigationHoldDate",
    "LitigationHoldOwner",
    "RetentionComment",
    "RetentionUrl",
    "StartDateForRetentionHold",
    "EndDateForRetentionHold",
    "ArchiveDatabase",
    "ArchiveDomain",
    "DisabledArchiveDatabase",
    "JournalArchiveAddress",
    "LinkedMasterAccount",
    "ResourceCapacity",
    "ResourceType",
    "RoomMailboxAccountEnabled",
    "SharingPolicy",
    "RemoteAccountPolicy",
    "MailboxPlan",
    "ThrottlingPolicy",
    "QueryBaseDN",
    "OfflineAddressBook",
    "AddressBookPolicy",
    "DefaultPublicFolderMailbox",
    "ArbitrationMailbox",
    "ModeratedBy",
    "RejectMessagesFrom",
    "RejectMessagesFromDLMembers",
    "RejectMessagesFromSendersOrMembers",
    "AcceptMessagesOnlyFrom",
    "AcceptMessagesOnlyFromDLMembers",
    "AcceptMessagesOnlyFromSendersOrMembers",
    "BypassModerationFromSendersOrMembers",
    "GrantSendOnBehalfTo",
    "SimpleDisplayName",
    "MailTip",
    "Office",
    "ImmutableId",
    "UnifiedMailbox",
    "ForwardingAddressLinkedMailbox",
    "SourceAnchor",
    "MailboxMoveBatchName",
    "MailboxMoveFlags",
    "MailboxMoveRemoteHostName",
    "MailboxMoveSourceMDB",
    "MailboxMoveTargetMDB",
    "MailboxMoveStatus",
    "MailboxRegion",
    "MailboxRegionLastUpdateTime",
    "DataEncryptionPolicy",
    "MessageRecallProcessingEnabled",
    "StsRefreshTokensValidFrom",
    "ComplianceTagHoldApplied",
    "DelayHoldApplied",
    "DelayReleaseHoldApplied",
    "OrphanSoftDeleteTrackingTime",
    "InactiveMailboxRetireTime",
    "AccountDisabled",
    "WhenSoftDeleted",
    "DisabledMailboxLocations",
    "NonCompliantDevices",
)
_FALSE = (
    "LitigationHoldEnabled",
    "SingleItemRecoveryEnabled",
    "RetentionHoldEnabled",
    "ElcProcessingDisabled",
    "IsMailboxEnabled",
    "DeliverToMailboxAndForward",
    "HiddenFromAddressListsEnabled",
    "ModerationEnabled",
    "RequireSenderAuthenticationEnabled",
    "IsShared",
    "IsResource",
    "IsLinked",
    "IsRootPublicFolderMailbox",
    "IsInactiveMailbox",
    "IsSoftDeletedByRemove",
    "IsSoftDeletedByDisable",
    "IsDirSynced",
    "AuditLogAgeLimitExceeded",
    "CalendarRepairDisabled",
    "DowngradeHighPriorityMessagesEnabled",
    "MessageTrackingReadStatusEnabled",
    "UseDatabaseQuotaDefaults",
    "UseDatabaseRetentionDefaults",
    "RetainDeletedItemsUntilBackup",
    "AntispamBypassEnabled",
    "SchedulerAssistant",
    "IsExcludedFromServingHierarchy",
    "IsHierarchyReady",
    "IsHierarchySyncEnabled",
    "HasSnackyAppData",
    "IsPersonToPersonMailbox",
    "MicrosoftOnlineServicesID",
    "EmailAddressPolicyEnabled",
    "MessageCopyForSentAsEnabled",
    "MessageCopyForSendOnBehalfEnabled",
    "MessageCopyForSMTPClientSubmissionEnabled",
    "AutoExpandingArchiveEnabled",
    "ElcProcessingDisabledReason",
    "EnforcedTimestamps",
    "IsAuxMailbox",
    "IsMonitoringMailbox",
    "ProvisionedForOfficeGraph",
    "AggregatedMailboxGuids",
    "MailboxContainerGuid",
)
_EMPTY_LISTS = (
    "InPlaceHolds",
    "ComplianceTagHoldApplied2",
    "Languages",
    "ExtensionCustomAttribute1",
    "ExtensionCustomAttribute2",
    "ExtensionCustomAttribute3",
    "ExtensionCustomAttribute4",
    "ExtensionCustomAttribute5",
    "MailboxLocations",
    "PersistedCapabilities",
    "SKUAssigned",
    "AdministrativeUnits",
    "RecipientLimits",
    "Extensions",
    "ArchiveRelease",
    "GeneratedOfflineAddressBooks",
    "AuditSettings",
    "PoliciesIncluded",
    "PoliciesExcluded",
    "ObjectClassHistory",
    "ResourceCustom",
    "UMDtmfMap",
    "AddressListMembership",
    "ArchiveName",
    "ExchangeSecurityDescriptor",
)


def wide_mailbox(index: int, upn: str, display_name: str, directory_id: str, tenant_domain: str) -> dict[str, Any]:
    """One Get-Mailbox object of about two hundred properties, compliant for every rule that reads mailboxes."""
    alias = upn.split("@", 1)[0].replace("#", "_")[:60]
    guid = str(uuid.UUID(int=(index * 0x9E3779B97F4A7C15 + 7) % (1 << 128)))
    exchange_guid = str(uuid.UUID(int=(index * 0xC2B2AE3D27D4EB4F + 11) % (1 << 128)))
    dn = (
        f"CN={alias},OU={tenant_domain},OU=Microsoft Exchange Hosted Organizations,"
        "DC=EURPR05A003,DC=PROD,DC=OUTLOOK,DC=COM"
    )
    box: dict[str, Any] = {
        "Name": alias,
        "Alias": alias,
        "DisplayName": display_name,
        "Identity": alias,
        "Id": alias,
        "DistinguishedName": dn,
        "Guid": guid,
        "ExchangeGuid": exchange_guid,
        "ExchangeObjectId": guid,
        "ExternalDirectoryObjectId": directory_id,
        "UserPrincipalName": upn,
        "WindowsLiveID": upn,
        "PrimarySmtpAddress": upn,
        "WindowsEmailAddress": upn,
        "EmailAddresses": [f"SMTP:{upn}", f"smtp:{alias}@{tenant_domain}", f"SPO:SPO_{guid}@SPO_{exchange_guid}"],
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": "UserMailbox",
        "OrganizationalUnit": tenant_domain,
        "Database": f"EURPR05DG{index % 400:03d}-db{index % 97:03d}",
        "ServerName": f"am{index % 900:04d}",
        "AuditEnabled": True,
        "AuditLogAgeLimit": "90.00:00:00",
        "AuditAdmin": list(AUDIT_ADMIN),
        "AuditDelegate": list(AUDIT_DELEGATE),
        "AuditOwner": list(AUDIT_OWNER),
        "DefaultAuditSet": ["Admin", "Delegate", "Owner"],
        "RoleAssignmentPolicy": DEFAULT_ROLE_ASSIGNMENT_POLICY,
        "RetentionPolicy": "Default MRM Policy",
        "SharingPolicy": "Default Sharing Policy",
        "OwaMailboxPolicy": "OwaMailboxPolicy-Default",
        "ArchiveStatus": "None",
        "ArchiveState": "None",
        "ArchiveGuid": "00000000-0000-0000-0000-000000000000",
        "RemoteRecipientType": "None",
        "LitigationHoldDuration": _QUOTA,
        "RetainDeletedItemsFor": "14.00:00:00",
        "WhenCreated": f"2021-0{1 + index % 9}-1{index % 10}T08:{index % 60:02d}:00+00:00",
        "WhenChanged": f"2026-1{index % 2}-0{1 + index % 9}T10:{index % 60:02d}:00+00:00",
        "WhenMailboxCreated": f"2021-0{1 + index % 9}-1{index % 10}T08:{index % 60:02d}:30+00:00",
        "WhenCreatedUTC": f"2021-0{1 + index % 9}-1{index % 10}T08:{index % 60:02d}:00Z",
        "WhenChangedUTC": f"2026-1{index % 2}-0{1 + index % 9}T10:{index % 60:02d}:00Z",
        "UsageLocation": "United Kingdom",
        "Languages": ["en-GB"],
        "MailboxProvisioningConstraint": None,
        "LegacyExchangeDN": "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
        f"cn={guid.replace('-', '')}-{alias[:8]}",
        "ObjectCategory": "EURPR05A003.PROD.OUTLOOK.COM/Configuration/Schema/Person",
        "ObjectState": "Unchanged",
        "ObjectClass": ["top", "person", "organizationalPerson", "user"],
        "OriginatingServer": f"AM{index % 900:04d}A03DC001.EURPR05A003.PROD.OUTLOOK.COM",
        "IsValid": True,
        "ExchangeVersion": "0.20 (15.0.0.0)",
        "MailboxRelease": "E15",
        "RecipientLimits": "500",
        "SamAccountName": f"$ABC{index:06d}-{guid[:12]}",
        "ExchangeUserAccountControl": "None",
        "AddressBookPolicy": None,
        "CalendarVersionStoreDisabled": False,
        "AuditBypassEnabled": False,
        "GeneratedOfflineAddressBooks": [],
        "UMEnabled": False,
        "MessageTrackingReadStatusEnabled": True,
    }
    box.update(_SIZES)
    for name in _NULLS:
        box.setdefault(name, None)
    for name in _FALSE:
        box.setdefault(name, False)
    for name in _EMPTY_LISTS:
        box.setdefault(name, [])
    for number in range(1, 16):
        box[f"CustomAttribute{number}"] = f"attr{number}-{index % 50}" if number <= 3 else ""
    return box


class WideMailboxes(Sequence[dict[str, Any]]):
    """`count` Get-Mailbox objects over the tenant's users, built per slice (never all at once)."""

    def __init__(self, users: Sequence[dict[str, Any]], count: int, tenant_domain: str) -> None:
        self._users = users
        self._count = count
        self._domain = tenant_domain

    def __len__(self) -> int:
        return self._count

    def _box(self, index: int) -> dict[str, Any]:
        user = self._users[index % len(self._users)]
        upn = str(user.get("userPrincipalName") or f"user{index}@{self._domain}")
        if index >= len(self._users):
            upn = f"shared{index}@{self._domain}"
        return wide_mailbox(index, upn, str(user.get("displayName") or upn), str(user.get("id") or ""), self._domain)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._box(i) for i in range(*index.indices(self._count))]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return self._box(index % self._count)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._box(i) for i in range(self._count))
