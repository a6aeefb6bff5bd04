# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand

from jiesu import vacuum
from jiesu.dispatch import duplicates
from jiesu.dispatch.models import AppealSignature, SignatureBand


class Command(BaseCommand):
    help = (
        "Rebuild the duplicate finder's signatures of every open appeal (after a bulk load that "
        "bypassed the workflow, or to repair them)."
    )

    def handle(self, *args, **options):
        count = duplicates.rebuild()
        self.stdout.write(f"Signatures written for {count} open appeals.")
        # The finder reads these tables by index-only scans: they need the visibility map of
        # the rows just written (ADR 0034).
        if vacuum.settle([AppealSignature, SignatureBand]):
            self.stdout.write("Vacuumed and analysed the signature tables.")
