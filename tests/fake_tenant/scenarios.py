"""Tenant scenarios for the fake server: the data model, patch helpers and the named tenants.

from tests.fake_tenant.scenarios import golden_tenant, golden_config, patch, graph_pointer
failing = patch(golden_tenant(), [("replace", graph_pointer(SECURITY_DEFAULTS, "isEnabled"), True)])
"""

from __future__ import annotations

from .certificates import AppCertificate, make_app_certificate
from .golden import (
    ALL_GRAPH_ROLES,
    EXCHANGE_ROLES,
    GOLDEN_CLIENT_ID,
    GOLDEN_CLIENT_SECRET,
    GOLDEN_TENANT_ID,
    golden_config,
    golden_tenant,
)
from .model import ClientApp, GraphFailure, Scenario
from .named import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_TENANT_ID,
    INTUNE_NOT_LICENSED,
    P1_REQUIRED,
    P2_REQUIRED,
    demo_tenant,
    minimal_permissions_tenant,
    no_consent_tenant,
    noncompliant_tenant,
    unlicensed_tenant,
)
from .patching import PatchError, PatchOp, graph_pointer, patch, with_certificate, with_error, with_roles, without_roles
from .paths import *  # noqa: F403 - the path constants are part of this module's surface
from .paths import transitive_members

__all__ = [
    "ALL_GRAPH_ROLES",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_TENANT_ID",
    "EXCHANGE_ROLES",
    "GOLDEN_CLIENT_ID",
    "GOLDEN_CLIENT_SECRET",
    "GOLDEN_TENANT_ID",
    "INTUNE_NOT_LICENSED",
    "P1_REQUIRED",
    "P2_REQUIRED",
    "AppCertificate",
    "ClientApp",
    "GraphFailure",
    "PatchError",
    "PatchOp",
    "Scenario",
    "demo_tenant",
    "golden_config",
    "golden_tenant",
    "graph_pointer",
    "make_app_certificate",
    "minimal_permissions_tenant",
    "no_consent_tenant",
    "noncompliant_tenant",
    "patch",
    "transitive_members",
    "unlicensed_tenant",
    "with_certificate",
    "with_error",
    "with_roles",
    "without_roles",
]
