# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The columns of a catalogue file (import, export and the demo catalogue's build alike).

Plain Python without Django, so that scripts which write catalogue files (jiesu.demo.build_catalog)
share the one list with the importer and the exporter (jiesu.catalog.fileformat).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str  # English name, accepted on import
    header: str  # Chinese header, written by export and accepted on import
    required: bool = False
    rule: bool = False  # belongs to the leaf's handling rule


COLUMNS = [
    Column("l1_code", "一级编码"),
    Column("l1_name", "一级分类", required=True),
    Column("l2_code", "二级编码"),
    Column("l2_name", "二级分类", required=True),
    Column("l3_code", "三级编码"),
    Column("l3_name", "三级分类", required=True),
    Column("active", "启用"),
    Column("keywords", "关键词"),
    Column("lead_mode", "主办方式", rule=True),
    Column("lead_unit", "主办单位", rule=True),
    Column("assisting_units", "协办单位", rule=True),
    Column("default_grade", "默认等级", rule=True),
    Column("count_from", "计时起点", rule=True),
    Column("sign_limits", "签收时限", rule=True),
    Column("contact_limits", "联系时限", rule=True),
    Column("handle_limits", "办理时限", rule=True),
    Column("filing_condition", "立案条件", rule=True),
    Column("closing_condition", "结案条件", rule=True),
    Column("plan", "预案", rule=True),
]
