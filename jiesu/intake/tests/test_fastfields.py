# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The submission serializer's cheap field copies behave like REST framework's deep copies."""

import copy

from jiesu.intake.api.serializers import SubmissionSerializer


def test_each_serializer_gets_its_own_bound_fields():
    first, second = SubmissionSerializer(data={}), SubmissionSerializer(data={})
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["photos"].child is not second.fields["photos"].child
    assert first.fields["photos"].child.parent is first.fields["photos"]


def test_copies_match_deep_copies():
    ours = SubmissionSerializer(data={}).fields
    theirs = {k: copy.deepcopy(f) for k, f in SubmissionSerializer._declared_fields.items()}
    assert list(ours) == list(theirs)
    for name, field in ours.items():
        assert type(field) is type(theirs[name])
        assert field.required == theirs[name].required
        assert field._kwargs.keys() == theirs[name]._kwargs.keys()


def test_validation_is_unchanged_across_instances(db):
    good = {"title": "路灯不亮", "description": "坪山某路段路灯不亮", "anonymous": True}
    bad = {"title": "", "description": "x", "lat": 200}
    assert SubmissionSerializer(data=good).is_valid()
    serializer = SubmissionSerializer(data=bad)
    assert not serializer.is_valid()
    assert {"title", "lat"} <= set(serializer.errors)
    assert SubmissionSerializer(data=good).is_valid()


def test_declared_fields_stay_unbound():
    """Copies are bound, never the class's declared fields they were copied from (a bound
    declared field would carry one request's serializer into the next)."""
    SubmissionSerializer(data={}).fields  # noqa: B018 (binds the copies)
    for field in SubmissionSerializer._declared_fields.values():
        assert getattr(field, "field_name", None) is None
        assert getattr(field, "parent", None) is None
    photos = SubmissionSerializer._declared_fields["photos"]
    assert photos.child.parent is photos
