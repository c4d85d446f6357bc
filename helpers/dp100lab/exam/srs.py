"""Spaced repetition with FSRS (the `fsrs` package, 6.x): wrong and marked questions come back when they are due.

A question's card is stored as fsrs.Card.to_dict() in progress.json. Ratings: wrong -> Again, partly right or
right-but-marked -> Hard, right -> Good. Questions never answered wrong and never marked are not scheduled.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler

# Fuzzing randomises intervals; off so the same answers always give the same schedule (and tests can assert it).
SCHEDULER = Scheduler(enable_fuzzing=False)


def _dt(at: str | datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)


def rating_for(score: float, marked: bool) -> Rating:
    if score < 0.5:
        return Rating.Again
    if score < 1 or marked:
        return Rating.Hard
    return Rating.Good


def review(card: dict | None, score: float, marked: bool, at: str | datetime | None = None) -> dict | None:
    """Update (or start) a card after an answer. Returns the new card dict, or None when nothing needs review."""
    if card is None and score >= 1 and not marked:
        return None  # right first time and not marked: not worth a review slot
    when = _dt(at)
    c = Card.from_dict(card) if card else Card(card_id=int(when.timestamp() * 1000), due=when)
    c, _log = SCHEDULER.review_card(c, rating_for(score, marked), review_datetime=when)
    return c.to_dict()


def due(cards: dict[str, dict | None], now: str | datetime | None = None) -> list[str]:
    """Question ids whose card is due at `now`, most overdue first."""
    t = _dt(now)
    items = [(Card.from_dict(c).due, qid) for qid, c in cards.items() if c]
    return [qid for when, qid in sorted(items) if when <= t]


def next_due(cards: dict[str, dict | None]) -> datetime | None:
    dues = [Card.from_dict(c).due for c in cards.values() if c]
    return min(dues) if dues else None
