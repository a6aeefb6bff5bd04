# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""One endpoint per workflow transition: a whole life over HTTP, every other transition,
and the refusals (not_allowed, invalid_transition, conflict, bad input)."""

import inspect

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal, Attachment, SupervisionNotice
from jiesu.appeals.tests.conftest import completed, dispatched, in_progress, new_appeal
from jiesu.intake.api.actions import ACTION_SERIALIZERS
from jiesu.intake.api.views import ACTION_VIEWS
from jiesu.intake.tests.api_support import (
    LIST_URL,
    at,
    body,
    error,
    field_codes,
    jpeg,
    key_client,
    machine_channel,
    make_world,
    staff_client,
)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world(settings)


class Desk:
    """Acts on one appeal over HTTP as different staff members, on the virtual clock."""

    def __init__(self, world, number, language="en"):
        self.world, self.number, self.language = world, number, language
        self.minutes = 0

    def act(self, who, action, data=None, expect=200, minutes=5):
        self.minutes += minutes
        client = staff_client(self.world.u(who), language=self.language)
        with at(self.minutes):
            response = client.post(
                f"{LIST_URL}{self.number}/actions/{action}/", data or {}, format="json"
            )
        assert response.status_code == expect, (action, response.content)
        return response.json()


def test_every_transition_has_an_endpoint_with_matching_fields():
    assert set(ACTION_VIEWS) == set(ACTION_SERIALIZERS) == set(workflow.TRANSITIONS) - {"receive"}
    for name, serializer in ACTION_SERIALIZERS.items():
        parameters = inspect.signature(getattr(workflow, name)).parameters
        for field in serializer().fields:
            assert field in parameters, (name, field)
        required = {
            p.name
            for p in parameters.values()
            if p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
        }
        assert required <= set(serializer().fields), (name, required)


def test_whole_life_over_http(world):
    _, key = machine_channel()
    with at(0):
        submitted = key_client(key).post(LIST_URL, body(), format="json")
    number = submitted.json()["number"]
    desk = Desk(world, number)

    data = desk.act(
        "intake",
        "register",
        {"appeal_type": "complaint", "category": world.leaf.code, "grade": "C"},
    )
    assert data["status"] == "registered"
    assert "dispatch" not in data["allowed_actions"]  # the intake operator may not dispatch
    data = desk.act("dispatcher", "dispatch", {"lead_unit": "D01", "assisting_units": ["D02"]})
    assert data["status"] == "dispatched"
    assert data["lead_unit"]["code"] == "D01"
    data = desk.act("handler", "sign")
    assert data["status"] == "in_progress"
    desk.act("water_handler", "sign")
    data = desk.act("handler", "contact", {"method": "电话", "note": "已与市民约定上门时间"})
    lead = [a for a in data["assignments"] if a["role"] == "lead"][0]
    assert lead["contacted_at"] is not None

    data = desk.act("handler", "complete", {"result": "垃圾已清运", "evidence": "清运前后照片"})
    assert data["status"] == "completed"

    data = desk.act("supervisor", "approve_review", {"note": "结果属实"})
    assert data["status"] == "visiting"
    data = desk.act("visitor", "record_visit", {"outcome": "satisfied"})
    assert data["status"] == "closed"
    assert data["satisfaction"] == "satisfied"

    history = staff_client(world.u("supervisor")).get(f"{LIST_URL}{number}/history/").json()
    assert [e["kind"] for e in history["events"]] == [
        "receive",
        "register",
        "dispatch",
        "sign",
        "sign",
        "contact",
        "complete",
        "approve_review",
        "record_visit",
    ]
    # The channel sees the outcome too.
    assert key_client(key).get(f"{LIST_URL}{number}/").json()["status"] == "closed"


def test_complete_with_evidence_files(world):
    with at(0):
        appeal = in_progress(world)
    handler = staff_client(world.u("handler"))
    with at(5):
        upload = handler.post(
            "/api/v1/attachments/", {"file": jpeg("after.jpg")}, format="multipart"
        )
    assert upload.status_code == 201, upload.content
    evidence = upload.json()
    assert evidence["purpose"] == "evidence" and evidence["kind"] == "image"
    data = Desk(world, appeal.number).act(
        "handler",
        "complete",
        {"result": "垃圾已清运", "evidence": "清运前后照片", "attachments": [evidence["id"]]},
        minutes=10,
    )
    assert data["status"] == "completed"
    assert [a["id"] for a in data["attachments"]] == [evidence["id"]]
    stored = Attachment.objects.get(pk=evidence["id"])
    assert stored.appeal_id == appeal.pk and stored.assignment.unit == world.urban
    # An evidence file cannot be used twice.
    with at(20):
        other = in_progress(world)
    reuse = Desk(world, other.number).act(
        "handler",
        "complete",
        {"result": "x", "evidence": "y", "attachments": [evidence["id"]]},
        expect=400,
        minutes=30,
    )
    assert "attachments" in reuse["error"]["fields"]


def test_refusals(world):
    with at(0):
        appeal = dispatched(world)
    desk = Desk(world, appeal.number)

    # 403: the intake operator may not sign for a unit.
    err = error_of(desk.act("intake", "sign", expect=403))
    assert err["code"] == "not_allowed"
    # 409: registering is over once dispatched.
    err = error_of(
        desk.act(
            "intake",
            "register",
            {"appeal_type": "complaint", "category": world.leaf.code, "grade": "C"},
            expect=409,
        )
    )
    assert err["code"] == "invalid_transition"
    # 409: a stale version.
    version = Appeal.objects.get(pk=appeal.pk).version
    desk.act("handler", "sign", {"expected_version": version})
    err = error_of(desk.act("water_handler", "sign", {"expected_version": version}, expect=409))
    assert err["code"] == "conflict"
    # 400: a required field, by code.
    response = staff_client(world.u("handler")).post(
        f"{LIST_URL}{appeal.number}/actions/request_return/", {}, format="json"
    )
    assert response.status_code == 400
    assert field_codes(response) == {"reason": ["required"]}
    blank = staff_client(world.u("handler")).post(
        f"{LIST_URL}{appeal.number}/actions/request_return/", {"reason": "  "}, format="json"
    )
    assert field_codes(blank) == {"reason": ["blank"]}
    # Nothing of it changed the appeal beyond the one sign-for.
    assert Appeal.objects.get(pk=appeal.pk).version == version + 1


def error_of(data):
    assert set(data) == {"error"}
    return data["error"]


def test_refusal_messages_in_both_languages(world):
    with at(0):
        appeal = dispatched(world)
    en = Desk(world, appeal.number, language="en").act("intake", "sign", expect=403)
    zh = Desk(world, appeal.number, language="zh-hans").act("intake", "sign", expect=403)
    assert en["error"]["code"] == zh["error"]["code"] == "not_allowed"
    assert "may not" in en["error"]["message"] or "role" in en["error"]["message"]
    assert any("\u4e00" <= c <= "\u9fff" for c in zh["error"]["message"])


def test_unknown_action_and_unknown_appeal(world):
    with at(0):
        appeal = dispatched(world)
    client = staff_client(world.u("supervisor"), language="en")
    response = client.post(f"{LIST_URL}{appeal.number}/actions/teleport/", {}, format="json")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
    assert "teleport" in error(response)["message"]
    missing = client.post(f"{LIST_URL}PS1/actions/sign/", {}, format="json")
    assert missing.status_code == 404
    get = client.get(f"{LIST_URL}{appeal.number}/actions/sign/")
    assert get.status_code == 405


def test_channels_do_not_see_internal_requests_and_notices(world):
    _, key = machine_channel()
    with at(0):
        number = key_client(key).post(LIST_URL, body(), format="json").json()["number"]
    desk = Desk(world, number)
    desk.act(
        "intake",
        "register",
        {"appeal_type": "complaint", "category": world.leaf.code, "grade": "C"},
    )
    desk.act("dispatcher", "dispatch")
    desk.act("handler", "sign")
    desk.act("handler", "request_extension", {"working_days": 2, "reason": "需协调"})
    desk.act("supervisor", "supervise", {"reason": "请加快"})
    staff = staff_client(world.u("supervisor")).get(f"{LIST_URL}{number}/").json()
    channel = key_client(key).get(f"{LIST_URL}{number}/").json()
    assert len(staff["supervisions"]) == 1 and len(staff["unit_requests"]) == 1
    assert channel["supervisions"] == [] and channel["unit_requests"] == []
    assert channel["status"] == "in_progress"
    assert channel["allowed_actions"] == [] and "unmask" not in channel["links"]


def test_channel_keys_may_not_act(world):
    _, key = machine_channel()
    with at(0):
        number = key_client(key).post(LIST_URL, body(), format="json").json()["number"]
    response = key_client(key).post(
        f"{LIST_URL}{number}/actions/reject/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert error(response)["code"] == "not_allowed"
    assert Appeal.objects.get(number=number).status == "received"


def test_intake_desk_actions(world):
    with at(0):
        first = new_appeal(world)
        later = new_appeal(world)
        rejected = new_appeal(world)
        consultation = new_appeal(world)
    assert (
        Desk(world, rejected.number).act("intake", "reject", {"reason": "不属于受理范围"})["status"]
        == "rejected"
    )
    merged = Desk(world, later.number).act("intake", "merge", {"into": first.number})
    assert merged["status"] == "merged" and merged["merged_into"] == first.number
    bad_merge = Desk(world, first.number).act("intake", "merge", {"into": "PS999"}, expect=400)
    assert bad_merge["error"]["fields"]["into"][0]["code"] == "does_not_exist"
    answered = Desk(world, consultation.number).act(
        "intake", "answer", {"reply": "可在区政务服务中心办理。"}
    )
    assert answered["status"] == "answered" and answered["reply"] == "可在区政务服务中心办理。"


def test_register_validation_from_the_workflow(world):
    with at(0):
        appeal = new_appeal(world)
    response = Desk(world, appeal.number).act(
        "intake",
        "register",
        {"appeal_type": "complaint", "category": "01", "grade": "C"},
        expect=400,
    )
    assert response["error"]["code"] == "invalid_input"
    assert "category" in response["error"]["fields"]


def test_return_redispatch_and_extension(world):
    with at(0):
        appeal = in_progress(world)
    desk = Desk(world, appeal.number)
    data = desk.act("handler", "request_extension", {"working_days": 3, "reason": "需协调产权单位"})
    assert data["unit_requests"][0]["kind"] == "extension"
    before = [c for c in data["clocks"] if c["kind"] == "handle"][0]["due_at"]
    data = desk.act("dispatcher", "approve_extension", {"note": "同意"})
    after = [c for c in data["clocks"] if c["kind"] == "handle"][0]["due_at"]
    assert after > before
    desk.act("handler", "request_extension", {"working_days": 2, "reason": "再延"})
    desk.act("dispatcher", "refuse_extension", {"reason": "不予延期"})
    too_long = desk.act(
        "handler", "request_extension", {"working_days": 99, "reason": "x"}, expect=400
    )
    assert "working_days" in too_long["error"]["fields"]

    data = desk.act("handler", "request_return", {"reason": "不属本单位职责"})
    assert data["status"] == "return_requested"
    data = desk.act("dispatcher", "refuse_return", {"reason": "属于城管职责"})
    assert data["status"] == "in_progress"
    desk.act("handler", "request_return", {"reason": "确不属本单位职责"})
    data = desk.act("dispatcher", "approve_return", {"lead_unit": "D02"})
    assert data["status"] == "dispatched" and data["lead_unit"]["code"] == "D02"
    data = desk.act("dispatcher", "redispatch", {"lead_unit": "D01", "reason": "改派城管"})
    assert data["lead_unit"]["code"] == "D01"


def test_completion_approval_send_back_close_reopen_and_supervision(world):
    world.urban.requires_leader_approval = True
    world.urban.save()
    with at(0):
        appeal = in_progress(world)
    desk = Desk(world, appeal.number)
    data = desk.act("handler", "complete", {"result": "已处理", "evidence": "照片"})
    assert data["status"] == "in_progress"  # waits for the unit leader
    desk.act("leader", "reject_completion", {"reason": "照片不清晰"})
    desk.act("handler", "complete", {"result": "已处理", "evidence": "清晰照片"})
    data = desk.act("leader", "approve_completion", {"note": "同意"})
    assert data["status"] == "completed"
    data = desk.act("supervisor", "send_back", {"reason": "未说明清运时间"})
    assert data["status"] == "in_progress"

    data = desk.act("supervisor", "supervise", {"reason": "请加快办理"})
    [notice] = data["supervisions"]
    data = desk.act("handler", "answer_supervision", {"notice": notice["id"], "answer": "今日办结"})
    assert data["supervisions"][0]["answered_at"] is not None
    wrong = desk.act("handler", "answer_supervision", {"notice": 99999, "answer": "x"}, expect=400)
    assert wrong["error"]["code"] == "invalid_input"
    assert SupervisionNotice.objects.count() == 1

    desk.act("leader", "complete", {"result": "已清运", "evidence": "照片"})
    desk.act("supervisor", "approve_review")
    data = desk.act("visitor", "close", {"reason": "市民表示无需回访"})
    assert data["status"] == "closed"
    data = desk.act("supervisor", "reopen", {"reason": "市民再次反映"})
    assert data["status"] == "in_progress" and data["reopen_count"] == 1


def test_unsatisfied_visit_reopens(world):
    with at(0):
        appeal = completed(world)
    desk = Desk(world, appeal.number)
    desk.act("supervisor", "approve_review")
    missing_note = desk.act(
        "visitor", "record_visit", {"outcome": "unsatisfied", "unit_at_fault": True}, expect=400
    )
    assert "note" in missing_note["error"]["fields"]
    data = desk.act(
        "visitor",
        "record_visit",
        {"outcome": "unsatisfied", "unit_at_fault": True, "note": "垃圾仍在"},
    )
    assert data["status"] == "in_progress" and data["reopen_count"] == 1
    bad = desk.act("visitor", "record_visit", {"outcome": "meh"}, expect=400)
    assert bad["error"]["fields"]["outcome"][0]["code"] == "invalid_choice"


def test_evidence_upload_rules(world):
    handler = staff_client(world.u("handler"), language="en")
    from jiesu.intake.tests.api_support import fake_pdf

    refused = handler.post("/api/v1/attachments/", {"file": fake_pdf()}, format="multipart")
    assert refused.status_code == 400
    assert "file" in error(refused)["fields"]
    assert not Attachment.objects.exists()
    intake = staff_client(world.u("intake")).post(
        "/api/v1/attachments/", {"file": jpeg()}, format="multipart"
    )
    assert intake.status_code == 403
    json_body = handler.post("/api/v1/attachments/", {"file": "x"}, format="json")
    assert json_body.status_code == 415
