"""Background tasks of the insights room."""

from django_tasks import task

from jiesu.insights import refresh


@task()
def refresh_facts() -> int:
    """Bring the KPI facts up to date with the appeals changed since the last run."""
    return refresh.catch_up()


PERIODIC = [refresh_facts]
