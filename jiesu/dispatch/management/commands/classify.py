# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import csv
import json

from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import classifier, registry
from jiesu.dispatch.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Classify the rows of a CSV file (columns title, text) with a model file (--model PATH) or "
        "the active model (--model active). Writes one row per input row, in order: label, "
        "confidence (0-1) and top3 as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="Model file, or 'active'.")
        parser.add_argument("--in", dest="infile", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--text-columns", default="title,text")

    def handle(self, *args, model, infile, out, text_columns, **options):
        if model == "active":
            _pk, clf = registry.load(ModelVersion.Kind.CATEGORY)
            if clf is None:
                raise CommandError("No category model is active.")
        else:
            try:
                _data, clf = registry.read_file(model)
            except (OSError, ValueError, EOFError, KeyError) as exc:
                raise CommandError(f"Cannot load the model {model}: {exc}") from None
        columns = [c.strip() for c in text_columns.split(",") if c.strip()]
        try:
            texts, _labels = classifier.read_csv(infile, columns)
        except classifier.DataError as exc:
            raise CommandError(str(exc)) from None
        with open(out, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["label", "confidence", "top3"])
            for start in range(0, len(texts), 1000):
                for top in clf.predict(texts[start : start + 1000], k=3):
                    writer.writerow(
                        [
                            top[0][0],
                            f"{top[0][1]:.4f}",
                            json.dumps(
                                [{"label": lb, "confidence": round(p, 4)} for lb, p in top],
                                ensure_ascii=False,
                            ),
                        ]
                    )
        self.stdout.write(f"{len(texts)} rows classified -> {out}")
