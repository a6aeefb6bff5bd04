"""Default working hours (09:00-12:00, 14:00-18:00) and the calendar's version row."""

import datetime
import uuid

from django.db import migrations

DEFAULT_PERIODS = [
    (datetime.time(9, 0), datetime.time(12, 0)),
    (datetime.time(14, 0), datetime.time(18, 0)),
]


def create_defaults(apps, schema_editor):
    db = schema_editor.connection.alias
    WorkingPeriod = apps.get_model("workdays", "WorkingPeriod")
    CalendarVersion = apps.get_model("workdays", "CalendarVersion")
    if not WorkingPeriod.objects.using(db).exists():
        for start, end in DEFAULT_PERIODS:
            WorkingPeriod.objects.using(db).create(start=start, end=end)
    CalendarVersion.objects.using(db).update_or_create(pk=1, defaults={"token": uuid.uuid4()})


def remove_defaults(apps, schema_editor):
    db = schema_editor.connection.alias
    WorkingPeriod = apps.get_model("workdays", "WorkingPeriod")
    for start, end in DEFAULT_PERIODS:
        WorkingPeriod.objects.using(db).filter(start=start, end=end).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
    ]
