"""The site in the reader's language: the /fr/, /de/ and /es/ pages carry no English interface
text, every page names its
language and its alternates, / follows Accept-Language, and the catalogues are complete and up to date."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from storyline import i18n
from storyline.alerts import messages
from storyline.i18n import catalogue
from storyline.store import alerts as alert_store
from storyline.store import community, queries, transaction
from storyline.web.accounts import create_admin

PASSWORD = "correct horse battery"
NUMBER = r"[\d\s,.\u00a0\u202f+]+"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
NUMERIC_VALUES = {"num", "n", "seconds", "limit", "size", "min", "max"}


class VisibleText(HTMLParser):
    """A page's text as a reader meets it: text nodes, and the attributes browsers show or read aloud."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.fragments: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.fragments += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.fragments.append(data)


def visible_fragments(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [" ".join(fragment.replace("✓", "").replace("←", "").replace("→", "").replace("↗", "").split())
            for fragment in parser.fragments]  # fmt: skip


def english_patterns(locale: str) -> list[tuple[str, re.Pattern]]:
    """For every interface message whose translation differs from its English: a pattern that matches the
    English as a whole text fragment (numbers and names in its placeholders filled in)."""
    translations = i18n.translations(locale)
    patterns = []
    for message in catalogue.read(catalogue.TEMPLATE):
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        for number, text in enumerate(english):
            if not text:
                continue
            translated = (
                translations.gettext(text) if len(english) == 1 else translations.ngettext(*english, number + 1)
            )
            if translated == text:
                continue  # the same word in both languages ("Options", "Hashtags")
            literal = PLACEHOLDER.sub(" ", text)
            named = set(PLACEHOLDER.findall(text)) - NUMERIC_VALUES
            if named and len(literal.split()) < 2:
                continue  # "%(name)s similar" would match any sentence ending in "similar"
            parts = PLACEHOLDER.split(text)
            regex = "".join(
                re.escape(" ".join(part.split())) if index % 2 == 0 else (NUMBER if part in NUMERIC_VALUES else ".+?")
                for index, part in enumerate(parts)
            )
            patterns.append((text, re.compile(regex)))
    return patterns


def english_left(html: str, patterns) -> list[str]:
    fragments = visible_fragments(html)
    return sorted({text for text, pattern in patterns for fragment in fragments if pattern.fullmatch(fragment)})


def seed_targets(runtime) -> dict:
    with transaction(runtime.sessions) as session:
        article = next(a for a in queries.latest_articles(session, limit=50) if a.external_id == "seed-sky")
        entity = queries.top_entities(session, 1)[0][0]
        return {
            "article": article.public_id,
            "story": article.story_id,
            "outlet": article.outlet.slug,
            "section": article.section,
            "hashtag": entity.slug,
        }


def assert_in_language(page, locale: str, path: str, patterns) -> None:
    assert page.status_code in (200, 400, 404), (path, page.status_code)
    html = page.text
    assert f'<html lang="{locale}">' in html, path
    assert re.search(r'<link rel="alternate" hreflang="en" href="http://testserver/[^"]*"', html), path
    assert re.search(rf'<link rel="alternate" hreflang="{locale}" href="http://testserver/{locale}/[^"]*"', html), path
    name = i18n.language_name(locale)
    assert f'<strong aria-current="page" lang="{locale}">{name}</strong>' in html, path
    assert english_left(html, patterns) == [], f"English interface text on {path}"


TRANSLATED = [locale for locale in i18n.LOCALES if locale != i18n.DEFAULT_LOCALE]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_whole_site_renders_in_each_language(sqlite_client, sqlite_runtime, forms, locale):
    patterns = english_patterns(locale)
    assert len(patterns) > 250
    catalog = i18n.translations(locale)
    seed = seed_targets(sqlite_runtime)
    anonymous = [
        "/",
        f"/article/{seed['article']}",
        f"/story/{seed['story']}",
        f"/hashtag/{seed['hashtag']}",
        f"/source/{seed['outlet']}",
        f"/section/{seed['section']}",
        "/search?q=tippexed",
        "/search?q=nothingmatchesthis",
        "/login",
        "/register",
        "/about",
        "/feeds",
        "/nowhere",
        "/story/999999",
    ]
    for path in anonymous:
        assert_in_language(sqlite_client.get(f"/{locale}{path}"), locale, path, patterns)
    assert catalog.gettext("Top stories") in unescape(sqlite_client.get(f"/{locale}/").text)

    create_admin(sqlite_runtime, "editrice", PASSWORD)
    token = forms.csrf(sqlite_client.get(f"/{locale}/login").text)
    wrong = sqlite_client.post(
        f"/{locale}/login", data={"username": "editrice", "password": "nope", "csrf_token": token}
    )
    assert_in_language(wrong, locale, "/login (wrong password)", patterns)
    assert catalog.gettext("Wrong username or password.") in unescape(wrong.text)
    login = sqlite_client.post(
        f"/{locale}/login",
        data={"username": "editrice", "password": PASSWORD, "csrf_token": token, "next": f"/{locale}/about"},
        follow_redirects=False,
    )
    assert login.headers["location"] == f"/{locale}/about"
    assert_in_language(sqlite_client.get(f"/{locale}/"), locale, "/ (for you)", patterns)
    token = forms.csrf(sqlite_client.get(f"/{locale}/follows").text)
    followed = sqlite_client.post(
        f"/{locale}/follows",
        data={"kind": "hashtag", "target": seed["hashtag"], "csrf_token": token, "next": "/follows"},
        follow_redirects=False,
    )
    assert followed.headers["location"] == f"/{locale}/follows", "a redirect keeps the reader's language"
    signed_in = [
        "/",
        "/follows",
        "/saved",
        f"/article/{seed['article']}",
        f"/story/{seed['story']}",
        "/admin/feeds",
        "/admin/feeds?notice=polled&count=3",
        "/admin/rules",
        "/moderation",
    ]
    for path in signed_in:
        assert_in_language(sqlite_client.get(f"/{locale}{path}"), locale, path, patterns)
    polled = catalog.ngettext("Polled: %(num)d new article.", "Polled: %(num)d new articles.", 3) % {"num": 3}
    assert polled in unescape(sqlite_client.get(f"/{locale}/admin/feeds?notice=polled&count=3").text)
    scan_alert_pages(sqlite_client, sqlite_runtime, forms, locale, patterns)


def scan_alert_pages(client, runtime, forms, locale: str, patterns) -> None:
    """The signed-in reader's alert settings (empty, with channels, a refused form, a channel disabled by
    unsubscribing) and the unsubscribe link's pages, in ``locale``."""
    catalog = i18n.translations(locale)
    page = client.get(f"/{locale}/settings/alerts")
    assert_in_language(page, locale, "/settings/alerts (no channel)", patterns)
    assert f'action="/{locale}/settings/alerts/channels"' in page.text
    token = forms.csrf(page.text)
    for kind, target in [("email", "editrice@example.org"), ("webhook", "https://example.org/hook")]:
        added = client.post(
            f"/{locale}/settings/alerts/channels",
            data={"kind": kind, "target": target, "csrf_token": token},
            follow_redirects=False,
        )
        assert added.headers["location"] == f"/{locale}/settings/alerts", "a redirect keeps the reader's language"
    refused = client.post(
        f"/{locale}/settings/alerts/channels", data={"kind": "email", "target": "nobody", "csrf_token": token}
    )
    assert_in_language(refused, locale, "/settings/alerts/channels (not an email address)", patterns)
    assert f"{catalog.gettext('not an email address')} (nobody)" in unescape(refused.text)
    with transaction(runtime.sessions) as session:
        user = community.get_user_by_name(session, "editrice")
        email = next(c.id for c in alert_store.user_channels(session, user.id) if c.kind == "email")
    link = messages.unsubscribe_url(runtime.settings, email).removeprefix(runtime.settings.site_url)
    assert_in_language(client.get(f"/{locale}{link}"), locale, "/alerts/unsubscribe (asked)", patterns)
    done = client.post(f"/{locale}{link}", data={"List-Unsubscribe": "One-Click"})
    assert_in_language(done, locale, "/alerts/unsubscribe (done)", patterns)
    page = client.get(f"/{locale}/settings/alerts")
    assert_in_language(page, locale, "/settings/alerts (channels, one unsubscribed)", patterns)
    reason = catalog.gettext("unsubscribed with the link in an alert email")
    assert f"{catalog.gettext('Disabled:')} {reason}" in unescape(page.text)
    assert catalog.gettext("A new outlet or more articles") in unescape(page.text), "the follow's choices"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_alert_emails_are_written_in_the_message_language(locale):
    """Delivery sends English (readers have no stored language yet); the templates and subject follow a
    message's language all the same, with no English left in another. (Headlines stay as stored, in English,
    so this one is an outlet's own words.)"""
    catalog = i18n.translations(locale)
    cite = messages.Cite("Eleven people were rescued.", "Sky News", "https://news.example/en/article/a#s1")
    item = messages.Item("new_outlet", "Sky News: eleven rescued", 3, "Floods", "https://news.example/en/story/3",
                         (cite,), (cite,))  # fmt: skip
    message = messages.message((item, item), digest=True, locale=locale)
    subject = catalog.ngettext(
        "Your Storyline digest: %(num)d development", "Your Storyline digest: %(num)d developments", 2
    ) % {"num": 2}
    assert message.subject == subject
    text, html = messages.email_parts(message, "https://news.example/alerts/unsubscribe/t")
    assert f'<html lang="{locale}">' in html
    assert f"{catalog.gettext('Stop these emails:')} https://news.example/alerts/unsubscribe/t" in text
    assert f"{catalog.gettext('The story so far')} (Floods):" in text
    if locale != i18n.DEFAULT_LOCALE:
        assert english_left(html, english_patterns(locale)) == []
        assert "Stop these emails" not in text and "Stop these emails" not in html


def test_the_scan_finds_english_that_is_left(sqlite_client):
    """The check above can fail: the English page, scanned the same way, is full of English."""
    assert "Latest news" in english_left(sqlite_client.get("/en/").text, english_patterns("fr"))


@pytest.mark.parametrize(
    "accept_language, home",
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "/fr/"),
        ("fr-CA", "/fr/"),
        ("en-GB,fr;q=0.5", "/en/"),
        ("de-DE,fr;q=0.7,en;q=0.3", "/de/"),
        ("de-AT", "/de/"),
        ("es-ES,es;q=0.9", "/es/"),
        ("it-IT,fr;q=0.7,en;q=0.3", "/fr/"),
        ("it-IT,it;q=0.9", "/en/"),
        ("fr;q=0, en", "/en/"),
        ("", "/en/"),
        ("garbage;;;", "/en/"),
    ],
)
def test_the_bare_address_follows_accept_language(sqlite_client, accept_language, home):
    response = sqlite_client.get("/", headers={"accept-language": accept_language}, follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == home
    assert response.headers["vary"] == "Accept-Language"


@pytest.mark.parametrize(
    "path, english, french",
    [
        ("/about", "/about", "/fr/about"),
        ("/fr/about", "/about", "/fr/about"),
        ("/en/", "/en/", "/fr/"),
        ("/search?q=casey", "/search?q=casey", "/fr/search?q=casey"),
    ],
)
def test_every_page_links_its_other_languages(sqlite_client, path, english, french):
    html = sqlite_client.get(path).text
    assert f'<link rel="alternate" hreflang="en" href="http://testserver{english}">' in html
    assert f'<link rel="alternate" hreflang="fr" href="http://testserver{french}">' in html
    assert f'<link rel="alternate" hreflang="de" href="http://testserver{french.replace("/fr", "/de", 1)}">' in html


def test_english_pages_keep_their_addresses_and_name_french_in_the_switcher(sqlite_client):
    html = sqlite_client.get("/about").text
    assert '<html lang="en">' in html and 'href="/feeds"' in html
    assert '<a href="/fr/about" hreflang="fr" lang="fr">Français</a>' in html


def test_an_article_in_another_language_is_marked_on_an_english_page(sqlite_client, sqlite_runtime):
    seed = seed_targets(sqlite_runtime)
    with transaction(sqlite_runtime.sessions) as session:
        queries.get_article(session, seed["article"]).language = "fr"
    html = sqlite_client.get(f"/en/article/{seed['article']}").text
    assert '<html lang="en">' in html and 'aria-labelledby="article-title" lang="fr">' in html
    listed = f'<a class="row-title" href="/en/article/{seed["article"]}" lang="fr">'
    assert listed in sqlite_client.get(f"/en/source/{seed['outlet']}").text
    story = sqlite_client.get(f"/api/stories/{seed['story']}").json()
    languages = {item["id"]: item["language"] for item in story["articles"]}
    assert languages.pop(seed["article"]) == "fr" and set(languages.values()) == {"en"}  # and so the API says


def test_the_template_catalogue_is_up_to_date():
    extracted = catalogue.message_ids(catalogue.extract())
    stored = catalogue.message_ids(catalogue.read(catalogue.TEMPLATE))
    new, gone = sorted(map(str, extracted - stored)), sorted(map(str, stored - extracted))
    assert not new and not gone, (
        f"messages.pot is out of date: {len(new)} new message(s) {new[:5]}, {len(gone)} gone {gone[:5]}. "
        f"Run `{catalogue.UPDATE_COMMAND}`, then translate the new entries (marked untranslated or fuzzy) in "
        "src/storyline/i18n/locales/<lang>/LC_MESSAGES/messages.po for every language in i18n.LOCALES."
    )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_each_interface_language_is_complete(locale):
    """A language is offered only with every message translated, none fuzzy, the same placeholders kept."""
    stored = catalogue.read(i18n.po_path(locale), locale)
    template = catalogue.message_ids(catalogue.read(catalogue.TEMPLATE))
    assert catalogue.message_ids(stored) >= template, f"run `{catalogue.UPDATE_COMMAND}` and translate"
    for message in stored:
        if not message.id:
            continue
        english = [message.id] if isinstance(message.id, str) else list(message.id)
        translated = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(translated) and not message.fuzzy, f"{locale}: untranslated or fuzzy: {english[0]!r}"
        wanted = set(PLACEHOLDER.findall(english[-1]))
        for text in translated:
            assert set(PLACEHOLDER.findall(text)) == wanted, f"{locale}: placeholders differ in {text!r}"
