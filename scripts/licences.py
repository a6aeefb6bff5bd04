# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Write docs/licences.md: every dependency Jiesu ships with, its licence, and whether that
licence is compatible with Jiesu's own (Mulan PSL v2).

The list is read from the installed packages, not typed: the runtime requirements of
pyproject.toml are followed through each package's own requirements (importlib.metadata), and
the front-end libraries vendored under jiesu/*/static/*/vendor/ are read from their VERSIONS.json.

    python scripts/licences.py            # rewrite docs/licences.md
    python scripts/licences.py --check    # exit 1 when it is out of date or a licence is not allowed

Mulan PSL v2 is a permissive licence; Jiesu can use and redistribute permissive libraries
(MIT, BSD, Apache-2.0, ISC, PSF, HPND, ...), weak-copyleft libraries used unmodified as separate
libraries (LGPL, MPL-2.0), and nothing strongly copyleft (GPL, AGPL) in what it distributes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "licences.md"

# Licence families, by how they may be combined with a Mulan PSL v2 work.
PERMISSIVE = "permissive"
WEAK_COPYLEFT = "weak copyleft (used unmodified as a library)"
NOT_ALLOWED = "not allowed"

# Normalised names (as SPDX identifiers where there is one) and their family.
FAMILIES = {
    "MIT": PERMISSIVE,
    "MIT-CMU": PERMISSIVE,
    "BSD-2-Clause": PERMISSIVE,
    "BSD-3-Clause": PERMISSIVE,
    "0BSD": PERMISSIVE,
    "Apache-2.0": PERMISSIVE,
    "ISC": PERMISSIVE,
    "PSF-2.0": PERMISSIVE,
    "HPND": PERMISSIVE,
    "MIT-0": PERMISSIVE,
    "Unlicense": PERMISSIVE,
    "Zlib": PERMISSIVE,
    "CC0-1.0": PERMISSIVE,
    "MulanPSL-2.0": PERMISSIVE,
    "MPL-2.0": WEAK_COPYLEFT,
    "LGPL-2.1-or-later": WEAK_COPYLEFT,
    "LGPL-3.0-only": WEAK_COPYLEFT,
    "LGPL-3.0-or-later": WEAK_COPYLEFT,
    "LGPL": WEAK_COPYLEFT,
    "GPL-2.0": NOT_ALLOWED,
    "GPL-3.0": NOT_ALLOWED,
    "AGPL-3.0": NOT_ALLOWED,
}

# Trove classifiers and free-text licence fields, mapped to the names above.
ALIASES = [
    (r"^mulan", "MulanPSL-2.0"),
    (r"\bAGPL|Affero", "AGPL-3.0"),
    (r"LGPL.*3|Lesser General Public License v3", "LGPL-3.0-only"),
    (r"LGPL.*2|Lesser General Public License v2", "LGPL-2.1-or-later"),
    (r"LGPL|Lesser General Public", "LGPL"),
    (r"\bGPL.*3|General Public License v3", "GPL-3.0"),
    (r"\bGPL|General Public License", "GPL-2.0"),
    (r"MPL|Mozilla Public License 2", "MPL-2.0"),
    (r"Apache", "Apache-2.0"),
    (r"^0BSD$|BSD Zero", "0BSD"),
    (r"BSD.?2|Simplified BSD|FreeBSD", "BSD-2-Clause"),
    (r"BSD", "BSD-3-Clause"),
    (r"MIT-CMU", "MIT-CMU"),
    (r"MIT No Attribution|MIT-0", "MIT-0"),
    (r"\bMIT\b|Expat", "MIT"),
    (r"ISC", "ISC"),
    (r"Python Software Foundation|PSF", "PSF-2.0"),
    (r"HPND|Historical Permission", "HPND"),
    (r"Unlicense", "Unlicense"),
    (r"^zlib", "Zlib"),
    (r"^CC0", "CC0-1.0"),
]


def normalise(text: str) -> str | None:
    text = text.strip()
    if text in FAMILIES:
        return text
    for pattern, name in ALIASES:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def licence_of(dist: metadata.Distribution) -> tuple[str, list[str]]:
    """(as the package states it, [normalised names]) from the package's own metadata."""
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        parts = re.split(r"\s+(?:AND|OR|WITH)\s+|[()]", expression)
        names = [normalise(p) or p.strip() for p in parts if p.strip()]
        return expression, names
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::") and "OSI Approved ::" in c or c.startswith("License :: Other")
    ]
    classifiers = [c for c in classifiers if c not in ("OSI Approved", "Other/Proprietary License")]
    if classifiers:
        # Several licence classifiers offer a choice (dual or triple licensing).
        names = [normalise(c) for c in classifiers]
        return " OR ".join(classifiers), [n for n in names if n]
    field = (meta.get("License") or "").strip()
    if field:
        first = field.splitlines()[0][:80]
        name = normalise(first)
        return first, [name] if name else []
    return "(not stated)", []


