# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A simulated district: appeals driven through realistic lives on a virtual clock.

`simulate(appeals=N, days=D, seed=S)` files N appeals spread over the D days before `end`
(default: now), and plays every step of their lives through the real workflow functions at
plausible simulated times: registration, rejection, merging, direct answers, dispatch, sign-for,
first contact, returns, extensions, late units, completion, review, send-backs, return visits,
reopening. Steps that would fall after `end` are left undone, so the last days hold appeals at
every stage. The periodic SLA sweep runs on the same virtual clock. Deterministic for a given
seed and starting database.

It is the demo's history and the benchmark's load. It needs an organisation with units and a
catalogue (`seed_demo`); it adds one simulated handler and leader per unit that lacks them
(accounts without a usable password).

Appeal texts are templated sentences naming the leaf category, unless `texts` gives real ones:
a CSV file (columns `category_code`, `title`, `text`; the demo's is
jiesu/demo/data/text_category_map.csv) or a mapping of leaf code to (title, text) pairs. Then
each appeal draws its leaf among the leaves that have texts and one of that leaf's texts.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jiesu.appeals import timesource, workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.models import Appeal, Clock
from jiesu.appeals.states import Status
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.org.models import Region, Unit, User, UserRole
from jiesu.org.roles import Role

# Channel mix of Pingshan's 2018 events (shared/data/pingshan/events_2018.csv).
CHANNELS = [
    ("wechat_pingshan", 3159),
    ("beautiful_shenzhen", 1592),
    ("hotline_12345", 1275),
    ("hotline_12319", 1199),
    ("mailbox", 381),
    ("hotline_landline", 327),
]
TYPES = [("complaint", 80), ("consultation", 8), ("suggestion", 4), ("request", 5), ("report", 3)]
GRADES = [("C", 78), ("B", 19), ("A", 3)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PLACES = ["小区门口", "路口", "公交站旁", "农贸市场", "学校附近", "工业园", "河道边", "商业街"]
PROBLEMS = {
    "complaint": "反映{leaf}问题：{place}一带{detail}，希望尽快处理。",
    "consultation": "咨询{leaf}相关事宜：{place}附近{detail}，请问应如何办理？",
    "suggestion": "建议加强{leaf}管理：{place}{detail}。",
    "request": "请求解决{leaf}问题：{place}{detail}。",
    "report": "举报{leaf}：{place}{detail}。",
}
DETAILS = ["已持续多日", "影响居民出行", "夜间尤其严重", "多次反映未果", "存在安全隐患"]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass(order=True)
class _Step:
    at: datetime
    order: int
    appeal_id: int = field(compare=False)
    action: str = field(compare=False)
    arg: int | None = field(default=None, compare=False)


@dataclass
class Report:
    appeals: int = 0
    steps: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    sweeps: int = 0

    def summary(self) -> str:
        lines = [f"Simulated {self.appeals} appeals; {sum(self.steps.values())} workflow steps."]
        lines.append("Steps: " + ", ".join(f"{k} {v}" for k, v in sorted(self.steps.items())))
        if self.refused:
            lines.append(
                "Refused (as a real desk would be): "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items()))
            )
        lines.append("Now: " + ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items())))
        lines.append(f"SLA sweeps: {self.sweeps}")
        return "\n".join(lines)


