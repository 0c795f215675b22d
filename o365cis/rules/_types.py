"""The type vocabulary of the rules: JSON objects as Graph and the Exchange admin API return them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: One JSON object: a Graph resource, a Secure Score control, one object of a cmdlet's output.
Json = Mapping[str, Any]
#: A collection of them: a Graph `value` list, a cmdlet's output.
JsonList = Sequence[Json]
