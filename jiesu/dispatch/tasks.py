"""Background tasks of the dispatch room."""

from django_tasks import task

from jiesu.dispatch import auto


@task()
def triage_appeal(appeal_id: int) -> str:
    """Classify, grade and route one new appeal; dispatch it when confident."""
    found = auto.triage(appeal_id)
    return found.outcome if found is not None else ""
