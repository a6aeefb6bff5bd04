# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The hook through which rooms below `appeals` react to what happens to an appeal.

`appeal_event` is sent inside the transaction that wrote the event, right after it, with
`appeal` and `event` (an `appeals.models.Event`). A receiver may write in the same transaction
(e.g. a reward decision that must not be lost); work that talks to the outside world belongs in
`transaction.on_commit` or in an outbox row. A receiver that raises aborts the transition.

One exception, for speed at intake: for a new appeal's `receive` event on PostgreSQL the
receivers run before the appeal's number exists (`appeal.number` is empty; the day's number is
drawn by the statement that writes the appeal, after them: ADR 0032). The appeal's id and
every other field are set; what needs the number belongs in `transaction.on_commit`. Their
writes (`rowinsert.later`) go out with the appeal's own.
"""

from django.dispatch import Signal

appeal_event = Signal()
