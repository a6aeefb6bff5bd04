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

from jiesu.catalog.models import Category
from jiesu.dispatch import classifier, registry, textmodel
from jiesu.dispatch.models import ModelVersion
from jiesu.dispatch.textmodel import TrainingError


class Command(BaseCommand):
    help = (
        "Train the text classifier. From a CSV file (--csv, with --text-columns and "
        "--label-column) or, without --csv, from the platform's closed appeals (category codes at "
        "--level, default the leaf level). Writes the model file to --out and/or registers it as a "
        "new model version (--register, --activate). Prints the training figures as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", help="UTF-8 CSV file of labelled texts.")
        parser.add_argument("--text-columns", default="title,text")
        parser.add_argument("--label-column", default="category_l1")
        parser.add_argument("--level", type=int, choices=[1, 2, 3], default=3)
        parser.add_argument(
            "--kind",
            choices=[ModelVersion.Kind.CATEGORY, ModelVersion.Kind.TYPE],
            default=ModelVersion.Kind.CATEGORY,
            help="What the labels are (database training: category codes or appeal types).",
        )
        parser.add_argument(
            "--features",
            choices=list(textmodel.FEATURES),
            default=textmodel.DEFAULT_FEATURES,
            help="stack (default): an SVM on characters and two Naive Bayes members combined; "
            "char: the SVM on characters alone; char+words: that SVM on characters and words.",
        )
        parser.add_argument("--out", help="Write the model file here.")
        parser.add_argument("--register", action="store_true", help="Store as a model version.")
        parser.add_argument("--activate", action="store_true", help="Store and make it active.")

    def handle(self, *args, **o):
        if not (o["out"] or o["register"] or o["activate"]):
            raise CommandError("Say where the model goes: --out PATH, --register or --activate.")
        try:
            if o["csv"]:
                columns = [c.strip() for c in o["text_columns"].split(",") if c.strip()]
                texts, labels = classifier.read_csv(o["csv"], columns, o["label_column"])
                source = o["csv"]
            elif o["kind"] == ModelVersion.Kind.TYPE:
                texts, labels = classifier.type_training_data_from_db()
                source = "database (types)"
            else:
                texts, labels = classifier.training_data_from_db(Category.Level(o["level"]))
                source = f"database (level {o['level']})"
            model = classifier.train(
                texts, labels, source=source, kind=o["kind"], features=o["features"]
            )
        except (classifier.DataError, TrainingError) as exc:
            raise CommandError(str(exc)) from None
        data = model.dumps()
        if o["out"]:
            with open(o["out"], "wb") as fh:
                fh.write(data)
        report = {k: v for k, v in model.meta.items() if k != "out_of_fold"}
        oof = model.meta["out_of_fold"]
        report["out_of_fold"] = {
            k: oof[k]
            for k in ("macro_f1", "accuracy", "expected_calibration_error", "precision_at_coverage")
        }
        if o["register"] or o["activate"]:
            version = registry.register(
                o["kind"], data, meta=model.meta, source=source, activate=o["activate"]
            )
            report["version"] = version.label
            report["active"] = version.active
        report["bytes"] = len(data)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
