"""Templates translated when they are compiled, one compiled set per language.

Most of a page's words are constant: `{{ _("Rename") }}`. Asked at render time, each is
a Jinja call (Context.call, the i18n extension's wrapper, the catalog lookup, Markup and
`%`): about 17 µs, and a page has around a hundred (a quarter of the building page's
rendering, issue 15). Compiled per language, the translation is part of the template's
text, as free as the HTML around it.

A call `_("literal")` (no parameters) is rewritten in the template's tokens to
`("translated"|safe)`, which Jinja's optimizer folds to a constant. It gives exactly
what the runtime call gives: newstyle gettext marks the translation safe and always
applies `%` (so "100%%" shows "100%"). Calls with parameters, `ngettext` and
`{% trans %}` stay as they are, translated at render time in the environment's language.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from server.i18n import translations


class ConstantTranslations(Extension):
    """Folds `_("literal")` into the environment's language (set as `environment.translation_locale`)."""

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        locale = getattr(self.environment, "translation_locale", None)
        if locale is None:
            return stream
        return _folded(list(stream), locale)


def _is_constant_call(tokens: list[Token], i: int) -> bool:
    """tokens[i:i+4] is `_ ( "text" )`, and the `_` is not an attribute (`x._(...)`)."""
    return (i + 3 < len(tokens) and tokens[i].type == "name" and tokens[i].value == "_"
            and tokens[i + 1].type == "lparen" and tokens[i + 2].type == "string"
            and tokens[i + 3].type == "rparen" and not (i > 0 and tokens[i - 1].type == "dot"))


def _folded(tokens: list[Token], locale: str) -> Iterator[Token]:
    catalog = translations(locale)
    i = 0
    while i < len(tokens):
        if _is_constant_call(tokens, i):
            line = tokens[i].lineno
            text = catalog.gettext(tokens[i + 2].value) % {}
            yield Token(line, "lparen", "(")
            yield Token(line, "string", text)
            yield Token(line, "pipe", "|")
            yield Token(line, "name", "safe")
            yield Token(line, "rparen", ")")
            i += 4
        else:
            yield tokens[i]
            i += 1
