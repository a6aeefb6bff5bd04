# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from urllib.parse import parse_qsl, urlencode

from django import template

register = template.Library()


@register.filter
def percent(value):
    """0.875 → 87.5% (one decimal when needed); None → –."""
    if value is None or value == "":
        return "–"
    text = f"{float(value) * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def signed_percent(value):
    if value is None or value == "":
        return "–"
    text = percent(value)
    return text if text.startswith("-") else f"+{text}"


@register.filter
def drop_param(query: str, name: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(query) if k != name])


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def map_settings() -> dict:
    """What every map needs from the settings: the tile URL (empty: outlines only), its
    attribution and its coordinate system (wgs84, gcj02 or bd09; JIESU_MAP_TILE_COORD_SYSTEM)."""
    from django.conf import settings

    from jiesu.org import coords

    jiesu = getattr(settings, "JIESU", {})
    return {
        "tiles": jiesu.get("MAP_TILE_URL", ""),
        "attribution": jiesu.get("MAP_TILE_ATTRIBUTION", ""),
        "crs": coords.normalise(jiesu.get("MAP_TILE_COORD_SYSTEM", "")) or coords.WGS84,
    }
