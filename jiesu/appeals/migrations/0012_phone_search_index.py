"""An index for the console's search by phone (PostgreSQL only).

The search finds a reporter by the whole number or by its last four digits, spaces and dashes
ignored on both sides (channels store the number as the citizen typed it). It compared a
normalised copy of the stored number (`replace` twice) and, for the last four digits, matched
`LIKE '%1234'`: neither can use an index, so at a million appeals every phone search read the
whole table (0.5-0.8 s). One index on the normalised number written backwards, in pattern
order, answers both: the whole number is an equality on it, the last four digits a prefix of
it (`jiesu.console.views.search`, which writes the same expression)."""

from django.db import migrations

from jiesu.migration_ops import OnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("appeals", "0011_running_clock_statistics")]

    operations = [
        OnPostgreSQL(
            sql=[
                "CREATE INDEX IF NOT EXISTS appeals_phone_reversed ON appeals_appeal "
                "((REVERSE(REPLACE(REPLACE(reporter_phone, '-', ''), ' ', ''))) "
                "text_pattern_ops)",
            ],
            reverse_sql=["DROP INDEX IF EXISTS appeals_phone_reversed"],
        ),
    ]
