"""The order of sources (docs/CONCEPTS.md): the catalogue's sources tried in turn, then error, then manual."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from o365cis.catalogue import Recommendation
from o365cis.config import ScanConfig
from o365cis.findings import Decision, Evidence, Finding, NoDecision, ReadError, Source, Status

SourceDecider = Callable[[], Decision]
#: A plan gate returns None when the plan is present, else the reason ("not licensed for ...");
#: it may raise ReadError when the licence list itself cannot be read.
PlanGate = Callable[[], str | None]

_SOURCE_NAMES = {
    "graph": Source.GRAPH,
    "dns": Source.DNS,
    "exchange": Source.EXCHANGE,
    "securescore": Source.SECURESCORE,
    "manual": Source.NONE,
}
_SOURCE_LABELS = {
    "graph": "Microsoft Graph",
    "dns": "DNS",
    "exchange": "Exchange Online",
    "securescore": "Secure Score",
    "manual": "manual review",
}


class ChainError(Exception):
    """The test wired sources that do not match the catalogue (a programming error, not a verdict)."""


def _cause(source: str, failure: ReadError) -> str:
    return f"{_SOURCE_LABELS[source]}: {failure}"


def evaluate(
    recommendation: Recommendation,
    deciders: Mapping[str, SourceDecider],
    *,
    gate: PlanGate | None = None,
) -> Finding:
    """The first source that decides gives the status; else error naming every failed read; else manual.

    `deciders` maps the catalogue's source names (evaluation, then fallback) to callables; "manual"
    may be omitted for the standard manual review built from the catalogue's manual_check.
    """
    chain = recommendation.sources
    unknown = set(deciders) - set(chain)
    missing = [s for s in chain if s != "manual" and s not in deciders]
    if unknown or missing:
        raise ChainError(
            f"{recommendation.id}: sources {sorted(unknown) or ''} not in the catalogue chain {chain}; "
            f"missing {missing or ''}"
        )
    if gate is not None:
        try:
            refusal = gate()
        except ReadError as failure:
            # Without the licence list no source may decide; still name every decisive read that fails
            # (docs/CONCEPTS.md, the order of sources, step 2), so that one round of grants fixes them all.
            causes = [f"licence check: {failure}", *_failed_reads(chain, deciders)]
            return Finding(Status.ERROR, _error_reason(causes), (), Source.NONE)
        if refusal:
            return Finding(Status.ERROR, refusal, (), Source.NONE)

    failures: list[str] = []
    handed_over: list[str] = []
    gathered: list[Evidence] = []
    review: tuple[Finding, str] | None = None
    for source in chain:
        decider = deciders.get(source)
        if decider is None:  # the implicit manual review
            continue
        try:
            decision = decider()
        except ReadError as failure:
            if source == "manual":
                # Evidence reads never make a result error (docs/CONCEPTS.md, step 2): note it, stay manual.
                handed_over.append(f"evidence could not be read: {failure}")
            else:
                failures.append(_cause(source, failure))
            continue
        if isinstance(decision, NoDecision):
            failures.extend(_cause(source, failure) for failure in decision.failures)
            handed_over.append(f"{_SOURCE_LABELS[source]} could not decide: {decision.reason}")
            gathered.extend(decision.evidence)
            continue
        if decision.status is Status.MANUAL:
            # manual is not a decision (docs/CONCEPTS.md, step 1): later sources may still decide, and a
            # failed decisive read outranks it (step 2).
            review = review or (decision, source)
            gathered.extend(e for e in decision.evidence if e not in gathered)
            continue
        earlier = [*failures, *handed_over]
        reason = decision.reason
        if earlier:
            reason = f"{reason} [{'; '.join(earlier)}]"
        evidence = decision.evidence + tuple(e for e in gathered if e not in decision.evidence)
        return Finding(decision.status, reason, evidence, _SOURCE_NAMES[source])

    if failures:
        return Finding(Status.ERROR, _error_reason(failures), tuple(gathered), Source.NONE)
    notes = f" [{'; '.join(handed_over)}]" if handed_over else ""
    if review is not None:
        finding, source = review
        return Finding(Status.MANUAL, f"{finding.reason}{notes}", tuple(gathered), _SOURCE_NAMES[source])
    return Finding(Status.MANUAL, f"Review: {recommendation.manual_check}{notes}", tuple(gathered), Source.NONE)


def _failed_reads(chain: tuple[str, ...], deciders: Mapping[str, SourceDecider]) -> list[str]:
    """The read failures of every source, without letting any of them decide."""
    causes: list[str] = []
    for source in chain:
        decider = deciders.get(source)
        if decider is None or source == "manual":
            continue
        try:
            decision = decider()
        except ReadError as failure:
            causes.append(_cause(source, failure))
            continue
        if isinstance(decision, NoDecision):
            causes.extend(_cause(source, failure) for failure in decision.failures)
    return causes


def _error_reason(failures: list[str]) -> str:
    return "could not be evaluated: " + "; ".join(failures)


def apply_waiver(recommendation_id: str, finding: Finding, config: ScanConfig, today: dt.date) -> Finding:
    """waived replaces non_compliant only, while the waiver has not expired; an expired one is reported."""
    waiver = config.waiver_for(recommendation_id)
    if waiver is None or finding.status is not Status.NON_COMPLIANT:
        return finding
    if waiver.active_on(today):
        return Finding(
            Status.WAIVED,
            f"waived until {waiver.expires.isoformat()}: {waiver.reason} (finding: {finding.reason})",
            finding.evidence,
            finding.source,
        )
    return Finding(
        finding.status,
        f"{finding.reason} (the waiver expired on {waiver.expires.isoformat()} and no longer applies)",
        finding.evidence,
        finding.source,
    )
