# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Message text from templates, per event and language.

One plain-text Django template per event and language: `notify/<event>.<language>.txt`, e.g.
`notify/citizen.accepted.zh-hans.txt`. Its first line is the subject (the e-mail subject, the
in-app title); the rest is the body (the SMS text, the e-mail text). A template with a single
line uses it as both. The row's context (appeal number, title, reason, due time, …) is the
template context, with `site_name`, `tracking_url`, `event` and `about` added.

Lookup order: the event in the row's language, the event in the default language
(settings.LANGUAGE_CODE), then the generic template `notify/_generic.<language>.txt`. The
generic template is the fallback for events without their own template; the row records which
template was used (its `template` field), so this never goes unnoticed.

The templates are rendered without HTML escaping (they are text, not HTML). Templates in the
project's template directory (jiesu/templates/notify/…) override the ones shipped here.
"""

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template import Context, Engine, engines
from django.utils import translation

from jiesu.notify import conf

logger = logging.getLogger(__name__)

GENERIC = "_generic"
EVENT_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    template: str  # the template name used
    generic: bool  # the event has no template of its own: the generic one was used


def render_message(notification) -> tuple[str, str]:
    """The (subject, body) of a notification, rendered now from its templates."""
    rendered = render(notification)
    return rendered.subject, rendered.body


def render(notification) -> Rendered:
    return render_event(
        notification.event,
        notification.language,
        notification.context or {},
        about=notification.subject_ref,
    )


def render_event(event: str, language: str, context: dict, about: str = "") -> Rendered:
    languages = candidate_languages(language)
    names = []
    if EVENT_PATTERN.match(event or ""):
        names += [f"notify/{event}.{lang}.txt" for lang in languages]
    generic = [f"notify/{GENERIC}.{lang}.txt" for lang in languages]
    template = _engine().select_template(names + generic)
    name = template.origin.template_name
    cfg = conf.config()
    values = {
        "site_name": cfg["SITE_NAME"],
        "tracking_url": cfg["TRACKING_URL"],
        "event": event,
        "about": about,
    }
    values.update(context)
    with translation.override(languages[0]):
        text = template.render(Context(values, autoescape=False))
    subject, body = split_text(text)
    is_generic = name in generic
    if is_generic:
        logger.warning("No template for notification event %r: used %s", event, name)
    return Rendered(subject=subject, body=body, template=name, generic=is_generic)


def split_text(text: str) -> tuple[str, str]:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if not lines:
        return "", ""
    subject = " ".join(lines[0].split())
    body = "\n".join(lines[1:]).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return subject, body or subject


def candidate_languages(language: str) -> list[str]:
    """The row's language (as a supported variant), then the default language."""
    result = []
    for code in (language, settings.LANGUAGE_CODE, "zh-hans"):
        try:
            variant = translation.get_supported_language_variant((code or "").lower())
        except LookupError:
            continue
        if variant not in result:
            result.append(variant)
    return result


def _engine() -> Engine:
    """A template engine like the project's, but for text: no HTML escaping."""
    dirs = tuple(str(d) for d in engines["django"].engine.dirs)
    return _text_engine(dirs, settings.DEBUG)


@lru_cache(maxsize=4)
def _text_engine(dirs: tuple, debug: bool) -> Engine:
    return Engine(dirs=list(dirs), app_dirs=True, autoescape=False, debug=debug)
