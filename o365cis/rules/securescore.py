"""The one Secure Score reader: the latest snapshot's control scores joined with the control profiles.

secureScores holds one snapshot per day, newest first; its controlScores carry controlName, score and the open
properties scoreInPercentage and implementationStatus (https://learn.microsoft.com/graph/api/resources/securescore).
A profile's id is the controlName; its controlStateUpdates record an admin marking the control ignored, third-party
or reviewed (https://learn.microsoft.com/graph/api/resources/securescorecontrolprofile).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o365cis.findings import Decision, Evidence, EvidenceType, Finding, Status, no_decision

#: controlStateUpdates states that take a control out of the score's judgement (compared case-insensitively).
MARKED_STATES = frozenset({"ignored", "thirdparty", "reviewed"})


def parse_datetime(value: Any) -> dt.datetime | None:
    """A Graph DateTimeOffset string as an aware datetime (UTC when no offset); None if absent or unparsable."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def number(value: Any) -> float | None:
    """A figure as a float: Graph sends some as numbers, some as strings ("100.0"); None if not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def _fmt(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}"


def snapshot_age(created: dt.datetime | None, now: dt.datetime) -> str:
    """E.g. "snapshot of 2024-05-01 00:00 UTC, 30 hours old (Secure Score refreshes daily)"."""
    if created is None:
        return "snapshot date unknown (Secure Score refreshes daily)"
    now = now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    hours = max((now - created).total_seconds() / 3600, 0.0)
    age = f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
    stamp = created.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"snapshot of {stamp}, {age} old (Secure Score refreshes daily)"


@dataclass(frozen=True)
class ControlScore:
    """One control of the latest snapshot, with its profile's maxScore and latest state."""

    name: str
    title: str | None
    score: float | None
    max_score: float | None
    percentage: float | None
    implementation_status: str | None
    state: str | None
    state_updated: str | None
    last_synced: str | None
    snapshot_created: dt.datetime | None
    #: The profile's `deprecated` flag: Microsoft retires a control this way before removing it.
    deprecated: bool = False

    @property
    def marked(self) -> bool:
        """True when an admin's latest marking (Ignored, ThirdParty, Reviewed) takes the control out of the score."""
        return (self.state or "").lower() in MARKED_STATES

    @property
    def full(self) -> bool | None:
        """Full score: scoreInPercentage >= 100, else score >= maxScore (a positive one); None when the figures are
        missing. A maximum of 0 is no measure: score 0 of 0 would otherwise read as full."""
        if self.percentage is not None:
            return self.percentage >= 100
        if self.score is not None and self.max_score is not None and self.max_score > 0:
            return self.score >= self.max_score
        return None

    @property
    def absence(self) -> str | None:
        """Why the control counts as absent although it is in the snapshot (it measures nothing), or None.

        The profile's `deprecated` flag ("Flag to indicate if a control is depreciated", Boolean, on
        https://learn.microsoft.com/graph/api/resources/securescorecontrolprofile), or a maxScore of 0 (or none) with
        no scoreInPercentage: such a control never proves full, even when an admin marked it, and the next listed name
        is tried (docs/CONCEPTS.md, Secure Score).
        """
        if self.deprecated:
            return f"Secure Score control {self.name} is deprecated ({self.figures()})"
        if self.percentage is None and (self.max_score is None or self.max_score == 0):
            return f"Secure Score control {self.name} has no maximum score and no percentage ({self.figures()})"
        return None

    def figures(self) -> str:
        """E.g. "score 5 of 10 (50%), implementationStatus ..."."""
        text = f"score {_fmt(self.score)} of {_fmt(self.max_score)}"
        if self.percentage is not None:
            text += f" ({_fmt(self.percentage)}%)"
        if self.state:
            text += f", state {self.state}"
        if self.deprecated:
            text += ", deprecated"
        return text

    def evidence(self) -> Evidence:
        """The control as an evidence item."""
        detail = self.figures()
        if self.implementation_status:
            detail += f"; implementationStatus: {self.implementation_status}"
        if self.last_synced:
            detail += f"; lastSynced {self.last_synced}"
        return Evidence(
            type=EvidenceType.SECURE_SCORE_CONTROL, id=self.name, name=self.title or self.name, detail=detail
        )


