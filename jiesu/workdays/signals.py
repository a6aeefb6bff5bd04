# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Signals of the working calendar, for the rooms that store deadlines computed on it.

`calendar_changed` is sent after a change to the calendar's data (an override, a declared year,
a working period) is committed, once per transaction, with `using` (the database alias). Rooms
that hold deadlines computed provisionally (`Deadline.provisional`) react by recomputing them;
workdays knows none of them. Receivers run after the commit: they should enqueue work rather
than do much themselves.
"""

from django.dispatch import Signal

calendar_changed = Signal()
