# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Human-readable appeal numbers: district prefix, local date, daily sequence.

`PS20261126000123` is the 123rd appeal received on 26 November 2026 (Asia/Shanghai).
The sequence row is locked while it is incremented, so numbers never repeat.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiesu.appeals.models import AppealNumberSequence
from jiesu.conf import setting


def next_number(now) -> str:
    day = timezone.localtime(now).date()
    prefix = setting("DISTRICT_PREFIX", "PS")
    with transaction.atomic():
        seq = AppealNumberSequence.objects.select_for_update(of=("self",)).filter(day=day).first()
        if seq is None:
            try:
                with transaction.atomic():
                    seq = AppealNumberSequence.objects.create(day=day, last=0)
            except IntegrityError:
                seq = AppealNumberSequence.objects.select_for_update(of=("self",)).get(day=day)
        seq.last += 1
        seq.save(update_fields=["last"])
    return f"{prefix}{day:%Y%m%d}{seq.last:06d}"
