from django.db import migrations, models


def rename_duplicates(apps, schema_editor):
    """Channels sharing a name get their code added to it, so the constraint can hold and
    nobody's channel silently disappears from a list."""
    Channel = apps.get_model("intake", "Channel")
    seen = set()
    for channel in Channel.objects.order_by("pk"):
        if channel.name in seen:
            channel.name = f"{channel.name} ({channel.code})"[:100]
            channel.save(update_fields=["name"])
        seen.add(channel.name)


class Migration(migrations.Migration):
    dependencies = [("intake", "0002_one_web_channel")]

    operations = [
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="channel",
            name="name",
            field=models.CharField(max_length=100, unique=True, verbose_name="name"),
        ),
    ]
