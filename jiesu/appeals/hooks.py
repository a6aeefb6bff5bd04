"""The hook through which rooms below `appeals` react to what happens to an appeal.

`appeal_event` is sent inside the transaction that wrote the event, right after it, with
`appeal` and `event` (an `appeals.models.Event`). A receiver may write in the same transaction
(e.g. a reward decision that must not be lost); work that talks to the outside world belongs in
`transaction.on_commit` or in an outbox row. A receiver that raises aborts the transition.
"""

from django.dispatch import Signal

appeal_event = Signal()
