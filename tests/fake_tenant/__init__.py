"""A fake Microsoft identity platform + Graph over HTTPS on 127.0.0.1, and the tenants it serves.

from tests.fake_tenant import FakeTenantServer, golden_tenant
with FakeTenantServer([golden_tenant()]) as server:
    ...  # --authority-url server.url --graph-url server.url --exchange-url server.url
         # --ca-bundle server.ca_pem_path
"""

from __future__ import annotations

from .faults import FaultRule, Faults
from .scenarios import (
    ALL_GRAPH_ROLES,
    EXCHANGE_ROLES,
    GOLDEN_CLIENT_ID,
    GOLDEN_CLIENT_SECRET,
    GOLDEN_TENANT_ID,
    AppCertificate,
    ClientApp,
    PatchOp,
    Scenario,
    demo_tenant,
    golden_config,
    golden_tenant,
    graph_pointer,
    make_app_certificate,
    minimal_permissions_tenant,
    no_consent_tenant,
    noncompliant_tenant,
    patch,
    unlicensed_tenant,
    with_certificate,
    with_error,
    with_roles,
    without_roles,
)
from .server import FakeRequest, FakeTenantServer, LoggedRequest

__all__ = [
    "ALL_GRAPH_ROLES",
    "EXCHANGE_ROLES",
    "GOLDEN_CLIENT_ID",
    "GOLDEN_CLIENT_SECRET",
    "GOLDEN_TENANT_ID",
    "AppCertificate",
    "ClientApp",
    "FakeRequest",
    "FakeTenantServer",
    "FaultRule",
    "Faults",
    "LoggedRequest",
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
    "unlicensed_tenant",
    "with_certificate",
    "with_error",
    "with_roles",
    "without_roles",
]
