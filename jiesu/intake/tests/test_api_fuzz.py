# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""schemathesis against the API's own schema (/api/schema/), through the WSGI application: for
every operation, generated valid and invalid requests with a channel key and with a staff
token, every check schemathesis has (issue 8, "checks that keep them out"). No 500, no
response that breaks the schema, no valid request refused for its form and no invalid one
accepted.

The schema can state forms, not facts: a valid request may still name a code, a number or an
id that does not exist, a point outside the district, a credit code with a wrong check
character, or act on an appeal in the wrong state. So the built-in positive-data check lets
a 400 through, and `refused_only_for_facts` takes over: a 400 to a schema-valid request must
name only such facts (`FACTS`), never a form the schema allows (required, blank, max_length,
control_characters, ...).

A bounded number of examples per operation (FUZZ_EXAMPLES, 12 by default; set it higher for a
longer hunt) with a fixed seed, so `make test` is repeatable; FUZZ_SEED=random varies it.
"""

from __future__ import annotations

import json
import os
import random

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.core.jsonschema import make_validator
from schemathesis.transport.serialization import Binary

from jiesu.appeals.tests.conftest import completed, dispatched, make_user, new_appeal, registered
from jiesu.intake.tests.api_support import machine_channel, make_world
from jiesu.org.roles import Role
from jiesu.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("FUZZ_SEED", "8")

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            # A schema-valid request may name what does not exist: `refused_only_for_facts`
            # decides which 400s are right.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            },
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)

# Codes a schema-valid request may be refused for: facts, not forms, and rules between fields
# that a schema cannot state (a period's end before its start, or longer than allowed; a
# category level asked of regions).
FACT_CODES = {
    "does_not_exist",
    "check_digit",
    "wrong_channel",
    "inactive",
    "period_reversed",
    "period_too_long",
    "level_mismatch",
}
# Whole-request refusals that name a fact: a base64 cursor the server never wrote is opaque,
# like an appeal number that does not exist (the schema refuses empty and non-base64 ones).
FACT_ERRORS = {"invalid_cursor"}
# Fields whose value the workflow checks against the appeal's state, the catalogue or the
# district (its field errors have the code "invalid"): units, categories, points, notices,
# evidence files, extension days (up to the configured maximum).
FACT_FIELDS = {
    "category",
    "location",
    "lead_unit",
    "assisting_units",
    "notice",
    "attachments",
    "working_days",
    "photos",
    "file",
}


class RefusedValidData(Failure):
    kind_title = "Schema-valid request refused for its form"


def _form_text(value):
    if isinstance(value, Binary):
        return ""  # a file part: its bytes are no text to check
    return value if isinstance(value, str) else json.dumps(value)


def valid_as_sent(case) -> bool:
    """Is the body valid as the server reads it? Form parts are text: schemathesis may
    generate 125 for a string property of a multipart body (a number passes a string's
    pattern), but the server reads "125"."""
    if not (case.media_type or "").startswith("multipart/") or not isinstance(case.body, dict):
        return True
    if any(value is None for value in case.body.values()):
        return False  # a form has no null (schemathesis sends "null")
    body = case.operation.get_body_for_media_type(case.media_type)
    properties = body.optimized_schema.get("properties", {})
    sent = {
        name: _form_text(value)
        if properties.get(name, {}).get("type") == "string"
        else [_form_text(v) if isinstance(v, Binary) else v for v in value]
        if isinstance(value, list)
        else value
        for name, value in case.body.items()
    }
    validator = make_validator(
        body.optimized_schema, case.operation.schema.adapter.jsonschema_validator_cls
    )
    return validator.is_valid(sent)


def refused_only_for_facts(ctx, response, case):
    """A 400 to a request the schema calls valid names facts only (see the module doc)."""
    meta = case.meta
    if response.status_code != 400 or meta is None or not meta.generation.mode.is_positive:
        return None
    if not valid_as_sent(case):
        return None
    error = response.json()["error"]
    if error["code"] in FACT_ERRORS:
        return None
    fields = error.get("fields") or {}
    wrong = {
        name: [e["code"] for e in errors]
        for name, errors in fields.items()
        if not all(
            e["code"] in FACT_CODES or (name in FACT_FIELDS and e["code"] == "invalid")
            for e in errors
        )
    }
    if error["code"] == "invalid_input" and not fields:
        return None  # the workflow refused the step (merge into itself, unknown unit, ...)
    # Staff name the channel they file for; a channel key files through its own.
    if wrong == {"channel": ["required"]} and CURRENT.get("identity") == "staff":
        return None
    if error["code"] not in ("invalid_input",) or wrong:
        raise RefusedValidData(
            operation=case.operation.label,
            message=f"{error['code']}: {wrong or error.get('message')}",
        )
    return None


CURRENT: dict = {}


@schema.auth(refresh_interval=None)
class Credential:
    """The identity of the test running: a channel's API key or a staff member's token."""

    def get(self, case, context):
        return CURRENT.get("headers", {})

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}


@pytest.fixture(params=["channel", "staff"])
def identity(request, db, settings):
    # Django's test client does the same: requests must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    world = make_world(settings)
    channel, key = machine_channel(rate_limit_per_minute=0)
    staff = make_user(
        "fuzz",
        world.centre,
        Role.INTAKE_OPERATOR,
        Role.DISPATCHER,
        Role.SUPERVISOR,
        Role.VISIT_AGENT,
    )
    token = Token.objects.create(user=staff)
    numbers = [
        new_appeal(world, channel=channel.code).number,
        registered(world, channel=channel.code).number,
        dispatched(world, channel=channel.code).number,
        completed(world).number,
        new_appeal(world).number,
    ]
    CURRENT.update(
        identity=request.param,
        numbers=numbers,
        headers={"X-Api-Key": key}
        if request.param == "channel"
        else {"Authorization": f"Token {token.key}"},
    )
    yield request.param
    CURRENT.clear()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=SEED != "random",
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_agrees_with_its_schema(case, identity):
    if case.path_parameters and "number" in case.path_parameters:
        # Most valid requests name a real appeal, so that the actions run, not only 404.
        meta = case.meta
        chooser = random.Random(repr(case.body) + repr(case.query))  # noqa: S311  not a secret
        if meta is not None and meta.generation.mode.is_positive and chooser.random() < 0.75:
            case.path_parameters["number"] = chooser.choice(CURRENT["numbers"])
    case.call_and_validate(additional_checks=[refused_only_for_facts])
