"""Alerts end to end: more coverage of the seed story raises the expected developments, which reach a real
SMTP server (aiosmtpd), an ntfy endpoint through Apprise and a signed webhook on loopback; throttling holds
alerts back into the digest; nothing is sent twice; the unsubscribe link works without login."""

from __future__ import annotations

import email
import hashlib
import hmac
import http.server
import json
import threading
from datetime import timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storyline.alerts import detect
from storyline.alerts.delivery import deliver_due
from storyline.alerts.setup import create_reader, follow_page
from storyline.alerts.throttle import ReaderLimits, digest_due_at
from storyline.pipeline import refresh_story_analysis
from storyline.runtime import Runtime
from storyline.store import alerts as store
from storyline.store import community, queries, transaction
from storyline.store.models import (
    Alert,
    AlertChannel,
    AlertDelivery,
    Development,
    Follow,
    FollowAlert,
    StorySnapshot,
    utcnow,
)
from storyline.web.app import create_app

from ..conftest import make_settings
from .conftest import add_coverage, free_port, store_batch

SEED_STORY = 1
NEW_OUTLET = "BBC News"


class Receiver:
    """An HTTP endpoint on loopback that records POSTs (path, headers, body) and answers ``status``."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, bytes]] = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.append((self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.port = self.httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[email.message.EmailMessage] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def developments_of(runtime: Runtime) -> list[tuple[str, str]]:
    with transaction(runtime.sessions) as session:
        return sorted((row.kind, row.headline) for row in session.scalars(select(Development)))


def analysis(runtime: Runtime) -> dict:
    with transaction(runtime.sessions) as session:
        return queries.get_story(session, SEED_STORY).analysis


def measured_seed(runtime: Runtime, batch) -> None:
    """The seed stored and its analysis refreshed, as after an import: the story is measured, not announced
    (it began long before)."""
    store_batch(runtime, batch)
    with transaction(runtime.sessions) as session:
        refresh_story_analysis(session, SEED_STORY)


def test_more_coverage_raises_exactly_the_expected_developments(runtime, seed_batch):
    measured_seed(runtime, seed_batch)
    create_reader(runtime, "ann", "ann@example.org", "a long password")
    follow_page(runtime, "ann", f"/en/story/{SEED_STORY}", "instant")
    assert developments_of(runtime) == []
    before = analysis(runtime)

    with transaction(runtime.sessions) as session:  # measuring an unchanged story again finds nothing
        assert detect.story_refreshed(session, queries.get_story(session, SEED_STORY)) == []

    add_coverage(runtime, seed_batch, SEED_STORY, NEW_OUTLET)
    after = analysis(runtime)
    new_figures = {g["counts"] for g in after["figures"]} - {g["counts"] for g in before["figures"]}
    assert new_figures, "the copied coverage repeats figures, so new key figures must appear"
    found = developments_of(runtime)
    assert [headline for kind, headline in found if kind == "new_outlet"] == [f"{NEW_OUTLET} joins the story"]
    figure_kinds = [(kind, headline) for kind, headline in found if kind == "new_figure"]
    assert len(figure_kinds) == len(new_figures)
    assert all(any(f" {counts} (" in headline for _, headline in figure_kinds) for counts in new_figures)
    assert {kind for kind, _ in found} == {"new_outlet", "new_figure"}
    with transaction(runtime.sessions) as session:
        alerts = list(session.scalars(select(Alert)))
    assert len(alerts) == len(found) and {a.mode for a in alerts} == {"instant"}


def test_a_follow_that_wants_no_alert_gets_none(sqlite_runtime, seed_batch):
    measured_seed(sqlite_runtime, seed_batch)
    create_reader(sqlite_runtime, "bob", None, "a long password")
    follow_page(sqlite_runtime, "bob", f"/en/story/{SEED_STORY}", "none")
    follow_page(sqlite_runtime, "bob", "/en/source/the-guardian", "instant")  # not asked: outlets and figures
    add_coverage(sqlite_runtime, seed_batch, SEED_STORY, NEW_OUTLET)
    assert developments_of(sqlite_runtime)
    with transaction(sqlite_runtime.sessions) as session:
        assert list(session.scalars(select(Alert))) == []


@pytest.fixture
def wired(tmp_path, seed_batch, smtp_server, receiver):
    """The seed measured, reader ann following the story instantly with email, an ntfy push and a webhook,
    then more coverage: developments wait to be delivered."""
    controller, inbox = smtp_server
    settings = make_settings(
        f"sqlite:///{tmp_path / 'storyline.db'}",
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        mail_from="Storyline <alerts@storyline.example>",
        site_url="https://news.example",
    )
    runtime = Runtime.open(settings)
    measured_seed(runtime, seed_batch)
    create_reader(runtime, "ann", "ann@example.org", "a long password")
    follow_page(runtime, "ann", f"/en/story/{SEED_STORY}", "instant")
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, "ann")
        store.add_channel(session, user.id, "apprise", f"ntfy://127.0.0.1:{receiver.port}/storyline", None, utcnow())
        store.add_channel(session, user.id, "webhook", f"http://127.0.0.1:{receiver.port}/hook", "s3cret", utcnow())
    add_coverage(runtime, seed_batch, SEED_STORY, NEW_OUTLET)
    yield runtime, inbox, receiver
    runtime.close()


@pytest.fixture
def clock():
    """The fake clock's readings: developments were raised just now (by the wall clock), the first delivery pass
    runs a minute later, the digest is due at the reader's hour (08:00 UTC by default) after that."""
    start = utcnow() + timedelta(minutes=1)
    return start, digest_due_at(None, start, ReaderLimits())


