# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Import the whole catalogue from a CSV or .xlsx file.

The file is validated as a whole first, every problem collected with its row and column;
only a file without problems is applied, in one transaction. Categories that are not in the
file are left as they are. See docs/guide/catalogue.md for the format.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiesu.catalog.fileformat import (
    COLUMNS,
    COLUMNS_BY_KEY,
    COUNT_FROM_WORDS,
    HEADER_ALIASES,
    LEAD_MODE_WORDS,
    LEVEL_COLUMNS,
    LIMIT_COLUMNS,
    LIMIT_SEPARATORS,
    RULE_KEYS,
    CatalogImportError,
    NumberCell,
    Problem,
    _header_key,
    column_letter,
    parse_amount,
    parse_bool,
    read_table,
    split_list,
)
from jiesu.catalog.models import (
    AppealType,
    Category,
    Grade,
    HandlingRule,
    TimeLimit,
)
from jiesu.catalog.services import _record_version
from jiesu.org.models import Unit, User

__all__ = ["CatalogImportError", "ImportResult", "Problem", "import_catalog"]

#: Digits appended to the parent's code when a code is generated, per level.
CODE_WIDTH = {1: 2, 2: 2, 3: 3}
CODE_RE = re.compile(r"^\S{1,32}$")
NAME_MAX: int = Category._meta.get_field("name").max_length or 0
if not NAME_MAX:
    raise TypeError("Category.name has no max_length")


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    rows: int = 0
    created: int = 0  # categories, all levels
    updated: int = 0
    unchanged: int = 0
    rules_created: int = 0
    rules_updated: int = 0
    rules_unchanged: int = 0
    versions_recorded: int = 0
    dry_run: bool = False

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.rules_created + self.rules_updated

    def summary(self) -> str:
        text = _(
            "%(rows)s rows: categories %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged; rules %(rules_created)s created, %(rules_updated)s "
            "updated, %(rules_unchanged)s unchanged; %(versions)s rule versions recorded."
        ) % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rules_created": self.rules_created,
            "rules_updated": self.rules_updated,
            "rules_unchanged": self.rules_unchanged,
            "versions": self.versions_recorded,
        }
        if self.dry_run:
            text += " " + _("Dry run: nothing was saved.")
        return text


@dataclass(eq=False)
class _Node:
    """A category as the file describes it, identified by its path of names."""

    level: int
    name: str
    parent: _Node | None
    row: int  # first row that mentions it
    code: str | None = None  # given in the file
    code_row: int | None = None
    existing: Category | None = None
    final_code: str | None = None
    failed: bool = False
    # Leaf only
    leaf_row: _LeafRow | None = None

    @property
    def leaf(self) -> _LeafRow:
        """The row of a leaf (every node in `_Importer.leaves` has one)."""
        if self.leaf_row is None:
            raise ValueError(f"{self.path} is not a leaf")
        return self.leaf_row

    @property
    def resolved_code(self) -> str:
        """The code the category will have (set for every node that has not failed)."""
        if self.final_code is None:
            raise ValueError(f"{self.path} has no code")
        return self.final_code

    @property
    def saved(self) -> Category:
        """The stored category (every node has one once `apply_category` has run)."""
        if self.existing is None:
            raise ValueError(f"{self.path} is not saved")
        return self.existing

    @property
    def path(self) -> str:
        names = []
        node: _Node | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))


@dataclass(eq=False)
class _LeafRow:
    row: int
    active: bool | None = None  # None: column absent
    keywords: str | None = None
    rule: dict[str, Any] = field(default_factory=dict)  # only columns present in the file
    rule_cells_empty: bool = True


