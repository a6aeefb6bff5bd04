"""Background tasks of the appeals room (Django Tasks API; see ADR 0003)."""

from datetime import timedelta

from django_tasks import task

from jiesu.appeals import attachments, workflow

# Uploads that no submission or completion linked within this time are removed.
ORPHAN_UPLOAD_AGE = timedelta(hours=24)


@task()
def sweep_clocks() -> dict:
    """Raise due yellow and red lights and open supervision notices on handling breaches."""
    return workflow.sweep_clocks()


@task()
def purge_orphan_uploads() -> int:
    """Delete photos uploaded more than a day ago and never attached to an appeal."""
    return attachments.delete_unlinked(ORPHAN_UPLOAD_AGE)


PERIODIC = [sweep_clocks, purge_orphan_uploads]