def posts_to(receiver: Receiver, path: str) -> list[tuple[dict, bytes]]:
    return [(headers, body) for p, headers, body in receiver.posts if p == path]


def test_instant_alert_then_digest_through_every_channel(wired, clock):
    runtime, inbox, receiver = wired
    T0, digest_at = clock
    count = len(developments_of(runtime))
    assert count >= 2

    report = deliver_due(runtime, T0)
    # one alert per story per interval: the first goes out now, the rest wait for the digest
    assert (report.sent_now, report.held, report.digests, report.delivered, report.failed) == (1, count - 1, 0, 3, 0)
    (alert,) = inbox.messages
    assert alert["To"] == "ann@example.org"
    text = alert.get_body(("plain",)).get_content()
    html = alert.get_body(("html",)).get_content()
    with transaction(runtime.sessions) as session:
        first = session.scalar(select(Alert).where(Alert.status == "sent"))
        headline = first.development.headline
    assert alert["Subject"] == headline
    assert headline in text and f"https://news.example/en/story/{SEED_STORY}" in text
    assert f'href="https://news.example/en/story/{SEED_STORY}' in html
    summary = analysis(runtime)["summary_citations"][0]  # each alert carries the story's summary, cited
    assert summary["text"] in text
    assert f"https://news.example/en/article/{summary['article_id']}#s{summary['sentence']}" in html
    unsubscribe = str(alert["List-Unsubscribe"]).strip()  # a long address is folded onto the next line
    assert unsubscribe.startswith("<https://news.example/alerts/unsubscribe/") and unsubscribe.endswith(">")
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Stop these emails: {unsubscribe[1:-1]}" in text

    ((push_headers, push_body),) = posts_to(receiver, "/")
    push = json.loads(push_body)
    assert push["topic"] == "storyline" and push["title"] == headline and headline in push["message"]

    ((hook_headers, hook_body),) = posts_to(receiver, "/hook")
    expected = "sha256=" + hmac.new(b"s3cret", hook_body, hashlib.sha256).hexdigest()
    assert hook_headers["X-Storyline-Signature"] == expected
    payload = json.loads(hook_body)
    assert payload["type"] == "alert" and payload["developments"][0]["headline"] == headline
    assert hook_headers["X-Storyline-Delivery"] == payload["delivery"]

    # nothing is sent twice, and the digest waits for the reader's hour (08:00 UTC by default)
    assert deliver_due(runtime, digest_at - timedelta(seconds=1)).delivered == 0
    assert len(inbox.messages) == 1 and len(receiver.posts) == 2

    report = deliver_due(runtime, digest_at)
    assert (report.digests, report.delivered) == (1, 3)
    digest = inbox.messages[1]
    assert digest["Subject"] == f"Your Storyline digest: {count - 1} developments"
    digest_text = digest.get_body(("plain",)).get_content()
    with transaction(runtime.sessions) as session:
        held = [a.development.headline for a in session.scalars(select(Alert).where(Alert.status == "digested"))]
    assert len(held) == count - 1 and all(line in digest_text for line in held)
    ((_, digest_hook),) = posts_to(receiver, "/hook")[1:]
    assert json.loads(digest_hook)["type"] == "digest"
    assert deliver_due(runtime, digest_at + timedelta(hours=1)).delivered == 0


