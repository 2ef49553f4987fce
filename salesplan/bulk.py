"""Writing many rows at once, from plain tuples: PostgreSQL's COPY where the connection offers it, INSERT …
VALUES elsewhere (SQLite, for `make run`).

`bulk_create` builds and prepares a model instance per row, which costs more than the database's own work
when a month end or an import writes tens of thousands of rows (`make bench`). These helpers take the rows as
tuples of plain values (ints, strings, booleans, dates, datetimes, decimals, None; a JSON column takes its
JSON text) in the order of the columns named, and write them in as few statements as the database allows.
"""

import itertools
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import DecimalField, Field, JSONField, Model

# COPY's text format: a tab between values, a newline after each row, \N for NULL, and these escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
INSERT_ROWS = 500  # rows per INSERT … VALUES statement where COPY is not available


def copy_available() -> bool:
    """PostgreSQL through psycopg2 (`copy_expert`), whose COPY writes rows several times faster than INSERT."""
    return connection.Database.__name__ == "psycopg2"


def _escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:  # rare: scan first, translate then
        return text.translate(_ESCAPES)
    return text


def _other(value) -> str:
    if isinstance(value, str):  # str subclasses: TextChoices members, safe strings
        return _escaped(str.__str__(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# How each plain type is written, looked up by the value's exact class: about 3 µs for a row of ten values,
# half of what a chain of isinstance checks and a translate of every text cost.
_WRITE = {
    str: _escaped,
    int: str,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
    date: date.isoformat,
    datetime: datetime.isoformat,
    Decimal: str,
}


def _line(row: Sequence) -> str:
    return "\t".join([_WRITE.get(value.__class__, _other)(value) for value in row]) + "\n"


class _Lines:
    """A file for psycopg2's `copy_expert` that makes its lines on demand, a few kilobytes per read: the
    database stores the rows it has received while the next ones are made (an import checks them then)."""

    def __init__(self, rows: Iterable[Sequence]) -> None:
        self.lines = map(_line, rows)
        self.error: BaseException | None = None  # what making the rows raised (psycopg2 only reports it)

    def read(self, size: int = -1) -> str:
        out, length = [], 0
        try:
            for line in self.lines:
                out.append(line)
                length += len(line)
                if 0 < size <= length:
                    break
        except BaseException as error:
            self.error = error
            raise
        return "".join(out)


class QueryDuringCopy(RuntimeError):
    """A query was asked for while COPY was reading rows: the connection cannot run it."""


def _busy(execute, sql, params, many, context):
    raise QueryDuringCopy(
        f"A query ran while COPY was reading its rows (make the rows without queries): {sql}"
    )


def copy_into(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY the rows into `table` (PostgreSQL only), reading them as the database takes them. The database
    converts each value to its column's type, rounds numbers to the column's places (half away from zero)
    and checks every constraint; a refusal is raised as Django's IntegrityError (or DataError), as from any
    query. No query may run while `rows` is being read: the connection is busy with the COPY."""
    quote = connection.ops.quote_name
    # psycopg2's own cursor: its errors are turned into Django's (IntegrityError...) as any query's are.
    lines = _Lines(rows)
    try:
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            connection.execute_wrapper(_busy),
        ):
            cursor.cursor.copy_expert(
                f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN", lines
            )
    except Exception:
        if lines.error is not None:  # the rows' own error, not the COPY's report of it
            raise lines.error from None
        raise


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert `rows` (a list, or any iterable read once) into the model's table, one value per column of
    `columns` (the fields' column names, e.g. `owner_id`): by COPY on PostgreSQL; elsewhere by INSERT …
    VALUES, a few hundred rows a statement."""
    if isinstance(rows, list | tuple) and not rows:
        return
    meta = model._meta
    if copy_available():
        copy_into(meta.db_table, columns, rows)
        return
    by_column = {f.column: f for f in meta.concrete_fields}
    prepare = [_preparer(by_column[name]) for name in columns]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608 - names from the model, values as parameters
    batch = max(1, min(INSERT_ROWS, connection.ops.bulk_batch_size(columns, range(INSERT_ROWS))))
    rows = iter(rows)
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, batch)):
            cursor.execute(
                sql + ", ".join([one] * len(chunk)),
                [p(value) for row in chunk for value, p in zip(row, prepare, strict=True)],
            )


def reserve_ids(model: type[Model], count: int) -> list[int] | None:
    """`count` new primary keys for the model's table, taken from its sequence on PostgreSQL (one query), so
    that rows written by COPY carry their ids and need not be read back to learn them; None elsewhere (the
    caller reads them back). Ids a caller leaves unused are skipped, as after any rolled-back insert."""
    if connection.vendor != "postgresql":
        return None
    if count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _preparer(field: Field):
    """How a value goes to the database through INSERT: as the field prepares it (decimals first rounded to
    the column's places, half away from zero, as PostgreSQL's COPY does); a JSON column's text as it is."""
    if isinstance(field, JSONField):
        return lambda value: value
    if isinstance(field, DecimalField):
        return lambda value: field.get_db_prep_save(_rounded(value, field.decimal_places), connection)
    return lambda value: field.get_db_prep_save(value, connection)


def _rounded(value, places: int):
    if value is None:
        return value
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
