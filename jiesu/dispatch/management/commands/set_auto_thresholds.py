# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py set_auto_thresholds [--precision 0.95]`: per leaf category the active model
knows, the lowest threshold whose measured (out-of-fold) precision reaches the target."""

from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import auto


class Command(BaseCommand):
    help = (
        "Set each category's auto-dispatch threshold to the lowest one whose measured precision "
        "reaches --precision (from the active category model's table)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--precision", type=float, default=0.95)

    def handle(self, *args, precision, **options):
        if not 0 < precision <= 1:
            raise CommandError("--precision lies between 0 and 1.")
        written = auto.configure_demo_thresholds(target_precision=precision)
        if not written:
            raise CommandError("No active category model, or it knows no category.")
        for policy in written:
            self.stdout.write(f"{policy.category.code}\t{policy.threshold}")
