# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The API's error messages come from the translation catalogue, in the request's language."""

import re

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from jiesu.intake.errors import ERRORS, default_message

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_error_code_speaks_both_languages(code):
    with translation.override("en"):
        english = default_message(code, wait=3)
    with translation.override("zh-hans"):
        chinese = default_message(code, wait=3)
    assert english == str(ERRORS[code][1]).replace("%(wait)s", "3")
    assert not CJK.search(english)
    assert CJK.search(chinese), f"{code} has no Chinese message"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "/api/v1/appeals 不是 API 接口。是否应为 /api/v1/appeals/（结尾带斜杠）？"),
        (
            "en",
            "No API endpoint at /api/v1/appeals. Did you mean /api/v1/appeals/ "
            "(with the final slash)?",
        ),
    ],
)
def test_a_message_with_a_placeholder_reads_as_one_sentence(language, message):
    response = APIClient().get("/api/v1/appeals", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == message
