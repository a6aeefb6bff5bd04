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
import io
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.dispatch import history, registry
from jiesu.dispatch.management.commands.learn_routing import write_atomic
from jiesu.dispatch.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Route the rows of a CSV file (the history columns without the unit) with a routing "
        "model file (--model PATH) or the active one (--model active). Writes one row per input "
        "row, in order: unit, confidence (0-1) and top3 as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="Model file, or 'active'.")
        parser.add_argument("--in", dest="infile", required=True)
        parser.add_argument("--out", required=True)

    def handle(self, *args, model, infile, out, **options):
        if model == "active":
            _pk, table = registry.load(ModelVersion.Kind.ROUTING)
            if table is None:
                raise CommandError(_("No routing model is active."))
        else:
            try:
                _data, table = registry.read_file(model, ModelVersion.Kind.ROUTING)
            except OSError as exc:
                raise CommandError(
                    _("Cannot read %(path)s: %(error)s")
                    % {"path": model, "error": exc.strerror or exc}
                ) from None
            except ValueError as exc:
                raise CommandError(
                    _("Cannot load the model %(path)s: %(error)s") % {"path": model, "error": exc}
                ) from None
        try:
            rows = history.read_rows(infile, with_unit=False)
        except history.DataError as exc:
            raise CommandError(str(exc)) from None
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["unit", "confidence", "top3"])
        for top in table.predict(rows, k=3):
            writer.writerow(
                [
                    top[0][0] if top else "",
                    f"{top[0][1]:.4f}" if top else "0",
                    json.dumps(
                        [{"unit": u, "confidence": round(p, 4)} for u, p in top],
                        ensure_ascii=False,
                    ),
                ]
            )
        write_atomic(out, buf.getvalue().encode("utf-8"))
        self.stdout.write(_("%(rows)s rows routed -> %(path)s") % {"rows": len(rows), "path": out})
