"""The alert settings page in a real browser (Debian's Chromium): add an Apprise URL, send a test that reaches a
loopback ntfy endpoint, choose the digest hour and time zone, make a follow alert instantly. No JavaScript
needed: every control is a plain form."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storyline.store import transaction
from storyline.store.models import AlertSettings, FollowAlert

from .test_alerts import receiver  # noqa: F401 - the loopback endpoint fixture

pytestmark = pytest.mark.browser


def test_a_reader_sets_up_alerts(sqlite_runtime, seed_into, serve, open_tab, receiver):  # noqa: F811
    seed_into(sqlite_runtime)
    base_url = serve(sqlite_runtime)
    tab = open_tab("alerts", java_script_enabled=False)
    page = tab.page
    tab.register(base_url, "reader")
    tab.visit(f"{base_url}/en/story/1")
    tab.click(page.locator(".reader-actions button", has_text="Follow"))

    tab.click(page.locator(".main-nav a", has_text="Alerts"), "settings-empty")
    page.fill("#apprise-url", f"ntfy://127.0.0.1:{receiver.port}/reader-topic")
    tab.click(page.locator("#add-apprise button"))
    channel = page.locator("#channels .channel")
    assert channel.count() == 1 and "reader-topic" in channel.inner_text()

    tab.click(channel.locator("button", has_text="Send a test"))
    assert page.locator("#alert-note").inner_text().startswith("Test sent")
    ((path, _, body),) = receiver.posts
    push = json.loads(body)
    assert push["topic"] == "reader-topic" and push["title"] == "Storyline test: alerts reach you here"

    page.select_option("#time-zone", "Europe/Berlin")
    page.select_option("#digest-hour", "7")
    tab.click(page.locator("#alert-when button"))
    assert page.locator("#time-zone").input_value() == "Europe/Berlin"
    assert page.locator("#digest-hour").input_value() == "7"

    follow_form = page.locator("form.follow-alert").first
    follow_form.locator("input[value=instant]").check()
    tab.click(follow_form.locator("button"), "settings-chosen")
    assert page.locator("form.follow-alert input[value=instant]").first.is_checked()
    with transaction(sqlite_runtime.sessions) as session:
        (settings,) = session.scalars(select(AlertSettings))
        (choice,) = session.scalars(select(FollowAlert))
    assert (settings.time_zone, settings.digest_hour, choice.mode) == ("Europe/Berlin", 7, "instant")
    page.context.close()
    assert tab.problems == []
