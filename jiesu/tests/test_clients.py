# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Client addresses for throttles and lockouts."""

from django.test import RequestFactory

from jiesu.clients import client_ip, client_ip_address


def test_an_address_only_when_there_is_a_valid_one(settings):
    request = RequestFactory().get("/")
    assert client_ip_address(request) == "127.0.0.1"
    request.META.pop("REMOTE_ADDR")
    assert client_ip(request) == "unknown" and client_ip_address(request) is None
    settings.JIESU = {**settings.JIESU, "TRUSTED_PROXY_HOPS": 1}
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    assert client_ip_address(request) is None
    request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.9, 10.0.0.1"
    assert client_ip_address(request) == "10.0.0.1"
