"""The ways an alert leaves: email over SMTP, a push through an Apprise URL, a signed webhook. Each raises
``DeliveryError`` (naming the channel) when the message did not go out, so that it is retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from storyline.alerts.messages import Message, email_parts, push_text, webhook_payload
from storyline.config import Settings
from storyline.errors import BlockedURLError, ConfigError, FetchError, InputError, StorylineError
from storyline.fetch.http import Fetcher, is_public_address, resolve_host
from storyline.i18n import N_

KINDS = ("email", "apprise", "webhook")
SIGNATURE_HEADER = "X-Storyline-Signature"
DELIVERY_HEADER = "X-Storyline-Delivery"
SMTP_TIMEOUT_S = 30
MAX_ADDRESS = 320
NOT_AN_EMAIL = N_("not an email address")
NOT_APPRISE = N_("Apprise does not understand this URL")
PRIVATE_PUSH_HOST = N_("the push service's host is not a public address")


class DeliveryError(StorylineError):
    stage = "alerts"


# Email ------------------------------------------------------------------------------------------------


def checked_email(address: str) -> str:
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or len(address) > MAX_ADDRESS or any(c in address for c in " \r\n<>,"):
        raise InputError(NOT_AN_EMAIL, subject=address[:80])
    return address


def email_message(settings: Settings, to: str, message: Message, key: str, unsubscribe: str) -> EmailMessage:
    """The email with plain-text and HTML parts and a one-click unsubscribe (RFC 8058); its Message-ID comes
    from the delivery's idempotency key, so a repeat after a crash is recognisably the same message."""
    text, html = email_parts(message, unsubscribe)
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@storyline>"
    email["List-Unsubscribe"] = f"<{unsubscribe}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email


def send_email(settings: Settings, email: EmailMessage) -> None:
    """Sends through ``smtp_url``: smtps:// speaks TLS from the start, smtp:// upgrades with STARTTLS when the
    server offers it; user and password, when the URL has them, log in."""
    if not settings.can_send_email:
        raise ConfigError("no email leaves without STORYLINE_SMTP_URL and STORYLINE_MAIL_FROM")
    url = urlsplit(settings.smtp_url or "")
    secure = url.scheme == "smtps"
    host, port = url.hostname or "localhost", url.port or (465 if secure else 25)
    try:
        context = ssl.create_default_context()
        client = (
            smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_S, context=context)
            if secure
            else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
        )
        with client:
            client.ehlo()
            if not secure and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"email not sent: {exc.__class__.__name__}: {exc}", subject=f"{host}:{port}") from exc


# Apprise ----------------------------------------------------------------------------------------------


def checked_apprise_url(settings: Settings, url: str) -> str:
    """An Apprise URL Apprise understands whose host, when it names one that resolves, is public (unless
    ``allow_private_hosts``): the same rule as fetching. Services addressed by a token (``tgram://``,
    ``discord://``) have no host of their own and go to their public API."""
    import apprise

    url = url.strip()
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise InputError(NOT_APPRISE, subject=_redacted(url))
    host = getattr(plugin, "host", None)
    if host and not settings.allow_private_hosts:
        try:
            addresses = resolve_host(host, 443)
        except FetchError:
            addresses = []  # a token in the host's place, not a host
        if any(not is_public_address(address) for address in addresses):
            raise BlockedURLError(PRIVATE_PUSH_HOST, subject=host)
    return url


def send_push(settings: Settings, url: str, message: Message) -> None:
    import apprise

    notifier = apprise.Apprise()
    notifier.add(checked_apprise_url(settings, url))
    title, body = push_text(message)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        sent = notifier.notify(title=title, body=body)
    if not sent:
        reason = captured.getvalue().strip().splitlines()
        raise DeliveryError(f"push not sent: {reason[-1] if reason else 'Apprise reported a failure'}")


# Webhooks ---------------------------------------------------------------------------------------------


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of the body under the webhook's secret (as GitHub signs hooks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(fetcher: Fetcher, url: str, secret: str, message: Message, key: str) -> None:
    """POSTs the JSON through the fetcher's SSRF guard; any answer but 2xx is a failure."""
    body = json.dumps(webhook_payload(message, key), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        DELIVERY_HEADER: key,
    }
    try:
        status = fetcher.post(url, body, headers)
    except FetchError as exc:
        raise DeliveryError(f"webhook not delivered: {exc}", subject=url) from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered HTTP {status}", subject=url)


def _redacted(url: str) -> str:
    """An Apprise URL without what follows its scheme's first characters: its tokens are secrets."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest[:4]}…"
