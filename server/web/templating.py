"""Jinja2 set-up and the one `render` helper every page handler uses.

`render` answers the whole page, or only the named block when htmx asks for
it (jinja2-fragments), with `Vary: HX-Request` since one URL answers both ways.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_environment, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.scope.state import ScopeState

from server.accounts.roles import ROLE_LABELS
from server.i18n import LANGUAGE_NAMES, current_locale, gettext, ngettext
from server.settings import PROJECT_ROOT, get_settings
from server.web import widgets
from server.web.flash import pop_flash
from server.web.nav import NAV_COUNTS, nav_for
from server.web.snippets import chip, icon, static_url
from server.web.template_translation import ConstantTranslations

TEMPLATES_DIR = PROJECT_ROOT / "templates"


def _role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


class _RequestValue:
    """A request's value (widgets.request_values) as a template global: the shared macros
    (templates/_macros.html) read `csrf_token` and `current_path` this way, so templates can import
    them *without* context and Jinja builds the macro module once, instead of once per import
    (24 imports on a unit page cost ~2.5 ms)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __str__(self) -> str:
        return widgets.request_value(self.key)


class _Environment(Environment):
    def make_globals(self, d: Any = None) -> Any:  # type: ignore[override]
        """A template's globals as a plain dict, not Jinja's ChainMap over the environment's: every
        `{% from … import … %}` compares the page's globals with the imported template's
        (Template._get_default_module), and over a ChainMap that ran in Python, ~25 µs an import (a
        unit's page makes 25). Our globals are all set in `_environment`, before any template loads."""
        return {**self.globals, **(d or {})}


def environment(locale: str | None = None) -> Environment:
    """The templates in `locale`, by default the current request's language."""
    return _environment(locale or current_locale.get())


@lru_cache(maxsize=None)
def _environment(locale: str) -> Environment:
    """One environment per language: its templates are compiled with their constant
    words already translated (server/web/template_translation.py)."""
    env = _Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n", ConstantTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
        # Re-checking every template file's mtime on each render costs a stat
        # per include and import (~45 per page): only while developing.
        auto_reload=get_settings().debug,
    )
    env.translation_locale = locale  # type: ignore[attr-defined]  # read by ConstantTranslations
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(static_url=static_url, icon_html=icon, chip_html=chip, select_html=widgets.select,
                       nav_entries=widgets.nav_entries, csrf_field_html=widgets.csrf_field,
                       form_message_html=widgets.form_message, selects_html=widgets.selects, outbox_html=outbox,
                       progress_bar_html=widgets.progress_bar,
                       progress_rows=widgets.progress_rows, thumbs_html=widgets.thumbs,
                       before_after_html=widgets.before_after, note_field_html=widgets.note_field,
                       role_label=_role_label, LANGUAGE_NAMES=LANGUAGE_NAMES,
                       csrf_token=_RequestValue("csrf_token"), current_path=_RequestValue("current_path"))
    return env


@pass_environment
def outbox(env: Environment) -> Markup:
    """The outbox every page carries (templates/_outbox.html): the same for everyone in one language,
    so drawn once a language (its script's words are formatted, a dozen calls and a JSON encoding)."""
    locale = env.translation_locale  # type: ignore[attr-defined]
    if get_settings().debug:  # while developing, an edited template shows at once
        return _draw_outbox(locale)
    return _outbox_in(locale)


@lru_cache(maxsize=None)
def _outbox_in(locale: str) -> Markup:
    return _draw_outbox(locale)


def _draw_outbox(locale: str) -> Markup:
    token = current_locale.set(locale)  # the words it formats are said in its language
    try:
        return Markup(_environment(locale).get_template("_outbox.html").render())
    finally:
        current_locale.reset(token)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """Render a page (or, for an htmx request, just `block` of it)."""
    response = Response(content="", media_type=MediaType.HTML, status_code=status_code)
    user = request.scope.get("user")
    fragment = bool(block and is_htmx(request))
    ctx = {
        "request": request,
        "user": user,
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
        "locale": current_locale.get(),
        "html_lang": "zh-CN" if current_locale.get() == "zh_CN" else "en",
        # Only the whole page shows the flash (base.html, outside every block): a
        # fragment must leave it for the page it belongs to. Otherwise the tab bar's
        # refresh after an htmx POST eats the message its redirect was to show.
        "flash": None if fragment else pop_flash(request, response),
        "current_path": request.scope.get("root_path", "") + request.scope["path"],  # request.url.path, unparsed
        **context,
    }
    ctx.setdefault("nav", nav_for(user, request.scope.get(NAV_COUNTS), ctx["current_path"]))
    env = environment()
    widgets.request_values.set({"csrf_token": ctx["csrf_token"], "current_path": ctx["current_path"]})
    if fragment:
        html = render_block(env, template, block, ctx)
    else:
        html = env.get_template(template).render(ctx)
    response.content = html
    response.headers["Vary"] = "HX-Request"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_for_paper(template: str, **context: Any) -> str:
    """A page template as a document for paper (server/reports/): the same template as
    the page, for nobody in particular (no user, navigation, flash or CSRF token), so the
    same record renders to the same HTML whoever asks, and `pdf` is true for the template."""
    ctx = {"request": None, "user": None, "csrf_token": "", "locale": current_locale.get(),
           "html_lang": "zh-CN" if current_locale.get() == "zh_CN" else "en", "nav": None, "flash": None,
           "current_path": "", "pdf": True, **context}
    widgets.request_values.set({"csrf_token": "", "current_path": ""})
    return environment().get_template(template).render(ctx)
