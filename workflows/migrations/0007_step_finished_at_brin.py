"""A BRIN index on steps' finish time, for the metrics scrape's trailing window (issue 15): steps
arrive in time order, so BRIN answers a time range for a few pages of index and costs the write
path next to nothing (a B-tree would add work to every step insert, the hot path of issue 10).
PostgreSQL only; SQLite, the embedded default, scans."""

from django.db import migrations

from audit.db_guard import PostgresSQL


class Migration(migrations.Migration):
    dependencies = [("workflows", "0006_merge_20261202_1843")]

    operations = [
        PostgresSQL(
            "CREATE INDEX IF NOT EXISTS workflows_step_finished_brin "
            "ON workflows_step USING brin (finished_at)",
            "DROP INDEX IF EXISTS workflows_step_finished_brin",
        )
    ]
