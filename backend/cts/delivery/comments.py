"""Residents' comments on delivery reports (cts.models.delivery): adding one, with its checks, and reading a
report's comments. Every function acts on one hromada's rows only; a refused comment writes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cts.core.db import utcnow
from cts.errors import CTSError, PermissionDeniedError
from cts.models import DeliveryComment, Hromada, User

COMMENT_MAX = 1000
COMMENTS_PER_DAY = 20  # per person per hromada: conversation, not a flood


class CommentRefused(ValueError):
    """A comment's text cannot be taken: ``reason`` is "missing" or "too_long" (the form names the field)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CommentDailyLimitError(CTSError):
    status_code = 429
    code = "delivery_comment_daily_limit"
    detail = "You have written as many comments as a day allows: write again tomorrow."

    def __init__(self) -> None:
        super().__init__()
        self.params = {"limit": COMMENTS_PER_DAY}


class CommentNotRegisteredError(PermissionDeniedError):
    code = "resident_registry_not_active"  # the chain's own refusal of an unregistered resident, same words
    detail = "Only a resident the council has registered can comment."


def add_comment(
    session: Session, hromada: Hromada, author: User, report_id: int, text: str
) -> DeliveryComment:
    """Add a comment to a report (the caller checked that the report exists and the author may comment);
    CommentRefused before anything is written. The caller commits."""
    text = text.strip()
    if not text:
        raise CommentRefused("missing")
    if len(text) > COMMENT_MAX:
        raise CommentRefused("too_long")
    since = utcnow() - timedelta(days=1)
    today = session.scalar(
        select(func.count(DeliveryComment.id)).where(
            DeliveryComment.hromada_id == hromada.id,
            DeliveryComment.author_id == author.id,
            DeliveryComment.created_at >= since,
        )
    )
    if (today or 0) >= COMMENTS_PER_DAY:
        raise CommentDailyLimitError()
    comment = DeliveryComment(hromada_id=hromada.id, report_id=report_id, author_id=author.id, text=text)
    session.add(comment)
    return comment


def comments_for(
    session: Session, hromada: Hromada, report_ids: Iterable[int]
) -> dict[int, list[DeliveryComment]]:
    """The comments of each report, oldest first."""
    ids = sorted(set(report_ids))
    found: dict[int, list[DeliveryComment]] = defaultdict(list)
    if not ids:
        return found
    rows = session.scalars(
        select(DeliveryComment)
        .where(DeliveryComment.hromada_id == hromada.id, DeliveryComment.report_id.in_(ids))
        .order_by(DeliveryComment.created_at, DeliveryComment.id)
    )
    for comment in rows:
        found[comment.report_id].append(comment)
    return found
