"""Templates compiled with their constant words translated (server/web/template_translation.py)
give exactly what translating at render time gives, in each language."""
from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, select_autoescape

from server.i18n import current_locale, gettext, ngettext, translations
from server.web.template_translation import ConstantTranslations
from server.web.templating import TEMPLATES_DIR, environment

SOURCE = """<p title="{{ _('Back') }}">{{ _("Rename") }}</p>
{% set sep = _(", ") %}{{ ["101", "102"] | join(sep) }}
{{ _("Unit %(number)s saved.", number=n) }} {{ ngettext("%(num)s unit", "%(num)s units", 3) }}
{{ _("100%%") }} {{ _("a < b & c") }} {{ (_("Rename") ~ "!") | upper }} {{ obj._("Rename") }}
"""


class _Obj:
    @staticmethod
    def _(text):
        return f"attribute {text}"


def _render(locale: str, folded: bool) -> str:
    env = Environment(loader=DictLoader({"t.html": SOURCE}), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n", *([ConstantTranslations] if folded else [])])
    env.translation_locale = locale if folded else None
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    token = current_locale.set(locale)
    try:
        return env.get_template("t.html").render(n="<302>", obj=_Obj())
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_folded_templates_render_as_translated_at_render_time(locale):
    folded = _render(locale, folded=True)
    assert folded == _render(locale, folded=False)
    assert translations(locale).gettext("Rename") in folded
    assert "&lt;302&gt;" in folded  # a parameter is still escaped
    assert "attribute Rename" in folded  # `x._(...)` is an attribute call, left alone


def test_the_constant_words_are_in_the_compiled_template_not_looked_up():
    source = TEMPLATES_DIR.joinpath("org", "building_detail.html").read_text()
    assert '_("Create units floor by floor")' in source
    code_zh = environment("zh_CN").compile(source, raw=True)
    code_en = environment("en").compile(source, raw=True)
    assert translations("zh_CN").gettext("Create units floor by floor") in code_zh
    assert "Create units floor by floor" in code_en
    assert "'Create units floor by floor'" not in code_zh  # no runtime lookup of the message id left


def test_each_language_has_its_own_compiled_pages():
    assert environment("zh_CN") is not environment("en")
    zh = environment("zh_CN").get_template("_outbox.html")
    en = environment("en").get_template("_outbox.html")
    assert zh is not en


def test_the_outbox_drawn_once_a_language_is_in_that_language():
    # Every page carries it; it is remembered per language, whichever language asked first.
    page = '{{ outbox_html() }}'
    en = environment("en").from_string(page).render()
    zh = environment("zh_CN").from_string(page).render()
    assert "Waiting to sync" in en and "Waiting to sync" not in zh
    assert translations("zh_CN").gettext("Waiting to sync") in zh
    assert '"count": "{num} waiting to sync"' in en  # a formatted word, in the language asked for
    assert environment("en").from_string(page).render() == en
