"""Signals of the working calendar, for the rooms that store deadlines computed on it.

`calendar_changed` is sent after a change to the calendar's data (an override, a declared year,
a working period) is committed, once per transaction, with `using` (the database alias). Rooms
that hold deadlines computed provisionally (`Deadline.provisional`) react by recomputing them;
workdays knows none of them. Receivers run after the commit: they should enqueue work rather
than do much themselves.
"""

from django.dispatch import Signal

calendar_changed = Signal()
