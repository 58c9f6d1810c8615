"""Raw SQL built from the models' own metadata, for the few hot paths where the ORM's query
building costs more than the statement (a worker's claim and finish, audit appends): names come
from `_meta`, values are always parameters."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection, connections, models

M = TypeVar("M", bound=models.Model)


def prepared_cursor() -> Any:
    """A cursor for a hot statement whose text does not change: on PostgreSQL it binds the
    parameters on the server and prepares the statement once per connection (parsing and
    planning a statement of CTEs was a third to a half of its time on the server); elsewhere
    the usual one. Django's wrapper stays around it, so errors are Django's and the suite counts
    its queries. Only such cursors prepare (Django's own bind on the client); none while queries
    are logged (DEBUG, the suite's counts: psycopg keeps no text of a prepared execution to log)
    or behind PgBouncer in transaction mode (`DB_PGBOUNCER=1`), where a session's prepared
    statements do not follow it from one transaction to the next."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    pooled = connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    raw.prepare_threshold = None if pooled or connection.queries_logged else 0
    return connection._prepare_cursor(psycopg.Cursor(raw))  # type: ignore[attr-defined]


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def stored_fields(model: type[models.Model], with_pk: bool = False) -> list[models.Field[Any, Any]]:
    """The columns an INSERT gives values for: every concrete one but the generated key (unless
    the caller drew it from the sequence itself)."""
    fields = model._meta.concrete_fields
    return [f for f in fields if with_pk or not isinstance(f, models.AutoField)]


@cache
def columns(model: type[models.Model]) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields)


@cache
def _insert_parts(
    model: type[models.Model], typed: bool, with_pk: bool
) -> tuple[str, list[str], str]:
    """The column list, each column's placeholder (cast to the column's type if `typed`), and
    (for PostgreSQL) one array placeholder per column, cast to the column's array type."""
    fields = stored_fields(model, with_pk)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    casts = [f"::{f.db_type(connection)}" if typed else "" for f in fields]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    return names, [f"%s{cast}" for cast in casts], arrays


def values_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    only_if: str = "",
    on_conflict: str = "",
    with_pk: bool = False,
) -> tuple[str, list[Any]]:
    """One multi-row INSERT of `objs` (unsaved instances): the statement and its parameters.

    `only_if` names a CTE of the same statement: the rows go in only if it returned a row (a
    fenced write inserts nothing when the fence failed). Values are taken as `save()` takes
    them (`auto_now_add` stamps). On PostgreSQL, several rows or a fenced one go as one array
    per column through `unnest`: the statement's text and its number of parameters then do not
    depend on the number of rows, so psycopg converts it once (it caches statements of up to
    50 parameters) and the server prepares it once, where a VALUES list of 4 steps and 3 events
    was a new, uncached statement of some 100 parameters for every execution. In a VALUES row
    a missing value is the literal NULL, not a parameter: a run, its execution, its delivery
    and its event fit in psycopg's 50 instead of some 60 (a row's NULLs are the same from one
    delivery to the next, so the text still repeats)."""
    db = connections[connection.alias]  # resolved once, not on every field's preparation
    plain = _plain(model, with_pk)
    rows = [[_prepared(f, types, o, db) for f, types in plain] for o in objs]
    if db.vendor == "postgresql" and (only_if or len(objs) > 1):
        names, _, arrays = _insert_parts(model, False, with_pk)
        where = f" WHERE EXISTS (SELECT 1 FROM {only_if})" if only_if else ""  # noqa: S608
        select = f"SELECT * FROM unnest({arrays}) AS v{where}"  # noqa: S608
        values = [[row_values[i] for row_values in rows] for i in range(len(plain))]
    else:
        names, placeholders, _ = _insert_parts(model, bool(only_if), with_pk)
        null = [f"NULL{p[2:]}" for p in placeholders]  # the same cast, if any

        def row(values: list[Any]) -> str:
            marks = zip(values, placeholders, null, strict=True)
            return "(" + ", ".join(n if v is None else p for v, p, n in marks) + ")"

        select = "VALUES " + ", ".join(row(r) for r in rows)
        if only_if:  # rows selected from VALUES are not typed by the target table: cast
            select = f"SELECT * FROM ({select}) AS v WHERE EXISTS (SELECT 1 FROM {only_if})"  # noqa: S608
        values = [value for row_values in rows for value in row_values if value is not None]
    sql = f"INSERT INTO {table(model)} ({names}) {select} {on_conflict}"
    return sql.rstrip(), values


# Fields whose database value is the Python value itself when it has the field's own plain
# type (exact types: a subclass may prepare its values); anything else takes the ORM's path.
Types = frozenset[type[Any]]
_TEXT, _INTEGER, _BOOLEAN, _NOTHING = frozenset({str}), frozenset({int}), frozenset({bool}), Types()
_PLAIN_FIELDS: dict[type[Any], Types] = {
    models.CharField: _TEXT,
    models.TextField: _TEXT,
    models.IntegerField: _INTEGER,
    models.PositiveIntegerField: _INTEGER,
    models.PositiveSmallIntegerField: _INTEGER,
    models.PositiveBigIntegerField: _INTEGER,
    models.SmallIntegerField: _INTEGER,
    models.BigIntegerField: _INTEGER,
    models.ForeignKey: _INTEGER,
    models.BooleanField: _BOOLEAN,
}


@cache
def _plain(model: type[models.Model], with_pk: bool) -> tuple[tuple[Any, Types], ...]:
    fields = stored_fields(model, with_pk)
    return tuple((f, _PLAIN_FIELDS.get(type(f), _NOTHING)) for f in fields)


def _prepared(field: Any, plain: Types, obj: models.Model, db: Any) -> Any:
    """The value `save()` would send: the ORM's preparation took a tenth of a worker's CPU
    per execution, almost all of it returning a str or an int unchanged."""
    if plain:
        value = getattr(obj, field.attname)
        if value is None or type(value) in plain:
            return value
    return field.get_db_prep_save(field.pre_save(obj, True), db)


def upsert_clause(model: type[models.Model], unique: Sequence[str], update: Sequence[str]) -> str:
    """ON CONFLICT (unique) DO UPDATE SET each of `update` (field names) to the new row's."""
    opts, quote = model._meta, connection.ops.quote_name
    keys = ", ".join(quote(_column(opts, name)) for name in unique)
    updated = [quote(_column(opts, name)) for name in update]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in updated)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"


def _column(opts: Any, name: str) -> str:
    return str(cast("models.Field[Any, Any]", opts.get_field(name)).column)


def from_row(model: type[M], row: Sequence[Any]) -> M:
    """An instance from a row of `columns(model)`, converted as the ORM converts its own reads
    (JSON parsed, and so on)."""
    fields = model._meta.concrete_fields
    values = [converted(field, value) for field, value in zip(fields, row, strict=False)]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def converted(field: models.Field[Any, Any], value: Any) -> Any:
    """A value read by a raw cursor, as the ORM would give it for `field`."""
    for convert in field.get_db_converters(connection):  # type: ignore[attr-defined]
        value = convert(value, field, connection)
    return value
