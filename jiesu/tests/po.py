# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A small reader of gettext .po files, for the translation checks (no third-party parser).

`read(path)` returns the entries in file order: msgctxt, msgid, msgid_plural, the msgstr forms,
the flags (fuzzy, python-format, ...), the references and whether the entry is obsolete.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    @property
    def translated(self) -> bool:
        return "fuzzy" not in self.flags and bool(self.msgstr) and all(self.msgstr.values())


def _string(text: str) -> str:
    return ast.literal_eval(text) if text else ""


def read(path: Path | str) -> list[Entry]:
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None  # which field a continuation line extends
    started = False

    def finish():
        nonlocal entry, started, current
        if started:
            entries.append(entry)
        entry, started, current = Entry(), False, None

    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            entry.obsolete = True
        if line.startswith("#,"):
            if started and current:
                finish()
            entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if line.startswith("#:"):
            if started and current:
                finish()
            entry.references.extend(line[2:].split())
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if current is None:
                raise ValueError(f"{path}:{number}: a string continues nothing")
            name, index = current
            value = _string(line)
        else:
            if (
                keyword in ("msgctxt", "msgid")
                and started
                and current
                and current[0] != ("msgctxt")
            ):
                finish()
                entry.obsolete = obsolete
            if not started:
                entry.line = number
            started = True
            value = _string(rest)
            if keyword.startswith("msgstr["):
                name, index = "msgstr", int(keyword[7:-1])
                entry.msgstr[index] = ""
            elif keyword == "msgstr":
                name, index = "msgstr", 0
                entry.msgstr[0] = ""
            elif keyword in ("msgid", "msgctxt", "msgid_plural"):
                name, index = keyword, 0
                setattr(entry, keyword, "")
            else:
                raise ValueError(f"{path}:{number}: unknown keyword {keyword!r}")
            current = (name, index)
        if name == "msgstr":
            entry.msgstr[index] += value
        else:
            setattr(entry, name, (getattr(entry, name) or "") + value)
    finish()
    return entries


def quote(text: str) -> str:
    """`text` as a .po string (one line; gettext tools wrap as they like)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'
