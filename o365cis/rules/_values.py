"""Value helpers shared by the rules of every section: counted nouns and values as a reviewer reads them."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`count` and the noun, in the plural unless count is 1 ("1 policy", "2 policies", "3 mailboxes")."""
    if count == 1:
        return f"{count} {noun}"
    if plural_form is not None:
        return f"{count} {plural_form}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"
