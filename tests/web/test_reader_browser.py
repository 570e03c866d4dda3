"""A reader's whole day in a real browser (Debian's Chromium through Playwright): register, follow a hashtag and
an outlet from their pages, see For you change, open a story, see the coverage that arrived since, mute an
outlet, mark all read. Screenshots of For you and the follows page, desktop and phone, light and dark."""

from __future__ import annotations

import pytest

from .conftest import add_coverage

PHONE = {"width": 390, "height": 844}
LATE = "Late Gazette"

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(sqlite_runtime, seed_into, serve) -> str:
    seed_into(sqlite_runtime)
    return serve(sqlite_runtime)


def test_a_reader_follows_reads_mutes_and_catches_up(base_url, sqlite_runtime, seed_batch, open_tab):
    tab = open_tab("reader")
    page = tab.page
    tab.register(base_url, "reader")
    tab.visit(f"{base_url}/", "for-you-new")
    assert page.locator(".suggestions").is_visible()

    page.locator(".suggestion-list a.tag").first.click()  # a hashtag's page, from the suggestions
    page.wait_for_load_state()
    hashtag_url = page.url
    tab.click(page.locator(".reader-actions button", has_text="Follow"))
    assert page.url == hashtag_url and page.locator(".reader-actions button", has_text="Following").is_visible()
    tab.shot("hashtag-following")

    tab.click(page.locator(".row-title").first)
    tab.click(page.locator(".article-header a.outlet"))  # the outlet's page
    tab.click(page.locator(".reader-actions button", has_text="Follow"))
    assert page.locator(".reader-actions button", has_text="Following").is_visible()

    tab.visit(f"{base_url}/")
    assert page.locator("#stories-heading").text_content() == "Stories that touch what you follow"
    assert page.locator(".suggestions").count() == 0 and page.locator(".story-card").count() >= 1

    tab.click(page.locator(".story-card .coverage-line a").first)  # the story's full coverage
    story_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator(".new-since").count() == 0
    add_coverage(sqlite_runtime, seed_batch, story_id, LATE, count=2)

    tab.visit(f"{base_url}/")
    card_news = page.locator(".story-card .new-since")
    assert card_news.inner_text() == "2 new articles, 1 new outlet since you read it"
    shoot_everywhere(tab, open_tab, base_url)
    tab.click(card_news.locator("a"))
    assert page.locator(".notice.new-since").inner_text().startswith("2 new articles, 1 new outlet since you read it")
    new_rows = page.locator(".timeline .row-item.unread")
    assert new_rows.count() == 2 and new_rows.first.locator(".outlet").inner_text() == LATE
    tab.shot("story-new-since")

    tab.visit(hashtag_url)
    assert page.locator(".rows .outlet", has_text=LATE).count() == 2
    tab.click(page.locator(".rows .outlet", has_text=LATE).first)  # the new outlet's page
    tab.click(page.locator(".reader-actions button", has_text="Mute"))
    assert page.locator(".reader-actions button", has_text="Muted").is_visible() and "You muted this" in page.content()
    tab.shot("outlet-muted")
    tab.visit(hashtag_url)
    assert page.locator(".rows .outlet", has_text=LATE).count() == 0
    assert page.locator(".rows .row-item").count() >= 1

    tab.visit(f"{base_url}/")
    tab.click(page.locator(".mark-read-form button"))
    assert "You are all caught up" in page.locator(".top-stories").inner_text()
    tab.visit(f"{base_url}/follows")
    assert page.locator(".unread-count").all_inner_texts() == ["0 unread", "0 unread"]
    tab.shot("follows-caught-up")
    page.context.close()
    assert tab.problems == []


def shoot_everywhere(tab, open_tab, base_url: str) -> None:
    """For you and the follows page as this reader sees them, on desktop and phone, light and dark."""
    cookies = tab.page.context.cookies()
    for device, options in (("desktop", {}), ("phone", {"viewport": PHONE})):
        for scheme in ("light", "dark"):
            view = open_tab(f"reader-{device}-{scheme}", color_scheme=scheme, **options)
            view.page.context.add_cookies(cookies)
            view.visit(f"{base_url}/", "for-you")
            view.visit(f"{base_url}/follows", "follows")
            view.page.context.close()
            assert view.problems == [], view.name
