# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Derive the demo catalogue from Pingshan's own 2018 appeal events.

    .venv/bin/python -m jiesu.demo.build_catalog                   # rewrite the outputs
    .venv/bin/python -m jiesu.demo.build_catalog --check           # exit 1 if they are stale
    .venv/bin/python -m jiesu.demo.build_catalog --events FILE     # another copy of the export

Input (read at build time only; CI never needs it):
  /work/shared/data/pingshan/events_2018.csv  (or $JIESU_PINGSHAN_EVENTS, or --events)
  jiesu/demo/data/unit_mapping.csv            raw 2018 DISPOSE_UNIT_NAME -> demo unit code
  jiesu/demo/data/units.csv                   the demo units (to know which are area bodies)
Outputs (committed):
  jiesu/demo/data/pingshan_catalogue.csv      the catalogue, in the catalogue import CSV format
  jiesu/demo/data/catalogue_derivation.csv    per leaf: events, the handlers seen and the shares

How each part is derived:
- The tree is EVENT_TYPE > MAIN_TYPE > SUB_TYPE, coded from the export's ids: P<type>,
  P<type>-<main>, P<type>-<main>-<sub>. Names are HTML-unescaped (one row spells 路灯(灯光)井盖 as
  路灯&#40;灯光&#41;井盖). A SUB_TYPE id belongs to the main type under which it occurs most; a
  row using it under another main type is moved to the leaf of the same name there, if any (one
  row files 其它无证经营 under id 602, which is 无照经营游商). A leaf used under two names takes the
  more frequent one (乱堆物堆料 over the early 乱堆物堆料、沿街晾挂); both go into the keywords.
- Lead: each event's DISPOSE_UNIT_NAME is mapped to a demo unit by unit_mapping.csv (an explicit
  table; spelling variants such as the "（…办事处）" suffix map to the same unit; a row may narrow a
  name to some MAIN_TYPE ids). Subdistrict-level bodies (街道办事处 and its 执法队, 市政服务中心,
  城管办, 社区 …) count as one "area" handler. The most frequent handler leads: the area handler
  gives lead mode area (属地, no fixed unit); a unit gives lead mode fixed with that unit. Events the
  command centre disposed of itself say nothing about the owner and are left out. A leaf with no
  other handler takes its middle category's (then its major category's) most frequent handler;
  only when none is left does the command centre (C00) lead.
- Assisting unit: the most frequent department or enterprise other than the lead, when it handled
  more than 20% of the leaf's events (and at least two).
- Default grade: A for immediate danger (A_LEAVES), B for safety hazards and water, power, gas
  failures (B_LEVEL1, B_WORDS), else C.
- Time limits: empty (the district defaults apply) except the realistic specific ones of
  DESIGN.md "Time limits in practice" in SPECIFIC_LIMITS.
