"""Every string users see has its zh-hans translation, and the compiled catalogues are current.

The extraction runs Django's own `makemessages` over a copy of the source tree, with the copy's
locale directories as the only targets, so the real .po files (whose order other branches
append to) are never rewritten. Entries that gettext's merge marks fuzzy (a guessed
translation from a similar msgid) count as untranslated. The `.mo` check compiles each `.po`
with msgfmt and compares the two catalogues as gettext reads them (not byte by byte: msgfmt's
layout differs between gettext versions).
"""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
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
