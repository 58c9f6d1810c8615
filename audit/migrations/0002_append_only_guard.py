"""On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE on the audit table (see audit/db_guard.py)."""

from django.db import migrations

from audit import db_guard


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        db_guard.PostgresSQL(
            db_guard.CREATE_FUNCTION + db_guard.CREATE_ROW_TRIGGER,
            reverse_sql=db_guard.DROP_ROW_TRIGGER,
        ),
        # Not on test databases: Django's test runner empties tables with TRUNCATE between
        # transactional tests. tests/audit installs it inside a rolled-back transaction instead.
        db_guard.PostgresSQL(
            db_guard.CREATE_TRUNCATE_TRIGGER,
            reverse_sql=db_guard.DROP_TRUNCATE_TRIGGER,
            skip_on_test_db=True,
        ),
    ]
