# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.dispatch import history, proposals, registry
from jiesu.dispatch.models import ModelVersion


class Command(BaseCommand):
    help = (
        "Propose a handling rule per leaf category (fixed lead unit or by area) from the "
        "routing learned from history: --csv FILE (past dispatches), --model PATH (a model "
        "written by learn_routing), --model active, or --database (the platform's own "
        "dispatches). --unit-map CSV (raw_name, unit_code) names the organisation's unit for "
        "each unit name of the history. The pending proposals are replaced; administrators "
        "review them in the console."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--csv")
        source.add_argument("--model")
        source.add_argument("--database", action="store_true")
        parser.add_argument("--unit-map")

    def handle(self, *args, **o):
        version = None
        try:
            unit_map = proposals.read_unit_map(o["unit_map"]) if o["unit_map"] else None
            if o["csv"]:
                rows = history.read_rows(o["csv"], with_unit=True)
                table = history.RoutingTable.fit(rows)
                source = os.path.basename(o["csv"])
            elif o["database"]:
                table = history.RoutingTable.fit(proposals.rows_from_database())
                source = _("the platform's own dispatches")
            elif o["model"] == "active":
                pk, table = registry.load(ModelVersion.Kind.ROUTING)
                if table is None:
                    raise CommandError(_("No routing model is active."))
                version = ModelVersion.objects.get(pk=pk)
                source = version.label
            else:
                try:
                    _data, table = registry.read_file(o["model"], ModelVersion.Kind.ROUTING)
                except OSError as exc:
                    raise CommandError(
                        _("Cannot read %(path)s: %(error)s")
                        % {"path": o["model"], "error": exc.strerror or exc}
                    ) from None
                except ValueError as exc:
                    raise CommandError(
                        _("Cannot load the model %(path)s: %(error)s")
                        % {"path": o["model"], "error": exc}
                    ) from None
                source = os.path.basename(o["model"])
        except history.DataError as exc:
            raise CommandError(str(exc)) from None
        counts = proposals.propose(table, unit_map=unit_map, model=version, source=source)
        self.stdout.write(
            _(
                "%(proposed)s proposals; left out: %(same)s already so, %(thin)s with too few "
                "appeals, %(mixed)s without a clear handler, %(unmatched)s whose unit is not in "
                "the organisation, %(unknown_leaf)s categories not in the catalogue."
            )
            % counts
        )
