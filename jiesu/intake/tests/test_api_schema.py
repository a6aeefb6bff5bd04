# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The OpenAPI schema: served, documented offline, valid, and the committed copy up to date."""

import io
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from jiesu.appeals import workflow

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


def generate(tmp_path) -> str:
    target = tmp_path / "openapi.yaml"
    call_command(
        "spectacular",
        "--lang",
        "en",
        "--file",
        str(target),
        "--validate",
        "--fail-on-warn",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return target.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_committed_schema_is_up_to_date(tmp_path):
    generated = generate(tmp_path)
    assert COMMITTED.exists(), "docs/api/openapi.yaml is missing; see docs/api/README.md"
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "docs/api/openapi.yaml differs from the API. Regenerate it: "
        ".venv/bin/python manage.py spectacular --lang en --file docs/api/openapi.yaml "
        "--validate --fail-on-warn"
    )


def test_schema_documents_every_endpoint_and_error():
    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/appeals/"])
    for name in set(workflow.TRANSITIONS) - {"receive"}:
        operation = paths[f"/api/v1/appeals/{{number}}/actions/{name}/"]["post"]
        assert operation["operationId"] == f"appeals_action_{name}"
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    submit = paths["/api/v1/appeals/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(submit["requestBody"]["content"])
    assert {"200", "201", "401", "409", "429"} <= set(submit["responses"])
    schemes = schema["components"]["securitySchemes"]
    assert {"channelApiKey", "staffToken", "staffSession"} <= set(schemes)
    assert "Error" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_schema_and_docs_pages_render(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/v1/appeals/" in response.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page.lower()
    assert "cdn." not in page and "googleapis" not in page  # offline: the sidecar's assets
    assert "<style" not in page and "<script>" not in page  # the CSP allows nothing inline


def test_api_root_lists_the_entry_points(client):
    data = client.get("/api/v1/").json()
    assert data["appeals"].endswith("/api/v1/appeals/")
    assert data["docs"].endswith("/api/docs/")
