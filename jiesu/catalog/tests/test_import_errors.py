# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Malformed files: every problem is reported with its row and column, and nothing changes."""

import pytest

from jiesu.catalog.importing import CatalogImportError, Problem, import_catalog
from jiesu.catalog.models import Category
from jiesu.catalog.tests.conftest import TEDDY_CSV, fingerprint
from jiesu.catalog.tests.test_import import full_rows

pytestmark = pytest.mark.django_db

NAMES = ["一级分类", "二级分类", "三级分类"]
CODES_AND_NAMES = ["一级编码", "一级分类", "二级编码", "二级分类", "三级编码", "三级分类"]


@pytest.fixture
def seeded(org, csv_file):
    """A catalogue with the Teddy tree and a few rules, so that 'unchanged' means something."""
    import_catalog(TEDDY_CSV)
    import_catalog(csv_file(full_rows(), name="seed.csv"))
    return fingerprint()


def problems_of(path):
    with pytest.raises(CatalogImportError) as info:
        import_catalog(path)
    return info.value.problems


def assert_rejected(path, before, *expected):
    """Each expected (row, column, reason fragment) is among the problems; nothing changed."""
    problems = problems_of(path)
    for row, column, fragment in expected:
        assert any(
            p.row == row and p.column == column and fragment in p.reason for p in problems
        ), f"no problem ({row}, {column}, {fragment!r}) in {problems}"
    assert fingerprint() == before
    return problems


class TestStructure:
    def test_missing_required_name(self, seeded, csv_file):
        path = csv_file([NAMES, ["大类", "中类", "小类"], ["大类", "", "小类2"], ["", "", ""]])
        problems = assert_rejected(path, seeded, (3, "二级分类", "name is required"))
        assert len(problems) == 1  # the blank row 4 is skipped, not an error

    def test_duplicate_leaf(self, seeded, csv_file):
        path = csv_file(
            [NAMES, ["大类", "中类", "小类"], ["大类", "中类", "别的"], ["大类", "中类", "小类"]]
        )
        assert_rejected(path, seeded, (4, "三级分类", "Duplicate leaf"))
        assert "row 2" in problems_of(path)[0].reason

    def test_code_used_for_two_paths_in_the_file(self, seeded, csv_file):
        path = csv_file(
            [
                CODES_AND_NAMES,
                ["50", "甲", "5001", "中", "5001001", "小"],
                ["50", "乙", "5001", "中", "5001001", "小"],
            ]
        )
        problems = assert_rejected(
            path,
            seeded,
            (3, "一级编码", "Code clash"),
            (3, "二级编码", "Code clash"),
            (3, "三级编码", "Code clash"),
        )
        assert "甲" in problems[0].reason and "row 2" in problems[0].reason

    def test_code_used_for_another_path_in_the_catalogue(self, seeded, csv_file):
        # 0101 is 城乡建设 > 安全生产 in the catalogue.
        path = csv_file(
            [CODES_AND_NAMES, ["90", "市容环境", "0101", "新中类", "0101999", "新小类"]]
        )
        problems = assert_rejected(path, seeded, (2, "二级编码", "Code clash"))
        assert "城乡建设 > 安全生产" in problems[0].reason

    def test_existing_path_with_another_code(self, seeded, csv_file):
        path = csv_file([CODES_AND_NAMES, ["77", "城乡建设", "", "安全生产", "", "事故处理"]])
        problems = assert_rejected(path, seeded, (2, "一级编码", "already exists with code 01"))
        assert len(problems) == 1

    def test_leaf_code_not_under_parent_code(self, seeded, csv_file):
        path = csv_file([CODES_AND_NAMES, ["60", "新大类", "6001", "新中类", "7001001", "新小类"]])
        assert_rejected(path, seeded, (2, "三级编码", "must begin with its parent's code 6001"))

    def test_same_category_with_two_codes(self, seeded, csv_file):
        path = csv_file(
            [
                CODES_AND_NAMES,
                ["60", "新大类", "6001", "新中类", "6001001", "甲"],
                ["61", "新大类", "6001", "新中类", "6001002", "乙"],
            ]
        )
        assert_rejected(path, seeded, (3, "一级编码", "differs from code 60"))

    def test_code_of_another_level(self, seeded, csv_file):
        # 01 is a major category; here it is given as a middle one.
        path = csv_file([CODES_AND_NAMES, ["90", "市容环境", "01", "中类", "", "小类"]])
        assert_rejected(path, seeded, (2, "二级编码", "Wrong level"))

    def test_code_with_spaces(self, seeded, csv_file):
        path = csv_file([CODES_AND_NAMES, ["6 0", "新大类", "", "新中类", "", "新小类"]])
        assert_rejected(path, seeded, (2, "一级编码", "without spaces"))

    def test_rename_onto_a_taken_name(self, seeded, csv_file):
        # 01 is 城乡建设; 环境保护 is another major category.
        path = csv_file([CODES_AND_NAMES, ["01", "环境保护", "", "安全生产", "", "事故处理"]])
        assert_rejected(path, seeded, (2, "一级分类", "name is taken"))


