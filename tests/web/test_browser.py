"""The site in a real browser (Debian's Chromium through Playwright): every page type, and the whole comment
and moderation flow through the forms. Any console error, page error or dialog fails the test."""

from __future__ import annotations

import pytest

from storyline.web.accounts import create_admin

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(sqlite_runtime, seed_into, serve) -> str:
    seed_into(sqlite_runtime)
    create_admin(sqlite_runtime, "moderator", "moderator password")
    return serve(sqlite_runtime)


def test_every_page_type_renders_cleanly(base_url, open_tab):
    for label, options in (("desktop", {}), ("phone", {"viewport": PHONE}), ("dark", {"color_scheme": "dark"})):
        tab = open_tab(label, **options)
        tab.visit(f"{base_url}/", "home")
        tab.click(tab.page.locator(".story-card .card-title a").first)
        assert tab.page.locator("h1#article-title").is_visible()
        assert tab.page.locator("#s0").count() == 1
        tab.shot("article")
        if label != "desktop":
            tab.page.context.close()
            assert tab.problems == []
            continue
        article_url = tab.page.url
        tab.click(tab.page.locator("a", has_text="Full coverage and outlet comparison"))
        tab.shot("story")
        tab.visit(article_url)
        tab.click(tab.page.locator(".hashtags a.tag").first)
        assert "Latest news with #" in tab.page.locator("h1").inner_text()
        tab.shot("hashtag")
        tab.visit(article_url)
        tab.click(tab.page.locator(".article-header a.section-tag"))
        tab.shot("section")
        tab.visit(article_url)
        tab.click(tab.page.locator(".article-header a.outlet"))
        tab.shot("source")
        tab.page.fill("#site-search", "tippexed")
        tab.page.press("#site-search", "Enter")
        tab.page.wait_for_load_state()
        assert tab.page.locator(".rows .row-item").count() >= 1
        tab.shot("search")
        tab.visit(f"{base_url}/feeds", "feeds")
        tab.visit(f"{base_url}/about", "about")
        tab.visit(f"{base_url}/en/article/nosuchid", "not-found", status=404)
        tab.visit(article_url)
        tab.page.fill("#ask-q", "How many cases were reopened?")
        tab.click(tab.page.locator(".ask-form button"))
        assert tab.page.locator(".answer").is_visible()
        tab.shot("ask")
        tab.page.context.close()
        assert tab.problems == []


def test_comment_reply_report_and_moderate_through_the_forms(base_url, open_tab):
    author = open_tab("author")
    author.register(base_url, "alice")
    author.visit(f"{base_url}/")
    author.click(author.page.locator(".story-card .card-title a").first)
    article_url = author.page.url.split("#")[0]
    author.page.fill("#comment-body", "Rude remark <script>alert(1)</script> see https://example.com/x")
    author.click(author.page.locator(".comments > .comment-form button"))
    assert author.page.locator(".comment-body a[rel='nofollow ugc noopener']").count() == 1

    reader = open_tab("reader")
    reader.register(base_url, "bob")
    reader.visit(article_url)
    comment = reader.page.locator("li.comment").first
    comment.locator("summary", has_text="Reply").click()
    comment.locator("textarea").fill("I disagree, politely.")
    reader.click(comment.locator(".comment-form button"))
    assert reader.page.locator(".comment-list.replies li.comment").count() == 1
    reader.shot("thread")
    reader.click(reader.page.locator("li.comment").first.locator("a", has_text="Report").first)
    reader.page.fill("#report-reason", "Insulting")
    reader.click(reader.page.locator(".stacked-form button"))

    admin = open_tab("admin")
    admin.visit(f"{base_url}/login")
    admin.page.fill("#login-username", "moderator")
    admin.page.fill("#login-password", "moderator password")
    admin.click(admin.page.locator(".stacked-form button"))
    admin.visit(f"{base_url}/moderation")
    assert "Insulting" in admin.page.locator(".moderation-item").first.inner_text()
    admin.shot("moderation")
    admin.click(admin.page.locator("button", has_text="Hide comment").first)
    assert "Nothing to review" in admin.page.content()

    author.visit(article_url)
    assert author.page.locator(".comment-removed", has_text="hidden by a moderator").count() == 1
    assert "Rude remark" not in author.page.content()
    author.shot("after-moderation")
    for tab in (author, reader, admin):
        assert tab.problems == [], tab.name
