"""The results document's `run` object (docs/CONCEPTS.md): what was scanned, how, and from which data.

A reader of a report months later must tell a live scan from a replayed snapshot and know when the data
was read: for a snapshot (and the demo, which is one) that is when it was recorded, not when it was replayed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Generator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from o365cis.scan import ScanContext, initial_domain
from plugins.reporting.baseline import compare
from plugins.reporting.records import ScanRecords
from plugins.selection import cis_id_of, narrowed_by_user


def file_sha256(path: str | Path | None) -> str | None:
    """The SHA-256 of a file's bytes, or None without a file."""
    if not path:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.cache
def catalogue_version() -> str:
    """`<benchmark version>+<first 12 hex digits of the catalogue's SHA-256>`: changes whenever the catalogue does.

    The catalogue carries no version of its own; its digest tells two product builds' catalogues apart.
    """
    data = resources.files("o365cis").joinpath("catalogue.json").read_bytes()
    version = json.loads(data)["benchmark"]["version"]
    return f"{version}+{hashlib.sha256(data).hexdigest()[:12]}"


def iso_utc(moment: dt.datetime) -> str:
    """`2026-11-27T03:00:00Z`: seconds, UTC, as every time of the results document."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def describe_run(*, mode: str, data_as_of: str, level: int, license: str, config_path: str | None) -> dict[str, Any]:
    """The `run` object; `selected` is filled in once collection knows it."""
    return {
        "mode": mode,
        "data_as_of": data_as_of,
        "level": level,
        "license": license,
        "selected": None,
        "config_sha256": file_sha256(config_path),
        "catalogue_version": catalogue_version(),
    }


class RunCompletion:
    """Completes the `run` object and the tenant's domain as the session learns them (a pytest plugin object)."""

    def __init__(self, records: ScanRecords, context: ScanContext) -> None:
        self._records = records
        self._context = context

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if narrowed_by_user(session.config):
            self._records.run["selected"] = [i for item in session.items if (i := cis_id_of(item)) is not None]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        result = yield
        # After the tests: the organization read is cached by then in any scan that judged section 1 or Exchange,
        # and the reports written at session end need the domain.
        self._records.tenant_domain = initial_domain(self._context.tenant)
        # Before any report is written at session end (pytest-html and JUnit write ahead of the plugin).
        self._records.baseline = compare(session.config, self._records.records)
        return result
