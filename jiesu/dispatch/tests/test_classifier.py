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

import numpy as np
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


# -- output contracts and bad input ------------------------------------------------------------


def test_classify_writes_one_row_per_input_row_in_order(tmp_path, trained):
    model_path = tmp_path / "m.joblib"
    model_path.write_bytes(trained.dumps())
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "text", "other"])
        w.writerow(["学校乱收费", "", "x"])
        w.writerow(["", "", "an empty row still gets its output row"])
        w.writerow(["医院", "医生态度恶劣，看病排队太久", "y"])
    out = tmp_path / "out.csv"
    call_command("classify", model=str(model_path), infile=str(src), out=str(out))
    with open(out, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == ["label", "confidence", "top3"]
    assert len(rows) == 3
    assert rows[0]["label"] == "教育文体" and rows[2]["label"] == "卫生计生"
    for r in rows:
        top3 = json.loads(r["top3"])
        assert [set(t) for t in top3] == [{"label", "confidence"}] * 3
        assert 0 <= float(r["confidence"]) <= 1
        assert top3[0]["confidence"] >= top3[1]["confidence"] >= top3[2]["confidence"]


def test_train_refuses_a_file_that_is_not_utf8_and_writes_nothing(tmp_path):
    bad = tmp_path / "gbk.csv"
    bad.write_bytes(b"title,text,category_l1\n" + "路灯不亮,晚上很黑,城乡建设\n".encode("gbk"))
    out = tmp_path / "m.joblib"
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("train_classifier", csv=str(bad), out=str(out))
    assert not out.exists()


def test_train_refuses_too_few_labels_and_writes_nothing(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text(
        "title,text,category_l1\n" + "".join(f"路灯{i},不亮,城乡建设\n" for i in range(12)),
        encoding="utf-8",
    )
    out = tmp_path / "m.joblib"
    with pytest.raises(CommandError, match="at least two labels"):
        call_command("train_classifier", csv=str(one), out=str(out))
    assert not out.exists()


def test_train_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "train_classifier", csv=str(tmp_path / "nope.csv"), out=str(tmp_path / "m.joblib")
        )
    assert not (tmp_path / "m.joblib").exists()


def test_classify_refuses_a_file_that_is_not_a_model(tmp_path):
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a model at all")
    src = tmp_path / "in.csv"
    src.write_text("title,text\n路灯,坏了\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="Cannot load the model"):
        call_command("classify", model=str(junk), infile=str(src), out=str(out))
    assert not out.exists()


@pytest.mark.django_db
def test_classify_with_no_active_model_says_so(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("title,text\n路灯,坏了\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No category model is active"):
        call_command("classify", model="active", infile=str(src), out=str(tmp_path / "o.csv"))
    assert not (tmp_path / "o.csv").exists()


def test_evaluate_command_prints_every_figure_and_writes_json(tmp_path, capsys):
    report = tmp_path / "figures.json"
    call_command(
        "evaluate_classifier", csv=str(FIXTURE), folds=3, split="grouped", json=str(report)
    )
    out = capsys.readouterr().out
    for words in ("accuracy", "macro-F1", "per-class F1", "confusion", "reliability"):
        assert words in out
    for q in (50, 70, 90):
        assert f"precision of the {q}% most confident" in out
    figures = json.loads(report.read_text(encoding="utf-8"))["grouped"]
    assert set(figures["per_class_f1"]) == {"城乡建设", "教育文体", "卫生计生"}
    assert 0 <= figures["macro_f1"] <= 1


def test_evaluate_refuses_one_fold():
    with pytest.raises(CommandError, match="at least 2 folds"):
        call_command("evaluate_classifier", csv=str(FIXTURE), folds=1)


def test_default_model_stacks_an_svm_and_two_naive_bayes_members(trained, small):
    assert [name for name, _v in trained.vectorizers] == ["char", "words"]
    assert trained.features == "stack" and trained.meta["feature_views"] == "stack"
    assert len(trained.nbs) == 2 and trained.stacker is not None
    assert trained.meta["algorithm"].startswith("stack(linear-svm-balanced[char-1-3]")
    assert trained.meta["algorithm"].endswith(")+pooled-log-linear")
    # Inner validation picked the combiner with the lowest out-of-fold log-loss among those
    # the data can support; a small fixture supports only the pooled one.
    losses = trained.meta["combiner_log_loss"]
    assert trained.meta["combiner"] == min(losses, key=losses.get) == "pool"
    assert len(trained.stacker.weights) == 3
    P = trained.probabilities(small[0][:10])
    assert P.shape == (10, len(trained.classes))
    assert abs(P.sum(axis=1) - 1).max() < 1e-9


def test_characters_alone_remain_available(small):
    model = textmodel.TextClassifier.train(*small, features="char")
    assert [name for name, _v in model.vectorizers] == ["char"]
    assert model.stacker is None and model.nbs == []
    assert model.meta["algorithm"] == "tfidf-char-1-3+linear-svm-balanced+temperature"
    assert model.predict(["学校老师有偿补课"])[0][0][0] == "教育文体"


def _old_file(model, fmt):
    """The bytes the code of an earlier format wrote for a character SVM model."""
    import io

    import joblib

    obj = {"format": fmt, "svm": model.svm, "temperature": model.temperature}
    obj.update({"classes": model.classes, "meta": model.meta})
    if fmt == 1:
        obj["vectorizer"] = model.vectorizers[0][1]
    else:
        obj["vectorizers"] = model.vectorizers
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def test_model_files_of_earlier_formats_still_load_and_predict(small):
    model = textmodel.TextClassifier.train(*small, features="char")
    for fmt in (1, 2):
        old = textmodel.TextClassifier.loads(_old_file(model, fmt))
        assert old.features == "char" and old.stacker is None
        assert old.predict(["学校老师有偿补课"]) == model.predict(["学校老师有偿补课"])


def test_a_model_file_of_an_unknown_format_is_refused_with_a_clear_message(trained):
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"format": 99, "svm": None}, buffer)
    with pytest.raises(textmodel.TrainingError, match="format 99 .*train the model again"):
        textmodel.TextClassifier.loads(buffer.getvalue())
    with pytest.raises(textmodel.TrainingError, match="Not a readable"):
        textmodel.TextClassifier.loads(b"not a model at all")


def test_features_can_combine_characters_and_words(small):
    texts, labels = small
    model = textmodel.TextClassifier.train(texts, labels, features="char+words")
    assert [name for name, _v in model.vectorizers] == ["char", "words"]
    assert "小区" in textmodel.segment("小区门口路灯不亮").split()
    assert model.transform(["路灯不亮"]).shape == (1, model.meta["features"])
    again = textmodel.TextClassifier.loads(model.dumps())
    assert again.predict(["学校老师有偿补课"]) == model.predict(["学校老师有偿补课"])
    assert again.predict(["学校老师有偿补课"])[0][0][0] == "教育文体"


def test_unknown_features_are_refused(small):
    with pytest.raises(textmodel.TrainingError, match="Unknown features"):
        textmodel.TextClassifier.train(*small, features="bytes")


@pytest.mark.django_db
def test_model_versions_lists_figures_and_activates_a_version(trained, capsys):
    registry.register("category", trained.dumps(), meta=trained.meta, activate=True)
    registry.register("category", trained.dumps(), meta=trained.meta)
    call_command("model_versions", activate=2)
    out = capsys.readouterr().out
    assert "category-v2 is now active." in out
    assert "* category-v2" in out and "  category-v1" in out
    assert f"macro-F1 {trained.meta['out_of_fold']['macro_f1']}" in out
    assert registry.load("category")[0] == ModelVersion.objects.get(number=2).pk
    with pytest.raises(CommandError, match="no category model version 9"):
        call_command("model_versions", activate=9)
    assert ModelVersion.objects.get(active=True).number == 2


def test_the_per_label_combiner_is_tried_only_with_enough_rows_per_parameter():
    # 7 labels, 3 members: 7 x (3 x 7 + 1) = 154 parameters.
    assert set(textmodel._combiners(1_539, 3, 7)) == {"pool"}
    assert set(textmodel._combiners(1_540, 3, 7)) == {"pool", "logistic"}
    assert set(textmodel._combiners(100_000, 3, 300)) == {"pool"}


def test_the_pooled_combiner_learns_to_trust_the_informative_member():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 2000)
    informative = np.eye(4)[y] * 3 + rng.normal(0, 1, (2000, 4))
    noise = rng.normal(0, 3, (2000, 4))
    pool = textmodel._Pool(2, 4).fit(np.hstack([informative, noise]), y)
    assert pool.weights[0] > 0.5 and abs(pool.weights[1]) < 0.1
    P = pool.predict_proba(np.hstack([informative, noise]))
    assert abs(P.sum(axis=1) - 1).max() < 1e-9
    assert (P.argmax(axis=1) == y).mean() > 0.85


