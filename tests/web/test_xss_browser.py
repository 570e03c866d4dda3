"""The hostile corpus in a real browser: escaping is checked where it matters, in Chromium. An alert, a console
error (the Content-Security-Policy reports every inline script it blocks there) or an uncaught page error fails
the test, so a template that stops escaping fails it whether or not the policy catches the script."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_pages_built_from_hostile_input_run_no_script(sqlite_runtime, hostile_corpus, serve, open_tab):
    hostile_corpus.store(sqlite_runtime)
    base_url = serve(sqlite_runtime)
    script = hostile_corpus.SCRIPT
    tab = open_tab("hostile")

    tab.visit(f"{base_url}/", "home")
    tab.click(tab.page.locator(".story-card .card-title a").first)
    article_url = tab.page.url
    assert article_url.endswith(f"/en/article/{hostile_corpus.ARTICLE}")
    # Markup arrives as visible text, not as elements.
    assert tab.page.locator("h1#article-title").inner_text() == f"Title {script}"
    assert tab.page.locator("img[src^='javascript:'], a[href^='javascript:'], a[href^='data:']").count() == 0
    tab.shot("article")

    for link, heading, shot in (
        ("a:has-text('Full coverage and outlet comparison')", f"Story {script}", "story"),
        (".hashtags a.tag", f"Latest news with #Tag {script}", "hashtag"),
        (".article-header a.section-tag", f"news{script}", "section"),
        (".article-header a.outlet", f"Evil {script} News", "source"),
    ):
        tab.visit(article_url)
        tab.click(tab.page.locator(link).first, shot)
        assert tab.page.locator("h1").first.inner_text() == heading, shot

    tab.page.fill("#site-search", "Body")
    tab.page.press("#site-search", "Enter")
    tab.page.wait_for_load_state()
    assert tab.page.locator(".rows .row-item").count() == 1
    tab.shot("search")

    tab.register(base_url, "attacker")
    tab.visit(article_url)
    tab.page.fill("#comment-body", hostile_corpus.COMMENT)
    tab.click(tab.page.locator(".comments > .comment-form button"), "comment")
    comment = tab.page.locator("li.comment .comment-body").first
    assert script in comment.inner_text()
    assert comment.locator("script, img, a[href^='javascript:'], a[href^='data:']").count() == 0

    tab.page.context.close()
    assert tab.problems == []
