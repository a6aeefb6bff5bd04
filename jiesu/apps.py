"""App configurations of third-party apps whose names the admin shows untranslated."""

from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks' database backend ("Tasks Database Backend" in the admin otherwise); its
    model's names ("Task Result") are lazily translated, so the project catalogue covers them."""

    default = False
    verbose_name = _("Background tasks")
