# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 GeoReport v2: the documents against the spec's field lists and types, and an
Open311 client's journey in XML and JSON.

The field tables below are the spec's response tables (wiki.open311.org/GeoReport_v2 and
/Service_Discovery). Every response is parsed: XML with ElementTree, JSON with json, and both
must carry exactly the spec's fields with values of the spec's types. The helpers and fixtures
here are shared by the other test_open311_* modules.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from jiesu.appeals.models import Appeal
from jiesu.appeals.tests import conftest as appeals_conftest
from jiesu.appeals.tests.conftest import MONDAY_10
from jiesu.catalog import services as catalog
from jiesu.catalog.models import AppealType, Category
from jiesu.intake import channels
from jiesu.intake.models import Channel, ChannelSubmission
from jiesu.intake.open311.models import Open311Request

FORMATS = ["xml", "json"]
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# Root elements whose children are a list (the Spark convention makes them JSON arrays).
LIST_ELEMENTS = {
    "services",
    "attributes",
    "values",
    "service_requests",
    "errors",
    "endpoints",
    "formats",
}
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


# -- the spec's field tables -----------------------------------------------------------------


class Kind:
    def __init__(self, name, json_ok, xml_ok):
        self.name, self.json_ok, self.xml_ok = name, json_ok, xml_ok

    def ok(self, value, fmt) -> bool:
        return self.json_ok(value) if fmt == "json" else self.xml_ok(value)

    def __repr__(self):
        return self.name


def _is_float(text):
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _is_datetime(text):
    if not isinstance(text, str) or not W3C_DATETIME.match(text):
        return False
    return datetime.fromisoformat(text).tzinfo is not None


STRING = Kind("string", lambda v: isinstance(v, str) and v != "", lambda v: bool(v))
OPTIONAL_STRING = Kind("string or null", lambda v: v is None or isinstance(v, str), lambda v: True)
BOOLEAN = Kind("boolean", lambda v: isinstance(v, bool), lambda v: v in ("true", "false"))
INTEGER = Kind(
    "integer",
    lambda v: isinstance(v, int) and not isinstance(v, bool),
    lambda v: bool(v) and v.isdigit(),
)
OPTIONAL_NUMBER = Kind(
    "number or null",
    lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool)),
    lambda v: v is None or _is_float(v),
)
DATETIME = Kind("w3c datetime", _is_datetime, _is_datetime)
OPTIONAL_DATETIME = Kind(
    "w3c datetime or null",
    lambda v: v is None or _is_datetime(v),
    lambda v: v is None or _is_datetime(v),
)
ERROR_CODE = Kind(
    "error code", lambda v: isinstance(v, int) and v >= 400, lambda v: v.isdigit() and int(v) >= 400
)


def enum(*values):
    return Kind(f"one of {values}", lambda v: v in values, lambda v: v in values)


# GET services: service
SERVICE = {
    "service_code": STRING,
    "service_name": STRING,
    "description": OPTIONAL_STRING,
    "metadata": BOOLEAN,
    "type": enum("realtime", "batch", "blackbox"),
    "keywords": OPTIONAL_STRING,
    "group": OPTIONAL_STRING,
}
# GET services/{code}: service_definition and its attributes
DEFINITION = {"service_code": STRING}
ATTRIBUTE = {
    "variable": BOOLEAN,
    "code": STRING,
    "datatype": enum("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"),
    "required": BOOLEAN,
    "datatype_description": OPTIONAL_STRING,
    "order": INTEGER,
    "description": OPTIONAL_STRING,
}
VALUE = {"key": STRING, "name": STRING}
# POST requests: request (token only when configured)
CREATED = {
    "service_request_id": STRING,
    "service_notice": OPTIONAL_STRING,
    "account_id": OPTIONAL_STRING,
}
# GET tokens/{token}: request
TOKEN = {"service_request_id": STRING, "token": STRING}
# GET requests and GET requests/{id}: request, in the spec's order
REQUEST = {
    "service_request_id": STRING,
    "status": enum("open", "closed"),
    "status_notes": OPTIONAL_STRING,
    "service_name": OPTIONAL_STRING,
    "service_code": STRING,
    "description": OPTIONAL_STRING,
    "agency_responsible": OPTIONAL_STRING,
    "service_notice": OPTIONAL_STRING,
    "requested_datetime": DATETIME,
    "updated_datetime": OPTIONAL_DATETIME,
    "expected_datetime": OPTIONAL_DATETIME,
    "address": OPTIONAL_STRING,
    "address_id": OPTIONAL_STRING,
    "zipcode": OPTIONAL_STRING,
    "lat": OPTIONAL_NUMBER,
    "long": OPTIONAL_NUMBER,
    "media_url": OPTIONAL_STRING,
}
# Errors
ERROR = {"code": ERROR_CODE, "description": STRING}
# Service discovery
DISCOVERY = {"changeset": STRING, "contact": STRING, "key_service": STRING}
ENDPOINT = {
    "specification": STRING,
    "url": STRING,
    "changeset": STRING,
    "type": enum("production", "test"),
}


