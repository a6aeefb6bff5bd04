"""Planner statistics for the running clocks (PostgreSQL only; ADR 0030).

A running clock is `stopped_at IS NULL AND NOT cancelled`. A cancelled clock (its assignment
was re-dispatched, returned or taken over) keeps `stopped_at` empty, so the two conditions are
far from independent: at a million appeals 2.5% of the clocks have no stop time but only 0.1%
are running, and PostgreSQL, multiplying the two selectivities, expected about twenty times the
running clocks there are. Reads joining the running clocks to the assignments (the overview's
lights, the desks' light filters) then hashed every assignment: 183 ms instead of 10 ms.

A multivariate MCV list over the two columns gives the planner their joint frequencies. ANALYZE
builds it; the migration analyses the clocks once so that it holds at once."""

from django.db import migrations

from jiesu.migration_ops import OnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("appeals", "0010_leaner_indexes")]

    operations = [
        OnPostgreSQL(
            sql=[
                "CREATE STATISTICS IF NOT EXISTS appeals_clock_running (mcv) "
                "ON stopped_at, cancelled FROM appeals_clock",
                "ANALYZE appeals_clock",
            ],
            reverse_sql=["DROP STATISTICS IF EXISTS appeals_clock_running"],
        ),
    ]
