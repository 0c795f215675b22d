"""The demo and the fake tenants' verdicts (status, reason, evidence) equal the golden files in tests/data/verdicts/.

A restructuring changes no verdict; a deliberate verdict change re-records them with
`python tools/compare_verdicts.py --write` and shows the difference in review.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]


def _compare_verdicts() -> ModuleType:
    # tools/ holds scripts, not a package: load the one the developer runs, so the test and the script agree.
    spec = importlib.util.spec_from_file_location("compare_verdicts", REPO_ROOT / "tools" / "compare_verdicts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verdicts_equal_the_golden_files() -> None:
    tool = _compare_verdicts()
    texts = tool.current_verdicts()
    assert sorted(texts) == sorted(p.name for p in tool.GOLDEN_DIR.glob("*.json"))
    diffs = tool.differences(texts)
    assert not diffs, (
        "verdicts changed (re-record with `python tools/compare_verdicts.py --write` if deliberate):\n"
        + ("\n".join(diffs)[:20000])
    )
