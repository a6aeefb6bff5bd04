# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The text classifier: training on a small labelled fixture, calibrated confidences, the three
commands, model versions and their hot reload across processes."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiesu.dispatch import registry, signatures, textmodel
from jiesu.dispatch.classifier import read_csv
from jiesu.dispatch.models import ModelVersion

FIXTURE = Path(__file__).parent / "fixtures" / "appeals_small.csv"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def small():
    texts, labels = read_csv(str(FIXTURE), ["title", "text"], "category_l1")
    return texts, labels


@pytest.fixture(scope="module")
def trained(small):
    return textmodel.TextClassifier.train(*small)


def test_trained_model_predicts_known_labels_with_probabilities(trained, small):
    texts, labels = small
    top = trained.predict(["学校食堂饭菜质量差，孩子们吃不饱，希望教育局管一管"], k=3)[0]
    assert [label for label, _p in top][0] == "教育文体"
    assert len(top) == 3
    assert all(0 <= p <= 1 for _l, p in top)
    assert top[0][1] >= top[1][1] >= top[2][1]
    total = sum(trained.probabilities(texts[:1])[0])
    assert abs(total - 1) < 1e-6


def test_meta_records_digest_figures_and_threshold_table(trained, small):
    texts, labels = small
    meta = trained.meta
    assert meta["data_digest"] == textmodel.data_digest(texts, labels)
    assert meta["rows"] == len(texts)
    oof = meta["out_of_fold"]
    assert 0.5 < oof["macro_f1"] <= 1
    assert set(oof["thresholds"]) == {"*", "城乡建设", "教育文体", "卫生计生"}
    rows = oof["thresholds"]["*"]
    assert [r["threshold"] for r in rows] == list(textmodel.THRESHOLDS)
    # a higher threshold never covers more predictions
    counts = [r["predictions"] for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_a_different_training_set_gives_a_different_digest(small):
    texts, labels = small
    assert textmodel.data_digest(texts, labels) != textmodel.data_digest(texts[1:], labels[1:])


def test_training_refuses_a_single_label():
    with pytest.raises(textmodel.TrainingError):
        textmodel.TextClassifier.train(["路灯坏了"] * 5, ["城乡建设"] * 5)


def test_model_bytes_round_trip(trained):
    again = textmodel.TextClassifier.loads(trained.dumps())
    text = ["医院挂号难，排队三小时"]
    assert again.predict(text) == trained.predict(text)


def test_evaluate_reports_every_figure(small):
    texts, labels = small
    result = textmodel.evaluate(texts, labels, folds=3, grouped=True)
    assert result["split"] == "grouped"
    assert len(result["fold_macro_f1"]) == 3
    assert set(result["precision_at_coverage"]) == {"50", "70", "90"}
    assert sum(sum(r) for r in result["confusion"]["matrix"]) == len(texts)
    assert sum(b["predictions"] for b in result["reliability"]) == len(texts)


def test_near_duplicate_groups_join_copies_and_keep_others_apart():
    a = "小区门口的垃圾堆放了一个星期没有人清理，臭气熏天，请尽快处理"
    b = "小区门口的垃圾堆放了一个星期没有人清理，臭气熏天，请尽快处理！！"
    c = "学校附近网吧接纳未成年人上网，希望文化部门查处"
    groups = signatures.near_duplicate_groups([a, b, c])
    assert groups[0] == groups[1] != groups[2]


# -- commands -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_train_classify_commands_on_csv(tmp_path, capsys):
    model_path = tmp_path / "m.joblib"
    call_command("train_classifier", csv=str(FIXTURE), out=str(model_path), activate=True)
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == "category-v1" and report["active"] is True
    assert model_path.stat().st_size == report["bytes"]
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "text"])
        w.writerow(["医院收费太高", "社区卫生服务中心乱收费，看个感冒花了五百元"])
        w.writerow(["", "学校老师有偿补课，家长负担重"])
        w.writerow(["道路施工", "道路施工扬尘严重，工地围挡破损"])
    out = tmp_path / "out.csv"
    call_command("classify", model=str(model_path), infile=str(src), out=str(out))
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [r["label"] for r in rows] == ["卫生计生", "教育文体", "城乡建设"]
    for r in rows:
        top3 = json.loads(r["top3"])
        assert len(top3) == 3 and top3[0]["label"] == r["label"]
        assert abs(float(r["confidence"]) - top3[0]["confidence"]) < 1e-3
    out2 = tmp_path / "out2.csv"
    call_command("classify", model="active", infile=str(src), out=str(out2))
    assert out2.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_train_refuses_a_missing_column(tmp_path):
    with pytest.raises(CommandError, match="no column category"):
        call_command(
            "train_classifier", csv=str(FIXTURE), label_column="category", out=str(tmp_path / "x")
        )