def test_quiet_hours_hold_alerts_for_the_digest(wired, clock):
    runtime, inbox, receiver = wired
    T0, _ = clock
    tokyo_hour = T0.astimezone(ZoneInfo("Asia/Tokyo")).hour
    quiet = {"time_zone": "Asia/Tokyo", "quiet_start": tokyo_hour, "quiet_end": (tokyo_hour + 1) % 24}
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, "ann")
        store.save_settings(session, user.id, quiet | {"digest_hour": (tokyo_hour + 2) % 24})
    report = deliver_due(runtime, T0)  # in the reader's quiet hour
    assert (report.sent_now, report.delivered) == (0, 0) and inbox.messages == []
    digest_at = digest_due_at(None, T0, ReaderLimits(time_zone="Asia/Tokyo", digest_hour=(tokyo_hour + 2) % 24))
    assert deliver_due(runtime, digest_at - timedelta(minutes=1)).digests == 0
    report = deliver_due(runtime, digest_at)
    assert report.digests == 1 and len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"].startswith("Your Storyline digest")


def test_a_killed_worker_loses_nothing_and_failures_disable_a_webhook(wired, clock):
    runtime, inbox, receiver = wired
    T0, _ = clock
    with transaction(runtime.sessions) as session:
        session.execute(AlertChannel.__table__.delete().where(AlertChannel.kind != "webhook"))
    receiver.status = 500
    report = deliver_due(runtime, T0)
    assert (report.sent_now, report.failed) == (1, 1)
    with transaction(runtime.sessions) as session:
        (delivery,) = session.scalars(select(AlertDelivery))
        assert delivery.status == "pending" and "HTTP 500" in delivery.last_error
        retry_at = delivery.next_try_at
        # a worker takes the row and dies before it sends: the lease keeps others off it until it expires
        assert store.lease_delivery(session, delivery.id, retry_at, retry_at + timedelta(minutes=5))
    receiver.status = 200
    assert deliver_due(runtime, retry_at).delivered == 0
    assert deliver_due(runtime, retry_at + timedelta(minutes=6)).delivered == 1
    assert len(posts_to(receiver, "/hook")) == 2  # the failed attempt and the one that went through

    receiver.status = 503  # five failures in a row disable the webhook, the last reason shown
    with transaction(runtime.sessions) as session:
        (channel,) = session.scalars(select(AlertChannel))
        for number in range(5):
            store.add_delivery(session, f"extra:{number}", channel.id, [], True, T0)
    deliver_due(runtime, T0 + timedelta(days=1))  # the five, and the digest of the held alerts, are due
    with transaction(runtime.sessions) as session:
        (channel,) = session.scalars(select(AlertChannel))
        given_up = [
            d.last_error for d in session.scalars(select(AlertDelivery).where(AlertDelivery.status == "failed"))
        ]
    assert channel.disabled_reason and "HTTP 503" in channel.disabled_reason
    assert len(posts_to(receiver, "/hook")) == 2 + 5  # nothing more is sent to a disabled webhook
    assert len(given_up) == 1 and given_up[0].startswith("channel disabled")


