# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Choose the demo's appeal texts from real citizen messages and assign them to demo categories.

    .venv/bin/python -m jiesu.demo.build_texts                 # rewrite the output
    .venv/bin/python -m jiesu.demo.build_texts --check         # exit 1 if it is stale
    .venv/bin/python -m jiesu.demo.build_texts --csv FILE      # another copy of the messages

Input (read at build time only; CI never needs it):
  /work/shared/data/teddy2020/appeals_labeled.csv (or $JIESU_TEDDY_APPEALS, or --csv): messages
      citizens left for a city government, with the contest organisers' top-level label
  jiesu/demo/data/text_keywords.csv: the committed keyword table (leaf, category_l1, keywords)
  jiesu/demo/data/pingshan_catalogue.csv: the demo catalogue (to resolve leaf names to codes)
Output (committed):
  jiesu/demo/data/text_category_map.csv: category_code, category_name, category_l1, source_row,
      title, text

How a message is assigned: a message goes to the leaf of the keyword table's row whose
`category_l1` equals the message's label (or is `*`) and one of whose `|`-separated keywords
occurs in the message's title or in the first PROBE_CHARS characters of its text. Messages
matching no row, or the rows of two or more leaves (ambiguous), are left out, as are messages
longer than MAX_CHARS, exact repeats of a message already taken, and rows without text. A leaf
with fewer than MIN_PER_LEAF messages is left out (too few to learn from); each other leaf keeps
at most PER_LEAF messages, chosen by the SHA-1 of their text (a fixed, arbitrary order), so the
output is the same on every run. The texts are unchanged (place names stay anonymised as the
source has them: "A市", "A3区").
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
KEYWORDS = DATA / "text_keywords.csv"
CATALOGUE = DATA / "pingshan_catalogue.csv"
OUTPUT = DATA / "text_category_map.csv"
DEFAULT_SOURCE = "/work/shared/data/teddy2020/appeals_labeled.csv"
PER_LEAF = 40
MIN_PER_LEAF = 8
MAX_CHARS = 300
PROBE_CHARS = 60
COLUMNS = ["category_code", "category_name", "category_l1", "source_row", "title", "text"]


class BuildError(ValueError):
    pass


def read_keywords(path: Path = KEYWORDS) -> list[tuple[str, str, list[str]]]:
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            words = [w.strip() for w in row["keywords"].split("|") if w.strip()]
            if not words:
                raise BuildError(f"{path}: the row for {row['leaf']} has no keyword.")
            rows.append((row["leaf"].strip(), row["category_l1"].strip(), words))
    return rows


def leaf_codes(path: Path = CATALOGUE) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["三级分类"]: row["三级编码"] for row in csv.DictReader(fh)}


def build(source: str) -> str:
    """The output file's text."""
    table = read_keywords()
    codes = leaf_codes()
    unknown = [leaf for leaf, _l1, _w in table if leaf not in codes]
    if unknown:
        raise BuildError(f"Not leaves of the demo catalogue: {', '.join(unknown)}")
    chosen: dict[str, list[tuple[str, int, str, str, str]]] = {leaf: [] for leaf, _, _ in table}
    seen: set[str] = set()
    with open(source, encoding="utf-8-sig", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):  # line 1 is the header
            title = (row.get("title") or "").strip()
            text = (row.get("text") or "").strip()
            label = (row.get("category_l1") or "").strip()
            if not text or len(title) + len(text) > MAX_CHARS:
                continue
            key = f"{title}\n{text}"
            if key in seen:
                continue
            probe = f"{title}\n{text[:PROBE_CHARS]}"
            leaves = [
                leaf
                for leaf, l1, words in table
                if l1 in ("*", label) and any(w in probe for w in words)
            ]
            if len(leaves) == 1:
                seen.add(key)
                digest = hashlib.sha1(key.encode("utf-8")).hexdigest()  # noqa: S324 (order)
                chosen[leaves[0]].append((digest, number, label, title, text))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for leaf, _l1, _w in table:
        if len(chosen[leaf]) < MIN_PER_LEAF:  # too few to learn from: the leaf is left out
            continue
        for _digest, number, label, title, text in sorted(chosen[leaf])[:PER_LEAF]:
            writer.writerow([codes[leaf], leaf, label, number, title, text])
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=os.environ.get("JIESU_TEDDY_APPEALS", DEFAULT_SOURCE))
    parser.add_argument("--check", action="store_true", help="exit 1 if the output is stale")
    args = parser.parse_args(argv)
    try:
        text = build(args.csv)
    except (OSError, BuildError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python -m jiesu.demo.build_texts", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    rows = len(list(csv.reader(io.StringIO(text)))) - 1
    print(f"{OUTPUT}: {rows} texts, {len(text.encode('utf-8')) // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
