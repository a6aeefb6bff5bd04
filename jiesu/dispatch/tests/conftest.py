# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Shared fixtures of the dispatch room's tests: the appeals world, a second region tree and a
classifier trained on the small fixture whose labels are the world's leaf categories."""

from pathlib import Path

import pytest

from jiesu.appeals.tests.conftest import at, world  # noqa: F401  (shared fixtures)
from jiesu.catalog.models import Category
from jiesu.dispatch import registry, textmodel
from jiesu.dispatch.classifier import read_csv
from jiesu.dispatch.models import ModelVersion

FIXTURE = Path(__file__).parent / "fixtures" / "appeals_small.csv"
# The fixture's three major categories as leaves of the test catalogue.
LEAF_CODES = {"城乡建设": "0101001", "教育文体": "0201001", "卫生计生": "0301001"}


@pytest.fixture(scope="session")
def small_model_bytes():
    texts, labels = read_csv(str(FIXTURE), ["title", "text"], "category_l1")
    model = textmodel.TextClassifier.train(texts, [LEAF_CODES[label] for label in labels])
    return model.dumps(), model.meta


@pytest.fixture
def leaves(world):  # noqa: F811
    """The world's leaf (城乡建设 in the model) and two more leaves for the other labels."""
    made = {"城乡建设": world.leaf}
    for label, code, name in (
        ("教育文体", "0201001", "校园管理"),
        ("卫生计生", "0301001", "医疗服务"),
    ):
        major = Category.objects.create(code=code[:2], name=label, level=1)
        middle = Category.objects.create(code=code[:4], name=label + "类", level=2, parent=major)
        made[label] = Category.objects.create(code=code, name=name, level=3, parent=middle)
    return made


@pytest.fixture
def active_model(leaves, small_model_bytes):
    data, meta = small_model_bytes
    return registry.register(ModelVersion.Kind.CATEGORY, data, meta=meta, activate=True)
