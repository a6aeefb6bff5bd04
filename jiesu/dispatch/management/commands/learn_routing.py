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
import os
import tempfile

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.dispatch import history, registry
from jiesu.dispatch.models import ModelVersion


def write_atomic(path: str, data: bytes) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError as exc:
        raise CommandError(
            _("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise CommandError(
            _("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None


class Command(BaseCommand):
    help = (
        "Learn who handles what from past dispatches (a CSV in the Pingshan export layout: "
        "channel, nature, three category levels, subdistrict, community, place, handling unit) "
        "and write the routing model to --out. --evaluate also measures top-1/top-3 on held-out "
        "rows; --register stores it as a new model version (--activate makes it the active one); "
        "--names writes the unit-name merging report as CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--evaluate", choices=["time", "random"], default=None)
        parser.add_argument("--names", help="Write the unit-name mapping report to this CSV.")
        parser.add_argument("--register", action="store_true")
        parser.add_argument("--activate", action="store_true")

    def handle(self, *args, **o):
        try:
            rows = history.read_rows(o["csv"], with_unit=True)
        except history.DataError as exc:
            raise CommandError(str(exc)) from None
        meta = {"source": os.path.basename(o["csv"]), "data_sha256": history.data_digest(rows)}
        if o["evaluate"]:
            figures = history.evaluate(rows, o["evaluate"])
            meta["evaluation"] = figures
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
        table = history.RoutingTable.fit(rows, meta=meta)
        data = table.dumps()
        if o["names"]:
            import csv
            import io

            buf = io.StringIO()
            writer = csv.DictWriter(buf, ["spelling", "rows", "unit", "rule"])
            writer.writeheader()
            writer.writerows(history.UnitNames(rows).report())
            write_atomic(o["names"], buf.getvalue().encode("utf-8"))
        write_atomic(o["out"], data)
        self.stdout.write(
            _("%(rows)s past dispatches, %(units)s units -> %(path)s")
            % {"rows": table.meta["rows"], "units": table.meta["units"], "path": o["out"]}
        )
        if o["register"] or o["activate"]:
            version = registry.register(
                ModelVersion.Kind.ROUTING,
                data,
                meta=table.meta,
                source=o["csv"],
                activate=o["activate"],
            )
            self.stdout.write(_("Registered as %(label)s.") % {"label": version.label})
