"""Writes o365cis/catalogue.json, the product's own copy of the catalogue, from a controls.yaml revision.

    python tools/catalogue_from_yaml.py PATH/TO/controls.yaml [--check]

The product never reads the spec at run time: it reads catalogue.json (see o365cis/catalogue.py for the fields).
The output is deterministic (same yaml in, same bytes out), so a regenerated file diffs cleanly.

What the conversion does besides copying the per-recommendation fields:

* Permission notes are made self-contained. The yaml's summary may point at its `shared_requests` section, which the
  product does not ship ("Narrower alternatives are named in shared_requests."): the narrower permissions named in
  those request notes are spelled out instead. The `{compliance}` host placeholder is spelled out in notes too
  (it is prose for an administrator; request strings keep their placeholders, the product resolves those).
* Sources the product cannot read yet are held back. The revision gives 2.5 a SharePoint admin API source and 3.3 /
  3.7 a Teams admin API source; those clients belong to a later issue (12). Until then the evaluation chain does not
  know `sharepoint` or `teams`, so those recommendations stay as the product runs them today: evaluation manual, no
  fallback, their requests on those APIs dropped (what remains is evidence), and the permissions of APIs the product
  does not call (their `api` is neither Graph nor Exchange Online) are left out of the recommendations and of the
  permission summary. Without this, the pre-flight would ask for grants the product never uses.
* The Secure Score "all" rule is carried as `"securescore_all": true` (only on the recommendations whose rule text
  says Secure Score reads its controls with "all", e.g. 1.1.8 and 4.10: every listed control that is present must be
  full, instead of the first present alternative). The key is left out elsewhere, so the file only changes there.
* Chains that wait for rule changes are kept (PENDING_CHAINS, id -> (evaluation, fallback)); none waits today
  (4.11's Get-DkimSigningConfig moved into the DNS source with its rule).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "o365cis" / "catalogue.json"

#: The sources the evaluation chain knows (o365cis/catalogue.py SOURCES, o365cis/evaluation.py).
KNOWN_SOURCES = ("graph", "dns", "exchange", "securescore", "manual")
#: APIs the product has a client for; permissions on any other API are held back with their source.
KNOWN_APIS = ("Microsoft Graph", "Office 365 Exchange Online")
#: Request prefixes of the APIs held back (the yaml's placeholders for the Teams and SharePoint admin hosts).
DEFERRED_REQUEST_PREFIXES = ("GET {teams}", "GET {sharepoint_admin}")
#: id -> (evaluation, fallback) kept until the rules phase implements the revised chain (see the module docstring).
PENDING_CHAINS: dict[str, tuple[str, tuple[str, ...]]] = {}
#: Placeholders spelled out in prose notes (the yaml defines {compliance} above shared_requests).
NOTE_PLACEHOLDERS = {"{compliance}": "Security & Compliance"}
_SHARED_REQUESTS_POINTER = "Narrower alternatives are named in shared_requests."
_NARROWER = re.compile(r"((?:[A-Za-z]+\.)+[A-Za-z]+(?: or (?:[A-Za-z]+\.)+[A-Za-z]+)*) (?:is|are) narrower")

FIELDS = ("id", "section", "title", "level", "license", "automated")
#: A rule sentence that makes Secure Score read its controls with "all" ('Secure Score fallback uses "all"',
#: 'Secure Score decides with "all"'); matched within one sentence of the whitespace-normalised rule text.
_SECURE_SCORE_ALL = re.compile(r'Secure Score[^.]*"all"')


def securescore_all(control: Mapping[str, Any]) -> bool:
    """Whether the control's rule reads its Secure Score controls with "all" (see the module docstring)."""
    rule = " ".join(str(control.get("rule") or "").split())
    return bool(control.get("securescore")) and _SECURE_SCORE_ALL.search(rule) is not None


def _narrower_alternatives(permission: str, shared_requests: Iterable[Mapping[str, Any]]) -> list[str]:
    """The narrower permissions the shared-request notes name for `permission`, in order of first mention."""
    names: list[str] = []
    for request in shared_requests:
        if request.get("permission") != permission:
            continue
        for match in _NARROWER.finditer(str(request.get("note") or "")):
            names.extend(name for name in match.group(1).split(" or ") if name not in names)
    return names


