"""Alerts: readers' settings and channels, follows' alert choices, story snapshots, developments, alerts and
their deliveries. One short function a query; callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storyline.store.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    AlertSettings,
    Article,
    Development,
    Follow,
    FollowAlert,
    Outlet,
    Story,
    StorySnapshot,
)
from storyline.store.readers import _insert

# Reader settings -------------------------------------------------------------------------------------


def get_settings(session: Session, user_id: int) -> AlertSettings | None:
    return session.get(AlertSettings, user_id)


def save_settings(session: Session, user_id: int, values: dict) -> None:
    statement = _insert(session, AlertSettings).values(user_id=user_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


def alert_language(session: Session, user_id: int) -> str | None:
    return session.scalar(select(AlertSettings.language).where(AlertSettings.user_id == user_id))


def mark_digest_sent(session: Session, user_id: int, when: datetime) -> None:
    save_settings(session, user_id, {"last_digest_at": when})


# Channels --------------------------------------------------------------------------------------------


def add_channel(session: Session, user_id: int, kind: str, target: str, secret: str | None, now: datetime) -> None:
    """Adds a channel once; adding it again enables it again (an address unsubscribed, then given anew)."""
    values = {"user_id": user_id, "kind": kind, "target": target, "secret": secret, "failures": 0, "created_at": now}
    statement = _insert(session, AlertChannel).values(values)
    again = {"failures": 0, "disabled_reason": None}
    session.execute(statement.on_conflict_do_update(index_elements=["user_id", "kind", "target"], set_=again))


def user_channels(session: Session, user_id: int) -> list[AlertChannel]:
    query = select(AlertChannel).where(AlertChannel.user_id == user_id).order_by(AlertChannel.id)
    return list(session.scalars(query))


def get_channel(session: Session, channel_id: int) -> AlertChannel | None:
    return session.get(AlertChannel, channel_id)


def delete_channel(session: Session, user_id: int, channel_id: int) -> None:
    session.execute(delete(AlertChannel).where(AlertChannel.id == channel_id, AlertChannel.user_id == user_id))


def usable_channels(session: Session, user_id: int) -> list[AlertChannel]:
    query = select(AlertChannel).where(AlertChannel.user_id == user_id, AlertChannel.disabled_reason.is_(None))
    return list(session.scalars(query.order_by(AlertChannel.id)))


def disable_channel(session: Session, channel_id: int, reason: str) -> None:
    session.execute(update(AlertChannel).where(AlertChannel.id == channel_id).values(disabled_reason=reason))


def count_channel_failure(session: Session, channel_id: int) -> int:
    """One more failed delivery in a row; returns how many there are now."""
    session.execute(
        update(AlertChannel).where(AlertChannel.id == channel_id).values(failures=AlertChannel.failures + 1)
    )
    return session.scalar(select(AlertChannel.failures).where(AlertChannel.id == channel_id)) or 0


def clear_channel_failures(session: Session, channel_id: int) -> None:
    session.execute(update(AlertChannel).where(AlertChannel.id == channel_id).values(failures=0))


# Follows' alert choices ------------------------------------------------------------------------------


def follow_alert_choices(session: Session, follow_ids: Sequence[int]) -> dict[int, FollowAlert]:
    if not follow_ids:
        return {}
    query = select(FollowAlert).where(FollowAlert.follow_id.in_(list(follow_ids)))
    return {choice.follow_id: choice for choice in session.scalars(query)}


def set_follow_alert(session: Session, follow_id: int, mode: str, kinds: list[str]) -> None:
    statement = _insert(session, FollowAlert).values(follow_id=follow_id, mode=mode, kinds=kinds)
    session.execute(statement.on_conflict_do_update(index_elements=["follow_id"], set_={"mode": mode, "kinds": kinds}))


# A story as developments see it ----------------------------------------------------------------------


def get_snapshot(session: Session, story_id: int) -> StorySnapshot | None:
    return session.get(StorySnapshot, story_id)


def save_snapshot(session: Session, story_id: int, state: dict, now: datetime) -> None:
    statement = _insert(session, StorySnapshot).values(story_id=story_id, state=state, taken_at=now)
    session.execute(
        statement.on_conflict_do_update(index_elements=["story_id"], set_={"state": state, "taken_at": now})
    )


def story_outlets(session: Session, story_id: int) -> list[tuple[str, str]]:
    """(name, slug) of each outlet with an original article in the story."""
    query = (
        select(Outlet.name, Outlet.slug)
        .join(Article, Article.outlet_id == Outlet.id)
        .where(Article.story_id == story_id, Article.duplicate_of_id.is_(None))
        .distinct()
    )
    return [(name, slug) for name, slug in session.execute(query)]


def story_sections(session: Session, story_id: int) -> list[str]:
    query = select(Article.section).where(Article.story_id == story_id, Article.section.is_not(None)).distinct()
    return list(session.scalars(query))


def absorbed_stories(session: Session, story_id: int) -> list[int]:
    return list(session.scalars(select(Story.id).where(Story.merged_into == story_id)))


def add_development(
    session: Session, story_id: int, kind: str, headline: str, detail: dict, now: datetime
) -> Development:
    row = Development(story_id=story_id, kind=kind, headline=headline, detail=detail, created_at=now)
    session.add(row)
    session.flush()
    return row


def concerned_follows(
    session: Session, story_ids: Sequence[int], hashtags: Sequence[str], outlets: Sequence[str], sections: Sequence[str]
) -> list[tuple[Follow, FollowAlert | None]]:
    """Follows of the stories, of their hashtags, outlets and sections, each with its alert choice (None: the
    defaults), oldest follow first."""
    touches = or_(
        and_(Follow.kind == "story", Follow.target.in_([str(story_id) for story_id in story_ids])),
        and_(Follow.kind == "hashtag", Follow.target.in_(list(hashtags))),
        and_(Follow.kind == "outlet", Follow.target.in_(list(outlets))),
        and_(Follow.kind == "section", Follow.target.in_(list(sections))),
    )
    query = (
        select(Follow, FollowAlert)
        .outerjoin(FollowAlert, FollowAlert.follow_id == Follow.id)
        .where(touches)
        .order_by(Follow.id)
    )
    return [(follow, choice) for follow, choice in session.execute(query)]


def add_alert(session: Session, user_id: int, development: Development, follow_id: int, mode: str) -> None:
    """One alert a reader and development: a development several follows concern is raised once."""
    values = {
        "user_id": user_id,
        "development_id": development.id,
        "follow_id": follow_id,
        "story_id": development.story_id,
        "mode": mode,
        "status": "pending",
        "created_at": development.created_at,
    }
    session.execute(_insert(session, Alert).values(values).on_conflict_do_nothing())


# Deciding and digesting ------------------------------------------------------------------------------


def pending_instant_alerts(session: Session, limit: int) -> list[Alert]:
    query = select(Alert).where(Alert.status == "pending", Alert.mode == "instant").order_by(Alert.id).limit(limit)
    return list(session.scalars(query))


def last_sent_for_story(session: Session, user_id: int, story_id: int) -> datetime | None:
    query = select(func.max(Alert.decided_at)).where(
        Alert.user_id == user_id, Alert.story_id == story_id, Alert.status == "sent"
    )
    return session.scalar(query)


def sent_since(session: Session, user_id: int, since: datetime) -> int:
    query = select(func.count()).where(Alert.user_id == user_id, Alert.status == "sent", Alert.decided_at >= since)
    return session.scalar(query) or 0


def set_alert_status(session: Session, alert_ids: Sequence[int], status: str, now: datetime) -> None:
    if alert_ids:
        session.execute(update(Alert).where(Alert.id.in_(list(alert_ids))).values(status=status, decided_at=now))


def _waiting_for_digest():
    return or_(Alert.status == "held", and_(Alert.status == "pending", Alert.mode == "digest"))


def readers_awaiting_digest(session: Session) -> list[tuple[int, datetime]]:
    """(reader, when their oldest alert waiting for a digest was raised)."""
    query = select(Alert.user_id, func.min(Alert.created_at)).where(_waiting_for_digest()).group_by(Alert.user_id)
    return [(user_id, first) for user_id, first in session.execute(query)]


def awaiting_digest(session: Session, user_id: int) -> list[Alert]:
    query = select(Alert).where(Alert.user_id == user_id, _waiting_for_digest()).order_by(Alert.id)
    return list(session.scalars(query))


def alerts_by_ids(session: Session, alert_ids: Sequence[int]) -> list[Alert]:
    if not alert_ids:
        return []
    return list(session.scalars(select(Alert).where(Alert.id.in_(list(alert_ids))).order_by(Alert.id)))


def follow_developments(session: Session, follow_id: int, limit: int) -> list[Development]:
    """The developments a follow raised alerts for, newest first (entries of its private feed)."""
    query = (
        select(Development)
        .join(Alert, Alert.development_id == Development.id)
        .where(Alert.follow_id == follow_id)
        .order_by(Development.created_at.desc(), Development.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


# Deliveries ------------------------------------------------------------------------------------------


def add_delivery(
    session: Session, key: str, channel_id: int, alert_ids: Sequence[int], digest: bool, now: datetime
) -> None:
    """Records a message to send; the same key twice records it once."""
    values = {
        "key": key,
        "channel_id": channel_id,
        "alert_ids": list(alert_ids),
        "digest": digest,
        "status": "pending",
        "attempts": 0,
        "next_try_at": now,
        "created_at": now,
    }
    session.execute(_insert(session, AlertDelivery).values(values).on_conflict_do_nothing())


def due_deliveries(session: Session, now: datetime, limit: int) -> list[int]:
    query = (
        select(AlertDelivery.id)
        .where(
            AlertDelivery.status == "pending",
            AlertDelivery.next_try_at <= now,
            or_(AlertDelivery.leased_until.is_(None), AlertDelivery.leased_until < now),
        )
        .order_by(AlertDelivery.next_try_at, AlertDelivery.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def lease_delivery(session: Session, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Takes the delivery for one worker until ``until``; False when another worker holds it or it is done."""
    result = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.id == delivery_id,
            AlertDelivery.status == "pending",
            or_(AlertDelivery.leased_until.is_(None), AlertDelivery.leased_until < now),
        )
        .values(leased_until=until)
    )
    return result.rowcount == 1


def get_delivery(session: Session, delivery_id: int) -> AlertDelivery | None:
    return session.get(AlertDelivery, delivery_id)


def delivery_sent(session: Session, delivery_id: int, now: datetime) -> None:
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.id == delivery_id)
        .values(status="sent", sent_at=now, leased_until=None, attempts=AlertDelivery.attempts + 1)
    )


def delivery_failed(session: Session, delivery_id: int, error: str, retry_at: datetime | None) -> None:
    """A failed attempt: tried again at ``retry_at``, or given up (None)."""
    values = {"last_error": error, "leased_until": None, "attempts": AlertDelivery.attempts + 1}
    if retry_at is None:
        values["status"] = "failed"
    else:
        values["next_try_at"] = retry_at
    session.execute(update(AlertDelivery).where(AlertDelivery.id == delivery_id).values(**values))