def _latest_state(profile: Mapping[str, Any]) -> tuple[str | None, str | None]:
    latest: Mapping[str, Any] | None = None
    latest_at = dt.datetime.min.replace(tzinfo=dt.UTC)
    for update in profile.get("controlStateUpdates") or []:
        if not isinstance(update, Mapping):
            continue
        at = parse_datetime(update.get("updatedDateTime")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        if latest is None or at >= latest_at:  # on a tie the later entry in the list wins
            latest, latest_at = update, at
    if latest is None:
        return None, None
    return (str(latest["state"]) if latest.get("state") is not None else None), latest.get("updatedDateTime")


def _status_finding(status: Status, reason: str, evidence: Sequence[Evidence]) -> Finding:
    return Finding(status, reason, tuple(evidence))


class SecureScore:
    """The latest Secure Score snapshot and the control profiles, read as the catalogue's Secure Score rule says."""

    def __init__(self, secure_scores: Sequence[Mapping[str, Any]], profiles: Sequence[Mapping[str, Any]]) -> None:
        snapshots = [s for s in secure_scores if isinstance(s, Mapping)]
        # $top=1 returns the newest first; picking the newest by createdDateTime also copes with a longer list.
        self._snapshot: Mapping[str, Any] | None = None
        for snapshot in snapshots:
            if self._snapshot is None or (parse_datetime(snapshot.get("createdDateTime")) or _EPOCH) > (
                parse_datetime(self._snapshot.get("createdDateTime")) or _EPOCH
            ):
                self._snapshot = snapshot
        self.snapshot_created = parse_datetime(self._snapshot.get("createdDateTime")) if self._snapshot else None
        self._scores: dict[str, Mapping[str, Any]] = {}
        for item in (self._snapshot or {}).get("controlScores") or []:
            if isinstance(item, Mapping) and item.get("controlName"):
                self._scores.setdefault(str(item["controlName"]).lower(), item)
        self._profiles: dict[str, Mapping[str, Any]] = {}
        for profile in profiles:
            if isinstance(profile, Mapping):
                key = profile.get("controlName") or profile.get("id")
                if key:
                    self._profiles.setdefault(str(key).lower(), profile)

    @property
    def has_snapshot(self) -> bool:
        """False when secureScores returned no snapshot at all."""
        return self._snapshot is not None

    def control(self, names: str | Iterable[str]) -> ControlScore | None:
        """The first of the names (case-insensitive) present in the latest snapshot, or None."""
        for name in [names] if isinstance(names, str) else names:
            item = self._scores.get(name.lower())
            if item is None:
                continue
            profile = self._profiles.get(name.lower(), {})
            state, updated = _latest_state(profile)
            return ControlScore(
                name=str(item.get("controlName")),
                title=profile.get("title"),
                score=number(item.get("score")),
                max_score=number(profile.get("maxScore")),
                percentage=number(item.get("scoreInPercentage")),
                implementation_status=item.get("implementationStatus"),
                state=state,
                state_updated=updated,
                last_synced=item.get("lastSynced"),
                snapshot_created=self.snapshot_created,
                deprecated=profile.get("deprecated") is True,
            )
        return None

    def _looked_up(self, names: Sequence[str]) -> list[tuple[ControlScore | None, str | None]]:
        """Each listed name as (its control or None, why it counts as absent or None when it is present).

        A missing, deprecated or maxScore-0-without-percentage control is absent (docs/CONCEPTS.md, Secure Score).
        """
        found: list[tuple[ControlScore | None, str | None]] = []
        for name in names:
            control = self.control([name])
            if control is None:
                found.append((None, f"Secure Score control {name} is not in the latest snapshot"))
            else:
                found.append((control, control.absence))
        return found

    def choose(self, names: Sequence[str]) -> tuple[ControlScore | None, list[str], list[ControlScore]]:
        """The control the rule reads among alternatives: the first listed name that is present.

        Returns (the chosen control or None, why each name before it counts as absent, the absent controls that are
        in the snapshot). Absent names are passed over; a marked control is present (the caller stops there and gives
        no decision).
        """
        absent: list[str] = []
        skipped: list[ControlScore] = []
        for control, why in self._looked_up(names):
            if why is None and control is not None:
                return control, absent, skipped
            absent.append(why or "")
            if control is not None:
                skipped.append(control)
        return None, absent, skipped

    def _unusable(
        self, names: Sequence[str], control: ControlScore | None, absent: Sequence[str], now: dt.datetime
    ) -> str | None:
        """Why the chosen control cannot decide (none present, marked, no figures), or None when it can."""
        age = snapshot_age(self.snapshot_created, now)
        if not self.has_snapshot:
            return f"Secure Score returned no snapshot, so control {' / '.join(names)} cannot be read"
        if control is None:
            return f"{'; '.join(absent)} ({age})"
        if control.marked:
            # The admin's decision stands: the search ends here, the next alternative is not tried.
            marked = f"Secure Score control {control.name} is marked {control.state} by an admin"
            return f"{marked} ({control.figures()}; {age})"
        if control.full is None:
            return f"Secure Score control {control.name} has no usable figures ({control.figures()}; {age})"
        return None

    def decide(
        self,
        names: Sequence[str],
        now: dt.datetime,
        *,
        on_full: Status = Status.COMPLIANT,
        on_below: Status = Status.NON_COMPLIANT,
        on_absent: Status | None = None,
        note: str = "",
    ) -> Decision:
        """The standard rule (full -> compliant, below -> non_compliant, absent or marked -> NoDecision).

        on_full / on_below / on_absent express a recommendation's deviation (on_absent None = NoDecision); note is
        appended to the reason of a deviating verdict (e.g. why full is only manual).
        """
        names = [names] if isinstance(names, str) else list(names)
        control, absent, skipped = self.choose(names)
        unusable = self._unusable(names, control, absent, now)
        age = snapshot_age(self.snapshot_created, now)
        evidence = [c.evidence() for c in skipped] + ([control.evidence()] if control is not None else [])
        if unusable is not None:
            if control is None and on_absent is not None:
                return _status_finding(on_absent, _joined(unusable, note), evidence)
            return no_decision(unusable, evidence)
        assert control is not None
        tried = f"; {'; '.join(absent)}" if absent else ""
        if control.full:
            reason = f"Secure Score control {control.name} is at full score ({control.figures()}; {age}){tried}"
            return _status_finding(on_full, _joined(reason, note if on_full is not Status.COMPLIANT else ""), evidence)
        reason = f"Secure Score control {control.name} is below full score ({control.figures()}; {age}){tried}"
        return _status_finding(
            on_below, _joined(reason, note if on_below is not Status.NON_COMPLIANT else ""), evidence
        )

    def decide_all(
        self,
        names: Sequence[str],
        now: dt.datetime,
        *,
        on_full: Status = Status.COMPLIANT,
        note: str = "",
        every_present: bool = False,
    ) -> Decision:
        """The "all" rule: every listed control that is present must be full.

        Any present control below full -> non_compliant (the data proves a failure, so it wins over an absent or
        marked partner); else any marked one, or one without figures -> NoDecision; absent names (missing,
        deprecated, maxScore 0 without percentage) are skipped, unless every_present (1.1.8: both risk controls
        must be there) makes an absent one a NoDecision; nothing present -> NoDecision; else on_full.
        """
        age = snapshot_age(self.snapshot_created, now)
        if not self.has_snapshot:
            return no_decision(f"Secure Score returned no snapshot, so controls {' / '.join(names)} cannot be read")
        looked_up = self._looked_up(names)
        evidence = [control.evidence() for control, _ in looked_up if control is not None]
        present = [control for control, why in looked_up if control is not None and why is None]
        absent = [why for _, why in looked_up if why is not None]
        below = [c for c in present if not c.marked and c.full is False]
        if below:
            listed = "; ".join(f"{c.name} {c.figures()}" for c in below)
            return _status_finding(
                Status.NON_COMPLIANT, f"Secure Score controls below full score: {listed} ({age})", evidence
            )
        unusable = [reason for c in present if (reason := self._unusable([c.name], c, [], now)) is not None]
        if every_present:
            unusable += [f"{reason} ({age})" for reason in absent]
        if unusable:
            return no_decision("; ".join(unusable), evidence)
        if not present:
            return no_decision(f"{'; '.join(absent)} ({age})", evidence)
        listed = "; ".join(f"{c.name} {c.figures()}" for c in present)
        skipped = f"; skipped: {'; '.join(absent)}" if absent else ""
        reason = f"Secure Score controls all at full score: {listed} ({age}){skipped}"
        return _status_finding(on_full, _joined(reason, note if on_full is not Status.COMPLIANT else ""), evidence)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _joined(reason: str, note: str) -> str:
    return f"{reason}; {note}" if note else reason


@dataclass(frozen=True)
class SecureScoreRule:
    """How a recommendation reads its Secure Score control(s): the standard rule unless a field says otherwise."""

    on_full: Status = Status.COMPLIANT
    on_below: Status = Status.NON_COMPLIANT
    on_absent: Status | None = None
    #: Under "all", an absent control is no decision instead of skipped (1.1.8 needs both risk controls).
    every_present: bool = False
    note: str = ""


#: Section 1 deviations from the standard Secure Score rule (docs/CONCEPTS.md); every other id uses the standard one.
SECURE_SCORE_RULES: dict[str, SecureScoreRule] = {
    "1.1.2": SecureScoreRule(
        on_full=Status.MANUAL,
        note=(
            "the control measures MFA registration, not enforcement: confirm a Conditional Access policy requires "
            "MFA for All users"
        ),
    ),
    "1.1.3": SecureScoreRule(
        on_full=Status.MANUAL, note="the control has no upper bound: confirm no more than four global admins"
    ),
    "1.1.8": SecureScoreRule(
        on_full=Status.MANUAL,
        every_present=True,
        note="review that the user risk and sign-in risk policies are enforced",
    ),
    "1.1.9": SecureScoreRule(
        on_full=Status.MANUAL,
        on_absent=Status.MANUAL,
        note=(
            "a legacy Identity Protection sign-in risk policy may hold it: confirm it covers all users at medium "
            "and above and requires MFA"
        ),
    ),
    "1.1.10": SecureScoreRule(
        on_full=Status.MANUAL,
        on_absent=Status.MANUAL,
        note=(
            "a legacy Identity Protection user risk policy may hold it: confirm it covers all users at high risk "
            "and requires a password change"
        ),
    ),
}


def securescore_side(
    recommendation_id: str, score: SecureScore, names: Sequence[str], now: dt.datetime, *, all_controls: bool = False
) -> Decision:
    """The Secure Score source of a recommendation: its deviation from SECURE_SCORE_RULES, else the standard rule.

    names: the catalogue's securescore list for the id. all_controls: the catalogue's "all" marker (securescore_all;
    1.1.8, 4.10): every listed control that is present must be full, instead of the first present alternative.
    """
    rule = SECURE_SCORE_RULES.get(recommendation_id, SecureScoreRule())
    if all_controls or rule.every_present:
        return score.decide_all(names, now, on_full=rule.on_full, note=rule.note, every_present=rule.every_present)
    return score.decide(
        names, now, on_full=rule.on_full, on_below=rule.on_below, on_absent=rule.on_absent, note=rule.note
    )
