"""The cmdlet property readers of rules/_exchange.py: a missing property, null or a wrong type is never a value."""

from __future__ import annotations

from typing import Any

import pytest

from o365cis.rules._exchange import (
    Unreadable,
    bool_value,
    need_bool,
    need_int,
    need_text,
    prop_bool,
    prop_int,
    prop_is,
    prop_text,
)

POLICY = {"Name": "Strict", "On": True, "Off": "False", "Count": "25", "Mode": " Enforce ", "Null": None, "List": [1]}


@pytest.mark.parametrize(
    ("prop", "expected"),
    [("On", True), ("Off", False), ("Missing", None), ("Null", None), ("Count", None), ("List", None), ("Mode", None)],
)
def test_prop_bool_gives_none_for_anything_but_a_switch(prop: str, expected: bool | None) -> None:
    assert prop_bool(POLICY, prop) is expected
    assert prop_bool(None, prop) is None


@pytest.mark.parametrize("value", [1, 0, "yes", 1.0, [], {}])
def test_bool_value_refuses_non_switches(value: Any) -> None:
    assert bool_value(value) is None


@pytest.mark.parametrize(
    ("prop", "expected"), [("Count", 25), ("On", None), ("Null", None), ("Missing", None), ("Mode", None)]
)
def test_prop_int_gives_none_for_anything_but_a_whole_number(prop: str, expected: int | None) -> None:
    assert prop_int(POLICY, prop) == expected


def test_prop_text_and_prop_is_are_empty_and_false_when_unreadable() -> None:
    assert prop_text(POLICY, "Mode") == "Enforce" and prop_is(POLICY, "Mode", "enforce")
    assert prop_text(POLICY, "Null") == "" and prop_text(POLICY, "On") == "" and prop_text(POLICY, "Missing") == ""
    assert prop_is(POLICY, "Missing", "") is True  # why a rule that needs the value uses need_text


@pytest.mark.parametrize(
    ("reader", "prop", "seen"),
    [
        (need_bool, "Missing", "missing"),
        (need_bool, "Null", "null"),
        (need_bool, "Count", "'25' (str)"),
        (need_int, "On", "True (bool)"),
        (need_int, "Null", "null"),
        (need_text, "On", "True (bool)"),
        (need_text, "List", "[1] (list)"),
        (need_text, "Missing", "missing"),
    ],
)
def test_need_readers_raise_naming_object_and_property(reader: Any, prop: str, seen: str) -> None:
    with pytest.raises(Unreadable) as raised:
        reader(POLICY, prop)

    assert raised.value.object == "Strict" and raised.value.prop == prop and raised.value.seen == seen
    assert str(raised.value).startswith(f"Strict: {prop} is {seen}")


def test_need_readers_return_readable_values() -> None:
    assert need_bool(POLICY, "Off") is False
    assert need_int(POLICY, "Count") == 25
    assert need_text(POLICY, "Mode") == "Enforce"


def test_need_readers_without_an_object() -> None:
    with pytest.raises(Unreadable, match=r"\(no object\): Enabled is missing"):
        need_bool(None, "Enabled")
