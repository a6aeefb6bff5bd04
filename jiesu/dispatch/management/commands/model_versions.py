# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import registry
from jiesu.dispatch.models import ModelVersion


class Command(BaseCommand):
    help = (
        "List the model versions of a kind with their figures (the active one marked *), or make "
        "one active (--activate NUMBER). Running processes load the newly active version at their "
        "next use."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", choices=list(ModelVersion.Kind.values), default=ModelVersion.Kind.CATEGORY
        )
        parser.add_argument("--activate", type=int, metavar="NUMBER")

    def handle(self, *args, kind, activate=None, **options):
        if activate is not None:
            version = ModelVersion.objects.filter(kind=kind, number=activate).first()
            if version is None:
                raise CommandError(f"There is no {kind} model version {activate}.")
            registry.activate_version(version)
            self.stdout.write(f"{version.label} is now active.")
        rows = ModelVersion.objects.filter(kind=kind).defer("data").order_by("-number")
        if not rows:
            self.stdout.write(f"No {kind} model version yet.")
        for v in rows:
            oof = v.meta.get("out_of_fold") or {}
            p70 = (oof.get("precision_at_coverage") or {}).get("70", {}).get("precision")
            self.stdout.write(
                f"{'*' if v.active else ' '} {v.label}  {v.created_at:%Y-%m-%d %H:%M}  "
                f"rows {v.meta.get('rows', '?')}  labels {len(v.meta.get('label_counts', {}))}  "
                f"macro-F1 {oof.get('macro_f1', '?')}  P@70 {p70 if p70 is not None else '?'}  "
                f"data {str(v.meta.get('data_digest', ''))[:12]}  {v.source}"
            )