- Plan 预案: one text per middle category from a template per major category (PLAN_TEMPLATES).
- Keywords: the parts of the leaf's name(s).
"""

import argparse
import csv
import html
import io
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from jiesu.catalog.columns import COLUMNS

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_EVENTS = Path("/work/shared/data/pingshan/events_2018.csv")
MAPPING_CSV = DATA / "unit_mapping.csv"
UNITS_CSV = DATA / "units.csv"
OUTPUT = DATA / "pingshan_catalogue.csv"
DERIVATION = DATA / "catalogue_derivation.csv"

# The catalogue file's headers, in the importer's order (one list: jiesu.catalog.columns).
HEADER = [column.header for column in COLUMNS]

AREA = "AREA"  # the subdistrict-level handler (属地)
IGNORED = "-"  # no handler, or a test unit
CENTRE = "C00"
ASSIST_SHARE = 0.20
ASSIST_MIN_EVENTS = 2
AREA_KINDS = {"subdistrict_office", "team", "community"}
ASSIST_KINDS = {"department", "enterprise"}

ACTIVE = "是"
KEYWORD_SEPARATOR = "；"
COUNT_FROM_RECEIPT = ""  # empty: the importer's default, counting from receipt (收到之日起)
COUNT_FROM_NEXT_DAY = "次日起"

# Immediate danger to life or property: grade A.
A_LEAVES = {
    "燃气管道破裂",
    "道路路面塌陷、凹陷",
    "道路塌陷、盖板坍塌",
    "易燃易爆危险品",
    "危险山塘、水库",
    "危房安全隐患",
    "粉尘涉爆隐患",
    "行道树倒压占路",
}
# Grade B: the whole safety class, and leaves about hazards or water, power and gas failures.
B_LEVEL1 = {"安全隐患"}
B_WORDS = (
    "隐患",
    "井盖",
    "供水",
    "自来水",
    "电力设施故障",
    "燃气",
    "水、电、气",
    "道路积水",
    "下水道",
    "塌陷",
    "交通信号",
    "偷排",
    "危险",
    "欠薪",
    "食品",
    "屠宰",
)

# Specific limits (DESIGN.md "Time limits in practice"); leaf name -> column -> limits text.
# Digital urban management counts in working hours; water, power and gas within 24 hours;
# complex matters 15 working days counted from the next day.
_URGENT_SUPPLY = {"签收时限": "*=1h", "联系时限": "*=2h", "办理时限": "*=24h"}
_COMPLEX = {"办理时限": "*=15wd", "计时起点": COUNT_FROM_NEXT_DAY}
SPECIFIC_LIMITS = {
    "暴露垃圾": {"签收时限": "*=1wh", "联系时限": "*=2wh", "办理时限": "*=4wh"},
    "道路保洁": {"签收时限": "*=1wh", "联系时限": "*=1wh", "办理时限": "*=2wh"},
    "道路遗撒": {"签收时限": "*=1wh", "联系时限": "*=1wh", "办理时限": "*=2wh"},
    "违法在建建筑": {"签收时限": "*=1wh", "联系时限": "*=2wh", "办理时限": "*=4wh"},
    "违法建设": {"签收时限": "*=1wh", "联系时限": "*=2wh", "办理时限": "*=4wh"},
    "供水设施故障": _URGENT_SUPPLY,
    "自来水管破裂": _URGENT_SUPPLY,
    "电力设施故障": _URGENT_SUPPLY,
    "小区水、电、气维修": _URGENT_SUPPLY,
    "房屋拆迁": _COMPLEX,
    "房屋征收": _COMPLEX,
    "安置补偿": _COMPLEX,
    "城中村改造": _COMPLEX,
    "业主委员会与物业管理公司的纠纷": _COMPLEX,
    "劳动关系纠纷": _COMPLEX,
    "医疗事故争议": _COMPLEX,
    # Consultations about schooling answered within 2 working days (Guangdong 2022).
    "学历学位学籍管理": {"办理时限": "consultation=2wd"},
    "教育资源配置": {"办理时限": "consultation=2wd"},
    "教育统筹管理": {"办理时限": "consultation=2wd"},
}
# Plans that need a sentence on top of their middle category's plan.
EXTRA_PLAN = {
    "违法在建建筑": "在建违法建筑须在4个工作小时内到场责令停工。",
    "违法建设": "在建的须在4个工作小时内到场责令停工。",
    "暴露垃圾": "暴露垃圾须在4个工作小时内清理完毕。",
    "道路保洁": "道路不洁须在2个工作小时内清扫干净。",
    "道路遗撒": "道路遗撒须在2个工作小时内清理干净，并追查遗撒车辆。",
}

# On-site classes: the result is shown with photographs; others by a written answer.
ON_SITE = {"安全隐患", "市容环卫", "市政设施", "环保水务", "社区管理", "专业事件采集"}

PLAN_TEMPLATES = {
    "安全隐患": "{l2}类诉求涉及公共安全：承办单位接单后立即核实现场，存在现实危险的先行设置警示、疏散人员并报告区应急管理局；隐患排除前每日跟进，办结时上传整改前后照片。",
    "治安维稳": "{l2}：涉及违法犯罪线索的转公安机关依法处理；矛盾纠纷先由属地街道、社区调解，调解不成的引导诉求人通过法律途径解决，并做好解释工作。",
    "环保水务": "{l2}：承办单位到场监测或核查，确认污染源（噪声源）及责任主体；违法的依法查处并责令整改，夜间噪声须在当晚或次日夜间复查，办结时附监测或复查记录。",
    "规土城建": "{l2}：核查项目审批、规划许可与用地手续；对在建违法建设第一时间制止并责令停工，涉及政策解释的由主管部门书面答复诉求人。",
    "市容环卫": "{l2}：属地执法队或市政服务中心到场处置，能当场整改的当场整改，需清运的安排清运；反复发生的纳入网格巡查重点，办结时上传处置前后对比照片。",
    "市政设施": "{l2}：确认设施权属单位并通知其维修；存在安全隐患的（井盖缺失、路面塌陷等）先行围蔽警示再组织修复，办结时上传修复后照片。",
    "交通运输": "{l2}：交通主管部门核实线路、站点或设施情况，需调整的纳入优化计划并告知诉求人预计时间；涉及交通违法的转交警部门处理。",
    "食药市监": "{l2}：市场监管部门核查经营主体资质与被投诉行为，违法的依法查处；消费纠纷先行组织调解，调解不成的告知诉求人其他救济途径。",
    "劳动社保": "{l2}：人力资源部门联系用人单位核查，欠薪类优先处置，必要时启动欠薪垫付或移送；劳动关系争议引导诉求人申请劳动仲裁。",
    "文体旅游": "{l2}：主管部门核实情况，涉及违法经营的依法查处，对政策、活动类诉求作出解释答复。",
    "教育卫生": "{l2}：主管部门核实学校、医疗机构或相关主体的情况，违规的责令整改；政策咨询按现行政策口径答复，医患纠纷引导通过医调委或法律途径解决。",
    "组织人事": "{l2}：主管部门核实后按现行政策答复，涉及个人信息的注意保密。",
    "党建群团": "{l2}：相关部门核实后答复，涉及违纪线索的按规定移送。",
    "党纪政纪": "{l2}：涉及工作人员作风、效能的，由所在单位核实并报区纪检监察部门；查实的依规处理，并将处理结果告知诉求人。",
    "民政服务": "{l2}：民政部门核实诉求人情况与政策条件，符合条件的指导办理，困难群众优先上门走访。",
    "统一战线": "{l2}：相关部门核实后答复诉求人。",
    "社区管理": "{l2}：属地社区工作站会同物业服务企业现场核查处置；物业纠纷由街道、社区组织业主与物业协商，必要时报住房和建设局指导。",
    "专业事件采集": "{l2}：采集员上报的事件按性质分拨主管部门或属地处置，办结时上传处置照片。",
}
FILING = "事发地在坪山区内，属于{l1}类事项，诉求人说明了具体地点和问题；与在办工单重复的并单处理。"
CLOSING_ON_SITE = "问题已现场处置，承办单位上传处置前后照片和办理说明，并已将结果告知诉求人。"
CLOSING_WRITTEN = "已对诉求作出明确处理或答复，承办单位上传书面办理结果，并已将结果告知诉求人。"


def clean_name(name: str) -> str:
    return html.unescape(name).strip()


def keyword_parts(*names: str) -> list[str]:
    parts: list[str] = []
    for name in names:
        for part in re.split(r"[、，,；;（）()&/]+", name):
            part = part.strip()
            if part and part not in parts:
                parts.append(part)
    return parts


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_units() -> dict[str, dict]:
    return {row["code"]: row for row in read_csv(UNITS_CSV)}


def read_mapping(units: dict[str, dict]):
    """{raw name: default code} and {(raw name, main type id): code}; checks every code."""
    default: dict[str, str] = {}
    narrowed: dict[tuple[str, str], str] = {}
    for row in read_csv(MAPPING_CSV):
        code = row["unit_code"].strip()
        if code not in units and code not in (AREA, IGNORED):
            raise SystemExit(
                f"unit_mapping.csv: unknown unit code {code!r} for {row['raw_name']!r}"
            )
        mains = [m for m in re.split(r"[;；\s]+", row["main_type_ids"].strip()) if m]
        if mains:
            for main in mains:
                narrowed[(row["raw_name"], main)] = code
        elif row["raw_name"] in default:
            raise SystemExit(f"unit_mapping.csv: {row['raw_name']!r} is mapped twice")
        else:
            default[row["raw_name"]] = code
    return default, narrowed


def handler_key(code: str, units: dict[str, dict]) -> str:
    """AREA for subdistrict-level bodies, else the unit code (or IGNORED)."""
    if code in (AREA, IGNORED):
        return code
    return AREA if units[code]["kind"] in AREA_KINDS else code


def build_tree(rows: list[dict]):
    """Normalise the three levels; returns (levels, leaf key of each row).

    levels: {"l1": {id: name}, "l2": {id: (l1 id, name)}, "l3": {(main id, sub id): names Counter}}.
    """
    l1: dict[str, str] = {}
    l2: dict[str, tuple[str, str]] = {}
    uses: Counter = Counter()  # (main id, sub id, name) -> rows
    for r in rows:
        l1[r["EVENT_TYPE_ID"]] = clean_name(r["EVENT_TYPE_NAME"])
        l2[r["MAIN_TYPE_ID"]] = (r["EVENT_TYPE_ID"], clean_name(r["MAIN_TYPE_NAME"]))
        uses[(r["MAIN_TYPE_ID"], r["SUB_TYPE_ID"], clean_name(r["SUB_TYPE_NAME"]))] += 1

    # Each sub id belongs to the main type where it is used most.
    per_sub: dict[str, Counter] = defaultdict(Counter)
    for (main, sub, _name), n in uses.items():
        per_sub[sub][main] += n
    owner = {
        sub: max(c.items(), key=lambda kv: (kv[1], -int(kv[0])))[0] for sub, c in per_sub.items()
    }

    def leaf_of(main: str, sub: str, name: str) -> tuple[str, str]:
        if owner[sub] == main:
            return (main, sub)
        # A stray use under another main type: the leaf of the same name there, if any.
        for (m, s, n), _count in sorted(uses.items()):
            if m == main and n == name and owner[s] == main:
                return (main, s)
        return (main, sub)

    leaves: dict[tuple[str, str], Counter] = defaultdict(Counter)
    remap: dict[tuple[str, str, str], tuple[str, str]] = {}
    for (main, sub, name), n in uses.items():
        key = leaf_of(main, sub, name)
        remap[(main, sub, name)] = key
        leaves[key][name] += n

    # Two leaves with the same name under one parent would clash: refuse rather than guess.
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for key, names in leaves.items():
        label = (key[0], leaf_name(names))
        if label in seen:
            raise SystemExit(f"two leaves named {label[1]!r} under main type {key[0]}")
        seen[label] = key
    return {"l1": l1, "l2": l2, "l3": leaves}, remap


def leaf_name(names: Counter) -> str:
    return max(names.items(), key=lambda kv: (kv[1], kv[0]))[0]


def owners(counts: Counter) -> Counter:
    """The handlers that say who owns a category: not the centre's own disposals, not blanks."""
    return Counter({k: v for k, v in counts.items() if k not in (IGNORED, CENTRE)})


