"""Background tasks of the appeals room (Django Tasks API; see ADR 0003)."""

from django_tasks import task

from jiesu.appeals import workflow


@task()
def sweep_clocks() -> dict:
    """Raise due yellow and red lights and open supervision notices on handling breaches."""
    return workflow.sweep_clocks()
