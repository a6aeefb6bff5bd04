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
submission serializer about a tenth of an appeal filing's CPU time; re-running the
constructors with the same arguments still cost a twentieth. `FastFields` makes shallow copies
of the declared fields instead, which are never bound themselves: what a copy shares with the
declared field is read-only once constructed (the constructor's arguments, validators, error
messages, choices; a queryset is re-evaluated by the field on each use, as
`RelatedField.get_queryset` calls `.all()`). Binding (`field_name`, `parent`, `source`) sets
attributes on the copy alone. A nested field (`child`, already bound to the declared field by
its constructor) is constructed again with its arguments and bound to the new parent.
"""

from __future__ import annotations

from rest_framework import serializers


def clone(field: serializers.Field) -> serializers.Field:
    # copy.copy without its protocol lookups (__reduce_ex__): fields keep their state in
    # __dict__ and define no __copy__.
    new = object.__new__(field.__class__)
    new.__dict__.update(field.__dict__)
    child = getattr(field, "child", None)
    if isinstance(child, serializers.Field):
        new.child = child.__class__(*child._args, **child._kwargs)
        new.child.bind(field_name="", parent=new)
    return new


class FastFields:
    """Mix into a `serializers.Serializer` whose declared fields are plain fields."""

    def get_fields(self):
        return {name: clone(field) for name, field in self._declared_fields.items()}
