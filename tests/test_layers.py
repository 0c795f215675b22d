"""Layers one way: the import graph of o365cis/, read with the stdlib ast module (no code is imported).

Collectors and clients never import rules; rules never reach anything that does I/O; value modules (findings,
catalogue, config, settings, DNS records and mail domains, licensing and directory-role terms) do no I/O. Only the
wiring (the pytest plugin and cis_tests/ fixtures, o365cis/securescore_source.py, scan.py, runner.py) joins the two
sides. Imports are followed transitively, parent packages included: importing `a.b.c` runs `a/__init__` and
`a/b/__init__` too.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "o365cis"

#: Third-party and standard-library packages that talk to the network or other processes.
IO_LIBRARIES = frozenset({"requests", "msal", "dns", "socket", "boto3", "botocore", "urllib", "http", "ssl", "smtplib"})
#: Modules of the product that do I/O (HTTP, DNS, tokens, AWS, snapshots on disk) or call those that do.
IO_MODULES = (
    "o365cis.http",
    "o365cis.auth",
    "o365cis.graph",
    "o365cis.exchange.client",
    "o365cis.collectors",
    "o365cis.dns.resolver",
    "o365cis.dns.lookups",
    "o365cis.snapshot",
    "o365cis.scan",
    "o365cis.runner",
    "o365cis.lambda_service",
    "o365cis.securescore_source",
)
#: The lower layer: reads and clients, which know nothing of decisions.
READERS = ("o365cis.collectors", "o365cis.graph", "o365cis.exchange", "o365cis.dns.resolver", "o365cis.dns.lookups")
VALUE_MODULES = (
    "o365cis.findings",
    "o365cis.catalogue",
    "o365cis.config",
    "o365cis.settings",
    "o365cis.licensing",
    "o365cis.directory_roles",
    "o365cis.dns.records",
    "o365cis.dns.mail",
    "o365cis.dns.outcome",
    "o365cis.dns.servers",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Every module an `import` or `from ... import` of this module names (a from-import's names may be modules)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "__future__":
                continue
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return frozenset(found)


@cache
def reachable(module: str) -> frozenset[str]:
    """Every module importing this one loads: product modules followed transitively, libraries by top name."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        for imported in direct_imports(current):
            for name in _with_parents(imported):
                if name in MODULES and name not in seen:
                    seen.add(name)
                    todo.append(name)
                elif not name.startswith("o365cis"):
                    seen.add(name.split(".")[0])
    return frozenset(seen)


def io_reached(module: str) -> list[str]:
    return sorted(n for n in reachable(module) if n in IO_LIBRARIES or _within(n, IO_MODULES))


def test_the_layers_cover_real_modules() -> None:
    for name in (*IO_MODULES, *READERS, *VALUE_MODULES, "o365cis.rules"):
        assert name in MODULES, f"{name} named in this test but not in o365cis/"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _within(m, READERS)))
def test_readers_import_no_rules(module: str) -> None:
    assert not [n for n in reachable(module) if _within(n, ("o365cis.rules",))]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _within(m, ("o365cis.rules",))))
def test_rules_do_no_io(module: str) -> None:
    assert io_reached(module) == []


@pytest.mark.parametrize("module", VALUE_MODULES)
def test_value_modules_do_no_io(module: str) -> None:
    assert io_reached(module) == []
    assert not [n for n in reachable(module) if _within(n, ("o365cis.rules",))]
