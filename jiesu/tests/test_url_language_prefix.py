# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A test that changes LANGUAGE_CODE must not change the links of the tests after it."""

from django.test import override_settings
from django.urls import translate_url


def test_language_prefix_comes_back_after_a_test_changed_the_default_language():
    with override_settings(LANGUAGE_CODE="en"):
        # English is the default language here, so its links carry no prefix.
        assert translate_url("/", "en") == "/"
    assert translate_url("/", "en") == "/en/"


def test_the_browsers_icon_request_is_answered_without_an_error(client, db):
    """Opening the admin or a JSON endpoint in a browser logged a 404 for /favicon.ico and a
    console error on every first visit."""
    response = client.get("/favicon.ico")
    assert response.status_code == 204
    assert "max-age=86400" in response["Cache-Control"]
    assert client.post("/favicon.ico").status_code == 405