class TestReferences:
    def rule_rows(self, **cells):
        rows = full_rows()[:2]
        for index, value in cells.items():
            rows[1][int(index[1:])] = value
        return rows

    def test_unknown_units(self, seeded, csv_file):
        path = csv_file(self.rule_rows(c9="没有这个单位", c10="ZJ; 不存在局"))
        assert_rejected(
            path,
            seeded,
            (2, "主办单位", "Unknown unit 没有这个单位"),
            (2, "协办单位", "Unknown unit 不存在局"),
        )

    def test_ambiguous_unit_name(self, seeded, csv_file):
        from jiesu.org.models import Unit

        Unit.objects.create(code="SW2", name="区水务局", kind="department")
        before = fingerprint()
        path = csv_file(self.rule_rows(c10="区水务局"))
        assert_rejected(path, before, (2, "协办单位", "use the unit code"))

    def test_unknown_grade(self, seeded, csv_file):
        path = csv_file(self.rule_rows(c11="D"))
        assert_rejected(path, seeded, (2, "默认等级", "Unknown grade D"))

    def test_unknown_type_and_grade_in_limits(self, seeded, csv_file):
        path = csv_file(self.rule_rows(c15="*=3wd; 抱怨/C=5wd; complaint/Z=5wd; 某某=1wd"))
        assert_rejected(
            path,
            seeded,
            (2, "办理时限", "Unknown appeal type 抱怨"),
            (2, "办理时限", "Unknown grade Z"),
            (2, "办理时限", "Unknown grade or appeal type 某某"),
        )

    @pytest.mark.parametrize(
        "cell, fragment",
        [
            ("A30min", "expected selector=amount"),
            ("=3wd", "expected selector=amount"),
            ("A=", "whole number"),
            ("A=0min", "whole number"),
            ("A=-1h", "whole number"),
            ("A=1.5h", "whole number"),
            ("A=3weeks", "whole number"),
            ("A=3", "whole number"),
            ("A=100000h", "whole number"),
            ("A=1h; A=2h", "given twice"),
            ("*=1h; */*=2h", "given twice"),
        ],
    )
    def test_bad_limit_syntax(self, seeded, csv_file, cell, fragment):
        path = csv_file(self.rule_rows(c13=cell))
        assert_rejected(path, seeded, (2, "签收时限", fragment))

    @pytest.mark.parametrize(
        "index, column, value, fragment",
        [
            ("c6", "启用", "也许", "Expected 是/否"),
            ("c8", "主办方式", "轮流", "Expected 固定"),
            ("c12", "计时起点", "明天", "Expected 收到之日起"),
        ],
    )
    def test_bad_choice(self, seeded, csv_file, index, column, value, fragment):
        path = csv_file(self.rule_rows(**{index: value}))
        assert_rejected(path, seeded, (2, column, fragment))

    def test_area_mode_with_a_lead_unit(self, seeded, csv_file):
        path = csv_file(self.rule_rows(c8="属地"))
        assert_rejected(path, seeded, (2, "主办单位", "area mode"))

    def test_lead_unit_also_assisting(self, seeded, csv_file):
        path = csv_file(self.rule_rows(c10="CG"))
        assert_rejected(path, seeded, (2, "协办单位", "cannot also assist"))


