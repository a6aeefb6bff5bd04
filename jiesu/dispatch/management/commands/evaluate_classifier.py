# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import json

from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import classifier, textmodel


class Command(BaseCommand):
    help = (
        "k-fold cross-validation of the classifier on a labelled CSV file: accuracy, macro-F1, "
        "per-class F1, confusion matrix, reliability table, precision of the 50/70/90% most "
        "confident predictions. --split grouped keeps near-copies of a message in one fold (the "
        "honest figure); random is the plain split; both (default) reports the two."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--text-columns", default="title,text")
        parser.add_argument("--label-column", default="category_l1")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--split", choices=["grouped", "random", "both"], default="both")
        parser.add_argument(
            "--features",
            choices=list(textmodel.FEATURES),
            default=textmodel.DEFAULT_FEATURES,
            help="stack (default): an SVM on characters and two Naive Bayes members combined; "
            "char: the SVM on characters alone; char+words: that SVM on characters and words.",
        )
        parser.add_argument("--json", help="Also write the full figures to this file.")

    def handle(self, *args, **o):
        if o["folds"] < 2:
            raise CommandError("Use at least 2 folds.")
        columns = [c.strip() for c in o["text_columns"].split(",") if c.strip()]
        try:
            texts, labels = classifier.read_csv(o["csv"], columns, o["label_column"])
        except classifier.DataError as exc:
            raise CommandError(str(exc)) from None
        if len(set(labels)) < 2:
            raise CommandError("The file needs at least two labels.")
        splits = ["random", "grouped"] if o["split"] == "both" else [o["split"]]
        report = {}
        for split in splits:
            result = textmodel.evaluate(
                texts,
                labels,
                folds=o["folds"],
                grouped=split == "grouped",
                features=o["features"],
            )
            report[split] = result
            self._print(split, result)
        if o["json"]:
            with open(o["json"], "w", encoding="utf-8") as fh:
                json.dump(report, fh, ensure_ascii=False, indent=2)

    def _print(self, split, r):
        w = self.stdout.write
        w(f"== {split} {r['folds']}-fold, {r['features']} ({r['n']} rows, {r['seconds']} s)")
        w(
            f"accuracy {r['accuracy']:.4f}  macro-F1 {r['macro_f1']:.4f}  "
            f"folds {r['fold_macro_f1']}  calibration error {r['expected_calibration_error']:.4f}"
        )
        for q, v in r["precision_at_coverage"].items():
            w(
                f"precision of the {q}% most confident: {v['precision']:.4f} "
                f"(confidence >= {v['min_confidence']:.3f})"
            )
        w("per-class F1: " + ", ".join(f"{k} {v:.4f}" for k, v in r["per_class_f1"].items()))
        labels = r["confusion"]["labels"]
        w("confusion (rows: true, columns: predicted, in this order): " + " | ".join(labels))
        for label, row in zip(labels, r["confusion"]["matrix"], strict=True):
            w(f"  {label}: {row}")
        w("reliability (confidence bin: predictions, mean confidence, accuracy):")
        for b in r["reliability"]:
            if b["predictions"]:
                w(
                    f"  {b['from']:.1f}-{b['to']:.1f}: {b['predictions']}, "
                    f"{b['mean_confidence']:.3f}, {b['accuracy']:.3f}"
                )
        w(
            json.dumps(
                {
                    "split": split,
                    "macro_f1": r["macro_f1"],
                    "accuracy": r["accuracy"],
                    "precision_at_70": r["precision_at_coverage"]["70"]["precision"],
                }
            )
        )