def grade_for(l1_name: str, name: str) -> str:
    if name in A_LEAVES:
        return "A"
    if l1_name in B_LEVEL1 or any(word in name for word in B_WORDS):
        return "B"
    return "C"


def derive(rows: list[dict]):
    units = read_units()
    default_map, narrowed_map = read_mapping(units)
    unmapped = sorted({r["DISPOSE_UNIT_NAME"] for r in rows} - set(default_map))
    if unmapped:
        raise SystemExit(
            "unit_mapping.csv lacks these DISPOSE_UNIT_NAME values: " + ", ".join(unmapped)
        )
    levels, remap = build_tree(rows)

    handlers: dict[tuple[str, str], Counter] = defaultdict(Counter)
    raw_handlers: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in rows:
        key = remap[(r["MAIN_TYPE_ID"], r["SUB_TYPE_ID"], clean_name(r["SUB_TYPE_NAME"]))]
        raw = r["DISPOSE_UNIT_NAME"]
        code = narrowed_map.get((raw, r["MAIN_TYPE_ID"]), default_map[raw])
        raw_handlers[key][raw] += 1
        handlers[key][handler_key(code, units)] += 1

    middle_handlers: dict[str, Counter] = defaultdict(Counter)
    major_handlers: dict[str, Counter] = defaultdict(Counter)
    for (main, _sub), counts in handlers.items():
        middle_handlers[main].update(counts)
        major_handlers[levels["l2"][main][0]].update(counts)

    catalogue, derivation = [], []
    l1_names, l2s = levels["l1"], levels["l2"]
    for main, sub in sorted(levels["l3"], key=lambda k: (int(l2s[k[0]][0]), int(k[0]), int(k[1]))):
        l1_id, l2_name = l2s[main]
        l1_name = l1_names[l1_id]
        names = levels["l3"][(main, sub)]
        name = leaf_name(names)
        counts = handlers[(main, sub)]
        source, usable = "leaf", owners(counts)
        if not usable:
            source, usable = "middle", owners(middle_handlers[main])
        if not usable:
            source, usable = "major", owners(major_handlers[l1_id])
        total = sum(usable.values())
        ranked = sorted(usable.items(), key=lambda kv: (-kv[1], kv[0]))
        lead = ranked[0][0] if ranked else CENTRE
        if not ranked:
            source = "none"
        assist = ""
        for code, n in ranked:
            if code in (lead, AREA) or units[code]["kind"] not in ASSIST_KINDS:
                continue
            if n / total > ASSIST_SHARE and n >= ASSIST_MIN_EVENTS:
                assist = code
            break
        specific = SPECIFIC_LIMITS.get(name, {})
        plan = PLAN_TEMPLATES[l1_name].format(l2=l2_name) + EXTRA_PLAN.get(name, "")
        row = {
            "一级编码": f"P{l1_id}",
            "一级分类": l1_name,
            "二级编码": f"P{l1_id}-{main}",
            "二级分类": l2_name,
            "三级编码": f"P{l1_id}-{main}-{sub}",
            "三级分类": name,
            "启用": ACTIVE,
            "关键词": KEYWORD_SEPARATOR.join(keyword_parts(name, *sorted(names))),
            "主办方式": "area" if lead == AREA else "fixed",
            "主办单位": "" if lead == AREA else lead,
            "协办单位": assist,
            "默认等级": grade_for(l1_name, name),
            "计时起点": specific.get("计时起点", COUNT_FROM_RECEIPT),
            "签收时限": specific.get("签收时限", ""),
            "联系时限": specific.get("联系时限", ""),
            "办理时限": specific.get("办理时限", ""),
            "立案条件": FILING.format(l1=l1_name),
            "结案条件": CLOSING_ON_SITE if l1_name in ON_SITE else CLOSING_WRITTEN,
            "预案": plan,
        }
        catalogue.append(row)
        derivation.append(
            {
                "三级编码": row["三级编码"],
                "三级分类": name,
                "events": sum(counts.values()),
                "lead": lead,
                "lead_from": source,
                "lead_share": f"{ranked[0][1] / total:.2f}" if ranked else "",
                "assist": assist,
                "assist_share": f"{usable[assist] / total:.2f}" if assist else "",
                "handlers": "; ".join(f"{k}:{v}" for k, v in ranked),
                "raw_handlers": "; ".join(
                    f"{k}:{v}"
                    for k, v in sorted(
                        raw_handlers[(main, sub)].items(), key=lambda kv: (-kv[1], kv[0])
                    )
                ),
            }
        )
    return catalogue, derivation


