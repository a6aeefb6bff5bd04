# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Materialised-path trees (units and regions share the TreeNode base)."""

import pytest
from django.core.exceptions import ValidationError

from jiesu.org.models import Unit, path_segment


def test_paths_and_depths_on_create(make_unit):
    root = make_unit("Centre")
    child = make_unit("Department", parent=root)
    grandchild = make_unit("Team", parent=child)
    assert root.path == f"/{path_segment(root.pk)}"
    assert child.path == root.path + path_segment(child.pk)
    assert grandchild.path == child.path + path_segment(grandchild.pk)
    assert (root.depth, child.depth, grandchild.depth) == (0, 1, 2)
    # What is in memory is what is stored.
    stored = Unit.objects.get(pk=grandchild.pk)
    assert (stored.path, stored.depth) == (grandchild.path, 2)


def test_subtree_descendants_ancestors(make_unit):
    root = make_unit("Centre")
    a = make_unit("A", parent=root)
    a1 = make_unit("A1", parent=a)
    b = make_unit("B", parent=root)
    assert set(a.subtree()) == {a, a1}
    assert set(a.descendants()) == {a1}
    assert set(root.subtree()) == {root, a, a1, b}
    assert a1.ancestors() == [root, a]
    assert a1.is_within(a) and a1.is_within(root) and a1.is_within(a1)
    assert not b.is_within(a)


def test_move_subtree_rewrites_paths_and_depths(make_unit):
    root = make_unit("Centre")
    a = make_unit("A", parent=root)
    b = make_unit("B", parent=root)
    a1 = make_unit("A1", parent=a)
    a11 = make_unit("A11", parent=a1)

    a1.parent = b
    a1.save()

    a1.refresh_from_db()
    a11.refresh_from_db()
    assert a1.path == b.path + path_segment(a1.pk)
    assert a11.path == a1.path + path_segment(a11.pk)
    assert (a1.depth, a11.depth) == (2, 3)
    assert set(b.subtree()) == {b, a1, a11}
    assert set(a.subtree()) == {a}

    # Move up to the root: depths shrink.
    a1.parent = None
    a1.save()
    a11.refresh_from_db()
    assert a1.depth == 0 and a11.depth == 1
    assert a11.path == f"/{path_segment(a1.pk)}{path_segment(a11.pk)}"


def test_move_with_stale_in_memory_parent(make_unit):
    root = make_unit("Centre")
    a = make_unit("A", parent=root)
    b = make_unit("B", parent=root)
    stale_a = Unit.objects.get(pk=a.pk)
    a.parent = b
    a.save()
    # A child created under the stale copy of A still gets A's new path.
    child = make_unit("A-child", parent=stale_a)
    assert child.path == b.path + path_segment(a.pk) + path_segment(child.pk)


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_cycle_refused(make_unit, target):
    root = make_unit("Centre")
    a = make_unit("A", parent=root)
    a1 = make_unit("A1", parent=a)
    a11 = make_unit("A11", parent=a1)
    new_parent = {"self": a, "child": a1, "grandchild": a11}[target]

    a.parent = new_parent
    with pytest.raises(ValidationError) as clean_error:
        a.full_clean()
    assert "parent" in clean_error.value.message_dict
    with pytest.raises(ValidationError):
        a.save()
    # Nothing moved.
    a.refresh_from_db()
    assert a.parent_id == root.pk
    assert a1.path == Unit.objects.get(pk=a1.pk).path


def test_ordering_by_path_is_depth_first_beyond_single_digit_ids(make_unit):
    # Enough nodes that primary keys of different lengths (9, 10, 11 …) share a tree.
    root = make_unit("Root")
    first = make_unit("First", parent=root)
    fillers = [make_unit(f"Filler {i}", parent=root) for i in range(10)]
    late_child_of_first = make_unit("Late child of first", parent=first)
    nodes = list(Unit.objects.filter(path__startswith=root.path))
    index = {n.pk: i for i, n in enumerate(nodes)}
    assert nodes[0] == root
    # Every node comes after its parent, and a subtree is contiguous.
    for node in nodes:
        if node.parent_id:
            assert index[node.parent_id] < index[node.pk]
    assert index[late_child_of_first.pk] == index[first.pk] + 1
    assert len(nodes) == 2 + len(fillers) + 1


def test_partial_save_keeps_path(make_unit):
    root = make_unit("Centre")
    a = make_unit("A", parent=root)
    a.name = "Renamed"
    a.save(update_fields=["name"])
    a.refresh_from_db()
    assert a.name == "Renamed" and a.path.startswith(root.path)
