"""Scripted set-up for administrators and tests: a reader with an email address, and follows with an alert
choice (``storyline create-reader``, ``storyline follow``)."""

from __future__ import annotations

import secrets

from storyline.alerts.channels import checked_email
from storyline.alerts.detect import MODES, default_choices
from storyline.errors import InputError
from storyline.readers.follows import follow_of_page, new_feed_token
from storyline.store import alerts as store
from storyline.store import community, transaction
from storyline.store import readers as reader_store
from storyline.store.models import utcnow
from storyline.web.accounts import register

GENERATED_PASSWORD_BYTES = 12


def create_reader(runtime, username: str, email: str | None, password: str | None) -> str | None:
    """Creates the reader, or finds the existing one, and adds ``email`` as an alert channel; returns the
    password it generated (None when one was given or the reader existed)."""
    address = checked_email(email) if email else None
    generated = None
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, username)
        if user is None:
            generated = None if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            user = register(session, username, password or generated or "")
        if address:
            store.add_channel(session, user.id, "email", address, None, utcnow())
    return generated


def checked_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"an alert is one of {', '.join(MODES)}", subject=mode)
    return mode


def follow_page(runtime, username: str, page: str, mode: str) -> tuple[str, str]:
    """The reader follows the page (once), its developments alerting as ``mode`` says."""
    kind, target = follow_of_page(page)
    mode = checked_mode(mode)
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, username)
        if user is None:
            raise InputError("no such reader", subject=username)
        reader_store.add_follow(session, user.id, kind, target, new_feed_token())
        follow = reader_store.find_follow(session, user.id, kind, target)
        assert follow is not None
        store.set_follow_alert(session, follow.id, mode, list(default_choices(kind)))
    return kind, target