class TestHeaders:
    def test_unknown_column(self, seeded, csv_file):
        path = csv_file([[*NAMES, "备注"], ["大类", "中类", "小类", "x"], ["大类", "", "乙", ""]])
        # Reported together with the rows' problems.
        assert_rejected(
            path, seeded, (1, "备注", "Unknown column"), (3, "二级分类", "name is required")
        )

    def test_missing_required_column(self, seeded, csv_file):
        path = csv_file([["一级分类", "三级分类"], ["大类", "小类"]])
        assert_rejected(path, seeded, (1, "二级分类", "Required column missing"))

    def test_column_twice(self, seeded, csv_file):
        path = csv_file([[*NAMES, "L1_NAME"], ["大类", "中类", "小类", "大类"]])
        assert_rejected(path, seeded, (1, "L1_NAME", "Column given twice"))
        path = csv_file([["l1_name", "二级分类", "三级分类", "一级分类"], ["大", "中", "小", "大"]])
        assert_rejected(path, seeded, (1, "一级分类", "also as l1_name"))

    def test_value_without_header(self, seeded, csv_file):
        path = csv_file([[*NAMES, ""], ["大类", "中类", "小类", ""], ["大类", "中类", "小2", "?"]])
        problems = assert_rejected(path, seeded, (3, "D", "without a header"))
        assert len(problems) == 1

    def test_more_cells_than_columns(self, seeded, csv_file):
        path = csv_file([NAMES, ["大类", "中类", "小类", "多余"]])
        assert_rejected(path, seeded, (2, None, "more cells"))