def test_the_ssrf_guard_refuses_private_webhooks(wired, clock):
    runtime, inbox, receiver = wired
    T0, _ = clock
    guarded = Runtime(
        runtime.settings.model_copy(update={"allow_private_hosts": False}), runtime.engine, runtime.sessions
    )
    report = deliver_due(guarded, T0)
    assert report.failed == 2  # the webhook and the ntfy push, both on 127.0.0.1
    with transaction(runtime.sessions) as session:
        errors = sorted(d.last_error or "" for d in session.scalars(select(AlertDelivery)) if d.status == "pending")
    assert len(errors) == 2 and all("not a public address" in e or "non-public address" in e for e in errors)
    assert posts_to(receiver, "/hook") == [] and posts_to(receiver, "/") == []


def test_the_unsubscribe_link_works_without_login(wired, clock):
    from fastapi.testclient import TestClient

    runtime, inbox, receiver = wired
    T0, digest_at = clock
    deliver_due(runtime, T0)
    link = str(inbox.messages[0]["List-Unsubscribe"]).strip()[1:-1].removeprefix("https://news.example")
    with TestClient(create_app(runtime)) as client:
        page = client.get(link)
        assert page.status_code == 200 and "ann@example.org" in page.text
        assert client.post(link + "x", data={"List-Unsubscribe": "One-Click"}).status_code == 404
        with transaction(runtime.sessions) as session:
            assert session.scalar(select(AlertChannel).where(AlertChannel.kind == "email")).disabled_reason is None
        done = client.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "No more alert emails" in done.text
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(AlertChannel).where(AlertChannel.kind == "email")).disabled_reason
    report = deliver_due(runtime, digest_at)
    assert report.digests == 1 and len(inbox.messages) == 1  # the digest went to the push and webhook only


def test_the_follows_private_feed_carries_the_developments(wired):
    import feedparser
    from fastapi.testclient import TestClient

    runtime, inbox, receiver = wired
    headlines = {headline for _, headline in developments_of(runtime)}
    with transaction(runtime.sessions) as session:
        (follow,) = session.scalars(select(Follow))
    with TestClient(create_app(runtime)) as client:
        atom = client.get(f"/feeds/private/{follow.id}/{follow.feed_token}.atom")
        assert atom.status_code == 200
        entries = [e for e in feedparser.parse(atom.content).entries if "development" in e.id]
        as_json = client.get(f"/feeds/private/{follow.id}/{follow.feed_token}.json").json()
    assert {entry.title for entry in entries} == headlines
    assert all(entry.link.startswith(f"http://testserver/en/story/{SEED_STORY}") for entry in entries)
    outlet = next(entry for entry in entries if entry.title.startswith(NEW_OUTLET))
    assert outlet.link == f"http://testserver/en/story/{SEED_STORY}#comparison-heading"
    assert {item["title"] for item in as_json["items"] if "development" in item["tags"]} == headlines


def test_a_digest_follow_waits_for_the_digest(wired, clock):
    runtime, inbox, receiver = wired
    start, digest_at = clock
    with transaction(runtime.sessions) as session:
        session.execute(FollowAlert.__table__.update().values(mode="digest"))
        session.execute(Alert.__table__.update().values(mode="digest"))
    report = deliver_due(runtime, start)
    assert (report.sent_now, report.held, report.delivered) == (0, 0, 0) and inbox.messages == []
    report = deliver_due(runtime, digest_at)
    assert (report.digests, report.delivered) == (1, 3)
    assert inbox.messages[0]["Subject"] == f"Your Storyline digest: {len(developments_of(runtime))} developments"


