"""Sends what is due, once: ``deliver_due(runtime, now)`` is what ``storyline alerts send``, the scheduler of
``storyline run`` and the Celery task all call.

Three steps, each in its own transactions: instant alerts are decided (sent now, or held for the digest by the
throttle); digests that are due are put together; then every queued delivery is sent. A delivery is a row
written before anything is sent, keyed by alert (or digest) and channel, so nothing is queued twice; a worker
leases a row before sending it, so two never send the same one; a worker killed mid-send leaves its lease to
expire and the row is sent later (with the same key, in the Message-ID or the ``X-Storyline-Delivery``
header, for the receiver to recognise). A failed send is retried with backoff; a channel that fails
``DISABLE_AFTER`` times in a row is disabled, with the last error shown on the reader's settings page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from storyline import i18n
from storyline.alerts import channels, messages
from storyline.alerts.throttle import ReaderLimits, Verdict, decide, digest_due_at, local_day_start
from storyline.config import Settings
from storyline.errors import StorylineError
from storyline.fetch.http import Fetcher
from storyline.i18n import N_, phrase
from storyline.logs import get_logger
from storyline.store import alerts as store
from storyline.store import readers as reader_store
from storyline.store import transaction
from storyline.store.models import Alert, AlertChannel, AlertSettings, utcnow

log = get_logger("alerts")

BATCH = 200
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6  # then the delivery is given up: tried at 0, 1, 2, 4, 8 and 16 minutes
FIRST_RETRY = timedelta(minutes=1)
DISABLE_AFTER = 5  # failed attempts in a row that disable a channel


@dataclass
class DeliveryReport:
    sent_now: int = 0  # instant alerts let through
    held: int = 0  # instant alerts held for the digest
    digests: int = 0
    delivered: int = 0  # messages that went out
    failed: int = 0  # attempts that failed


def limits_of(row: AlertSettings | None) -> ReaderLimits:
    if row is None:
        return ReaderLimits()
    return ReaderLimits(
        time_zone=row.time_zone,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        interval=timedelta(minutes=row.interval_minutes),
        daily_cap=row.daily_cap,
        digest_hour=row.digest_hour,
        digest_weekly=row.digest_weekly,
    )


def deliver_due(runtime, now: datetime | None = None, fetcher: Fetcher | None = None) -> DeliveryReport:
    now = now or utcnow()
    report = DeliveryReport()
    with transaction(runtime.sessions) as session:
        decide_instant(session, runtime.settings, now, report)
    with transaction(runtime.sessions) as session:
        queue_digests(session, runtime.settings, now, report)
    send_queued(runtime, fetcher or Fetcher(runtime.settings), now, report)
    return report


def usable_channels(session: Session, settings: Settings, user_id: int) -> list[AlertChannel]:
    """The reader's enabled channels; email only when the site can send it."""
    found = store.usable_channels(session, user_id)
    return [channel for channel in found if channel.kind != "email" or settings.can_send_email]


def decide_instant(session: Session, settings: Settings, now: datetime, report: DeliveryReport) -> None:
    for alert in store.pending_instant_alerts(session, BATCH):
        limits = limits_of(store.get_settings(session, alert.user_id))
        last = store.last_sent_for_story(session, alert.user_id, alert.story_id)
        today = store.sent_since(session, alert.user_id, local_day_start(now, limits))
        targets = usable_channels(session, settings, alert.user_id)
        if decide(now, limits, last, today) is Verdict.HOLD or not targets:
            store.set_alert_status(session, [alert.id], "held", now)
            report.held += 1
            continue
        for channel in targets:
            store.add_delivery(session, f"alert:{alert.id}:channel:{channel.id}", channel.id, [alert.id], False, now)
        store.set_alert_status(session, [alert.id], "sent", now)
        report.sent_now += 1


def queue_digests(session: Session, settings: Settings, now: datetime, report: DeliveryReport) -> None:
    for user_id, first_waiting in store.readers_awaiting_digest(session):
        row = store.get_settings(session, user_id)
        due = digest_due_at(row.last_digest_at if row else None, first_waiting, limits_of(row))
        if now < due:
            continue
        waiting = [alert.id for alert in store.awaiting_digest(session, user_id)]
        for channel in usable_channels(session, settings, user_id):
            key = f"digest:{user_id}:{due.astimezone(timezone.utc).strftime('%Y%m%dT%H%M')}:channel:{channel.id}"
            store.add_delivery(session, key, channel.id, waiting, True, now)
        store.set_alert_status(session, waiting, "digested", now)
        store.mark_digest_sent(session, user_id, now)
        report.digests += 1