class _Importer:
    def __init__(self, table, user=None):
        self.table = table
        self.user = user
        self.problems: list[Problem] = []
        self.columns: dict[str, int] = {}  # key -> index
        self.header_of: dict[str, str] = {}  # key -> header as written
        self.unnamed: list[int] = []
        self.majors: dict[str, _Node] = {}
        self.nodes_by_level: dict[int, list[_Node]] = {1: [], 2: [], 3: []}
        self.children: dict[_Node | None, dict[str, _Node]] = {}
        self.given_codes: dict[str, _Node] = {}
        self.leaves: list[_Node] = []
        # Codes read from workbook cells holding numbers: (row, column key, level, code).
        self.numeric_codes: list[tuple[int, str, int, str]] = []
        # The longest code of each level given as text beginning with 0 (a number cannot).
        self.zero_led: dict[int, str] = {}

    def problem(self, row, key, reason):
        """Record a problem in the column with this key (shown with the file's header)."""
        column = self.header_of.get(key, COLUMNS_BY_KEY[key].header) if key else None
        self.problems.append(Problem(row, column, reason))

    def problem_at(self, row, label, reason):
        """Record a problem in a column named as the file names it (or by its letter)."""
        self.problems.append(Problem(row, label, reason))

    # --- reference data --------------------------------------------------------------

    def load_reference(self):
        self.units = list(Unit.objects.all())
        self.units_by_code = {u.code: u for u in self.units}
        self.units_by_name: dict[str, list[Unit]] = {}
        self.units_by_short: dict[str, list[Unit]] = {}
        for unit in self.units:
            self.units_by_name.setdefault(unit.name, []).append(unit)
            if unit.short_name:
                self.units_by_short.setdefault(unit.short_name, []).append(unit)
        self.grades = {g.code.casefold(): g for g in Grade.objects.all()}
        self.types_by_code = {t.code.casefold(): t for t in AppealType.objects.all()}
        self.types_by_name = {t.name: t for t in self.types_by_code.values()}
        self.categories = list(Category.objects.all())
        self.cat_by_code = {c.code: c for c in self.categories}
        self.cat_by_id = {c.pk: c for c in self.categories}
        self.cat_by_parent_name = {(c.parent_id, c.name): c for c in self.categories}

    def cat_path(self, category: Category) -> str:
        names = []
        node: Category | None = category
        while node is not None:
            names.append(node.name)
            node = self.cat_by_id.get(node.parent_id) if node.parent_id else None
        return " > ".join(reversed(names))

    # --- headers --------------------------------------------------------------------

    def read_headers(self):
        for index, header in enumerate(self.table.headers):
            if not header.strip():
                self.unnamed.append(index)
                continue
            key = HEADER_ALIASES.get(_header_key(header))
            if key is None:
                self.problem_at(
                    1,
                    header,
                    _("Unknown column. Known columns: %(columns)s.")
                    % {"columns": ", ".join(c.header for c in COLUMNS)},
                )
            elif key in self.columns:
                self.problem_at(
                    1,
                    header,
                    _("Column given twice (also as %(other)s).") % {"other": self.header_of[key]},
                )
            else:
                self.columns[key] = index
                self.header_of[key] = header
        for column in COLUMNS:
            if column.required and column.key not in self.columns:
                self.problems.append(
                    Problem(
                        1,
                        column.header,
                        _("Required column missing (%(header)s or %(key)s).")
                        % {"header": column.header, "key": column.key},
                    )
                )
        self.has_rules = any(key in self.columns for key in RULE_KEYS)

    # --- rows -----------------------------------------------------------------------

    def cell(self, cells: list[str], key: str) -> str | None:
        index = self.columns.get(key)
        if index is None:
            return None
        return cells[index] if index < len(cells) else ""

    def read_rows(self):
        width = len(self.table.headers)
        for number, cells in self.table.rows:
            for index in self.unnamed:
                if index < len(cells) and cells[index]:
                    self.problem_at(
                        number, column_letter(index), _("A value in a column without a header.")
                    )
            if len(cells) > width and any(cells[width:]):
                self.problem(
                    number,
                    None,
                    _("The row has more cells than the header has columns (%(count)s).")
                    % {"count": width},
                )
            self.read_row(number, cells)

    def note_zero_led(self, level: int, code: str) -> None:
        if code.startswith("0") and len(code) > len(self.zero_led.get(level, "")):
            self.zero_led[level] = code

    def read_row(self, number, cells):
        names: list[tuple[str, str, str]] = []
        for level, (code_key, name_key) in enumerate(LEVEL_COLUMNS, start=1):
            name = self.cell(cells, name_key) or ""
            code = self.cell(cells, code_key) or ""
            if not name:
                self.problem(number, name_key, _("A name is required."))
            elif len(name) > NAME_MAX:
                self.problem(
                    number, name_key, _("Longer than %(max)s characters.") % {"max": NAME_MAX}
                )
                name = ""
            if code and not CODE_RE.match(code):
                self.problem(number, code_key, _("A code is 1 to 32 characters without spaces."))
                code = ""
            if code and isinstance(code, NumberCell):
                self.numeric_codes.append((number, code_key, level, code))
            else:
                self.note_zero_led(level, code)
            names.append((name, code, code_key))
        leaf_row = self.read_leaf_cells(number, cells)
        if not all(name for name, _code, _key in names):
            return
        parent: _Node | None = None
        for level, (name, code, code_key) in enumerate(names, start=1):
            siblings = self.children.setdefault(parent, {})
            node = siblings.get(name)
            if node is None:
                node = _Node(level=level, name=name, parent=parent, row=number)
                siblings[name] = node
                self.nodes_by_level[level].append(node)
            elif level == 3:
                self.problem(
                    number,
                    "l3_name",
                    _("Duplicate leaf: %(path)s is already in row %(row)s.")
                    % {"path": node.path, "row": node.row},
                )
                return
            if code:
                self.note_code(node, code, code_key, number)
            parent = node
        if parent is not None:  # always: there are three levels
            parent.leaf_row = leaf_row
            self.leaves.append(parent)

    def note_code(self, node, code, code_key, number):
        if node.code is not None and node.code != code:
            self.problem(
                number,
                code_key,
                _("Code %(code)s differs from code %(other)s given for %(path)s in row %(row)s.")
                % {"code": code, "other": node.code, "path": node.path, "row": node.code_row},
            )
            return
        owner = self.given_codes.get(code)
        if owner is not None and owner is not node:
            self.problem(
                number,
                code_key,
                _("Code clash: %(code)s is already used for %(path)s in row %(row)s.")
                % {"code": code, "path": owner.path, "row": owner.code_row},
            )
            return
        if node.code is None:
            node.code = code
            node.code_row = number
            self.given_codes[code] = node

    def check_numeric_codes(self):
        """A code Excel holds as a number has lost its leading zeros (0101 is stored as 101).
        Where codes of the same level begin with 0 (in the file's text cells or in the
        catalogue), such a code is refused with the way to fix it; elsewhere it is taken as
        shown."""
        if not self.numeric_codes:
            return
        for category in self.categories:
            self.note_zero_led(category.level, category.code)
        for row, key, level, code in self.numeric_codes:
            example = self.zero_led.get(level)
            # 10 beside 01 lost nothing; 101 beside 0102 did.
            if example is not None and len(code) < len(example):
                node = self.given_codes.get(code)
                if node is not None:
                    node.failed = True  # one problem for it, not the clashes that follow
                self.problem(
                    row,
                    key,
                    _(
                        "The workbook holds the code %(code)s as a number, so Excel dropped "
                        "its leading zeros (other codes of this level begin with 0, e.g. "
                        "%(example)s). Format the code columns as text and type the codes "
                        "again."
                    )
                    % {"code": code, "example": example},
                )

    def read_leaf_cells(self, number: int, cells: list[str]) -> _LeafRow:
        leaf = _LeafRow(row=number)
        active = self.cell(cells, "active")
        if active is not None:
            if active == "":
                leaf.active = True
            else:
                leaf.active = parse_bool(active)
                if leaf.active is None:
                    self.problem(number, "active", _("Expected 是/否 (yes/no, true/false, 1/0)."))
        leaf.keywords = self.cell(cells, "keywords")
        if self.has_rules:
            leaf.rule_cells_empty = not any(self.cell(cells, key) for key in RULE_KEYS)
            self.read_rule_cells(number, cells, leaf.rule)
        return leaf

    def read_rule_cells(self, number, cells, rule):
        value = self.cell(cells, "lead_mode")
        if value is not None:
            mode = LEAD_MODE_WORDS.get(value.casefold()) if value else HandlingRule.LeadMode.FIXED
            if mode is None:
                self.problem(number, "lead_mode", _("Expected 固定 (fixed) or 属地 (area)."))
            rule["lead_mode"] = mode
        value = self.cell(cells, "lead_unit")
        if value is not None:
            rule["lead_unit"] = self.find_unit(number, "lead_unit", value) if value else None
        value = self.cell(cells, "assisting_units")
        if value is not None:
            units = []
            for name in split_list(value):
                unit = self.find_unit(number, "assisting_units", name)
                if unit is not None and unit not in units:
                    units.append(unit)
            rule["assisting_units"] = units
        value = self.cell(cells, "default_grade")
        if value is not None:
            grade = None
            if value:
                grade = self.grades.get(value.casefold())
                if grade is None:
                    self.problem(
                        number,
                        "default_grade",
                        _("Unknown grade %(value)s (grades: %(codes)s).")
                        % {"value": value, "codes": self.grade_codes()},
                    )
            rule["default_grade"] = grade
        value = self.cell(cells, "count_from")
        if value is not None:
            start = COUNT_FROM_WORDS.get(value.casefold()) if value else None
            if value and start is None:
                self.problem(
                    number,
                    "count_from",
                    _("Expected 收到之日起 (receipt) or 次日起 (next_day)."),
                )
            rule["count_from"] = start or HandlingRule.CountFrom.RECEIPT
        for clock, key in LIMIT_COLUMNS.items():
            value = self.cell(cells, key)
            if value is not None:
                rule.setdefault("limits", {})[str(clock)] = self.parse_limits(number, key, value)
        for key in ("filing_condition", "closing_condition", "plan"):
            value = self.cell(cells, key)
            if value is not None:
                rule[key] = value

    def grade_codes(self) -> str:
        return ", ".join(sorted(g.code for g in self.grades.values()))

    def find_unit(self, number: int, key: str, text: str) -> Unit | None:
        unit = self.units_by_code.get(text)
        if unit is not None:
            return unit
        for index in (self.units_by_name, self.units_by_short):
            matches = index.get(text, [])
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                self.problem(
                    number,
                    key,
                    _("Several units are called %(name)s; use the unit code.") % {"name": text},
                )
                return None
        self.problem(number, key, _("Unknown unit %(name)s.") % {"name": text})
        return None

    def find_type(self, text: str) -> AppealType | None:
        return self.types_by_code.get(text.casefold()) or self.types_by_name.get(text)

    def parse_limits(self, number: int, key: str, text: str) -> dict[tuple, tuple[int, str]]:
        """Parse `selector=amount; ...` into {(type, grade): (amount, unit)}."""
        limits: dict[tuple, tuple[int, str]] = {}
        for entry in LIMIT_SEPARATORS.split(text):
            entry = entry.strip()
            if not entry:
                continue
            selector, sep, amount_text = entry.replace("＝", "=").partition("=")
            selector = selector.strip()
            if not sep or not selector:
                self.problem(
                    number,
                    key,
                    _("%(entry)s: expected selector=amount, e.g. A=30min or *=3wd.")
                    % {"entry": entry},
                )
                continue
            target = self.parse_selector(number, key, selector)
            amount = parse_amount(amount_text)
            if amount is None:
                self.problem(
                    number,
                    key,
                    _(
                        "%(entry)s: the amount must be a whole number from 1 to 99999 "
                        "followed by min, h, d, wh or wd."
                    )
                    % {"entry": entry},
                )
                continue
            if target is None:
                continue
            if target in limits:
                self.problem(
                    number, key, _("%(selector)s is given twice.") % {"selector": selector}
                )
                continue
            limits[target] = amount
        return limits

    def parse_selector(self, number: int, key: str, selector: str) -> tuple | None:
        if selector == "*":
            return (None, None)
        if "/" in selector:
            type_text, _sep, grade_text = (s.strip() for s in selector.partition("/"))
            appeal_type = grade = None
            ok = True
            if type_text != "*":
                appeal_type = self.find_type(type_text)
                if appeal_type is None:
                    ok = False
                    self.problem(
                        number,
                        key,
                        _("Unknown appeal type %(value)s.") % {"value": type_text},
                    )
            if grade_text != "*":
                grade = self.grades.get(grade_text.casefold())
                if grade is None:
                    ok = False
                    self.problem(
                        number,
                        key,
                        _("Unknown grade %(value)s (grades: %(codes)s).")
                        % {"value": grade_text, "codes": self.grade_codes()},
                    )
            return (appeal_type, grade) if ok else None
        grade = self.grades.get(selector.casefold())
        appeal_type = self.find_type(selector)
        if grade is not None and appeal_type is not None:
            self.problem(
                number,
                key,
                _("%(value)s is both a grade and an appeal type; write type/* or */grade.")
                % {"value": selector},
            )
            return None
        if grade is not None:
            return (None, grade)
        if appeal_type is not None:
            return (appeal_type, None)
        self.problem(
            number,
            key,
            _("Unknown grade or appeal type %(value)s.") % {"value": selector},
        )
        return None

    # --- resolving against the database ----------------------------------------------

    def resolve(self):
        self.taken = set(self.cat_by_code) | set(self.given_codes)
        for level in (1, 2, 3):
            for node in self.nodes_by_level[level]:
                self.resolve_node(node)

    def code_column(self, node: _Node) -> str:
        return LEVEL_COLUMNS[node.level - 1][0]

    def name_column(self, node: _Node) -> str:
        return LEVEL_COLUMNS[node.level - 1][1]

    def resolve_node(self, node: _Node) -> None:
        if node.failed:
            return
        parent = node.parent
        if parent is not None and parent.failed:
            node.failed = True
            return
        parent_cat = parent.existing if parent is not None else None
        parent_is_new = parent is not None and parent_cat is None
        parent_id = parent_cat.pk if parent_cat is not None else None
        if node.code is not None:
            cat = self.cat_by_code.get(node.code)
            if cat is not None:
                if cat.level != node.level:
                    node.failed = True
                    self.problem(
                        node.code_row,
                        self.code_column(node),
                        _(
                            "Wrong level: code %(code)s is a level-%(level)s category in "
                            "the catalogue (%(path)s)."
                        )
                        % {"code": node.code, "level": cat.level, "path": self.cat_path(cat)},
                    )
                    return
                if parent_is_new or cat.parent_id != parent_id:
                    node.failed = True
                    self.problem(
                        node.code_row,
                        self.code_column(node),
                        _("Code clash: %(code)s belongs to %(path)s in the catalogue.")
                        % {"code": node.code, "path": self.cat_path(cat)},
                    )
                    return
                other = self.cat_by_parent_name.get((parent_id, node.name))
                if other is not None and other.pk != cat.pk:
                    node.failed = True
                    self.problem(
                        node.code_row,
                        self.name_column(node),
                        _(
                            "Cannot rename %(code)s to %(name)s: that name is taken by "
                            "%(other)s under the same parent."
                        )
                        % {"code": node.code, "name": node.name, "other": other.code},
                    )
                    return
                node.existing = cat
                node.final_code = cat.code
                return
            if not parent_is_new:
                same = self.cat_by_parent_name.get((parent_id, node.name))
                if same is not None:
                    node.failed = True
                    self.problem(
                        node.code_row,
                        self.code_column(node),
                        _("Code clash: %(path)s already exists with code %(other)s.")
                        % {"path": node.path, "other": same.code},
                    )
                    return
            if parent is not None and not node.code.startswith(parent.resolved_code):
                node.failed = True
                self.problem(
                    node.code_row,
                    self.code_column(node),
                    _("Code %(code)s must begin with its parent's code %(parent)s.")
                    % {"code": node.code, "parent": parent.final_code},
                )
                return
            node.final_code = node.code
            return
        if not parent_is_new:
            same = self.cat_by_parent_name.get((parent_id, node.name))
            if same is not None:
                if same.level != node.level:  # only possible with inconsistent stored data
                    node.failed = True
                    self.problem(
                        node.row,
                        self.name_column(node),
                        _("Wrong level: %(path)s is a level-%(level)s category.")
                        % {"path": node.path, "level": same.level},
                    )
                    return
                node.existing = same
                node.final_code = same.code
                return
        code = self.next_code(parent.resolved_code if parent is not None else "", node.level)
        if code is None:
            node.failed = True
            self.problem(
                node.row,
                self.code_column(node),
                _("No free code left for %(path)s; give the codes in the file.")
                % {"path": node.path},
            )
            return
        node.final_code = code
        self.taken.add(code)

    def next_code(self, prefix: str, level: int) -> str | None:
        """The parent's code plus the next number after the highest one in use.

        When that runs past the last number (e.g. 99), the first unused number is taken.
        """
        width = CODE_WIDTH[level]
        pattern = re.compile(re.escape(prefix) + rf"(\d{{{width}}})$")
        numbers = {int(m.group(1)) for code in self.taken if (m := pattern.match(code))}
        candidates = range(max(numbers, default=0) + 1, 10**width)
        for number in itertools.chain(candidates, range(1, 10**width)):
            code = f"{prefix}{number:0{width}d}"
            if number not in numbers and code not in self.taken:
                return code
        return None

    def check_rules(self):
        """Checks that need the stored rule: the effective lead mode and units."""
        self.rules = {
            r.category_id: r
            for r in HandlingRule.objects.select_related(
                "lead_unit", "default_grade"
            ).prefetch_related("assisting_units", "time_limits")
        }
        for node in self.leaves:
            leaf = node.leaf
            data = leaf.rule
            if not self.has_rules or node.failed:
                continue
            stored = self.rules.get(node.existing.pk) if node.existing else None
            if stored is None and leaf.rule_cells_empty:
                continue
            mode = data.get("lead_mode", stored.lead_mode if stored else "fixed")
            lead = data.get("lead_unit", stored.lead_unit if stored else None)
            if mode == HandlingRule.LeadMode.AREA and lead is not None:
                self.problem(
                    leaf.row,
                    "lead_unit" if "lead_unit" in self.columns else "lead_mode",
                    _(
                        "In area mode (属地) the lead unit comes from the appeal's region; "
                        "leave the lead unit empty."
                    ),
                )
            if "assisting_units" in data:
                assisting = data["assisting_units"]
            else:
                assisting = list(stored.assisting_units.all()) if stored else []
            if lead is not None and lead in assisting:
                self.problem(
                    leaf.row,
                    "assisting_units",
                    _("%(unit)s is the lead unit and cannot also assist.") % {"unit": lead.name},
                )

    # --- applying -------------------------------------------------------------------

    def apply(self, result: ImportResult) -> None:
        for level in (1, 2, 3):
            for node in self.nodes_by_level[level]:
                self.apply_category(node, result)
        if self.has_rules:
            for node in self.leaves:
                self.apply_rule(node, result)

    def apply_category(self, node: _Node, result: ImportResult) -> None:
        leaf = node.leaf_row if node.level == 3 else None
        cat = node.existing
        if cat is None:
            cat = Category(
                code=node.resolved_code,
                name=node.name,
                level=node.level,
                parent=node.parent.existing if node.parent else None,
            )
            if leaf is not None:
                if leaf.active is not None:
                    cat.active = leaf.active
                if leaf.keywords is not None:
                    cat.keywords = leaf.keywords
            cat.save()
            node.existing = cat
            result.created += 1
            return
        changed = []
        if cat.name != node.name:
            cat.name = node.name
            changed.append("name")
        if leaf is not None:
            if leaf.active is not None and cat.active != leaf.active:
                cat.active = leaf.active
                changed.append("active")
            if leaf.keywords is not None and cat.keywords != leaf.keywords:
                cat.keywords = leaf.keywords
                changed.append("keywords")
        if changed:
            cat.save(update_fields=changed)
            result.updated += 1
        else:
            result.unchanged += 1

    def apply_rule(self, node: _Node, result: ImportResult) -> None:
        leaf = node.leaf
        data = leaf.rule
        rule = self.rules.get(node.saved.pk)
        if rule is None and leaf.rule_cells_empty:
            return
        created = rule is None
        if rule is None:
            rule = HandlingRule(category=node.saved)
        changed = False
        for key in (
            "lead_mode",
            "lead_unit",
            "default_grade",
            "count_from",
            "filing_condition",
            "closing_condition",
            "plan",
        ):
            if key in data and getattr(rule, key) != data[key]:
                setattr(rule, key, data[key])
                changed = True
        if created or changed:
            rule.save()
        if "assisting_units" in data:
            wanted = {u.pk for u in data["assisting_units"]}
            have = set() if created else {u.pk for u in rule.assisting_units.all()}
            if wanted != have:
                rule.assisting_units.set(wanted)
                changed = True
        for clock, limits in data.get("limits", {}).items():
            wanted_limits = {
                (t.pk if t else None, g.pk if g else None, amount, unit)
                for (t, g), (amount, unit) in limits.items()
            }
            have_limits = (
                set()
                if created
                else {
                    (lim.appeal_type_id, lim.grade_id, lim.amount, lim.unit)
                    for lim in rule.time_limits.all()
                    if lim.clock == clock
                }
            )
            if wanted_limits != have_limits:
                rule.time_limits.filter(clock=clock).delete()
                TimeLimit.objects.bulk_create(
                    TimeLimit(
                        rule=rule,
                        clock=clock,
                        appeal_type_id=t,
                        grade_id=g,
                        amount=amount,
                        unit=unit,
                    )
                    for t, g, amount, unit in sorted(
                        wanted_limits, key=lambda e: (e[0] or 0, e[1] or 0)
                    )
                )
                changed = True
        # The prefetched limits and units are stale now; the snapshot must read the database.
        getattr(rule, "_prefetched_objects_cache", {}).clear()
        if created:
            result.rules_created += 1
        elif changed:
            result.rules_updated += 1
        else:
            result.rules_unchanged += 1
        _version, recorded = _record_version(rule, self.user)
        if recorded:
            result.versions_recorded += 1

    # --- driver ---------------------------------------------------------------------

    def run(self, dry_run: bool) -> ImportResult:
        self.load_reference()
        self.read_headers()
        if any(c.required and c.key not in self.columns for c in COLUMNS):
            # Without the names the rows cannot be checked; unknown or repeated columns
            # are reported together with the rows' problems.
            raise CatalogImportError(self.problems)
        self.read_rows()
        self.check_numeric_codes()
        self.resolve()
        self.check_rules()
        if self.problems:
            self.problems.sort(key=lambda p: p.row or 0)
            raise CatalogImportError(self.problems)
        result = ImportResult(rows=len(self.table.rows), dry_run=dry_run)
        self.apply(result)
        return result


def import_catalog(
    path: str | Path, user: User | None = None, dry_run: bool = False
) -> ImportResult:
    """Import a catalogue file (.csv or .xlsx); see docs/guide/catalogue.md.

    Raises `CatalogImportError` listing every problem found; then nothing is changed.
    With `dry_run`, everything is checked and counted but nothing is saved.
    """
    table = read_table(path)
    with transaction.atomic():
        result = _Importer(table, user=user).run(dry_run)
        if dry_run:
            transaction.set_rollback(True)
    return result
