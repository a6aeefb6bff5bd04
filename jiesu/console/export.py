# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Excel export of a search result (openpyxl, write-only, to a temporary file).

Reporters are always masked in exports, whatever the role: an export leaves the platform's
logged views, so unmasking stays a per-appeal, logged act on the appeal page. The cover sheet
says so, and says who exported what when. Rows are read in chunks, so memory stays flat up to
the cap the view enforces.
"""

import tempfile

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from jiesu.appeals import privacy
from jiesu.appeals.models import Assignment, Clock
from jiesu.console import desk_filters

CHUNK = 2000
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns():
    return [
        (_("Number"), 18),
        (capfirst(_("received at")), 17),
        (_("Channel"), 14),
        (_("Status"), 14),
        (_("Type"), 10),
        (_("Category"), 36),
        (_("Grade"), 8),
        (_("Title"), 36),
        (_("Description"), 60),
        (_("Address"), 30),
        (_("Region"), 14),
        (_("Lead unit"), 20),
        (_("Reporter (masked)"), 12),
        (_("Phone (masked)"), 14),
        (capfirst(_("registered at")), 17),
        (capfirst(_("dispatched at")), 17),
        (capfirst(_("completed at")), 17),
        (capfirst(_("closed at")), 17),
        (_("Return visit rating"), 12),
        (_("Citizen's rating"), 12),
        (_("Citizen's comment"), 30),
        (_("Times reopened"), 8),
        (_("Next deadline"), 17),
        # "暂定" where the next deadline was computed on the provisional calendar.
        (_("Deadline provisional"), 10),
    ]


def _local(value):
    """Excel has no time zones: local wall-clock time, to the minute."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None, second=0, microsecond=0)


def _text(ws, value):
    """A cell that is always text: citizens' words never become formulas (=, +, @ …)."""
    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)) if value else "")
    cell.data_type = "s"
    return cell


def _date(ws, value):
    cell = WriteOnlyCell(ws, value=_local(value))
    if value is not None:
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def _category(appeal) -> str:
    return appeal.category.full_name if appeal.category_id else ""


def rows_of(queryset):
    leads = Assignment.objects.filter(role=Assignment.Role.LEAD, active=True).select_related("unit")
    running = Clock.objects.filter(stopped_at__isnull=True, cancelled=False).order_by("due_at")
    return (
        queryset.select_related("category__parent__parent", "appeal_type", "grade", "region")
        .prefetch_related(
            Prefetch("assignments", queryset=leads, to_attr="lead_assignments"),
            Prefetch("clocks", queryset=running, to_attr="running_clocks"),
        )
        .iterator(chunk_size=CHUNK)
    )


def write_workbook(queryset, user, *, query: str, describe, now):
    """Write the appeals of `queryset` to a temporary .xlsx file.

    Returns the open file (positioned at its start) and the number of appeal rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Appeals"))
    columns = _columns()
    for index, (_label, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([_text(ws, label) for label, _width in columns])
    written = 0
    channel_names = desk_filters.channel_names()
    for appeal in rows_of(queryset):
        reporter = privacy.reporter_view(appeal, user)
        leads = getattr(appeal, "lead_assignments", [])
        running = getattr(appeal, "running_clocks", [])
        ws.append(
            [
                _text(ws, appeal.number),
                _date(ws, appeal.received_at),
                _text(ws, channel_names.get(appeal.channel, appeal.channel)),
                _text(ws, appeal.get_status_display()),
                _text(ws, appeal.appeal_type.name if appeal.appeal_type_id else ""),
                _text(ws, _category(appeal)),
                _text(ws, appeal.grade.code if appeal.grade_id else ""),
                _text(ws, appeal.title),
                _text(ws, appeal.description),
                _text(ws, appeal.address),
                _text(ws, appeal.region.name if appeal.region_id else ""),
                _text(ws, leads[0].unit.name if leads else ""),
                _text(ws, reporter["name"]),
                _text(ws, reporter["phone"]),
                _date(ws, appeal.registered_at),
                _date(ws, appeal.dispatched_at),
                _date(ws, appeal.completed_at),
                _date(ws, appeal.closed_at),
                _text(ws, appeal.get_satisfaction_display() if appeal.satisfaction else ""),
                _text(ws, appeal.get_citizen_rating_display() if appeal.citizen_rating else ""),
                _text(ws, appeal.citizen_comment),
                appeal.reopen_count,
                _date(ws, running[0].due_at if running else None),
                _text(
                    ws,
                    pgettext("deadline", "provisional")
                    if running and running[0].provisional
                    else "",
                ),
            ]
        )
        written += 1

    about = wb.create_sheet(_("About this export"))
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 80
    lines = [
        (_("Exported by"), user.get_username()),
        (_("Exported at"), f"{timezone.localtime(now):%Y-%m-%d %H:%M}"),
        (_("Appeals"), str(written)),
        (
            _("Contact data"),
            _(
                "Reporter names and phone numbers are masked in every export. "
                "Anonymous and confidential reporters are not shown at all."
            ),
        ),
        (_("Filter"), query or _("(none: every appeal you may see)")),
        *describe,
    ]
    for label, value in lines:
        about.append([_text(about, label), _text(about, value)])

    # Closed (and so deleted) by the FileResponse that sends it.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        wb.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle, written


def response(handle, filename: str) -> FileResponse:
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPE)
