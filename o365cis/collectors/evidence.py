"""Reads made only to show a reviewer evidence: a failure is noted in the result, never an error."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from o365cis.collectors.reads import GraphRead
from o365cis.collectors.tenant import TenantReader
from o365cis.exchange.client import ExchangeReader
from o365cis.exchange.cmdlets import CmdletCall
from o365cis.findings import ReadError

T = TypeVar("T", covariant=True)


class ScoreSource(Protocol[T]):
    """What evidence needs of the Secure Score source: its parsed snapshot, or ReadError."""

    def score(self) -> T: ...


class EvidenceReads:
    """Attempts evidence reads; `failures` maps each argument name to why it could not be read."""

    def __init__(self) -> None:
        self.failures: dict[str, str] = {}

    def graph(self, name: str, tenant: TenantReader, read: GraphRead) -> Any:
        data, failure = tenant.attempt(read)
        if failure is not None:
            self.failures[name] = str(failure)
        return data

    def exchange(self, name: str, exchange: ExchangeReader, call: CmdletCall) -> Any:
        try:
            return exchange.invoke(call.name, call.parameters)
        except ReadError as failure:
            self.failures[name] = str(failure)
            return None

    def secure_score(self, source: ScoreSource[T]) -> T | None:
        try:
            return source.score()
        except ReadError as failure:
            self.failures["secure_score"] = str(failure)
            return None


def invoke(exchange: ExchangeReader, call: CmdletCall) -> list[dict[str, Any]]:
    """A decisive cmdlet read: its objects, or ReadError (the chain then tries the next source)."""
    return exchange.invoke(call.name, call.parameters)
