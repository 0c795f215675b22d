"""Readers of Exchange Online cmdlet output shared by the Exchange-decided rules of every section.

Cmdlet output is a list of objects with the PowerShell property names, as InvokeCommand returns them. Common reading
of the benchmark: a value that was read and fails decides non_compliant; a property missing from the response, null,
or of the wrong type never passes and is never read as the safe value: when nothing fails but something cannot be
read the source does not decide (NoDecision naming the object and property), unless the rule names another outcome.

Two kinds of reader: prop_bool / prop_int return None, and prop_text / prop_is "" / False, for unreadable values, so
a call site must say what None means; need_bool / need_int / need_text (and rule_enabled, a rule's State) raise
Unreadable instead, which the rule turns into that NoDecision with cannot_decide. A rule over many objects,
where one object read and failing must still decide, catches Unreadable per object and ends with cannot_decide(...)
when nothing failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, NoDecision, compliant, no_decision, non_compliant
from o365cis.rules._types import Json, JsonList

ABSENT = "(absent)"


#: Transport rule actions that send a copy of the message, or the message itself, to other recipients
#: (https://learn.microsoft.com/powershell/module/exchange/new-transportrule).
FORWARDING_ACTIONS = ("RedirectMessageTo", "BlindCopyTo", "CopyTo", "AddToRecipients")
BUILT_IN_PROTECTION = "built-in protection policy"  # unverified (catalogue): the preset policy's name


def objects(data: JsonList | Json | None) -> list[Json]:
    """Cmdlet output as a list of objects (a single object is accepted as a list of one)."""
    if data is None:
        return []
    if isinstance(data, Mapping):
        return [data]
    return [item for item in data if isinstance(item, Mapping)]


def singleton(data: JsonList | Json | None) -> Json | None:
    """The one object of a configuration cmdlet (Get-OrganizationConfig and the like)."""
    items = objects(data)
    return items[0] if items else None


class Unreadable(Exception):
    """A property a rule needs is missing, null or of the wrong type: the source cannot decide.

    Raised by the need_* readers; the rule turns it into a NoDecision naming the object and the property
    (cannot_decide), so unreadable data is never read as the safe value (CONCEPTS.md: a read that returned
    nothing usable never makes a recommendation compliant).
    """

    def __init__(self, obj: Json | None, prop: str, expected: str) -> None:
        self.object = object_name(obj) if obj is not None else "(no object)"
        self.prop = prop
        if obj is None or prop not in obj:
            self.seen = "missing"
        elif obj[prop] is None:
            self.seen = "null"
        else:
            self.seen = f"{obj[prop]!r} ({type(obj[prop]).__name__})"
        super().__init__(f"{self.object}: {prop} is {self.seen}, {expected} expected")

    @property
    def evidence(self) -> Evidence:
        return Evidence(EvidenceType.SETTING, None, self.object, f"{self.prop}: {self.seen}")


def cannot_decide(unreadable: Sequence[Unreadable], evidence: Sequence[Evidence] = ()) -> NoDecision:
    """The NoDecision of a rule that found nothing failing but could not read some properties it needs."""
    return no_decision(
        "cannot decide: " + "; ".join(str(u) for u in unreadable), [*(u.evidence for u in unreadable), *evidence]
    )


def need_bool(obj: Json | None, prop: str) -> bool:
    """A switch the rule needs (a boolean, or "True"/"False"); raises Unreadable when missing, null or not one."""
    value = prop_bool(obj, prop)
    if value is None:
        raise Unreadable(obj, prop, "a boolean")
    return value


def need_int(obj: Json | None, prop: str) -> int:
    """A whole number the rule needs; raises Unreadable when missing, null or not one."""
    value = prop_int(obj, prop)
    if value is None:
        raise Unreadable(obj, prop, "a whole number")
    return value


def need_text(obj: Json | None, prop: str) -> str:
    """A string the rule needs, stripped ("" is a value); raises Unreadable when missing, null or not a string."""
    value = obj.get(prop) if obj is not None else None
    if not isinstance(value, str):
        raise Unreadable(obj, prop, "a string")
    return value.strip()


def rule_enabled(rule: Json) -> bool:
    """Whether a rule's State is Enabled (True) or Disabled (False); raises Unreadable when State is missing, null,
    not a string or another word: a rule whose State cannot be read may be in force."""
    state = need_text(rule, "State").lower()
    if state not in ("enabled", "disabled"):
        raise Unreadable(rule, "State", "Enabled or Disabled")
    return state == "enabled"


def bool_value(value: Any) -> bool | None:
    """A switch value; None when not a boolean. Exchange's JSON output gives booleans; older serialisations give
    "True"/"False" strings, which are accepted."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def prop_bool(obj: Json | None, prop: str) -> bool | None:
    """A switch property of a cmdlet object; None when absent or not a boolean."""
    return bool_value(obj.get(prop) if obj is not None else None)


