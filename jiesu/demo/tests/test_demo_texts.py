# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The demo on real language: real messages assigned to demo leaves by the committed keyword
table, drawn by the simulation, and the category classifier the demo trains on them."""

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiesu.appeals.models import Appeal
from jiesu.catalog.models import Category
from jiesu.demo import build_texts, texts
from jiesu.dispatch import classifier, registry
from jiesu.dispatch.models import ModelVersion

ROOT = Path(__file__).resolve().parents[3]


def _rows():
    with open(texts.TEXTS, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_text_belongs_to_a_demo_leaf_by_the_keyword_table():
    rows = _rows()
    codes = build_texts.leaf_codes()
    table = {leaf: (l1, words) for leaf, l1, words in build_texts.read_keywords()}
    assert 500 <= len(rows) <= 3000
    assert texts.TEXTS.stat().st_size < 1_000_000
    for row in rows:
        leaf = row["category_name"]
        assert codes[leaf] == row["category_code"]
        l1, words = table[leaf]
        assert l1 in ("*", row["category_l1"])
        probe = f"{row['title']}\n{row['text'][: build_texts.PROBE_CHARS]}"
        assert any(w in probe for w in words), row
        assert len(row["title"]) + len(row["text"]) <= build_texts.MAX_CHARS
    per_leaf = Counter(row["category_code"] for row in rows)
    assert min(per_leaf.values()) >= build_texts.MIN_PER_LEAF
    assert max(per_leaf.values()) <= build_texts.PER_LEAF


@pytest.mark.skipif(
    not Path(build_texts.DEFAULT_SOURCE).exists(), reason="the shared messages are not here"
)
def test_the_committed_texts_are_what_the_script_makes():
    done = subprocess.run(
        [sys.executable, "-m", "jiesu.demo.build_texts", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)


def test_simulated_appeals_carry_real_texts_of_their_leaf(demo):
    call_command("simulate", appeals=40, days=10, seed=3, texts=str(texts.TEXTS))
    pairs = {(r["category_code"], r["text"]) for r in _rows()}
    known = {text for _code, text in pairs}
    appeals = list(Appeal.objects.select_related("category"))
    assert len(appeals) == 40
    assert all(a.description in known for a in appeals)
    filed = [a for a in appeals if a.category_id is not None]
    assert filed
    assert all((a.category.code, a.description) in pairs for a in filed)


def test_simulate_refuses_a_texts_file_without_its_columns(demo, tmp_path):
    bad = tmp_path / "texts.csv"
    bad.write_text("leaf,body\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no column category_code"):
        call_command("simulate", appeals=5, days=2, texts=str(bad))
    assert not Appeal.objects.exists()


def test_the_demo_classifier_is_trained_activated_and_names_demo_leaves(demo):
    version = texts.train_demo_classifier()
    assert version.active and version.kind == ModelVersion.Kind.CATEGORY
    assert version.meta["data_digest"]
    _pk, model = registry.load(ModelVersion.Kind.CATEGORY)
    leaves = set(Category.objects.filter(level=3).values_list("code", flat=True))
    assert set(model.classes) <= leaves
    assert len(model.classes) == len({r["category_code"] for r in _rows()})
    # Learned from the demo texts, it sends a plain new complaint to the leaf of its kind.
    appeal = Appeal(title="小区物业乱收费", description="小区物业公司乱收物业费，业委会也不管")
    found = classifier.category_suggestions(appeal)
    assert found["leaves"][0][0].name == "业主委员会与物业管理公司的纠纷"


def test_train_classifier_from_the_database_per_level(demo, capsys):
    call_command("simulate", appeals=60, days=20, seed=5, texts=str(texts.TEXTS))
    call_command("train_classifier", level=1, register=True)
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    assert report["source"] == "database (level 1)"
    version = ModelVersion.objects.get(kind=ModelVersion.Kind.CATEGORY)
    assert not version.active
    majors = set(Category.objects.filter(level=1).values_list("code", flat=True))
    assert set(version.meta["label_counts"]) <= majors
    closed = Appeal.objects.filter(status__in=classifier.TRAINING_STATES).count()
    assert version.meta["rows"] <= closed


def test_texts_of_open_appeals_can_be_left_out_of_training():
    """`bootstrap` trains without the texts of the appeals still open, so the demo's model meets
    them unseen (as it would meet new appeals)."""
    all_texts, _labels = texts.read_texts()
    with open(texts.TEXTS, encoding="utf-8", newline="") as fh:
        first = next(row for row in csv.DictReader(fh) if row["title"])
    kept, _labels = texts.read_texts(exclude={first["title"]})
    assert len(kept) < len(all_texts)
    assert not any(text.split("\n")[0] == first["title"] for text in kept)