class Simulation:
    def __init__(
        self,
        *,
        appeals: int,
        days: int,
        seed: int,
        end: datetime | None = None,
        waiting: int = 0,
        texts=None,
    ):
        if appeals < 0 or days < 1:
            raise ValueError("Simulate at least one day and a non-negative number of appeals.")
        self.n = appeals
        self.days = days
        # Appeals that arrive in the last hour and are left at the intake desk.
        self.waiting = max(0, waiting)
        self.rng = random.Random(seed)  # noqa: S311  a repeatable simulation, no secret
        self.end = end or timezone.now()
        self.start = self.end - timedelta(days=days)
        self.queue: list[_Step] = []
        self.counter = itertools.count()
        self.report = Report()
        self.plans: dict[int, dict] = {}
        self._load_world()
        self.texts = self._load_texts(texts) if texts is not None else None

    # -- set-up ---------------------------------------------------------------------------
    def _load_world(self):
        def one(role):
            user = User.objects.filter(is_active=True, roles__role=role).order_by("id").first()
            if user is None:
                raise ValueError(
                    f"The simulation needs a user with the role {role}; run seed_demo first."
                )
            return user

        self.intake = one(Role.INTAKE_OPERATOR)
        self.dispatcher = one(Role.DISPATCHER)
        self.supervisor = one(Role.SUPERVISOR)
        self.visitor = one(Role.VISIT_AGENT)
        self.types = {t.code: t for t in AppealType.objects.filter(active=True)}
        self.grades = {g.code: g for g in Grade.objects.all()}
        self.leaves = list(
            Category.objects.filter(level=3, active=True, rule__isnull=False)
            .select_related("parent")
            .order_by("code")
        ) or list(Category.objects.filter(level=3, active=True).order_by("code"))
        if not self.leaves or not self.types or not self.grades:
            raise ValueError("The simulation needs a catalogue; run seed_demo first.")
        self.units = list(Unit.objects.filter(active=True).order_by("code"))
        self.backstop = Unit.backstop()
        self.regions = list(
            Region.objects.filter(active=True, boundary__isnull=False)
            .exclude(level=Region.Level.DISTRICT)
            .order_by("code")
        )
        self._shapes: dict = {}
        self._handlers: dict[int, User] = {}
        self._leaders: dict[int, User] = {}

    def _load_texts(self, texts) -> dict[int, list[tuple[str, str]]]:
        """Real texts per leaf (by primary key), for the leaves this simulation uses."""
        if isinstance(texts, str | bytes) or hasattr(texts, "__fspath__"):
            by_code: dict[str, list[tuple[str, str]]] = {}
            with open(texts, encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = {"category_code", "title", "text"} - set(reader.fieldnames or [])
                if missing:
                    raise ValueError(f"{texts} has no column {', '.join(sorted(missing))}.")
                for row in reader:
                    if (row["text"] or row["title"] or "").strip():
                        by_code.setdefault(row["category_code"], []).append(
                            (row["title"].strip(), row["text"].strip())
                        )
        else:
            by_code = {code: list(pairs) for code, pairs in texts.items()}
        found = {leaf.pk: by_code[leaf.code] for leaf in self.leaves if by_code.get(leaf.code)}
        if not found:
            raise ValueError("None of the given texts belongs to a leaf category of the catalogue.")
        self.text_leaves = [leaf for leaf in self.leaves if leaf.pk in found]
        return found

    def _staff(self, unit: Unit, role: str) -> User:
        cache = self._handlers if role == Role.UNIT_HANDLER else self._leaders
        if unit.pk in cache:
            return cache[unit.pk]
        user = (
            User.objects.filter(unit=unit, is_active=True, roles__role=role).order_by("id").first()
        )
        if user is None:
            suffix = "h" if role == Role.UNIT_HANDLER else "l"
            user, created = User.objects.get_or_create(
                username=f"sim_{unit.code.lower()}_{suffix}",
                defaults={"unit": unit, "full_name": f"{unit.short_name or unit.name}（模拟）"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            UserRole.objects.get_or_create(user=user, role=role)
            user = User.objects.get(pk=user.pk)
        cache[unit.pk] = user
        return user

    # -- scheduling -----------------------------------------------------------------------
    def _push(self, at: datetime, appeal_id: int, action: str, arg: int | None = None):
        if at <= self.end:
            heapq.heappush(self.queue, _Step(at, next(self.counter), appeal_id, action, arg))

    def _after(self, at: datetime, lo_minutes: float, hi_minutes: float) -> datetime:
        return at + timedelta(minutes=self.rng.uniform(lo_minutes, hi_minutes))

    def _arrival_times(self) -> list[datetime]:
        times = []
        for _ in range(self.n):
            day = self.rng.randrange(self.days)
            # Most appeals arrive in the day time; some at night.
            hour = self.rng.choices(range(24), weights=[1] * 7 + [4] * 12 + [2] * 5)[0]
            minute = self.rng.randrange(60)
            base = timezone.localtime(self.start).replace(hour=0, minute=0, second=0)
            at = base + timedelta(days=day, hours=hour, minutes=minute)
            times.append(min(max(at, self.start), self.end))
        return sorted(times)

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Report:
        for at in self._arrival_times():
            self._push(at, 0, "receive")
        for _ in range(self.waiting):
            self._push(self.end - timedelta(minutes=self.rng.uniform(1, 55)), 0, "receive", 1)
        next_sweep = self.start + timedelta(hours=1)
        while self.queue:
            step = heapq.heappop(self.queue)
            while next_sweep <= step.at:
                self._sweep(next_sweep)
                next_sweep += timedelta(hours=2)
            self._run_step(step)
        while next_sweep <= self.end:
            self._sweep(next_sweep)
            next_sweep += timedelta(hours=2)
        self.report.statuses = Counter(
            Appeal.objects.filter(pk__in=self.plans).values_list("status", flat=True)
        )
        return self.report

    def _sweep(self, at: datetime):
        with timesource.frozen_at(at):
            workflow.sweep_clocks(now=at)
        self.report.sweeps += 1

    def _run_step(self, step: _Step):
        with timesource.frozen_at(step.at):
            try:
                with transaction.atomic():
                    getattr(self, f"_do_{step.action}")(step)
                self.report.steps[step.action] += 1
            except WorkflowError as exc:
                self.report.refused[f"{step.action}:{exc.code}"] += 1

    # -- steps ----------------------------------------------------------------------------
    def _do_receive(self, step: _Step):
        rng = self.rng
        type_code = _weighted(rng, [(c, w) for c, w in TYPES if c in self.types])
        leaf = rng.choice(self.text_leaves if self.texts else self.leaves)
        region = rng.choice(self.regions) if self.regions else None
        lat, lng = self._point_in(region) if region is not None else (None, None)
        place = rng.choice(PLACES)
        anonymous = rng.random() < 0.05
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
        if self.texts:
            title, text = rng.choice(self.texts[leaf.pk])
            title = (title or text[:30])[:200]
        else:
            detail = rng.choice(DETAILS)
            text = PROBLEMS[type_code].format(leaf=leaf.name, place=place, detail=detail)
            title = f"{leaf.name}：{place}"
        appeal = workflow.receive(
            channel=_weighted(rng, CHANNELS),
            title=title,
            description=text,
            actor=self.intake,
            reporter_name="" if anonymous else name,
            reporter_phone="" if anonymous else f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            anonymous=anonymous,
            confidential=rng.random() < 0.03,
            address=f"{region.name if region else ''}{place}",
            lat=lat,
            lng=lng,
        )
        self.report.appeals += 1
        grade = _weighted(rng, GRADES)
        if type_code == "consultation" and rng.random() < 0.6:
            fate = "answer"
        else:
            fate = rng.choices(["reject", "merge", "dispatch"], weights=[3, 4, 93])[0]
        plan = {
            "type": type_code,
            "leaf": leaf.pk,
            "grade": grade,
            "fate": fate,
            "late": rng.random() < 0.12,
            "return": rng.random() < 0.07,
            "extension": rng.random() < 0.08,
            "send_back": rng.random() < 0.05,
            "visit": _weighted(
                rng,
                [("satisfied", 72), ("basic", 15), ("unsatisfied", 7), ("unreachable", 6)],
            ),
            "returned": False,
        }
        self.plans[appeal.pk] = plan
        if step.arg == 1:  # left waiting at the intake desk
            return
        if fate == "answer":
            self._push(self._after(step.at, 5, 90), appeal.pk, "answer")
        elif fate == "reject":
            self._push(self._after(step.at, 10, 120), appeal.pk, "reject")
        elif fate == "merge":
            self._push(self._after(step.at, 10, 120), appeal.pk, "merge")
        else:
            self._push(self._after(step.at, 5, 120), appeal.pk, "register")

    def _point_in(self, region: Region):
        """A random point inside the region's boundary (rejection sampling in its box)."""
        from shapely.geometry import Point, shape

        min_lat, max_lat = region.min_lat, region.max_lat
        min_lng, max_lng = region.min_lng, region.max_lng
        if min_lat is None or max_lat is None or min_lng is None or max_lng is None:
            return None, None
        polygon = self._shapes.get(region.pk)
        if polygon is None:
            polygon = self._shapes[region.pk] = shape(region.boundary)
        for _ in range(50):
            lat = round(self.rng.uniform(min_lat, max_lat), 6)
            lng = round(self.rng.uniform(min_lng, max_lng), 6)
            if polygon.contains(Point(lng, lat)):
                return lat, lng
        point = polygon.representative_point()
        return round(point.y, 6), round(point.x, 6)

    def _appeal(self, step) -> Appeal:
        return Appeal.objects.select_related("category", "appeal_type", "grade").get(
            pk=step.appeal_id
        )

    def _do_register(self, step):
        plan = self.plans[step.appeal_id]
        appeal = workflow.register(
            step.appeal_id,
            self.intake,
            appeal_type=self.types[plan["type"]],
            category=Category.objects.get(pk=plan["leaf"]),
            grade=self.grades[plan["grade"]],
        )
        self._push(self._after(step.at, 5, 90), appeal.pk, "dispatch")

    def _do_answer(self, step):
        workflow.answer(
            step.appeal_id, self.intake, reply="您好，您咨询的事项可通过区政务服务中心窗口办理。"
        )

    def _do_reject(self, step):
        workflow.reject(
            step.appeal_id, self.intake, reason="诉求内容不属于本平台受理范围，已告知其他途径。"
        )

    def _do_merge(self, step):
        appeal = self._appeal(step)
        target = (
            Appeal.objects.filter(
                status__in=[Status.REGISTERED, Status.DISPATCHED, Status.IN_PROGRESS],
                received_at__lt=appeal.received_at,
                merged_into__isnull=True,
            )
            .order_by("-received_at")
            .first()
        )
        if target is None:
            # Nothing to merge into: the desk registers it instead.
            self.plans[appeal.pk]["fate"] = "dispatch"
            self._do_register(step)
            return
        workflow.merge(appeal, self.intake, into=target)

    def _do_dispatch(self, step):
        appeal = workflow.dispatch(step.appeal_id, self.dispatcher)
        for assignment in appeal.assignments.filter(active=True):
            self._schedule_sign(step.at, appeal, assignment)

    def _clock_due(self, appeal, kind, assignment=None) -> datetime | None:
        qs = appeal.clocks.filter(kind=kind, cancelled=False, stopped_at__isnull=True)
        if assignment is not None:
            qs = qs.filter(assignment=assignment)
        clock = qs.order_by("-id").first()
        return clock.due_at if clock else None

    def _before_or_late(self, now, due, late: bool) -> datetime:
        if due is None or due <= now:
            return self._after(now, 10, 240)
        span = (due - now).total_seconds() / 60
        if late:
            return due + timedelta(minutes=self.rng.uniform(30, 60 * 48))
        return now + timedelta(minutes=self.rng.uniform(0.05, 0.8) * span)

    def _schedule_sign(self, now, appeal, assignment):
        plan = self.plans[appeal.pk]
        due = self._clock_due(appeal, Clock.Kind.SIGN, assignment)
        at = self._before_or_late(now, due, plan["late"] and self.rng.random() < 0.5)
        self._push(at, appeal.pk, "sign", assignment.pk)

    def _do_sign(self, step):
        appeal = self._appeal(step)
        assignment = appeal.assignments.select_related("unit").get(pk=step.arg)
        if not assignment.active:
            return
        handler = self._staff(assignment.unit, Role.UNIT_HANDLER)
        appeal = workflow.sign(appeal, handler)
        if assignment.role != "lead":
            return
        plan = self.plans[appeal.pk]
        if plan["return"] and not plan["returned"]:
            self._push(self._after(step.at, 20, 240), appeal.pk, "request_return")
            return
        contact_due = self._clock_due(appeal, Clock.Kind.CONTACT, assignment)
        self._push(self._before_or_late(step.at, contact_due, False), appeal.pk, "contact")
        if plan["extension"]:
            handle_due = self._clock_due(appeal, Clock.Kind.HANDLE, assignment)
            if handle_due:
                at = step.at + (handle_due - step.at) * self.rng.uniform(0.3, 0.8)
                self._push(at, appeal.pk, "request_extension")
        self._schedule_complete(step.at, appeal)

    def _schedule_complete(self, now, appeal):
        plan = self.plans[appeal.pk]
        lead = appeal.lead_assignment
        due = self._clock_due(appeal, Clock.Kind.HANDLE, lead)
        if plan["extension"] and due is not None:
            due = due + timedelta(days=3)
        self._push(self._before_or_late(now, due, plan["late"]), appeal.pk, "complete")

    def _lead_handler(self, appeal):
        return self._staff(appeal.lead_assignment.unit, Role.UNIT_HANDLER)

    def _do_contact(self, step):
        appeal = self._appeal(step)
        if appeal.status != Status.IN_PROGRESS or appeal.lead_assignment.contacted_at:
            return
        workflow.contact(appeal, self._lead_handler(appeal), method="电话", note="已电话联系诉求人")

    def _do_request_return(self, step):
        appeal = self._appeal(step)
        plan = self.plans[appeal.pk]
        plan["returned"] = True
        workflow.request_return(
            appeal, self._lead_handler(appeal), reason="经核实该事项不属于本单位职责范围。"
        )
        self._push(self._after(step.at, 30, 600), appeal.pk, "decide_return")

    def _do_decide_return(self, step):
        appeal = self._appeal(step)
        if self.rng.random() < 0.3:
            appeal = workflow.refuse_return(
                appeal, self.dispatcher, reason="依据派单目录属于该单位职责，请继续办理。"
            )
            lead = appeal.lead_assignment
            if appeal.status == Status.IN_PROGRESS:
                self._push(self._after(step.at, 10, 120), appeal.pk, "contact")
                self._schedule_complete(step.at, appeal)
            else:
                self._schedule_sign(step.at, appeal, lead)
            return
        current = appeal.lead_assignment.unit
        others = [u for u in self.units if u.pk != current.pk and u.kind != Unit.Kind.CENTRE]
        new_lead = self.rng.choice(others) if others and self.rng.random() < 0.7 else None
        if new_lead is None and self.backstop is not None and self.backstop.pk == current.pk:
            new_lead = self.rng.choice(others)
        appeal = workflow.approve_return(appeal, self.dispatcher, lead_unit=new_lead)
        self._schedule_sign(step.at, appeal, appeal.lead_assignment)

    def _do_request_extension(self, step):
        appeal = self._appeal(step)
        if appeal.status != Status.IN_PROGRESS:
            return
        workflow.request_extension(
            appeal,
            self._lead_handler(appeal),
            working_days=self.rng.choice([2, 3, 5, 10]),
            reason="需协调多个部门现场处置，申请延期。",
        )
        self._push(self._after(step.at, 30, 480), appeal.pk, "decide_extension")

    def _do_decide_extension(self, step):
        if self.rng.random() < 0.8:
            workflow.approve_extension(step.appeal_id, self.dispatcher, note="同意延期")
        else:
            workflow.refuse_extension(step.appeal_id, self.dispatcher, reason="请按原期限办结")

    def _do_complete(self, step):
        appeal = self._appeal(step)
        if appeal.status != Status.IN_PROGRESS:
            return
        handler = self._lead_handler(appeal)
        appeal = workflow.complete(
            appeal,
            handler,
            result=f"经现场核查，{appeal.category.name if appeal.category is not None else ''}问题已处理完毕。",
            evidence="现场处置前后照片、处置记录。",
        )
        if appeal.status == Status.IN_PROGRESS:  # waits for the unit leader
            self._push(self._after(step.at, 20, 300), appeal.pk, "approve_completion")
            return
        self._push(self._after(step.at, 30, 480), appeal.pk, "review")

    def _do_approve_completion(self, step):
        appeal = self._appeal(step)
        leader = self._staff(appeal.lead_assignment.unit, Role.UNIT_LEADER)
        workflow.approve_completion(appeal, leader, note="同意办结")
        self._push(self._after(step.at, 30, 480), appeal.pk, "review")

    def _do_review(self, step):
        appeal = self._appeal(step)
        plan = self.plans[appeal.pk]
        if plan["send_back"]:
            plan["send_back"] = False
            appeal = workflow.send_back(
                appeal, self.supervisor, reason="办理结果描述不清，请补充。"
            )
            self._push(self._after(step.at, 60, 1440), appeal.pk, "complete")
            return
        workflow.approve_review(appeal, self.supervisor)
        self._push(self._after(step.at, 60, 1800), appeal.pk, "visit")

    def _do_visit(self, step):
        appeal = self._appeal(step)
        plan = self.plans[appeal.pk]
        if appeal.anonymous or not appeal.reporter_phone:
            workflow.close(appeal, self.visitor, reason="匿名诉求，无法回访。")
            return
        outcome = plan["visit"]
        at_fault = outcome == "unsatisfied" and self.rng.random() < 0.6
        appeal = workflow.record_visit(
            appeal,
            self.visitor,
            outcome=outcome,
            unit_at_fault=at_fault,
            note="诉求人认为问题未解决" if outcome == "unsatisfied" else "",
        )
        if appeal.status == Status.VISITING:
            self._push(self._after(step.at, 120, 1440), appeal.pk, "visit")
        elif appeal.status == Status.IN_PROGRESS:
            # Reopened: the unit works again, and the next visit is more likely to satisfy.
            plan["visit"] = _weighted(
                self.rng, [("satisfied", 70), ("basic", 20), ("unsatisfied", 10)]
            )
            self._schedule_complete(step.at, appeal)


def simulate(
    *,
    appeals: int,
    days: int,
    seed: int = 1,
    end: datetime | None = None,
    waiting: int = 0,
    texts=None,
) -> Report:
    return Simulation(
        appeals=appeals, days=days, seed=seed, end=end, waiting=waiting, texts=texts
    ).run()