def send_queued(runtime, fetcher: Fetcher, now: datetime, report: DeliveryReport) -> None:
    with transaction(runtime.sessions) as session:
        due = store.due_deliveries(session, now, BATCH)
    for delivery_id in due:
        with transaction(runtime.sessions) as session:
            if not store.lease_delivery(session, delivery_id, now, now + LEASE):
                continue  # another worker has it, or sent it
            delivery = store.get_delivery(session, delivery_id)
            assert delivery is not None
            channel = delivery.channel
            if channel.disabled_reason:  # disabled since it was queued: given up, not sent
                store.delivery_failed(session, delivery_id, f"channel disabled: {channel.disabled_reason}", None)
                continue
            alerts = store.alerts_by_ids(session, delivery.alert_ids)
            message = build_message(session, runtime.settings, channel.user_id, alerts, delivery.digest)
            attempts, key = delivery.attempts, delivery.key
        try:
            send(runtime.settings, fetcher, channel, message, key)
        except StorylineError as exc:
            failed(runtime, delivery_id, channel, attempts, str(exc), now)
            report.failed += 1
            continue
        with transaction(runtime.sessions) as session:
            store.delivery_sent(session, delivery_id, utcnow())
            store.clear_channel_failures(session, channel.id)
        report.delivered += 1


def failed(runtime, delivery_id: int, channel: AlertChannel, attempts: int, error: str, now: datetime) -> None:
    log.warning("alert delivery failed", delivery=delivery_id, channel=channel.id, error=error)
    retry_at = now + FIRST_RETRY * 2**attempts if attempts + 1 < MAX_ATTEMPTS else None
    with transaction(runtime.sessions) as session:
        store.delivery_failed(session, delivery_id, error, retry_at)
        if store.count_channel_failure(session, channel.id) >= DISABLE_AFTER:
            reason = phrase("disabled after %(num)d failures in a row: %(error)s", num=DISABLE_AFTER, error=error)
            store.disable_channel(session, channel.id, reason)


def build_message(
    session: Session, settings: Settings, user_id: int, alerts: list[Alert], digest: bool
) -> messages.Message:
    """The message for ``alerts``, in the language the reader's alerts are written in."""
    stories = reader_store.stories_by_ids(session, sorted({alert.story_id for alert in alerts}))
    found = messages.items(settings, alerts, {story.id: story for story in stories})
    return messages.message(found, digest, message_language(session, user_id))


def message_language(session: Session, user_id: int) -> str:
    return store.alert_language(session, user_id) or i18n.DEFAULT_LOCALE


def send(settings: Settings, fetcher: Fetcher, channel: AlertChannel, message: messages.Message, key: str) -> None:
    """One message to one channel; raises a ``StorylineError`` when it did not go out."""
    if channel.kind == "email":
        unsubscribe = messages.unsubscribe_url(settings, channel.id)
        channels.send_email(settings, channels.email_message(settings, channel.target, message, key, unsubscribe))
    elif channel.kind == "apprise":
        channels.send_push(settings, channel.target, message)
    else:
        channels.send_webhook(fetcher, channel.target, channel.secret or "", message, key)


def send_test(settings: Settings, channel: AlertChannel, locale: str, fetcher: Fetcher | None = None) -> None:
    """The settings page's "send a test": a message straight to the channel, not queued, in ``locale``; raises on
    failure."""
    item = messages.Item(
        kind="test",
        headline=N_("Storyline test: alerts reach you here"),
        story_id=0,
        story_title=N_("When a story you follow develops, alerts like this one arrive here."),
        url=f"{settings.site_url}/settings/alerts",
        cites=(),
    )
    key = f"test:{channel.id}:{utcnow().timestamp():.0f}"
    send(settings, fetcher or Fetcher(settings), channel, messages.message((item,), False, locale), key)
