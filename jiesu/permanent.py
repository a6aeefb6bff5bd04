# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Records that are written once and never changed or deleted (history events, rule versions)."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class PermanentRecord:
    """Model mixin: saving an existing row or deleting any row raises `ValidationError`.

    Subclasses name what they refuse in `change_refused` and `delete_refused`."""

    change_refused: "str | StrPromise" = "This record is permanent and cannot be changed."
    delete_refused: "str | StrPromise" = "This record is permanent and cannot be deleted."

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(self.change_refused)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.delete_refused)
