"""The bare django-q2 baseline tasks: `noop` does nothing, so its rate is django-q2's own;
`durable` makes the minimum durable writes an execution needs (two single-row commits: its
claim and its end), the fair baseline on Redis, where a bare task writes nothing at all."""

from django.db import connection

TABLE = "bench_durable"


def noop(i: int) -> None:
    return None


def durable(i: int) -> None:
    with connection.cursor() as cursor:  # autocommit: each statement is its own commit
        cursor.execute(f"INSERT INTO {TABLE} (n, state) VALUES (%s, 'running') RETURNING id", [i])  # noqa: S608
        (row_id,) = cursor.fetchone()
        cursor.execute(f"UPDATE {TABLE} SET state = 'done', at = now() WHERE id = %s", [row_id])  # noqa: S608


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(id bigserial PRIMARY KEY, n integer, state text, at timestamptz)"
        )
