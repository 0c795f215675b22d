"""Prints (or, with --write, refreshes in README.md) the least-privilege permission table, from the catalogue."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from o365cis.catalogue import load_catalogue, permission_notes  # noqa: E402

START, END = "<!-- permissions:start -->", "<!-- permissions:end -->"
#: A placeholder such as {compliance} left in a note would print literally in README (the catalogue converter,
#: tools/catalogue_from_yaml.py, spells them out).
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def permissions_markdown() -> str:
    """One row per application permission: API, which recommendations need it decisively, which as evidence."""
    catalogue = load_catalogue()
    rows = ["| permission | API | decides | evidence only | what it reads |", "|---|---|---|---|---|"]
    for name, info in permission_notes().items():
        if _PLACEHOLDER.search(str(info["note"])):
            raise ValueError(f"{name}: the catalogue note still holds a placeholder: {info['note']}")
        decisive = [r.id for r in catalogue.values() if name in r.permissions]
        evidence = [r.id for r in catalogue.values() if name in r.evidence_permissions and name not in r.permissions]
        rows.append(
            f"| `{name}` | {info['api']} | {', '.join(decisive) or '-'} | "
            f"{', '.join(evidence) or '-'} | {info['note']} |"
        )
    return "\n".join(rows)


def main() -> int:
    table = permissions_markdown()
    if "--write" not in sys.argv:
        print(table)
        return 0
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), f"{START}\n{table}\n{END}", text, flags=re.S)
    readme.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