def _note(permission: str, note: str, shared_requests: Iterable[Mapping[str, Any]]) -> str:
    if _SHARED_REQUESTS_POINTER in note:
        alternatives = _narrower_alternatives(permission, shared_requests)
        spelled = f"Narrower alternatives: {', '.join(alternatives)}." if alternatives else ""
        note = note.replace(_SHARED_REQUESTS_POINTER, spelled).strip()
    for placeholder, text in NOTE_PLACEHOLDERS.items():
        note = note.replace(placeholder, text)
    return note


def _recommendation(control: Mapping[str, Any], deferred_permissions: set[str]) -> dict[str, Any]:
    evaluation = str(control["evaluation"])
    fallback = [str(s) for s in control.get("fallback") or []]
    requests = [str(r) for r in control.get("requests") or []]
    permissions = [str(p) for p in control.get("permissions") or []]
    evidence_permissions = [str(p) for p in control.get("evidence_permissions") or []]
    if evaluation not in KNOWN_SOURCES or any(s not in KNOWN_SOURCES for s in fallback):
        requests = [r for r in requests if not r.startswith(DEFERRED_REQUEST_PREFIXES)]
        fallback = [s for s in fallback if s in KNOWN_SOURCES and s != "manual"]
        if evaluation not in KNOWN_SOURCES:
            if fallback:
                raise SystemExit(
                    f"{control['id']}: unknown source {evaluation!r} with fallback {fallback}: decide by hand"
                )
            # No source the product can read is left: the standard manual review, every remaining request evidence.
            evaluation = "manual"
            if any(not r.endswith(" (evidence)") for r in requests):
                raise SystemExit(f"{control['id']}: decisive requests left on a manual recommendation: {requests}")
            permissions = []
        else:
            fallback.append("manual")
    if control["id"] in PENDING_CHAINS:
        evaluation, pending_fallback = PENDING_CHAINS[control["id"]]
        fallback = list(pending_fallback)
    converted: dict[str, Any] = {
        **{field: control[field] for field in FIELDS},
        "evaluation": evaluation,
        "fallback": fallback,
        "permissions": [p for p in permissions if p not in deferred_permissions],
        "evidence_permissions": [p for p in evidence_permissions if p not in deferred_permissions],
        "securescore": [str(s) for s in control.get("securescore") or []],
    }
    if securescore_all(control):
        converted["securescore_all"] = True
    converted["manual_check"] = " ".join(str(control["manual_check"]).split())
    converted["requests"] = requests
    return converted


def convert(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The product's catalogue from a parsed controls.yaml."""
    summary = spec["permissions_summary"]
    shared_requests = spec.get("shared_requests") or []
    deferred_permissions = {str(p["permission"]) for p in summary if p["api"] not in KNOWN_APIS}
    recommendations = [_recommendation(control, deferred_permissions) for control in spec["controls"]]
    permissions = [
        {
            "permission": p["permission"],
            "api": p["api"],
            "baseline": bool(p["baseline"]),
            "used_by": [str(i) for i in p["used_by"]],
            "evidence_only": [str(i) for i in p.get("evidence_only") or []],
            "note": _note(str(p["permission"]), " ".join(str(p["note"]).split()), shared_requests),
        }
        for p in summary
        if p["permission"] not in deferred_permissions
    ]
    return {"benchmark": dict(spec["benchmark"]), "recommendations": recommendations, "permissions": permissions}


def render(catalogue: Mapping[str, Any]) -> str:
    return json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("yaml", type=Path, help="the controls.yaml revision to convert")
    parser.add_argument("--output", type=Path, default=TARGET, help=f"default: {TARGET.relative_to(REPO)}")
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    args = parser.parse_args(argv)
    text = render(convert(yaml.safe_load(args.yaml.read_text(encoding="utf-8"))))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is not what {args.yaml} converts to", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
