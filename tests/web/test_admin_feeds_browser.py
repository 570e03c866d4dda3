"""Feed administration in a real browser (Debian's Chromium through Playwright): an administrator adds a feed
by its site's address, polls it, adds a block rule, polls again, and sees the blocked article counted and
absent from the site. Screenshots of the admin page on desktop and phone, light and dark. Any console error,
page error or dialog fails the test."""

from __future__ import annotations

import pytest

from storyline.store import queries, transaction
from storyline.web.accounts import create_admin

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 180_000  # the first poll loads the language models in the server's process
PASSWORD = "admin password 1"
# Bodies long enough to be the article (no page fetch), and different enough not to be taken for copies.
BODIES = {
    "bridge": (
        "The harbour bridge reopened to traffic on Monday after eighteen months of repairs to its rusted steel "
        "girders. Engineers from the county council replaced four hundred rivets and repainted the whole span in "
        "its original green. Commuters said the detour through the industrial estate had added half an hour to "
        "every journey, and shopkeepers on Quay Street reported that trade fell by a third while it was shut. The "
        "council said the repairs cost 4.2 million pounds, slightly less than planned, and that the bridge should "
        "now last another fifty years before similar work is needed."
    ),
    "casino": (
        "A promoter from the mainland has opened a gaming hall at the end of the pier, in the old ballroom that "
        "stood empty for a decade. Slot machines, two roulette tables and a poker room fill the ground floor, and "
        "a bar upstairs overlooks the bay. Campaigners collected nine hundred signatures against the licence, "
        "arguing that the pier should be for families, but the licensing committee approved it by five votes to "
        "two. The owner promised forty jobs and a share of the takings for the lifeboat station."
    ),
    "library": (
        "The central library will stay open until ten in the evening during the exam season, the head librarian "
        "announced. Students had complained that the reading room closed at six, just as revision got going, and "
        "that cafes were too noisy to concentrate. Volunteers from the sixth form college will help staff the "
        "late shifts, and the heating will be left on. The extended hours start next week and run to the end of "
        "June, when the last papers are sat."
    ),
}
SITE = """<!doctype html><html><head><title>Harbour Town Gazette</title>
<link rel="alternate" type="application/rss+xml" title="Gazette" href="/news/rss.xml"></head>
<body><h1>Harbour Town Gazette</h1></body></html>"""
ENTRIES = {
    "bridge": "Harbour bridge reopens after repairs",
    "casino": "Casino promoter opens a gaming hall on the pier",
    "library": "Library extends its opening hours for exams",
}


def _rss(base: str, topics: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{ENTRIES[topic]}</title><link>{base}/{topic}</link>"
        f"<pubDate>Mon, 16 Jun 2025 1{n}:00:00 GMT</pubDate><description>{BODIES[topic]}</description>"
        "</item>"
        for n, topic in enumerate(topics)
    )
    channel = f"<title>Harbour Town Gazette</title><link>{base}/</link>{items}"
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}</channel></rss>'.encode()


def _serve_site(server, topics: list[str]) -> None:
    server.routes = {
        "/": (200, {"Content-Type": "text/html; charset=utf-8"}, SITE.encode()),
        "/news/rss.xml": (200, {"Content-Type": "application/rss+xml"}, _rss(server.base_url, topics)),
    }


def test_admin_adds_a_site_polls_blocks_and_sees_the_count(sqlite_runtime, loopback_server, serve, open_tab):
    create_admin(sqlite_runtime, "editor", PASSWORD)
    _serve_site(loopback_server, ["bridge"])
    base_url = serve(sqlite_runtime)

    tab = open_tab("admin-feeds")
    tab.page.set_default_timeout(TIMEOUT_MS)
    tab.visit(f"{base_url}/login?next=/admin/feeds")
    tab.page.fill("#login-username", "editor")
    tab.page.fill("#login-password", PASSWORD)
    tab.click(tab.page.locator(".stacked-form button"))
    assert tab.page.url.endswith("/admin/feeds")

    tab.page.fill("#add-address", loopback_server.url("/"))
    tab.page.fill("#add-folder", "Local")
    tab.click(tab.page.get_by_role("button", name="Add feed"))
    assert "Feed added." in tab.page.locator(".form-notice").inner_text()
    card = tab.page.locator("li.admin-feed", has_text="Harbour Town Gazette")
    assert loopback_server.url("/news/rss.xml") in card.locator(".feed-url").inner_text()
    assert card.locator(".badge").inner_text().lower() == "not polled yet"

    tab.click(card.get_by_role("button", name="Poll now"))
    assert "Polled: 1 new article." in tab.page.locator(".form-notice").inner_text()
    card = tab.page.locator("li.admin-feed", has_text="Harbour Town Gazette")
    assert card.locator(".badge").inner_text().lower() == "ok"

    tab.visit(f"{base_url}/admin/rules")
    tab.page.select_option("#rule-action", "block")
    tab.page.select_option("#rule-field", "title")
    tab.page.select_option("#rule-kind", "words")
    tab.page.fill("#rule-pattern", "casino, gambling")
    tab.click(tab.page.get_by_role("button", name="Add rule"))
    assert tab.page.locator(".rule-hits").inner_text() == "0"

    _serve_site(loopback_server, ["bridge", "casino", "library"])
    tab.visit(f"{base_url}/admin/feeds")
    card = tab.page.locator("li.admin-feed", has_text="Harbour Town Gazette")
    tab.click(card.get_by_role("button", name="Poll now"))
    assert "Polled: 1 new article." in tab.page.locator(".form-notice").inner_text()
    card = tab.page.locator("li.admin-feed", has_text="Harbour Town Gazette")
    assert "1 rule (1 for every feed) · 1 article filtered out" in card.inner_text()
    tab.shot("polled")

    tab.visit(f"{base_url}/admin/rules", "rules")
    assert tab.page.locator(".rule-hits").inner_text() == "1"

    with transaction(sqlite_runtime.sessions) as session:
        slug = queries.get_or_create_outlet(session, "Harbour Town Gazette").slug
    tab.visit(f"{base_url}/en/source/{slug}", "source")
    listed = tab.page.locator("main").inner_text()
    assert ENTRIES["bridge"] in listed and ENTRIES["library"] in listed
    assert ENTRIES["casino"] not in listed
    tab.page.fill("#site-search", "casino")
    tab.page.press("#site-search", "Enter")
    tab.page.wait_for_load_state()
    assert ENTRIES["casino"] not in tab.page.locator("main").inner_text()

    signed_in = tab.page.context.storage_state()
    for label, options in (
        ("desktop-light", {}),
        ("desktop-dark", {"color_scheme": "dark"}),
        ("phone-light", {"viewport": PHONE}),
        ("phone-dark", {"viewport": PHONE, "color_scheme": "dark"}),
    ):
        view = open_tab(f"admin-feeds-{label}", storage_state=signed_in, **options)
        view.visit(f"{base_url}/admin/feeds")
        view.page.locator("li.admin-feed details").last.evaluate("element => element.open = true")
        view.shot("page")
        if "phone" in label:
            width = view.page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{label}: the page is {width} px wide"
            view.visit(f"{base_url}/admin/rules", "rules")
            view.visit(f"{base_url}/admin/feeds")
            view.click(view.page.get_by_role("link", name="Delete…"), "delete")
        view.page.context.close()
        assert view.problems == []
    tab.page.context.close()
    assert tab.problems == []
