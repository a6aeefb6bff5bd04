# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The fast select renders exactly what Django's template-rendered select does."""

import re

import pytest
from django import forms
from django.http import QueryDict

from jiesu.catalog.models import Category
from jiesu.console.desk_filters import DeskFilterForm
from jiesu.console.views.search import SearchForm
from jiesu.console.widgets import FastSelect


def _norm(html) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


def _both(bound):
    fast = _norm(bound.as_widget())
    assert isinstance(bound.field.widget, FastSelect)
    plain = forms.Select(attrs=bound.field.widget.attrs)
    plain.choices = bound.field.widget.choices
    plain.is_required = bound.field.widget.is_required
    bound.field.widget = plain
    return fast, _norm(bound.as_widget())


@pytest.mark.parametrize(
    ("form", "query"),
    [
        (SearchForm, ""),
        (SearchForm, "category={leaf}&unit={unit}"),
        (DeskFilterForm, "category={middle}&unit={unit}"),
        (DeskFilterForm, "category=nope"),
    ],
)
def test_fast_select_matches_django(world, form, query):
    leaf = Category.objects.filter(level=3).first()
    # A label that needs escaping.
    leaf.name = '<b>"垃圾" & 噪音</b>'
    leaf.save()
    data = QueryDict(query.format(leaf=leaf.code, middle=leaf.parent.code, unit=world.water.code))
    bound_form = form(data)
    bound_form.is_valid()
    for name in ("category", "unit"):
        fast, plain = _both(bound_form[name])
        assert fast == plain
        assert "<b>" not in fast
    if query.startswith("category={leaf}"):
        assert f'<option value="{leaf.code}" selected>' in _norm(form(data)["category"])
