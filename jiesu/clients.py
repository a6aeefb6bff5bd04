# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Who is calling, as far as the network tells: the client's address, for throttles and
lockouts (tracking, the citizen form, login). Behind a reverse proxy, set
JIESU["TRUSTED_PROXY_HOPS"] (env JIESU_TRUSTED_PROXY_HOPS) to the number of proxies that append
to X-Forwarded-For; never trust the header without it (a client could name any address)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    hops = int(getattr(settings, "JIESU", {}).get("TRUSTED_PROXY_HOPS", 0))
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip_address(request) -> str | None:
    """The client's address when it is a valid IP address, else None (a request built without
    one, as Django's test client's force_login does, or a garbled forwarded header). For stores
    that keep addresses in an IP column (django-axes: PostgreSQL refuses anything else)."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None
