"""One web channel: the demo list used to add `web_snap` (网页随手拍) next to `web`, the code
the citizen pages file under, also named 网页随手拍 (issue 9). The demo now declares `web`.

An unused `web_snap` (no appeal, no submission) is removed. One that has filed appeals stays
(history keeps its code) under a name of its own, so that lists, filters and exports never
show two channels with the same name. Nothing else is touched."""

from django.db import migrations

OLD_NAME = "网页随手拍"
KEPT_NAME = "网页随手拍（旧入口 web_snap）"


def forwards(apps, schema_editor):
    Channel = apps.get_model("intake", "Channel")
    ChannelSubmission = apps.get_model("intake", "ChannelSubmission")
    Appeal = apps.get_model("appeals", "Appeal")
    old = Channel.objects.filter(code="web_snap").first()
    if old is None:
        return
    used = (
        Appeal.objects.filter(channel="web_snap").exists()
        or ChannelSubmission.objects.filter(channel=old).exists()
    )
    if not used:
        old.delete()
        return
    if old.name == OLD_NAME:
        old.name = KEPT_NAME
        old.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
        ("appeals", "0002_appeal_citizen_comment_appeal_citizen_rated_at_and_more"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