def check_fields(entry: dict, table: dict, fmt: str, *, extra=()):
    """Exactly the table's fields (plus `extra`, which are checked elsewhere), each of its type."""
    assert set(entry) == set(table) | set(extra), sorted(set(entry) ^ set(table))
    for name, kind in table.items():
        assert kind.ok(entry[name], fmt), f"{name}={entry[name]!r} is not a {kind}"


# -- reading responses -----------------------------------------------------------------------


def xml_to_python(element: ET.Element):
    children = list(element)
    if element.tag in LIST_ELEMENTS:
        return [xml_to_python(child) for child in children]
    if children:
        tags = [c.tag for c in children]
        assert len(tags) == len(set(tags)), f"repeated element in <{element.tag}>: {tags}"
        return {child.tag: xml_to_python(child) for child in children}
    return element.text if element.text else None


def parse(response, fmt, *, root=None):
    """The response's document: JSON as is, XML (well-formed, UTF-8, the given root element)
    turned into the same shape with string leaves."""
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return json.loads(response.content.decode("utf-8"))
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(response.content)
    if root is not None:
        assert element.tag == root
    return xml_to_python(element)


def xml_order(response, item="request") -> list[list[str]]:
    element = ET.fromstring(response.content)
    return [[child.tag for child in node] for node in element.iter(item)]


def check_errors(response, fmt, status):
    assert response.status_code == status, response.content
    errors = parse(response, fmt, root="errors")
    assert isinstance(errors, list) and errors
    for error in errors:
        check_fields(error, ERROR, fmt)
        assert int(error["code"]) == status
    return [e["description"] for e in errors]


# -- fixtures --------------------------------------------------------------------------------


class Client311:
    """An Open311 client for the test client: paths relative to /open311/v2/."""

    def __init__(self, client, key):
        self.client, self.key = client, key

    def get(self, path, fmt="xml", **params):
        suffix = f".{fmt}" if fmt else ""
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        return self.client.get(f"/open311/v2/{path}{suffix}{query}")

    def post(self, fields=None, fmt="xml", *, key=True, headers=None, **extra):
        data = dict(fields if fields is not None else {})
        if key is True:
            data.setdefault("api_key", self.key)
        elif key:
            data["api_key"] = key
        data.update(extra)
        return self.client.post(
            f"/open311/v2/requests.{fmt}",
            urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
            headers=headers or {},
        )