# -- the fast prediction path -----------------------------------------------------------------

ODD_TEXTS = [
    "",
    " ",
    "A",
    "ab",
    "  \n\t x  Y  \r\n",
    "ＡＢＣ abc C++ 4.5% #&-_ 123",
    "１２３…—“引号”",
    "😀表情 emoji",
    "路灯坏了，路灯坏了！！",
    "蒋介石和毛泽东是好朋友吗高科技公司小明硕士毕业于中国科学院计算所",
]


def _same_matrix(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


def test_fast_segmentation_gives_the_words_jieba_gives(small):
    import jieba

    for text in ODD_TEXTS + small[0]:
        for t in (text, text[:40], text.lower()):
            assert textmodel.jieba_cut(t) == jieba.lcut(t)
            assert textmodel.segment(t) == textmodel.segment(t, fast=False)


def test_fast_path_gives_exactly_what_scikit_learn_gives(trained, small):
    """Features bit for bit against each vectorizer's own transform, probabilities and the top
    labels against the scikit-learn path, for every kind of model and both combiners."""
    import dataclasses

    from sklearn.linear_model import LogisticRegression

    texts, labels = small
    sample = ODD_TEXTS + texts
    # The logistic-regression combiner (chosen on large data) fitted on the fixture's scores.
    K = len(trained.classes)
    Z = textmodel._member_scores(
        trained.svm, trained.nbs, trained._matrices(texts, fast=False), "stack", K
    )
    y = np.searchsorted(trained.classes, labels)
    logistic = dataclasses.replace(trained, stacker=LogisticRegression(max_iter=2000).fit(Z, y))
    two = [i for i, label in enumerate(labels) if label in ("城乡建设", "教育文体")]
    models = {
        "stack+pool": trained,
        "stack+logistic": logistic,
        "char": textmodel.TextClassifier.train(texts, labels, features="char"),
        "char+words": textmodel.TextClassifier.train(texts, labels, features="char+words"),
        "two labels": textmodel.TextClassifier.train(
            [texts[i] for i in two], [labels[i] for i in two], features="char"
        ),
    }
    for kind, model in models.items():
        model = textmodel.TextClassifier.loads(model.dumps())
        for name, v in model.vectorizers:
            fast = textmodel._FastTfidf.make(v)
            assert fast is not None, (kind, name)
            view = sample if name == "char" else [textmodel.segment(t, False) for t in sample]
            _same_matrix(fast.transform(view), v.transform(view).tocsr())
            for t in view[:15]:
                _same_matrix(fast.transform([t]), v.transform([t]).tocsr())
        expected = model.probabilities(sample, fast=False)
        assert np.array_equal(model.probabilities(sample), expected), kind
        for t in sample:
            # One text at a time, as at intake (a batch may differ in the last bit: BLAS).
            one = model.probabilities([t], fast=False)[0]
            assert np.array_equal(model.probabilities([t])[0], one), (kind, t)
            top = np.argsort(-one)[:3]
            assert model.predict([t], k=3) == [[(model.classes[j], float(one[j])) for j in top]]
        _same_matrix(model.transform(sample), model.transform(sample, fast=False))
    assert models["stack+logistic"].probabilities([]).shape == (0, K)


def test_a_vectorizer_configured_otherwise_keeps_its_own_transform(small):
    from sklearn.feature_extraction.text import TfidfVectorizer

    v = TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit(small[0])
    assert textmodel._FastTfidf.make(v) is None
    v = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=False).fit(small[0])
    assert textmodel._FastTfidf.make(v) is None