def prop_int(obj: Json | None, prop: str) -> int | None:
    """An integer property of a cmdlet object; None when absent or not a whole number (numeric strings are accepted)."""
    value = obj.get(prop) if obj is not None else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def prop_text(obj: Json | None, prop: str) -> str:
    """A string property of a cmdlet object, stripped; "" when absent, null or not a string.

    For matching and evidence: "" is not a value, so a rule that needs one uses need_text (or tests the key itself).
    """
    value = obj.get(prop) if obj is not None else None
    return value.strip() if isinstance(value, str) else ""


def prop_is(obj: Json | None, prop: str, expected: str) -> bool:
    """Whether a string property equals `expected`, ignoring case (False when unreadable: use need_text where a rule
    must not read a missing value as "not equal")."""
    return prop_text(obj, prop).lower() == expected.lower()


def text_values(value: Any) -> list[str]:
    """A multi-valued property as strings (null and "" are empty; objects give their name)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, Mapping):
        for key in ("DisplayName", "Name", "Identity", "PrimarySmtpAddress"):
            if isinstance(value.get(key), str) and value[key].strip():
                return [value[key].strip()]
        return [str(dict(value))]
    if isinstance(value, Iterable):
        return [v for item in value for v in text_values(item)]
    return [str(value)]


def powershell_text(value: Any) -> str:
    """A value as PowerShell would print it."""
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return ABSENT
    if isinstance(value, (list, tuple)):
        items = text_values(value)
        return ", ".join(items) if items else "(empty)"
    return str(value)


def prop_detail(obj: Json, prop: str) -> str:
    """ "Property value" as PowerShell would print it, for evidence."""
    return f"{prop} {powershell_text(obj.get(prop))}"


def object_name(obj: Json) -> str:
    """The object's name (Name, DisplayName, Identity or DomainName), or "(unnamed)"."""
    for key in ("Name", "DisplayName", "Identity", "DomainName"):
        if isinstance(obj.get(key), str) and obj[key].strip():
            return str(obj[key]).strip()
    return "(unnamed)"


def object_id(obj: Json) -> str | None:
    """The object's id (Guid, ExchangeObjectId, ImmutableId, Identity or Id), or None."""
    for key in ("Guid", "ExchangeObjectId", "ImmutableId", "Identity", "Id"):
        if isinstance(obj.get(key), str) and obj[key].strip():
            return str(obj[key]).strip()
    return None


def object_names(obj: Json) -> set[str]:
    """Every spelling a rule may use to refer to the object (Name, Identity, the CN of a DN)."""
    found = {str(obj[k]).strip().lower() for k in ("Name", "Identity", "DistinguishedName", "Guid") if obj.get(k)}
    for value in list(found):
        match = re.match(r"^cn=([^,]+),", value)
        if match:
            found.add(match.group(1))
    return found


def object_evidence(kind: EvidenceType, obj: Json, detail: str) -> Evidence:
    """One cmdlet object as an evidence item."""
    return Evidence(kind, object_id(obj), object_name(obj), detail)


def setting_evidence(source: str, prop: str, value: Any) -> Evidence:
    """One switch of a configuration cmdlet as an evidence item."""
    return Evidence(EvidenceType.SETTING, source, prop, powershell_text(value))


def default_object(items: JsonList, flag: str = "IsDefault") -> Json | None:
    """The object whose `flag` (IsDefault unless named) is true, or None."""
    return next((item for item in items if prop_bool(item, flag) is True), None)


@dataclass(frozen=True)
class Check:
    """One object's test against a rule: what fails (read and wrong) and what is absent."""

    failing: tuple[str, ...]
    absent: tuple[str, ...]

    @property
    def passes(self) -> bool:
        return not self.failing and not self.absent


def expect(obj: Json, wanted: Mapping[str, bool]) -> Check:
    """Switches that must hold given values."""
    failing, absent = [], []
    for prop, expected in wanted.items():
        value = prop_bool(obj, prop)
        if value is None:
            absent.append(prop)
        elif value is not expected:
            failing.append(f"{prop} is {powershell_text(value)} ({powershell_text(expected)} expected)")
    return Check(tuple(failing), tuple(absent))


def merge_checks(*checks: Check) -> Check:
    """One check holding every failure and absence of the given ones."""
    return Check(tuple(f for c in checks for f in c.failing), tuple(a for c in checks for a in c.absent))


def configuration_switch(
    data: JsonList | Json | None, source: str, prop: str, *, wanted: bool, on: str, off: str
) -> Decision:
    """The one-switch rules (1.2, 3.1, 5.1): compliant when the switch has the wanted value."""
    obj = singleton(data)
    if obj is None:
        return no_decision(f"Get-{source} returned no object")
    value = prop_bool(obj, prop)
    evidence = [setting_evidence(source, prop, obj.get(prop))]
    if value is None:
        return no_decision(f"{source} carries no {prop} value", evidence)
    if value is wanted:
        return compliant(f"{on} ({prop} is {powershell_text(value)})", evidence)
    return non_compliant(f"{off} ({prop} is {powershell_text(value)})", evidence)
