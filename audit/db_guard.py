"""The PostgreSQL guard that refuses UPDATE, DELETE and TRUNCATE on the audit table.

Kept here rather than only in the migration so the test suite can install the truncate guard
inside a rolled-back transaction (see install_truncate_guard).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "audit_auditevent"
FUNCTION = "audit_event_refuse_change"
ROW_TRIGGER = "audit_event_append_only"
TRUNCATE_TRIGGER = "audit_event_no_truncate"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""
CREATE_ROW_TRIGGER = f"""
CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();
"""
CREATE_TRUNCATE_TRIGGER = f"""
CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();
"""
DROP_ROW_TRIGGER = f"""
DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {FUNCTION}();
"""
DROP_TRUNCATE_TRIGGER = f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {TABLE};"


def is_test_database(connection: Any) -> bool:
    """Django's test databases: their runner empties every table with TRUNCATE between tests."""
    settings_dict = connection.settings_dict
    name = settings_dict.get("NAME") or ""
    return name.startswith("test_") or name == (settings_dict.get("TEST") or {}).get("NAME")


class PostgresSQL(migrations.RunSQL):
    """RunSQL on PostgreSQL only (SQLite has no such triggers; the model guard still applies)."""

    def __init__(self, *args: Any, skip_on_test_db: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skip_on_test_db = skip_on_test_db

    def _applies(self, schema_editor: Any) -> bool:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return False
        return not (self.skip_on_test_db and is_test_database(connection))

    def database_forwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if self._applies(schema_editor):
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(self, app_label: str, schema_editor: Any, *args: Any) -> None:
        if self._applies(schema_editor):
            super().database_backwards(app_label, schema_editor, *args)


# Pending events: never updated; removed only by the sequencer, which says so for its own
# transaction (SET LOCAL idconfluence.audit_sequencer = 'on') as it moves them into the chain.
PENDING_TABLE = "audit_pendingauditevent"
PENDING_FUNCTION = "audit_pending_refuse_change"
PENDING_TRIGGER = "audit_pending_sequencer_only"
SEQUENCER_FLAG = "idconfluence.audit_sequencer"
CREATE_PENDING_GUARD = f"""
CREATE OR REPLACE FUNCTION {PENDING_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('{SEQUENCER_FLAG}', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'pending audit events are only sealed by the sequencer: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER {PENDING_TRIGGER} BEFORE UPDATE OR DELETE ON {PENDING_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {PENDING_FUNCTION}();
"""
CREATE_PENDING_TRUNCATE_GUARD = f"""
CREATE TRIGGER {PENDING_TRIGGER}_truncate BEFORE TRUNCATE ON {PENDING_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {PENDING_FUNCTION}();
"""
DROP_PENDING_GUARD = f"""
DROP TRIGGER IF EXISTS {PENDING_TRIGGER} ON {PENDING_TABLE};
DROP FUNCTION IF EXISTS {PENDING_FUNCTION}();
"""
DROP_PENDING_TRUNCATE_GUARD = (
    f"DROP TRIGGER IF EXISTS {PENDING_TRIGGER}_truncate ON {PENDING_TABLE};"
)
