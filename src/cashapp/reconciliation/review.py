"""The review queue's input: what the matcher proposed for lines it did not apply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cashapp.core.clock import utc_now
from cashapp.domain.proposals import DecisionKind, MatchResult
from cashapp.storage import Session
from cashapp.storage.records import to_json
from cashapp.storage.repositories.suggestions import replace_suggestion, replace_suggestions


def store_suggestion(session: Session, tenant: int, bank_line_id: int, result: MatchResult) -> None:
    """Keep ``result`` (SUGGESTED with ranked proposals, or UNMATCHED) for the line's review.

    The export shows the best proposal of a suggested line; an AUTO result is applied
    instead, never stored here.
    """
    if result.decision not in (DecisionKind.SUGGESTED, DecisionKind.UNMATCHED):
        raise ValueError(
            f"only suggested or unmatched results wait for review, not {result.decision}"
        )
    best = result.best
    decision = DecisionKind.SUGGESTED if best is not None else DecisionKind.UNMATCHED
    replace_suggestion(
        session,
        tenant,
        bank_line_id,
        decision=decision.value,
        confidence=None if best is None else best.confidence,
        model_version=None if best is None else best.model_version,
        proposals=to_json(list(result.proposals)),
        at=utc_now(),
    )


def store_suggestions(session: Session, tenant: int, results: Sequence[MatchResult]) -> None:
    """``store_suggestion`` for many lines at once (the run's review chunks), set-based."""
    for result in results:
        if result.decision not in (DecisionKind.SUGGESTED, DecisionKind.UNMATCHED):
            raise ValueError(
                f"only suggested or unmatched results wait for review, not {result.decision}"
            )
    now = utc_now()
    replace_suggestions(
        session,
        tenant,
        [suggestion_values(int(result.line_key), result, at=now) for result in results],
    )


def suggestion_values(bank_line_id: int, result: MatchResult, *, at: datetime) -> dict[str, Any]:
    """The ``suggestion`` row of ``store_suggestion``, as values."""
    best = result.best
    decision = DecisionKind.SUGGESTED if best is not None else DecisionKind.UNMATCHED
    return {
        "bank_line_id": bank_line_id,
        "decision": decision.value,
        "confidence": None if best is None else best.confidence,
        "model_version": None if best is None else best.model_version,
        "proposals": to_json(list(result.proposals)),
        "created_at": at,
    }