def test_send_a_test_shows_why_it_failed_and_forms_need_the_csrf_token(wired, forms):
    from fastapi.testclient import TestClient

    runtime, inbox, receiver = wired
    receiver.status = 500
    with TestClient(create_app(runtime)) as client:
        forms.login(client, "ann", "a long password")
        page = client.get("/settings/alerts")
        token = forms.csrf(page.text)
        with transaction(runtime.sessions) as session:
            hook = session.scalar(select(AlertChannel).where(AlertChannel.kind == "webhook"))
        failed = client.post(f"/settings/alerts/channels/{hook.id}/test", data={"csrf_token": token})
        assert failed.status_code == 502 and "The test did not go out" in failed.text and "HTTP 500" in failed.text
        receiver.status = 200
        sent = client.post(f"/settings/alerts/channels/{hook.id}/test", data={"csrf_token": token})
        assert sent.status_code == 200 and f"Test sent to webhook channel {hook.id}" in sent.text
        assert len(inbox.messages) == 0 and len(posts_to(receiver, "/hook")) == 2
        forged = client.post("/settings/alerts", data={"time_zone": "UTC", "digest_hour": "9"})
        assert forged.status_code in (400, 403)
        refused = client.post(
            "/settings/alerts", data={"time_zone": "Mars/Base", "digest_hour": "9", "csrf_token": token}
        )
        assert refused.status_code == 400


@pytest.mark.parametrize(
    ("language", "subject", "stop"),
    [
        (None, "Your Storyline digest: {count} developments", "Stop these emails:"),
        ("fr", "Votre résumé Storyline : {count} nouveautés", "Ne plus recevoir ces e-mails :"),
        ("de", "Ihre Storyline-Zusammenfassung: {count} Entwicklungen", "Diese E-Mails abbestellen:"),
    ],
)
def test_emails_are_written_in_the_readers_alert_language(wired, clock, language, subject, stop):
    runtime, inbox, receiver = wired
    start, digest_at = clock
    with transaction(runtime.sessions) as session:
        session.execute(Alert.__table__.update().values(mode="digest"))
        if language:
            store.save_settings(session, community.get_user_by_name(session, "ann").id, {"language": language})
    assert deliver_due(runtime, digest_at).delivered == 3
    (digest,) = inbox.messages
    assert digest["Subject"] == subject.format(count=len(developments_of(runtime)))
    assert stop in digest.get_body(("plain",)).get_content()


def test_the_alert_language_is_the_pages_until_the_reader_chooses_one(wired, forms):
    from fastapi.testclient import TestClient

    runtime, inbox, receiver = wired
    with TestClient(create_app(runtime)) as client:
        forms.login(client, "ann", "a long password")
        token = forms.csrf(client.get("/es/settings/alerts").text)
        added = client.post(
            "/es/settings/alerts/channels",
            data={"kind": "email", "target": "ann@work.example", "csrf_token": token},
            follow_redirects=False,
        )
        assert added.status_code == 303
        page = client.get("/fr/settings/alerts").text  # chosen once, kept whatever page is shown
        assert '<option value="es" lang="es" selected>Español</option>' in page
        when = {"time_zone": "UTC", "digest_hour": "9", "csrf_token": token}
        chosen = client.post("/settings/alerts", data=when | {"language": "de"}, follow_redirects=False)
        assert chosen.status_code == 303
        assert client.post("/settings/alerts", data=when | {"language": "xx"}).status_code == 400
        with transaction(runtime.sessions) as session:
            assert store.alert_language(session, community.get_user_by_name(session, "ann").id) == "de"


def test_a_new_story_alerts_the_followers_of_its_hashtags(sqlite_runtime, seed_batch):
    measured_seed(sqlite_runtime, seed_batch)  # measured silently: the seed story began long ago
    assert developments_of(sqlite_runtime) == []
    create_reader(sqlite_runtime, "cat", None, "a long password")
    follow_page(sqlite_runtime, "cat", "/en/hashtag/louise-casey", "digest")
    follow_page(sqlite_runtime, "cat", "/en/source/nowhere-news", "instant")  # an outlet not in the story
    with transaction(sqlite_runtime.sessions) as session:
        session.execute(StorySnapshot.__table__.delete())
        story = queries.get_story(session, SEED_STORY)
        (found,) = detect.story_refreshed(session, story, now=story.created_at + timedelta(hours=1))
        assert (found.kind, found.headline) == ("new_story", f"New story: {story.title}")
        (alert,) = session.scalars(select(Alert))
        follow = session.get(Follow, alert.follow_id)
    assert (follow.kind, follow.target, alert.mode) == ("hashtag", "louise-casey", "digest")
