"""Report and snapshot files: checked writable before a scan starts, and readable by their owner only."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class OutputPathError(ValueError):
    """An output path cannot be written; the message is one line and names the option."""


def claim_private_outputs(outputs: Iterable[tuple[str, str | None]]) -> list[Path]:
    """Open each (option, path) for writing as mode 0600, creating what is missing; return the files created.

    Done before the scan so an unwritable path is a usage error, not an hour's scan lost at the end; and a
    report file that exists with mode 0600 keeps it when pytest, pytest-html or the scanner write it later.
    """
    created: list[Path] = []
    for option, path in outputs:
        if not path:
            continue
        target = Path(path)
        existed = target.exists()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.fchmod(handle, 0o600)
            finally:
                os.close(handle)
        except OSError as exc:
            release(created)
            raise OutputPathError(f"{option} {path} cannot be written: {exc.strerror or type(exc).__name__}") from None
        if not existed:
            created.append(target)
    return created


def release(created: Iterable[Path]) -> None:
    """Remove the empty files `claim_private_outputs` created (the scan did not start)."""
    for path in created:
        try:
            if path.stat().st_size == 0:
                path.unlink()
        except OSError:
            pass


def narrow(paths: Iterable[str | None]) -> None:
    """Mode 0600 on every report that exists (a writer may have replaced the file claimed before the scan)."""
    for path in paths:
        if path and os.path.isfile(path):
            os.chmod(path, 0o600)