def to_csv(rows: list[dict], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def events_path(cli_value: str | None) -> Path:
    if cli_value:
        return Path(cli_value)
    return Path(os.environ.get("JIESU_PINGSHAN_EVENTS", DEFAULT_EVENTS))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", help=f"the 2018 events CSV (default {DEFAULT_EVENTS})")
    parser.add_argument(
        "--check", action="store_true", help="only compare with the committed files"
    )
    args = parser.parse_args(argv)
    path = events_path(args.events)
    if not path.exists():
        print(f"{path} not found: the build needs the shared Pingshan data", file=sys.stderr)
        return 2
    catalogue, derivation = derive(read_csv(path))
    outputs = {
        OUTPUT: to_csv(catalogue, HEADER),
        DERIVATION: to_csv(derivation, list(derivation[0])),
    }
    if args.check:
        stale = [
            p
            for p, text in outputs.items()
            if not p.exists() or p.read_text(encoding="utf-8") != text
        ]
        for p in stale:
            print(f"{p} is stale: run python -m jiesu.demo.build_catalog", file=sys.stderr)
        return 1 if stale else 0
    for p, text in outputs.items():
        p.write_text(text, encoding="utf-8")
    modes = Counter(r["主办方式"] for r in catalogue)
    print(
        f"wrote {OUTPUT.name}: {len({r['一级编码'] for r in catalogue})} major, "
        f"{len({r['二级编码'] for r in catalogue})} middle, {len(catalogue)} leaf categories "
        f"(lead fixed {modes['fixed']}, area {modes['area']}); and {DERIVATION.name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
