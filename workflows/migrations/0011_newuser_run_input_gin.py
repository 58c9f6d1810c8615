"""A GIN index on runs' input (jsonb_path_ops), so the console finds the runs about a person or
an event (`input @> {"worker": {"userName": ...}}`, workflows/run_subjects.py) without reading
every run. PostgreSQL only; SQLite, the embedded default, scans."""

from django.db import migrations

from audit.db_guard import PostgresSQL


class Migration(migrations.Migration):
    dependencies = [("workflows", "0010_console_history_and_recycle_bin")]

    operations = [
        PostgresSQL(
            "CREATE INDEX IF NOT EXISTS workflows_run_input_gin "
            "ON workflows_run USING gin (input jsonb_path_ops)",
            "DROP INDEX IF EXISTS workflows_run_input_gin",
        )
    ]