def test_classify_refuses_input_without_text_columns(tmp_path, trained):
    model_path = tmp_path / "m.joblib"
    model_path.write_bytes(trained.dumps())
    src = tmp_path / "in.csv"
    src.write_text("subject,body\n路灯,坏了\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no column title"):
        call_command("classify", model=str(model_path), infile=str(src), out=str(tmp_path / "o"))


def test_evaluate_command_prints_both_splits(capsys):
    call_command("evaluate_classifier", csv=str(FIXTURE), folds=3)
    out = capsys.readouterr().out
    assert "== random 3-fold" in out and "== grouped 3-fold" in out
    assert "precision of the 70% most confident" in out
    assert "confusion" in out and "reliability" in out


# -- versions and hot reload -----------------------------------------------------------------


@pytest.mark.django_db
def test_one_active_version_per_kind(trained):
    v1 = registry.register("category", trained.dumps(), meta=trained.meta, activate=True)
    v2 = registry.register("category", trained.dumps(), meta=trained.meta)
    assert (v1.number, v2.number) == (1, 2)
    assert list(ModelVersion.objects.filter(active=True)) == [v1]
    registry.activate_version(v2)
    assert list(ModelVersion.objects.filter(active=True).values_list("number", flat=True)) == [2]


@pytest.mark.django_db
def test_bytes_that_do_not_match_their_digest_are_refused(trained):
    v = registry.register("category", trained.dumps(), meta={}, activate=True)
    ModelVersion.objects.filter(pk=v.pk).update(sha256="0" * 64)
    with pytest.raises(registry.ModelFileError):
        registry.load("category")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_process_reloads_when_another_activates_a_version(small, tmp_path, settings):
    """A worker process keeps its model until another process activates a new version; then
    its next use loads the new one, without a restart."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        db_url = f"sqlite:///{settings.DATABASES['default']['NAME']}"
    else:
        d = settings.DATABASES["default"]
        db_url = f"postgres://{d['USER']}@{d['HOST']}:{d['PORT'] or 5432}/{d['NAME']}"
    texts, labels = small
    first = textmodel.TextClassifier.train(texts, labels)
    # The second version knows one more label: the worker's answer tells which one it uses.
    second = textmodel.TextClassifier.train(
        [*texts, "公交车司机开车玩手机", "公交线路调整不合理", "出租车拒载"],
        [*labels, "交通运输", "交通运输", "交通运输"],
    )
    registry.register("category", first.dumps(), meta={}, activate=True)
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "from jiesu.dispatch import registry\n"
        "for line in sys.stdin:\n"
        "    pk, m = registry.load('category'); print(pk, len(m.classes), flush=True)\n"
    )
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "jiesu.settings"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        pk1, n1 = proc.stdout.readline().split()
        v2 = registry.register("category", second.dumps(), meta={}, activate=True)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        pk2, n2 = proc.stdout.readline().split()
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    assert (int(n1), int(n2)) == (3, 4)
    assert int(pk2) == v2.pk != int(pk1)
