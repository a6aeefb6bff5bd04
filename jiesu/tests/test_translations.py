# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Every string users see has its zh-hans translation, and the compiled catalogues are current.

The extraction runs Django's own `makemessages` over a copy of the source tree, with the copy's
locale directories as the only targets, so the real .po files (whose order other branches
append to) are never rewritten. Entries that gettext's merge marks fuzzy (a guessed
translation from a similar msgid) count as untranslated. The `.mo` check compiles each `.po`
with msgfmt and compares the two catalogues as gettext reads them (not byte by byte: msgfmt's
layout differs between gettext versions).
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.test import override_settings

from jiesu.tests import po

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "jiesu"

# msgid -> why it may stay without a zh-hans translation. Keep it short: a proper noun or a
# format-only string is better given msgstr = msgid in the .po (that is a translation too).
ALLOWED_UNTRANSLATED: dict[str, str] = {}

needs_gettext = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgfmt")),
    reason="gettext is not installed (make test installs it)",
)


def _copy_sources(target: Path) -> None:
    """The files makemessages reads (Python, templates) and every locale directory."""

    def ignore(directory, names):
        skipped = {"__pycache__", "tests", "static", "node_modules"}
        return [
            n
            for n in names
            if n in skipped
            or (
                (Path(directory) / n).is_file()
                and not n.endswith((".py", ".html", ".txt", ".po", ".mo"))
            )
        ]

    shutil.copytree(SOURCE, target, ignore=ignore)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[Path, list[po.Entry]]:
    """zh_Hans catalogues after a fresh extraction: {path relative to jiesu/: entries}."""
    if not shutil.which("xgettext"):
        pytest.skip("gettext is not installed (make test installs it)")
    copy = tmp_path_factory.mktemp("messages") / "jiesu"
    _copy_sources(copy)
    here = os.getcwd()
    try:
        os.chdir(copy)
        with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
            call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)
    finally:
        os.chdir(here)
    return {
        path.relative_to(copy): po.read(path)
        for path in sorted(copy.rglob("locale/zh_Hans/LC_MESSAGES/django.po"))
    }


@needs_gettext
def test_every_string_shown_to_users_has_a_zh_hans_translation(extracted):
    assert Path("locale/zh_Hans/LC_MESSAGES/django.po") in extracted
    missing = []
    for path, entries in extracted.items():
        for entry in entries:
            if entry.obsolete or not entry.msgid or entry.translated:
                continue
            if entry.msgid in ALLOWED_UNTRANSLATED:
                continue
            where = ", ".join(entry.references[:3])
            context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
            state = "fuzzy" if "fuzzy" in entry.flags else "untranslated"
            missing.append(f"{path}: {context}{entry.msgid!r} ({state}; {where})")
    assert not missing, (
        "Strings without a zh-hans translation: append them to the END of the .po "
        "(msgstr filled in), then msgfmt it:\n" + "\n".join(missing)
    )


@needs_gettext
def test_the_allowlist_names_only_strings_that_exist(extracted):
    known = {e.msgid for entries in extracted.values() for e in entries if not e.obsolete}
    assert set(ALLOWED_UNTRANSLATED) <= known


def _catalogues() -> list[Path]:
    return sorted(SOURCE.rglob("locale/*/LC_MESSAGES/django.po"))


def test_every_catalogue_is_readable_and_has_no_duplicates():
    assert _catalogues(), "no .po files found"
    for path in _catalogues():
        keys = [e.key for e in po.read(path) if not e.obsolete]
        duplicates = {k for k in keys if keys.count(k) > 1}
        assert not duplicates, f"{path}: entries appear twice: {sorted(duplicates, key=str)}"


