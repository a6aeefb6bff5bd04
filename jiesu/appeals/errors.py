# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Errors the workflow raises. Each has a stable code for the API and a translated message."""

from django.utils.translation import gettext_lazy as _


class WorkflowError(Exception):
    code = "workflow_error"
    http_status = 400

    def __init__(self, message, *, field_errors: dict | None = None):
        super().__init__(str(message))
        self.message = message
        self.field_errors = field_errors or {}

    def __str__(self):
        return str(self.message)


class NotAllowed(WorkflowError):
    """The actor's role or scope does not allow the action."""

    code = "not_allowed"
    http_status = 403


class InvalidTransition(WorkflowError):
    """The action is not possible in the appeal's current state."""

    code = "invalid_transition"
    http_status = 409


class InvalidInput(WorkflowError):
    """A required field is missing or a value is wrong."""

    code = "invalid_input"
    http_status = 400


class Conflict(WorkflowError):
    """Somebody else changed the appeal since the caller looked at it."""

    code = "conflict"
    http_status = 409

    def __init__(self, message=None, **kwargs):
        super().__init__(
            message
            or _(
                "Somebody else has just acted on this appeal. Reload it to see what changed, "
                "then try again."
            ),
            **kwargs,
        )


class CalendarGap(WorkflowError):
    """A deadline would fall in a year the working calendar does not cover yet."""

    code = "calendar_not_covered"
    http_status = 503
