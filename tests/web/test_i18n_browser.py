"""The French site in Chromium: a French browser lands on /fr/, and the home and story pages render cleanly at
desktop and phone width (screenshots in screenshots/fr-*.png)."""

from __future__ import annotations

import pytest

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture
def base_url(sqlite_runtime, seed_into, serve) -> str:
    seed_into(sqlite_runtime)
    return serve(sqlite_runtime)


@pytest.mark.parametrize("label, options", [("desktop", {}), ("phone", {"viewport": PHONE})])
def test_a_french_browser_reads_the_site_in_french(base_url, open_tab, label, options):
    tab = open_tab(f"fr-{label}", locale="fr-FR", **options)
    tab.visit(f"{base_url}/", "home")
    assert tab.page.url == f"{base_url}/fr/"
    assert tab.page.locator("html").get_attribute("lang") == "fr"
    assert tab.page.locator("#top-heading").text_content().strip() == "À la une"
    tab.click(tab.page.locator(".story-card .coverage-line a").first, "story")
    assert tab.page.url.startswith(f"{base_url}/fr/story/")
    assert tab.page.locator("#coverage-heading").text_content().strip() == "Tous les articles, par ordre chronologique"
    tab.click(tab.page.locator(".language-switcher a", has_text="English"))
    assert tab.page.url.startswith(f"{base_url}/en/story/")
    assert tab.page.locator("#coverage-heading").text_content().strip() == "All coverage, in time order"
    tab.page.context.close()
    assert tab.problems == []