def family(names: list[str], stated: str) -> str:
    """A dual-licensed package (A OR B) is as free as its freest choice; otherwise its strictest."""
    if not names:
        return NOT_ALLOWED
    families = [FAMILIES.get(n, NOT_ALLOWED) for n in names]
    order = [PERMISSIVE, WEAK_COPYLEFT, NOT_ALLOWED]
    if " OR " in stated or "dual" in stated.lower():
        return min(families, key=order.index)
    return max(families, key=order.index)


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def walk(roots: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Every installed distribution reachable from the roots, markers evaluated."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(r, frozenset(r.extras)) for r in roots]
    env = default_environment()
    while todo:
        requirement, extras = todo.pop()
        key = canonicalize_name(requirement.name)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError as missing:
            raise SystemExit(
                f"{requirement.name} is not installed: run `make install` first"
            ) from missing
        first_visit = key not in found
        found[key] = dist
        for text in dist.requires or []:
            child = Requirement(text)
            if child.marker:
                wanted = any(
                    child.marker.evaluate({**env, "extra": extra}) for extra in extras or {""}
                )
                if not wanted:
                    continue
            child_key = canonicalize_name(child.name)
            if first_visit or child_key not in found:
                todo.append((child, frozenset(child.extras)))
    return found


# How a vendored library's LICENSE file reads, first match wins.
LICENCE_TEXTS = [
    (
        r"Zero-Clause BSD|for\s+any\s+purpose\s+with\s+or\s+without\s+fee\s+is\s+hereby\s+granted\.\s*$",
        "0BSD",
    ),
    (r"Apache License,?\s+Version 2\.0", "Apache-2.0"),
    (r"Redistribution and use in source and binary forms[\s\S]*Neither the name", "BSD-3-Clause"),
    (r"Redistribution and use in source and binary forms", "BSD-2-Clause"),
    (r"Permission is hereby granted, free of charge", "MIT"),
    (r"Permission to use, copy, modify, and(/or)? distribute", "ISC"),
]


def licence_from_text(text: str) -> str:
    for pattern, name in LICENCE_TEXTS:
        if re.search(pattern, text, re.MULTILINE):
            return name
    return ""


def vendored() -> list[tuple[str, str, str]]:
    """(library, version, licence) for each vendored library: the version from the folder's
    VERSIONS.json, the licence read from the LICENSE file copied beside the library."""
    rows = []
    for versions_file in sorted(ROOT.glob("jiesu/*/static/*/vendor/VERSIONS.json")):
        versions = json.loads(versions_file.read_text())
        for folder in sorted(p for p in versions_file.parent.iterdir() if p.is_dir()):
            name = next((k for k in versions if k.split(".")[0] == folder.name), folder.name)
            info = versions.get(name, "")
            version = info.get("version", "") if isinstance(info, dict) else str(info)
            licence_file = next(iter(sorted(folder.glob("LICEN[CS]E*"))), None)
            licence = licence_from_text(licence_file.read_text()) if licence_file else ""
            rows.append((name, version, licence))
    return rows


def render() -> tuple[str, list[str]]:
    problems = []
    lines = [
        "# Licences of the dependencies",
        "",
        "Jiesu is licensed under the Mulan Permissive Software License, Version 2 (木兰宽松许可证，"
        "第2版; see `LICENSE`). This page is generated by `make licences` (`scripts/licences.py`) "
        "from the installed packages; `make test` fails when it is out of date or when a "
        "dependency's licence is not compatible.",
        "",
        "Compatible with Mulan PSL v2: permissive licences (MIT, BSD, Apache-2.0, ISC, PSF, HPND); "
        "weak-copyleft libraries (LGPL, MPL-2.0) used unmodified as separate libraries. "
        "Not allowed: strong copyleft (GPL, AGPL) and packages without a stated licence.",
        "",
        "## Python packages (runtime, with everything they require)",
        "",
        "| package | version | licence as stated | compatibility |",
        "|---|---|---|---|",
    ]
    for _key, dist in sorted(walk(runtime_requirements()).items()):
        stated, names = licence_of(dist)
        verdict = family(names, stated)
        if verdict == NOT_ALLOWED:
            problems.append(f"{dist.metadata['Name']}: {stated}")
        stated_cell = stated.replace("|", "/")
        lines.append(f"| {dist.metadata['Name']} | {dist.version} | {stated_cell} | {verdict} |")
    rows = vendored()
    if rows:
        lines += [
            "",
            "## Front-end libraries (vendored static files)",
            "",
            "| library | version | licence | compatibility |",
            "|---|---|---|---|",
        ]
        for name, version, stated in rows:
            normalised = normalise(stated) if stated else None
            verdict = family([normalised] if normalised else [], stated)
            if verdict == NOT_ALLOWED:
                problems.append(f"{name} (vendored): {stated or 'no licence recorded'}")
            lines.append(f"| {name} | {version} | {stated} | {verdict} |")
    return "\n".join(lines) + "\n", problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text, problems = render()
    for problem in problems:
        print(f"licence not allowed: {problem}", file=sys.stderr)
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run `make licences`", file=sys.stderr)
            return 1
    else:
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
