"""Code quality: ruff and mypy over the product's code, with the configuration in pyproject.toml.

The tools are pinned in requirements-dev.txt. A user who installed only requirements.txt sees these two
tests skipped; in CI (environment variable CI set) a missing tool fails the test instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

RUFF_PATHS = ["o365cis", "plugins", "cis_tests", "lambda_handler.py", "tools", "benchmarks", "tests"]
MYPY_PATHS = ["o365cis", "plugins", "lambda_handler.py"]


def in_ci() -> bool:
    """True when the environment variable CI is set (to anything non-empty): a missing tool then fails."""
    return bool(os.environ.get("CI"))


def require_tool(module: str) -> None:
    """Skip the test when `module` is not importable, or fail it in CI."""
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{module} is not installed: pip install -r requirements-dev.txt"
    if in_ci():
        pytest.fail(f"{message} (CI is set, so the code-quality checks must run)")
    pytest.skip(message)


def run_tool(module: str, args: list[str]) -> None:
    """Run `python -m module args` from the repository root and assert it exits 0, showing its output if not."""
    command = [sys.executable, "-m", module, *args]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, (
        f"`{' '.join(command[1:])}` exited {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def test_ruff_check_passes() -> None:
    require_tool("ruff")
    run_tool("ruff", ["check", *RUFF_PATHS])


def test_mypy_passes() -> None:
    require_tool("mypy")
    run_tool("mypy", ["--ignore-missing-imports", "--explicit-package-bases", *MYPY_PATHS])