class TestFiles:
    def test_wrong_extension(self, seeded, tmp_path):
        for name in ("catalog.txt", "catalog.xls", "catalog"):
            path = tmp_path / name
            path.write_text("一级分类,二级分类,三级分类\n大类,中类,小类\n", encoding="utf-8")
            assert_rejected(path, seeded, (None, None, "Not a CSV or .xlsx file"))

    def test_missing_file(self, seeded, tmp_path):
        assert_rejected(tmp_path / "nothing.csv", seeded, (None, None, "Cannot read"))

    def test_empty_files(self, seeded, tmp_path):
        for content in (b"", b"  \n\n"):
            path = tmp_path / "empty.csv"
            path.write_bytes(content)
            assert_rejected(path, seeded, (None, None, "empty"))

    def test_empty_sheet(self, seeded, xlsx_file):
        assert_rejected(xlsx_file([]), seeded, (None, None, "sheet is empty"))

    def test_headers_only(self, seeded, csv_file, xlsx_file):
        assert_rejected(csv_file([NAMES]), seeded, (None, None, "no data rows"))
        assert_rejected(xlsx_file([NAMES]), seeded, (None, None, "no data rows"))

    def test_empty_header_row(self, seeded, csv_file):
        path = csv_file([["", "", ""], ["大类", "中类", "小类"]])
        assert_rejected(path, seeded, (1, None, "column headers"))

    def test_binary_csv(self, seeded, tmp_path):
        path = tmp_path / "catalog.csv"
        path.write_bytes(bytes(range(256)) * 4)
        assert_rejected(path, seeded, (None, None, "binary"))

    def test_workbook_named_csv(self, seeded, tmp_path, xlsx_file):
        workbook = xlsx_file([NAMES, ["大类", "中类", "小类"]])
        path = tmp_path / "catalog.csv"
        path.write_bytes(workbook.read_bytes())
        assert_rejected(path, seeded, (None, None, "name it .xlsx"))

    def test_csv_named_xlsx(self, seeded, tmp_path):
        path = tmp_path / "catalog.xlsx"
        path.write_text("一级分类,二级分类,三级分类\n大类,中类,小类\n", encoding="utf-8")
        assert_rejected(path, seeded, (None, None, "not an .xlsx workbook"))

    def test_damaged_xlsx(self, seeded, tmp_path, xlsx_file):
        data = xlsx_file([NAMES, ["大类", "中类", "小类"]]).read_bytes()
        path = tmp_path / "damaged.xlsx"
        path.write_bytes(data[: len(data) // 2])
        problems = assert_rejected(path, seeded)
        assert problems[0].row is None and "xlsx" in problems[0].reason

    def test_gbk_encoding(self, seeded, tmp_path):
        path = tmp_path / "gbk.csv"
        path.write_bytes("一级分类,二级分类,三级分类\n大类,中类,小类\n".encode("gbk"))
        assert_rejected(path, seeded, (1, None, "GBK"))

    def test_bad_bytes_reported_at_their_row(self, seeded, tmp_path):
        path = tmp_path / "bad.csv"
        good = "一级分类,二级分类,三级分类\n大类,中类,小类\n".encode()
        path.write_bytes(good + b"\xff\xfe\xfa,x,y\n")
        assert_rejected(path, seeded, (3, None, "not UTF-8"))

    def test_utf16(self, seeded, tmp_path):
        path = tmp_path / "utf16.csv"
        path.write_bytes("一级分类,二级分类,三级分类\n大类,中类,小类\n".encode("utf-16"))
        assert_rejected(path, seeded, (None, None, "UTF-16"))

    def test_malformed_quoting(self, seeded, tmp_path):
        path = tmp_path / "quotes.csv"
        path.write_text('一级分类,二级分类,三级分类\n大类,中类,小类\n大类,"中"类,小类\n')
        assert_rejected(path, seeded, (3, None, "Malformed CSV"))


class TestAllOrNothing:
    def test_all_problems_are_collected_and_good_rows_not_applied(self, seeded, csv_file):
        rows = [
            FULL := full_rows()[0],
            *full_rows()[1:],
            ["20", "新大类", "2001", "新中类", "2001001", "新小类"] + [""] * 13,
            ["", "无中类", "", "", "", "小类"] + [""] * 13,
        ]
        rows[1][9] = "不存在"
        rows[2][15] = "X=1"
        assert FULL[0] == "一级编码"
        problems = assert_rejected(
            csv_file(rows),
            seeded,
            (2, "主办单位", "Unknown unit"),
            (3, "办理时限", "Unknown grade or appeal type X"),
            (7, "二级分类", "required"),
        )
        assert [p.row for p in problems] == sorted(p.row for p in problems)
        assert not Category.objects.filter(code="20").exists()

    def test_xlsx_rows_are_numbered_as_in_the_spreadsheet(self, seeded, xlsx_file):
        path = xlsx_file(
            [NAMES, ["大类", "中类", "小类"], [None, None, None], ["大类", None, "乙"]]
        )
        assert_rejected(path, seeded, (4, "二级分类", "required"))

    def test_problem_text(self):
        assert (
            str(Problem(5, "主办单位", "Unknown unit X."))
            == "row 5, column 主办单位: Unknown unit X."
        )
        assert str(Problem(None, None, "The file is empty.")) == "file: The file is empty."
        error = CatalogImportError([(2, "a", "b"), (3, None, "c")])
        assert error.problems[0] == (2, "a", "b")
        assert "row 3: c" in str(error)


class TestCodesExcelHoldsAsNumbers:
    """Excel stores a code typed as 0101 in a number cell as 101. The defect: such codes were
    imported as shown, silently (new categories 9/901/… beside the catalogue's 09/0901/…)."""

    def test_a_code_that_lost_its_leading_zeros_is_refused(self, seeded, xlsx_file):
        assert Category.objects.filter(level=2, code__startswith="0").exists()
        path = xlsx_file([CODES_AND_NAMES, ["09", "新大类", 901, "新中类", "0901001", "新小类"]])
        problems = assert_rejected(path, seeded, (2, "二级编码", "holds the code 901 as a number"))
        assert len(problems) == 1, problems
        assert "Format the code columns as text" in problems[0].reason

    def test_numbers_that_lost_nothing_are_taken_as_shown(self, org, xlsx_file):
        # No code of any level begins with 0, in the file or the catalogue.
        import_catalog(xlsx_file([CODES_AND_NAMES, [9, "大类", 901, "中类", 901001, "小类"]]))
        assert set(Category.objects.values_list("code", flat=True)) == {"9", "901", "901001"}

    def test_a_zero_padded_number_format_keeps_the_zeros(self, seeded, tmp_path):
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(CODES_AND_NAMES)
        sheet.append([98, "新大类", 9801, "新中类", 9801001, "新小类"])
        for cell, width in zip(sheet[2][::2], (2, 4, 7), strict=True):
            cell.value = int(cell.value) % 10 ** (width - 1)  # 8, 801, 801001: zeros dropped
            cell.number_format = "0" * width  # … and shown padded, as 08, 0801, 0801001
        path = tmp_path / "padded.xlsx"
        workbook.save(path)
        import_catalog(path)
        leaf = Category.objects.get(name="新小类")
        assert (leaf.code, leaf.parent.code, leaf.parent.parent.code) == (
            "0801001",
            "0801",
            "08",
        )
