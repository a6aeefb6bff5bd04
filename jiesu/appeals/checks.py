# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Deployment checks of the appeals room: `manage.py check --deploy` warns when production has
no usable audit signing key (the checkpoints that anchor every history would not be made)."""

from django.conf import settings
from django.core import checks

GUIDE = "docs/operations.md, Production checklist: audit checkpoint key and export."


@checks.register(checks.Tags.security, deploy=True)
def check_audit_signing_key(
    app_configs: object = None, **kwargs: object
) -> list[checks.CheckMessage]:
    from jiesu.appeals import checkpoints

    if settings.DEBUG:
        return []  # embedded mode makes its own key under var/
    try:
        checkpoints.signing_key()
    except checkpoints.KeyMissing as exc:
        return [checks.Warning(str(exc), hint=GUIDE, id="appeals.W001")]
    return []
