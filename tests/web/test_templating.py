"""The template helpers: translations keep the i18n extension's escaping, and can be swapped for a catalogue."""

from __future__ import annotations

import gettext

import pytest

from storyline.store.models import Article
from storyline.web.templating import install_translations, language_mark, make_templates


class Shouting(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return message.upper().replace("%(NAME)S", "%(name)s")


def render(source: str, **context) -> str:
    return make_templates().env.from_string(source).render(**context)


def test_messages_are_markup_and_their_values_are_escaped():
    assert render('{{ _("By <b>%(name)s</b>", name=who) }}', who="<script>") == "By <b>&lt;script&gt;</b>"


def test_plurals_pick_the_form_and_know_their_number():
    source = '{{ ngettext("%(num)d comment", "%(num)d comments", n) }}'
    assert [render(source, n=n) for n in (1, 3)] == ["1 comment", "3 comments"]


def test_an_installed_catalogue_replaces_the_passthrough():
    env = make_templates().env
    install_translations(env, Shouting())
    assert env.from_string('{{ _("hello %(name)s", name="<i>") }}').render() == "HELLO &lt;i&gt;"


@pytest.mark.parametrize(
    ("article_language", "page_locale", "mark"),
    [
        ("fr", "en", ' <abbr class="language-mark" title="French">FR</abbr>'),
        ("en", "fr", ' <abbr class="language-mark" title="anglais">EN</abbr>'),
        ("de", "es", ' <abbr class="language-mark" title="alemán">DE</abbr>'),
        ("fr", "fr", ""),  # the page's own language needs no mark
        ("pt-BR", "en", ' <abbr class="language-mark" title="Portuguese (Brazil)">PT</abbr>'),
        ("zz", "en", ' <abbr class="language-mark" title="zz">ZZ</abbr>'),  # unknown to Babel: the code itself
    ],
)
def test_an_article_in_another_language_is_marked_in_the_page_language(article_language, page_locale, mark):
    assert str(language_mark(Article(language=article_language), page_locale)) == mark
