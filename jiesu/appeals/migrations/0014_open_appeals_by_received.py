"""Open appeals by their received time (a partial index: open appeals only).

The supervision desk lists the oldest open appeals of each light. Open appeals are the recent few
of a long history, so PostgreSQL walked every appeal by its received time to find them: a million
rows read for the four shown (about 1 s at a million appeals). This index holds the open ones
only, in that order; it is small and is used when a query asks for exactly
`states.OPEN_STATUS_LIST`. Building it reads the table once (about 3 s at a million appeals).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0013_assignment_unit_appeal'),
        ('catalog', '0002_reference_data'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='appeal',
            index=models.Index(condition=models.Q(('status__in', ['completed', 'dispatched', 'in_progress', 'received', 'registered', 'return_requested', 'visiting'])), fields=['received_at', 'id'], name='appeals_open_by_received'),
        ),
    ]