def valid_request(o311, **changes) -> dict:
    fields = {
        "jurisdiction_id": "szpsq.gov.cn",
        "service_code": o311.leaf.code,
        "lat": "22.7",
        "long": "114.35",
        "address_string": "坪山街道六和社区某小区东门",
        "email": "zhang@example.com",
        "device_id": "device-001",
        "account_id": "acct-42",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800001234",
        "description": "小区东门垃圾堆积三天没人清理。气味很大，请尽快处理。",
        "media_url": "https://img.example.com/p/1.jpg",
        "attribute[appeal_type]": "complaint",
        "attribute[grade]": "C",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def stored() -> tuple[int, int, int]:
    return (
        Appeal.objects.count(),
        Open311Request.objects.count(),
        ChannelSubmission.objects.count(),
    )


# The appeals tests' small world (a district, units, staff, a catalogue leaf with a rule).
world = appeals_conftest.world


@pytest.fixture
def o311(world, client, settings):
    cache.clear()  # rate-limit counters
    # Messages in English, so that tests can match their words. (Paths without a language
    # prefix are answered in LANGUAGE_CODE, Chinese in production; see the test below.)
    settings.LANGUAGE_CODE = "en"
    settings.JIESU = {**settings.JIESU, "OPEN311_JURISDICTION_ID": "szpsq.gov.cn"}
    leaf = world.leaf
    leaf.keywords = "垃圾, 垃圾堆；暴露垃圾"
    leaf.save()
    rule = leaf.rule
    rule.plan = "城管执法队接单后2小时内到场清理，并对责任单位督促整改。\n第二段不进摘要。"
    rule.filing_condition = "垃圾暴露堆放在公共区域（道路、广场、绿地）。"
    rule.default_grade = world.grade_c
    rule.save()
    catalog.record_version(rule)
    channel = Channel.objects.create(
        code="o311app",
        name="市民通 App",
        kind=Channel.Kind.APP,
        is_machine=True,
        rate_limit_per_minute=0,
    )
    key = channels.issue_key(channel)
    return SimpleNamespace(
        world=world,
        leaf=leaf,
        rule=rule,
        channel=channel,
        key=key,
        api=Client311(client, key),
    )


# -- the documents against the spec ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_has_the_spec_fields(o311, fmt):
    response = o311.api.get("services", fmt)
    assert response.status_code == 200
    services = parse(response, fmt, root="services")
    assert [s["service_code"] for s in services] == ["0101001", "0101002"]
    for service in services:
        check_fields(service, SERVICE, fmt)
    first = services[0]
    assert first["service_name"] == "暴露垃圾"
    assert first["group"] == "市容环卫"
    assert first["type"] == "realtime"
    assert first["metadata"] in (True, "true")
    assert first["keywords"] == "垃圾, 垃圾堆, 暴露垃圾"
    # Full path, then the plan's first paragraph.
    assert first["description"] == (
        "市容环卫 > 环境卫生 > 暴露垃圾：城管执法队接单后2小时内到场清理，并对责任单位督促整改。"
    )
    # A leaf without rule, plan or keywords is offered too (the backstop unit leads).
    assert services[1]["description"] == "市容环卫 > 环境卫生 > 道路不洁"
    assert services[1]["keywords"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_leaves_out_inactive_categories(o311, fmt):
    major = Category.objects.create(code="02", name="交通管理", level=1, active=False)
    middle = Category.objects.create(code="0201", name="道路设施", level=2, parent=major)
    Category.objects.create(code="0201001", name="井盖缺失", level=3, parent=middle)
    Category.objects.filter(code="0101002").update(active=False)
    services = parse(o311.api.get("services", fmt), fmt)
    assert [s["service_code"] for s in services] == ["0101001"]
    assert o311.api.get("services/0201001", fmt).status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_the_spec_fields(o311, fmt):
    response = o311.api.get(f"services/{o311.leaf.code}", fmt)
    assert response.status_code == 200
    definition = parse(response, fmt, root="service_definition")
    check_fields(definition, DEFINITION, fmt, extra=["attributes"])
    assert definition["service_code"] == o311.leaf.code
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == [
        "appeal_type",
        "grade",
        "credit_code",
        "coord_system",
        "filing_condition",
    ]
    for order, attribute in enumerate(attributes, start=1):
        lists = attribute["datatype"] in ("singlevaluelist", "multivaluelist")
        check_fields(attribute, ATTRIBUTE, fmt, extra=["values"] if lists else [])
        assert int(attribute["order"]) == order
        for value in attribute.get("values") or []:
            check_fields(value, VALUE, fmt)
    by_code = {a["code"]: a for a in attributes}
    types = {v["key"]: v["name"] for v in by_code["appeal_type"]["values"]}
    assert types == dict(AppealType.objects.filter(active=True).values_list("code", "name"))
    assert {
        "complaint": "投诉",
        "consultation": "咨询",
        "suggestion": "建议",
    }.items() <= types.items()
    assert [v["key"] for v in by_code["grade"]["values"]] == ["A", "B", "C"]
    condition = by_code["filing_condition"]
    assert condition["variable"] in (False, "false")
    assert condition["description"] == "垃圾暴露堆放在公共区域（道路、广场、绿地）。"
    assert all(a["required"] in (False, "false") for a in attributes)


def test_definition_without_filing_condition_has_no_such_attribute(o311):
    response = o311.api.get("services/0101002", "json")
    codes = [a["code"] for a in parse(response, "json")["attributes"]]
    assert codes == ["appeal_type", "grade", "credit_code", "coord_system"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_response_has_the_spec_fields(o311, fmt):
    response = o311.api.post(valid_request(o311), fmt)
    assert response.status_code == 201, response.content
    created = parse(response, fmt, root="service_requests")
    assert len(created) == 1
    check_fields(created[0], CREATED, fmt)
    appeal = Appeal.objects.get()
    assert created[0]["service_request_id"] == appeal.number
    assert created[0]["account_id"] == "acct-42"
    # The leaf's fixed lead unit and the district default limit for a grade-C complaint.
    assert created[0]["service_notice"] == "城市管理局 handles it within 5 working days."


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_documents_have_the_spec_fields(o311, fmt):
    number = parse(o311.api.post(valid_request(o311), "json"), "json")[0]["service_request_id"]
    for response in (o311.api.get(f"requests/{number}", fmt), o311.api.get("requests", fmt)):
        assert response.status_code == 200
        requests = parse(response, fmt, root="service_requests")
        assert len(requests) == 1
        check_fields(requests[0], REQUEST, fmt)
        if fmt == "xml":
            assert xml_order(response) == [list(REQUEST)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_document_has_the_spec_fields(o311, settings, fmt):
    settings.JIESU = {**settings.JIESU, "OPEN311_RETURN_TOKEN": True}
    created = parse(o311.api.post(valid_request(o311), fmt), fmt)[0]
    check_fields(created, CREATED, fmt, extra=["token"])
    token = created["token"]
    assert token == Open311Request.objects.get().token
    response = o311.api.get(f"tokens/{token}", fmt)
    assert response.status_code == 200
    entries = parse(response, fmt, root="service_requests")
    assert len(entries) == 1
    check_fields(entries[0], TOKEN, fmt)
    assert entries[0] == {"service_request_id": created["service_request_id"], "token": token}


def test_no_token_in_the_post_response_by_default(o311):
    """Realtime services return the service_request_id; the spec says a token "should not be
    returned" with it."""
    created = parse(o311.api.post(valid_request(o311), "json"), "json")[0]
    assert "token" not in created
    # The token still exists and resolves (for clients that learnt it elsewhere, e.g. support).
    token = Open311Request.objects.get().token
    entry = parse(o311.api.get(f"tokens/{token}", "json"), "json")[0]
    assert entry["service_request_id"] == created["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_document_has_the_spec_fields(o311, fmt):
    response = o311.api.get("services/nope", fmt)
    (description,) = check_errors(response, fmt, 404)
    assert "nope" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_document(o311, client, fmt):
    response = client.get(f"/open311/discovery.{fmt}")
    assert response.status_code == 200
    document = parse(response, fmt, root="discovery")
    check_fields(document, DISCOVERY, fmt, extra=["endpoints"])
    (endpoint,) = document["endpoints"]
    check_fields(endpoint, ENDPOINT, fmt, extra=["formats"])
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    # The changeset moves when a rule changes (clients refresh their cached definitions).
    before = document["changeset"]
    o311.rule.plan = "新预案"
    o311.rule.save()
    assert parse(client.get(f"/open311/discovery.{fmt}"), fmt)["changeset"] >= before


def test_discovery_at_the_root_and_without_extension(client, db):
    for url in ("/open311/", "/open311/discovery", "/open311/v2/"):
        response = client.get(url)
        assert response.status_code == 200
        assert ET.fromstring(response.content).tag == "discovery"


def test_xml_and_json_carry_the_same_data(o311):
    o311.api.post(valid_request(o311), "xml")
    for path in ("services", f"services/{o311.leaf.code}", "requests"):
        as_xml = parse(o311.api.get(path, "xml"), "xml")
        as_json = parse(o311.api.get(path, "json"), "json")
        assert as_xml == stringify(as_json), path


def stringify(value):
    """JSON values as the XML carries them: text, booleans as true/false, null as empty."""
    if isinstance(value, dict):
        return {k: stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return repr(value) if isinstance(value, float) else str(value)


def test_answers_are_in_the_districts_language(o311, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    (description,) = check_errors(o311.api.get("services/nope", "json"), "json", 404)
    assert description == "未找到 service_code“nope”。"
    created = parse(o311.api.post(valid_request(o311), "json"), "json")[0]
    assert created["service_notice"] == "由城市管理局在 5 个工作日内办理。"


def test_default_format_is_xml(o311):
    response = o311.api.get("services", fmt=None)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xml"]
    assert ET.fromstring(response.content).tag == "services"


# -- an Open311 client's journey -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_client_journey(o311, fmt):
    api = o311.api
    # 1. Which services are there?
    services = parse(api.get("services", fmt), fmt)
    service = next(s for s in services if s["service_name"] == "暴露垃圾")
    # 2. It has metadata: what does it ask?
    assert service["metadata"] in (True, "true")
    definition = parse(api.get(f"services/{service['service_code']}", fmt), fmt)
    appeal_types = next(a for a in definition["attributes"] if a["code"] == "appeal_type")
    complaint = next(v["key"] for v in appeal_types["values"] if v["name"] == "投诉")
    # 3. Post a request.
    response = api.post(
        valid_request(
            o311, **{"attribute[appeal_type]": complaint}, service_code=service["service_code"]
        ),
        fmt,
    )
    assert response.status_code == 201
    number = parse(response, fmt)[0]["service_request_id"]

    # What Jiesu filed.
    appeal = Appeal.objects.get(number=number)
    assert appeal.channel == "o311app"
    assert appeal.category == o311.leaf
    assert appeal.appeal_type.code == "complaint"
    assert appeal.grade.code == "C"
    assert appeal.title == "暴露垃圾：小区东门垃圾堆积三天没人清理"
    assert appeal.description == "小区东门垃圾堆积三天没人清理。气味很大，请尽快处理。"
    assert appeal.reporter_name == "张三"
    assert appeal.reporter_phone == "13800001234"
    assert not appeal.anonymous
    assert (appeal.lat, appeal.lng) == (22.7, 114.35)
    assert appeal.region == o311.world.district
    assert appeal.address == "坪山街道六和社区某小区东门"
    extra = appeal.open311
    assert extra.media_url == "https://img.example.com/p/1.jpg"
    assert extra.attributes == {"appeal_type": "complaint", "grade": "C"}
    assert extra.jurisdiction_id == "szpsq.gov.cn"

    # 4. Read it back by id ...
    (by_id,) = parse(api.get(f"requests/{number}", fmt), fmt)
    assert by_id["service_request_id"] == number
    assert by_id["status"] == "open"
    assert by_id["service_code"] == o311.leaf.code
    assert by_id["service_name"] == "暴露垃圾"
    assert by_id["description"] == appeal.description
    assert by_id["agency_responsible"] == "城市管理局"
    assert by_id["address"] == "坪山街道六和社区某小区东门"
    assert float(by_id["lat"]) == 22.7 and float(by_id["long"]) == 114.35
    assert by_id["media_url"] == "https://img.example.com/p/1.jpg"
    assert by_id["requested_datetime"].endswith("+08:00")
    assert datetime.fromisoformat(by_id["requested_datetime"]) == appeal.received_at.replace(
        microsecond=0
    )
    # ... and through every filter of the list.
    other = parse(api.post(valid_request(o311, service_code="0101002", device_id="d2"), fmt), fmt)
    other_number = other[0]["service_request_id"]

    def numbers(**params):
        return sorted(
            r["service_request_id"] for r in parse(api.get("requests", fmt, **params), fmt)
        )

    assert numbers() == sorted([number, other_number])
    assert numbers(service_request_id=number) == [number]
    assert numbers(service_request_id=f"{number},{other_number}") == sorted([number, other_number])
    assert numbers(service_request_id=f"{number}, PS0000") == [number]
    assert numbers(service_code=o311.leaf.code) == [number]
    assert numbers(service_code=f"{o311.leaf.code},0101002") == sorted([number, other_number])
    assert numbers(service_code="9999") == []
    assert numbers(status="open") == sorted([number, other_number])
    assert numbers(status="closed") == []
    assert numbers(status="open,closed") == sorted([number, other_number])
    day = appeal.received_at.astimezone(MONDAY_10.tzinfo).date()
    assert numbers(start_date=f"{day}T00:00:00+08:00", end_date=f"{day}T23:59:59+08:00") == sorted(
        [number, other_number]
    )
    assert numbers(start_date=f"{day}T23:59:59+08:00", end_date=f"{day}T23:59:59+08:00") == []
    assert numbers(end_date="2010-01-01T00:00:00Z") == []
    # service_request_id overrides every other argument.
    assert numbers(service_request_id=number, status="closed", service_code="9999") == [number]


def test_anonymous_without_phone_and_enterprise_reporter(o311):
    response = o311.api.post(
        valid_request(
            o311,
            phone=None,
            first_name=None,
            last_name=None,
            **{"attribute[credit_code]": "91440300708461136t"},
        ),
        "json",
    )
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    assert appeal.anonymous
    assert appeal.reporter_name == "" and appeal.reporter_phone == ""
    assert appeal.reporter_is_enterprise
    assert appeal.reporter_credit_code == "91440300708461136T"


def test_western_names_keep_their_order(o311):
    o311.api.post(valid_request(o311, first_name="Anna", last_name="Schmidt"), "json")
    assert Appeal.objects.get().reporter_name == "Anna Schmidt"


def test_address_id_alone_is_a_location(o311):
    response = o311.api.post(
        valid_request(o311, lat=None, long=None, address_string=None, address_id="AD-7788"), "json"
    )
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    assert appeal.lat is None and "AD-7788" in appeal.address
    (entry,) = parse(o311.api.get(f"requests/{appeal.number}", "json"), "json")
    assert entry["address_id"] == "AD-7788"
    assert entry["lat"] is None and entry["long"] is None


def test_a_request_without_description_gets_one_from_the_service(o311):
    response = o311.api.post(valid_request(o311, description=None), "json")
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    assert appeal.description == "市容环卫 > 环境卫生 > 暴露垃圾：坪山街道六和社区某小区东门"
    assert appeal.title.startswith("暴露垃圾")


def test_the_grade_defaults_to_the_rules_default_in_the_notice(o311):
    fields = valid_request(o311, **{"attribute[grade]": None, "attribute[appeal_type]": None})
    created = parse(o311.api.post(fields, "json"), "json")[0]
    # No type: the district default for grade C, any type.
    assert created["service_notice"] == "城市管理局 handles it within 3 working days."


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_retried_post_creates_no_duplicate(o311, fmt):
    fields = valid_request(o311)
    first = o311.api.post(fields, fmt)
    second = o311.api.post(fields, fmt)
    assert first.status_code == 201
    assert second.status_code == 200
    assert parse(first, fmt) == parse(second, fmt)
    assert stored() == (1, 1, 1)


def test_the_idempotency_key_header_is_honoured(o311):
    fields = valid_request(o311)
    headers = {"Idempotency-Key": "app-7f3a-0001"}
    first = parse(o311.api.post(fields, "json", headers=headers), "json")
    again = parse(o311.api.post(fields, "json", headers=headers), "json")
    assert first == again
    assert ChannelSubmission.objects.get().idempotency_key == "app-7f3a-0001"
    # A new key is a new request, even with the same content.
    fresh = parse(
        o311.api.post(fields, "json", headers={"Idempotency-Key": "app-7f3a-0002"}), "json"
    )
    assert fresh[0]["service_request_id"] != first[0]["service_request_id"]
    assert stored() == (2, 2, 2)


def test_different_requests_are_not_merged(o311):
    o311.api.post(valid_request(o311), "json")
    o311.api.post(valid_request(o311, description="另一处：路口垃圾桶满溢。"), "json")
    o311.api.post(valid_request(o311, device_id="device-002"), "json")
    assert stored() == (3, 3, 3)


def test_an_identical_post_a_day_later_is_a_new_request(o311):
    fields = valid_request(o311)
    first = parse(o311.api.post(fields, "json"), "json")[0]["service_request_id"]
    ChannelSubmission.objects.update(created_at=datetime(2020, 1, 1, tzinfo=MONDAY_10.tzinfo))
    second = parse(o311.api.post(fields, "json"), "json")[0]["service_request_id"]
    assert first != second
    # And a retry of the second returns the second.
    third = parse(o311.api.post(fields, "json"), "json")[0]["service_request_id"]
    assert third == second
    assert stored() == (2, 2, 2)


def test_reusing_a_key_for_different_content_is_refused(o311):
    """The same channel sending the same Idempotency-Key with other content: 400, no appeal."""
    headers = {"Idempotency-Key": "k-1"}
    o311.api.post(valid_request(o311), "json", headers=headers)
    before = stored()
    response = o311.api.post(
        valid_request(o311, description="完全不同的内容"), "json", headers=headers
    )
    check_errors(response, "json", 400)
    assert stored() == before