@needs_gettext
@pytest.mark.parametrize("path", _catalogues(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_compiled_catalogue_matches_its_source(path, tmp_path):
    """msgfmt --check (placeholders of msgid and msgstr agree, header complete) and the committed
    .mo says what the .po says. A .po without any translation (the English source language)
    needs no .mo."""
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "-o", str(fresh), str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"msgfmt refuses {path}:\n{result.stderr}"
    with fresh.open("rb") as f:
        expected = gettext.GNUTranslations(f)
    translated = {k: v for k, v in expected._catalog.items() if k != ""}
    committed = path.with_suffix(".mo")
    if not translated and not committed.exists():
        return
    assert committed.exists(), f"{committed} is missing: run msgfmt -o {committed.name} {path}"
    with committed.open("rb") as f:
        actual = gettext.GNUTranslations(f)
    stale = {
        k
        for k in set(expected._catalog) | set(actual._catalog)
        if k != "" and expected._catalog.get(k) != actual._catalog.get(k)
    }
    assert not stale, (
        f"{committed} is stale ({len(stale)} entries differ from the .po, e.g. "
        f"{sorted(map(str, stale))[:5]}): run msgfmt -o {committed} {path}"
    )
    assert expected.plural(2) == actual.plural(2)


# -- strings not marked for translation at all -------------------------------------------------

# Words a template may show untranslated: the product's name, the English language's own name
# on the language switch, and the fixed "js_" prefix of API keys.
TEMPLATE_WORDS = {"Jiesu", "English", "js"}
_ATTRIBUTE = re.compile(r'\b(?:alt|title|aria-label|placeholder)\s*=\s*"([^"]*)"')
# A value is read on an <input> (a submit button's caption), not on a <button> or <option>.
_INPUT_VALUE = re.compile(r'<input\b[^>]*\bvalue\s*=\s*"([^"]*)"', re.S)
_TAG = re.compile(r"<[^>]*>", re.S)
_WORD = re.compile(r"[A-Za-z]{2,}")


def _bare_template_words(text: str) -> set[str]:
    """Latin words a template shows outside {% translate %} / {% blocktranslate %}: text between
    tags and the attributes people read (alt, title, aria-label, placeholder, value)."""
    shown, depth, skipping = [], 0, False
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            depth += name in ("blocktranslate", "blocktrans")
            depth -= name in ("endblocktranslate", "endblocktrans")
            skipping = (skipping or name == "comment") and name != "endcomment"
            shown.append(" ")
        elif token.token_type == TokenType.TEXT and not depth and not skipping:
            shown.append(token.contents)
        else:
            shown.append(" ")
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", "".join(shown), flags=re.S)
    values = _ATTRIBUTE.findall(text) + _INPUT_VALUE.findall(text)
    words = {w for value in values for w in _WORD.findall(value)}
    body = re.sub(r"&#?\w+;", " ", _TAG.sub(" ", text))
    return (words | set(_WORD.findall(body))) - TEMPLATE_WORDS


def test_templates_show_no_text_outside_translate_tags():
    templates = sorted(SOURCE.rglob("templates/**/*.html"))
    assert templates
    bare = {
        str(path.relative_to(SOURCE)): sorted(words)
        for path in templates
        if (words := _bare_template_words(path.read_text(encoding="utf-8")))
    }
    assert not bare, f"Template text not marked for translation: {bare}"


def test_the_template_check_finds_bare_text():
    assert _bare_template_words('<p title="Close it">{% translate "Saved" %} now</p>') == {
        "Close",
        "it",
        "now",
    }
    assert not _bare_template_words(
        "{% blocktranslate %}Saved {{ n }} rows{% endblocktranslate %}{# a note #}"
        "{% comment %}a longer note{% endcomment %}<script>let x;</script>"
    )


# Calls whose text argument people read, by the position of that argument: error messages of
# forms, serializers, the workflow, Open311 and the API, and the console's flash messages.
_MESSAGE_ARGUMENT = {
    "ValidationError": 0,
    "InvalidInput": 0,
    "NotAllowed": 0,
    "Conflict": 0,
    "InvalidTransition": 0,
    "WorkflowError": 0,
    "PermissionDenied": 0,
    "BadRequest": 0,
    "Forbidden": 0,
    "NotFound": 0,
    "ApiError": 1,
    "add_error": 1,
}
_FLASH = {"debug", "info", "success", "warning", "error"}
_LABEL_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
# Not read by the users of the pages: the API reference (drf-spectacular help texts and
# descriptions, English for developers, docs/guide/api.md) and the operators' commands.
_PYTHON_EXCLUDED = ("tests", "migrations", "management")
_API_REFERENCE = (SOURCE / "intake" / "api", SOURCE / "insights" / "api.py")


def _bare_python_strings(source: str, *, api_reference: bool = False) -> list[tuple[int, str]]:
    def literal(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value if _WORD.search(node.value) else None
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value for v in node.values if isinstance(v, ast.Constant)) or "f''"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            return literal(node.left) or literal(node.right)
        return None

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = getattr(func, "attr", None) or getattr(func, "id", None)
        position = _MESSAGE_ARGUMENT.get(name)
        if (
            name in _FLASH
            and isinstance(func, ast.Attribute)
            and getattr(func.value, "id", None) == "messages"
        ):
            position = 1
        if (
            position is not None
            and len(node.args) > position
            and (text := literal(node.args[position]))
        ):
            found.append((node.lineno, text))
        if api_reference or name == "append":  # audit.append(label=...) records, not shows
            continue
        for keyword in node.keywords:
            if keyword.arg in _LABEL_KEYWORDS and (text := literal(keyword.value)):
                found.append((node.lineno, text))
    return found


def test_python_messages_and_labels_are_marked_for_translation():
    bare = []
    for path in sorted(SOURCE.rglob("*.py")):
        if any(part in _PYTHON_EXCLUDED for part in path.relative_to(SOURCE).parts):
            continue
        for line, text in _bare_python_strings(
            path.read_text(encoding="utf-8"),
            api_reference=any(ref == path or ref in path.parents for ref in _API_REFERENCE),
        ):
            bare.append(f"{path.relative_to(SOURCE)}:{line}: {text[:60]!r}")
    assert not bare, "User-visible strings not wrapped in gettext:\n" + "\n".join(bare)


def test_the_python_check_finds_bare_strings():
    source = (
        "messages.success(request, 'Saved.')\n"
        "raise ValidationError(f'Bad {x}')\n"
        "name = forms.CharField(label='Name', help_text=_('Your name'))\n"
        "messages.success(request, _('Saved.'))\n"
        "audit.append(appeal, 'kind', label='system')\n"
    )
    assert [line for line, _ in _bare_python_strings(source)] == [1, 2, 3]


# -- one English word, two meanings -------------------------------------------------------------


def test_words_with_two_meanings_are_told_apart_by_their_context():
    from django.utils import translation

    from jiesu.appeals.models import Clock, UnitRequest
    from jiesu.appeals.states import Status
    from jiesu.intake.citizen.progress import PLAIN_STATUS, STAGES
    from jiesu.notify.models import Notification

    with translation.override("zh-hans"):
        shown = {
            "notification pending": str(Notification.Status.PENDING.label),
            "request pending": str(UnitRequest.Decision.PENDING.label),
            "notification sent": str(Notification.Status.SENT.label),
            "staff received": str(Status.RECEIVED.label),
            "citizen received": str(PLAIN_STATUS[Status.RECEIVED][0]),
            "clock handling": str(Clock.Kind.HANDLE.label),
            "stage handling": str(STAGES[2]),
        }
    assert shown == {
        "notification pending": "待发送",
        "request pending": "待审批",
        "notification sent": "已发送",
        "staff received": "待受理",
        "citizen received": "已收到",
        "clock handling": "办理",
        "stage handling": "办理中",
    }
    with translation.override("en"):
        assert str(Notification.Status.PENDING.label) == str(UnitRequest.Decision.PENDING.label)
