"""The template helpers: translations keep the i18n extension's escaping, and can be swapped for a catalogue."""

from __future__ import annotations

import gettext

from storyline.web.templating import install_translations, make_templates


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
