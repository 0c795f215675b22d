"""Run Debian's chromium headless on a local file: the DOM after its scripts ran, or a screenshot.

Reusable by any test: `HeadlessChromium.for_tests(tmp_path)` skips when chromium is missing, unless
O365CIS_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails the test instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM_CANDIDATES: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
REQUIRE_BROWSER_ENV = "O365CIS_REQUIRE_BROWSER"
# A safety net against a hung browser, not a performance assertion.
_PROCESS_TIMEOUT_SECONDS = 120

# Keep the browser off every network: no background services, every proxied request sent to a dead
# loopback port, and every host name unresolvable. Only file:// pages are opened.
_ISOLATION_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",  # chromium refuses to run as root with its sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The chromium executable, or None when it is not installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def browser_required() -> bool:
    """True when a missing browser must fail the test rather than skip it (CI)."""
    return os.environ.get(REQUIRE_BROWSER_ENV, "").strip().lower() in {"1", "true", "yes"}


def chromium_for_tests() -> str:
    """The chromium executable; skip the test when it is missing, or fail it when CI requires the browser."""
    executable = find_chromium()
    if executable is None:
        unavailable("chromium is not installed (/usr/bin/chromium); apt-get install -y chromium")
    return executable


def unavailable(message: str) -> NoReturn:
    """Skip a browser test for want of a tool, or fail it under O365CIS_REQUIRE_BROWSER=1."""
    if browser_required():
        pytest.fail(f"{message} ({REQUIRE_BROWSER_ENV}=1 requires the browser)")
    pytest.skip(message)


@dataclass(frozen=True)
class HeadlessChromium:
    """One chromium executable and a throwaway profile folder."""

    executable: str
    profile_dir: Path

    @classmethod
    def for_tests(cls, work_dir: Path) -> HeadlessChromium:
        """The installed chromium with a profile under work_dir; skip (or fail in CI) when missing."""
        executable = chromium_for_tests()
        profile = work_dir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        return cls(executable, profile)

    def dump_dom(self, page: Path, query: str = "") -> str:
        """The page's DOM, serialised after its scripts ran and it finished loading.

        query (e.g. "sort=cisId") is appended to the file URL, for pages that read their state from it.
        """
        url = page.resolve().as_uri() + (f"?{query}" if query else "")
        result = self._run(["--virtual-time-budget=5000", "--dump-dom", url])
        return result.stdout

    def screenshot(self, page: Path, png: Path, window_size: tuple[int, int] = (1400, 2000)) -> Path:
        """Render the page into a PNG of window_size pixels, returning the PNG's path."""
        width, height = window_size
        self._run(
            [
                f"--screenshot={png.resolve()}",
                f"--window-size={width},{height}",
                "--hide-scrollbars",
                "--virtual-time-budget=5000",
                page.resolve().as_uri(),
            ]
        )
        return png

    def _run(self, arguments: list[str]) -> subprocess.CompletedProcess[str]:
        command = [self.executable, *_ISOLATION_FLAGS, f"--user-data-dir={self.profile_dir}", *arguments]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,  # the error below carries chromium's own message
            timeout=_PROCESS_TIMEOUT_SECONDS,
            cwd=self.profile_dir,
            # A HOME of its own keeps chromium's caches and crash dumps out of the real home folder.
            env={**os.environ, "HOME": str(self.profile_dir)},
        )
        if result.returncode != 0:
            raise RuntimeError(f"chromium exited with {result.returncode}: {result.stderr[-2000:]}")
        return result
