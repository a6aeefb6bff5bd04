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
knows, its suggested threshold (`dispatch.auto.suggested_threshold`): the lowest one whose
out-of-fold precision is shown, with 95% confidence, to reach the target."""

from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import auto


class Command(BaseCommand):
    help = (
        "Set each category's auto-dispatch threshold to its suggestion: the lowest threshold "
        "whose measured precision reaches --precision with 95% confidence (from the active "
        "category model's table). Categories without a suggestion are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--precision",
            type=float,
            default=None,
            help="Target precision, 0-1 (default: the setting JIESU_AUTO_DISPATCH_TARGET_PRECISION).",
        )

    def handle(self, *args, precision, **options):
        if precision is not None and not 0 < precision <= 1:
            raise CommandError("--precision lies between 0 and 1.")
        written = auto.apply_suggested_thresholds(precision)
        if not written:
            raise CommandError(
                "No threshold set: no active category model, it knows no category, or its "
                "measurements show no threshold reaching the target precision."
            )
        for policy in written:
            self.stdout.write(f"{policy.category.code}\t{policy.threshold}")
