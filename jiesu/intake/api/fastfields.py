# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Cheaper per-request field copies for the serializers on the hot path.

REST framework deep-copies every declared field for each serializer instance (fields are bound
to their parent, so they cannot be shared). `copy.deepcopy` of a field re-runs its constructor
with deep copies of every constructor argument, querysets included, which made building the
submission serializer about a tenth of an appeal filing's CPU time. `FastFields` re-runs the
constructors with the same arguments instead: strings and numbers are immutable, a queryset is
re-evaluated by the field on each use (`RelatedField.get_queryset` calls `.all()`), validators
are shared by REST framework itself, and nested fields (`child`) are copied the same way.
"""

from __future__ import annotations

from rest_framework import serializers


def clone(field: serializers.Field) -> serializers.Field:
    kwargs = dict(field._kwargs)
    child = kwargs.get("child")
    if isinstance(child, serializers.Field):
        kwargs["child"] = clone(child)
    return field.__class__(*field._args, **kwargs)


class FastFields:
    """Mix into a `serializers.Serializer` whose declared fields are plain fields."""

    def get_fields(self):
        return {name: clone(field) for name, field in self._declared_fields.items()}
