"""All-or-nothing CSV import, shared by every app (accounts and contacts today; balances, activities and
opportunities later).

How an import works, and why:

- **Each row goes through a form**, so a CSV row meets the same field rules as the page that edits the
  record (required fields, lengths, choices, numbers). A spec (`ImportSpec`) says which columns exist,
  builds the form of a row, and saves a valid form. Form field names are the column names, so an error on
  a field is reported under the column the person typed it in. The form is a Django form, or for files of
  100,000 rows a `RowForm`: the same Django fields (`model_field` takes a model's), `clean_<name>()` and
  `clean()`, at a fraction of the cost per row.
- **Every problem is reported, not the first one.** Each error names the data row (1-based, the header
  is not a row), the line in the file (the header is line 1, so with no multi-line cells line = row + 1,
  the row number a spreadsheet shows), the column and the message. People fix a file in one go.
- **Nothing is half-imported, and a long file costs no more memory than a short one.** The file is read
  as a stream, a chunk of rows at a time (`ImportSpec.chunk_rows`; None for the whole file at once): each
  chunk is looked up, checked and, while no row so far has a problem, saved, all inside one
  `transaction.atomic` that is rolled back at the end when any row or the file had a problem. Once a row
  has a problem nothing more is saved, but every later row is still checked and reported. If saving fails
  (an `IntegrityError` from a concurrent change, say), the failing row is reported and everything is
  rolled back. Specs may save in batches (bulk inserts, for speed); a refused batch is saved again row by
  row to find the row to report. A spec that `streams` saves a chunk while its rows are checked (its rows
  go to PostgreSQL's COPY as they come, so the database stores them while Python checks the next); a
  chunk the database refuses is undone (a savepoint) and saved again in batches to name the row. A dry
  run saves the same way and then rolls back, so it catches everything a real run would.
- **File problems are named plainly** (and nothing is imported): not UTF-8 (we read UTF-8, with or without
  Excel's BOM; checked over the whole file first when it can be read twice), an Excel
  workbook instead of CSV, an empty file, missing required columns (listed), unknown columns (an error,
  named: a misspelt optional column would otherwise be dropped silently), a column given twice, a value
  over 10,000 characters (usually a quote left open), more rows than the caller allows (the browser
  allows 50,000; commands have no limit).
- **Format rules are strict and documented** rather than guessed: ',' or ';' between values
  (`csv.Sniffer` on the header line, ',' when it cannot tell); column names are matched ignoring case
  and surrounding spaces; values are trimmed; numbers use a dot as the decimal separator and no
  thousands separator ("1234.56", not "1 234,56": the form answers "Enter a number."); yes/no cells take
  yes/no, true/false, 1/0 (or oui/non), empty meaning no. Lines that are empty (or only separators) are
  skipped but still counted, so row numbers keep matching the file.

Usage: `csv_import(file=upload, spec=AccountImport, by=request.user)` returns an `ImportResult`.
"""

import codecs
import csv
import io
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import IntegrityError, connection, transaction
from django.forms.models import construct_instance
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_FIELD_LENGTH = 10_000
BROWSER_MAX_ROWS = 50_000
CREATED, UPDATED = "created", "updated"
UNCHANGED = "unchanged"  # a valid row already in the database as it is: nothing written
ROW = "__all__"  # Django's key for errors of the whole form, i.e. of the whole row

# Excel workbooks (.xlsx) are ZIP files; old .xls files are OLE2 compound documents.
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class RowError:
    """One problem in one row: the data row (1-based), its line in the file, the column and the message."""

    row: int
    line: int
    column: str  # the CSV header; "" when the problem is the row as a whole
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows of an idempotent import found already saved as they are
    rows: int = 0  # data rows read, empty ones included
    errors: list[RowError] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_errors

    @property
    def saved(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Column:
    """A column of an import file, described for people on the import page and in the template CSV."""

    name: str
    required: bool = False
    help: str = ""  # lazy text: what to write in it
    example: str = ""


class ImportSpec:
    """What one kind of import knows: its columns, the form of a row, and how a valid row is saved.

    A fresh instance serves one import (`spec(by=user)`), so it may keep lookups loaded once for the
    whole file (`prepare`) and what it has seen in earlier rows (`check`).
    """

    columns: ClassVar[Sequence[Column]] = ()
    form_class: ClassVar[type[forms.BaseForm] | type["RowForm"]]
    model: ClassVar[type | None] = None  # what a row becomes, to report a database constraint in its words
    batch_size: ClassVar[int] = 1  # rows per save_batch call; 1 saves row by row with save()
    # A spec that streams is given each chunk's valid rows as they are checked, as an iterator, in one
    # save_batch call: it must go through them once and run no query while doing so (the database may be
    # taking them by COPY), and it may see the rows of a chunk that turns out to have a problem (the
    # import's transaction then undoes them).
    streams: ClassVar[bool] = False
    # Rows read, looked up, checked and saved together; None reads the whole file as one chunk (for a spec
    # whose checks need every row at once, such as a small teams file).
    chunk_rows: ClassVar[int | None] = None

    def __init__(self, *, by) -> None:
        self.by = by
        self.seen = SeenInFile()  # keys given by earlier rows (ids...), for "appears twice" checks

    @classmethod
    def column_names(cls) -> list[str]:
        return [c.name for c in cls.columns]

    @classmethod
    def required_columns(cls) -> list[str]:
        return [c.name for c in cls.columns if c.required]

    @classmethod
    def counted(cls, count: int) -> str:
        """'3 accounts': the count and the plural of what is imported, for messages."""
        return str(count)

    def start(self, *, total: int | None) -> None:
        """Before the first row: `total` estimates the rows of the file (None when it cannot be known)."""

    def prepare(self, rows: list[dict[str, str]]) -> None:
        """Load, in a few queries per chunk of rows, what the chunk's row forms look up (names, e-mails...).
        Rows of earlier chunks are saved by then (in the import's transaction)."""

    def form(self, data: dict[str, str], *, row: int) -> "AnyRowForm":
        return self.form_class(data=data)

    def check(self, form: "AnyRowForm", *, row: int) -> None:
        """Rules across rows (a name twice in the file...): add errors with `form.add_error`. Called for
        every row, valid or not; `form.cleaned_data` holds the fields that are valid."""

    def save(self, form: "AnyRowForm") -> str:
        """Save one valid row; return CREATED, UPDATED or UNCHANGED (found as it is: nothing written)."""
        raise NotImplementedError

    def save_batch(self, row_forms: Iterable["AnyRowForm"]) -> list[str]:
        """Save `batch_size` valid rows at once (bulk_create...); one outcome per row. Must have the same
        effect as `save` on each, which is used instead to find the row when the database refuses."""
        return [self.save(form) for form in row_forms]

    def chunk_checked(self) -> None:
        """After the rows of a chunk are checked and before they are saved: checks against earlier chunks
        (`self.seen` by default)."""
        self.seen.flush()

    def finish(self) -> None:
        """After every row is saved, in the same transaction: work done once per import."""


SEEN_LOOKUP = 100  # repeated keys whose first row is looked up per query (rare: a file giving a key twice)


class SeenInFile:
    """The keys earlier rows of the file gave (an id, an account and month...) with the row that gave each
    first, for "appears twice in the file (also row N)" checks, in memory that does not grow with the file:
    the current chunk's keys (and the first chunk's, until a second needs them) are kept here; from the
    second chunk on, every chunk's keys go to a temporary table of the import's transaction (dropped at the
    end), which tells, as they go in, which were given by an older chunk."""

    def __init__(self) -> None:
        self.current: dict[str, int] = {}
        self.on_repeat: dict[str, Callable[[int], None]] = {}  # this chunk's firsts: what to do if older
        self.first_chunk: dict[str, int] | None = None
        self.table: str | None = None

    @staticmethod
    def _text(key) -> str:
        return "\x1f".join(map(str, key)) if isinstance(key, tuple) else str(key)

    def first(self, key, row: int, on_repeat: Callable[[int], None]) -> None:
        """Note that `row` gives `key`; when an earlier row gave it, `on_repeat(that row)` is called, now or
        when the chunk is flushed (before it is saved)."""
        text = self._text(key)
        earlier = self.current.get(text)
        if earlier is None and self.first_chunk is not None:
            earlier = self.first_chunk.get(text)
        if earlier is not None:
            if earlier != row:
                on_repeat(earlier)
            return
        self.current[text] = row
        self.on_repeat[text] = on_repeat

    def flush(self) -> None:
        """At the end of a chunk: report this chunk's keys given by rows of older chunks, then move on."""
        if self.table is None and self.first_chunk is None:  # the first chunk: its keys stay here
            self.first_chunk, self.current, self.on_repeat = self.current, {}, {}
            return
        if self.table is None:
            self._create(self.first_chunk)
            self.first_chunk = None
        if self._insert_new(self.current) < len(self.current):  # some were in the table: an older chunk's
            keys = sorted(self.current)
            with connection.cursor() as cursor:
                for start in range(0, len(keys), SEEN_LOOKUP):
                    part = keys[start : start + SEEN_LOOKUP]
                    marks = ", ".join(["%s"] * len(part))
                    cursor.execute(
                        f"SELECT k, r FROM {self.table} WHERE k IN ({marks}) AND r < %s",  # noqa: S608 - our own name
                        [*part, min(self.current.values())],
                    )
                    for text, earlier in cursor.fetchall():
                        self.on_repeat[text](earlier)
        self.current, self.on_repeat = {}, {}

    def _create(self, keys: dict[str, int]) -> None:
        self.table = f"import_seen_{uuid.uuid4().hex[:16]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (k TEXT PRIMARY KEY, r INTEGER NOT NULL)")
        self._insert_new(keys)

    def _insert_new(self, keys: dict[str, int]) -> int:
        """Add the keys the table lacks (those it has came from an older chunk); return how many it took."""
        taken = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # one statement, the keys and rows as two arrays
                insert = f"INSERT INTO {self.table} (k, r) SELECT * FROM unnest(%s::text[], %s::int[])"  # noqa: S608 - our own name
                params = [list(keys), list(keys.values())]
                try:  # no key given before, as usual: a plain insert costs half of one that skips conflicts
                    with transaction.atomic():
                        cursor.execute(insert, params)
                    return len(keys)
                except IntegrityError:
                    cursor.execute(insert + " ON CONFLICT (k) DO NOTHING", params)
                    return cursor.rowcount
            items = list(keys.items())
            for start in range(0, len(items), 400):
                part = items[start : start + 400]
                marks = ", ".join(["(%s, %s)"] * len(part))
                cursor.execute(
                    f"INSERT INTO {self.table} (k, r) VALUES {marks} ON CONFLICT (k) DO NOTHING",  # noqa: S608 - our own name
                    [value for item in part for value in item],
                )
                taken += cursor.rowcount
        return taken

    def drop(self) -> None:
        if self.table is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self.table}")
            self.table = None


class _Rollback(Exception):
    """Leave the import's transaction without committing."""


class _FileError(Exception):
    """A problem with the file itself, met while reading it: nothing is imported."""


def csv_import(
    *,
    file: Any,
    spec: Callable[..., ImportSpec],
    by,
    dry_run: bool = False,
    max_rows: int | None = None,
) -> ImportResult:
    """Validate every row of a CSV file and save them all, or save nothing and say what to fix.

    The file is read as a stream, `chunk_rows` rows at a time (the spec's): each chunk is looked up
    (`prepare`), checked and, while no row so far has a problem, saved, all inside one transaction that is
    rolled back at the end when any row or the file had a problem (or for a dry run). Memory holds one
    chunk, whatever the size of the file."""
    result = ImportResult(dry_run=dry_run)
    importer = spec(by=by)
    text, lines = _text(file, result)
    if text is None:
        return result
    importer.start(total=max(0, lines - 1))
    try:
        with transaction.atomic():
            try:
                for chunk in _chunked(_rows(text, importer, result, max_rows), importer.chunk_rows):
                    _check_and_save(importer, chunk, result)
            except _FileError:
                pass
            importer.seen.drop()
            if result.file_errors or not result.ok:
                result.errors = [] if result.file_errors else result.errors
                raise _Rollback
            importer.finish()
            if dry_run:
                raise _Rollback
    except _Rollback:
        if not dry_run or not result.ok:
            result.created = result.updated = result.unchanged = 0
    finally:
        text.detach()  # the caller's file stays open
    return result


def _chunked(rows: Iterable, size: int | None) -> Iterable[list]:
    """Lists of `size` rows (all the rows in one list when size is None)."""
    if size is None:
        everything = list(rows)
        if everything:
            yield everything
        return
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_and_save(importer: ImportSpec, chunk: list, result: ImportResult) -> None:
    importer.prepare([data for _row, _line, data in chunk])
    checked = []

    def check_rows() -> Iterator[AnyRowForm]:
        """Check the chunk's rows one by one, yielding the valid ones (for a spec that streams)."""
        for row, line, data in chunk:
            form = importer.form(data, row=row)
            form.is_valid()
            importer.check(form, row=row)
            checked.append((row, line, form))
            if not form.errors:
                yield form

    streamed, refused = importer.streams and result.ok, False
    if streamed:
        # The rows are saved while they are checked: the database stores what it has received while the next
        # rows are checked (COPY reads them as they come). A savepoint keeps the chunk whole: the database
        # refuses a row, and nothing of the chunk stays.
        rows = check_rows()
        try:
            with transaction.atomic():
                outcomes = importer.save_batch(rows)
        except SAVE_ERRORS:
            refused = True
        for _form in rows:  # rows the refused save did not read are still checked
            pass
    else:
        for _form in check_rows():
            pass
    importer.chunk_checked()
    valid = []
    for row, line, form in checked:
        if form.errors:
            result.errors.extend(_in_column_order(_form_errors(form.errors, row, line), importer))
        else:
            valid.append((row, line, form))
    if not result.ok:  # once a row has a problem nothing more is saved (the rest is still checked), and
        return  # the transaction is rolled back at the end
    if streamed and not refused:
        _count(result, outcomes)
    else:  # not saved yet, or refused though every row passed its checks: saved again to name the row
        _save(importer, valid, result)


SAVE_ERRORS = (ValidationError, PermissionDenied, IntegrityError)


def _save(importer: ImportSpec, valid: list, result: ImportResult) -> None:
    """Save the valid rows, batch by batch; when the database refuses a batch, save its rows one by one
    to name the row it refuses (the import then saves nothing more and is rolled back)."""
    size = max(1, importer.batch_size)
    for start in range(0, len(valid), size):
        batch = valid[start : start + size]
        if size > 1:
            try:
                with transaction.atomic():  # a savepoint: a refused batch leaves nothing behind
                    _count(result, importer.save_batch([form for _row, _line, form in batch]))
                continue
            except SAVE_ERRORS:
                pass
        for row, line, form in batch:
            try:
                with transaction.atomic():
                    _count(result, [importer.save(form)])
            except SAVE_ERRORS as exc:
                model = importer.model or getattr(getattr(importer.form_class, "_meta", None), "model", None)
                result.errors.extend(_save_errors(exc, row, line, model))
                return


def _count(result: ImportResult, outcomes: list[str]) -> None:
    result.updated += outcomes.count(UPDATED)
    result.unchanged += outcomes.count(UNCHANGED)
    result.created += len(outcomes) - outcomes.count(UPDATED) - outcomes.count(UNCHANGED)


# --- Reading the file -----------------------------------------------------------------------------------


def _binary(file: Any):
    """A seekable binary stream over what was given: an upload or a file opened "rb" as it is (rewound),
    bytes or text in memory."""
    if isinstance(file, str):
        return io.BytesIO(file.encode("utf-8"))
    if isinstance(file, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(file))
    if hasattr(file, "seekable") and file.seekable():
        file.seek(0)
        if isinstance(file.read(0), bytes):
            return file
    content = file.read()  # a text stream, or one that cannot be read twice
    return io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content)


def _scan(stream) -> tuple[int, int | None]:
    """One fast pass over the bytes before reading the rows: the line count (the progress reports' total)
    and the line of the first byte that is not UTF-8 (None when all is UTF-8), so that an encoding problem
    is named before any other."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    count, bad = 0, None
    while block := stream.read(1 << 20):
        if bad is None:
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = count + block[: exc.start].count(b"\n") + 1
        count += block.count(b"\n")
    if bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad = count + 1
    stream.seek(0)
    return count, bad


def _text(file: Any, result: ImportResult) -> tuple[io.TextIOWrapper | None, int]:
    """The file as text read lazily (UTF-8, Excel's BOM dropped, lines ending in \n, \r\n or a lone \r as
    Excel for Mac writes them) and its line count; None with a file error for a workbook or a file that is
    not UTF-8. The caller detaches the text from the file when done, which leaves the file open."""
    stream = _binary(file)
    if stream.read(len(max(WORKBOOK_SIGNATURES, key=len))).startswith(WORKBOOK_SIGNATURES):
        result.file_errors.append(
            _("This is a spreadsheet workbook, not a CSV file: save it as CSV UTF-8 and upload that.")
        )
        return None, 0
    stream.seek(0)
    lines, bad_line = _scan(stream)
    if bad_line is not None:
        result.file_errors.append(
            _(
                "The file is not UTF-8 encoded: save it as CSV UTF-8 "
                "(the first character that is not UTF-8 is on line %(line)s)."
            )
            % {"line": bad_line}
        )
        return None, 0
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""), lines


def _delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;").delimiter
    except csv.Error:
        return ","


def _rows(lines, importer: ImportSpec, result: ImportResult, max_rows: int | None):
    """Yield the rows as (row number, line number, {column: trimmed value}); a file problem is added to
    `result.file_errors` and raised as _FileError."""
    lines = iter(lines)
    leading = []
    for line in lines:  # blank lines before the header are skipped (and counted)
        leading.append(line)
        if line.strip():
            break
    else:
        result.file_errors.append(_("The file is empty."))
        raise _FileError
    reader = csv.reader(itertools.chain(leading, lines), delimiter=_delimiter(leading[-1]))
    try:
        header_cells = next((cells for cells in reader if any(cell.strip() for cell in cells)), [])
        header = [name.strip().lower() for name in header_cells]
        if not _check_header(header, importer, result):
            raise _FileError
        width, named = len(header), all(header)
        row = 0
        previous_end = reader.line_num
        any_row = False
        for cells in reader:
            row += 1
            line, previous_end = previous_end + 1, reader.line_num
            if max_rows is not None and row > max_rows:
                result.file_errors.append(
                    _("The file has more than %(limit)s rows: split it into smaller files.")
                    % {"limit": number_format(max_rows, force_grouping=True)}
                )
                raise _FileError
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if named and len(cells) == width and max(map(len, cells)) <= MAX_FIELD_LENGTH:
                any_row = True  # the usual row: a value under each header, none too long
                result.rows = row
                yield row, line, dict(zip(header, cells, strict=True))
                continue
            data, stray = {}, []
            for position, cell in enumerate(cells):
                name = header[position] if position < len(header) else ""
                if len(cell) > MAX_FIELD_LENGTH:
                    result.file_errors.append(_too_long(line, name or str(position + 1)))
                    raise _FileError
                if name:
                    data[name] = cell
                elif cell:
                    stray.append(str(position + 1))
            if stray:
                result.errors.append(
                    RowError(
                        row,
                        line,
                        "",
                        _("This row has a value in column %(positions)s, which has no header.")
                        % {"positions": ", ".join(stray)},
                    )
                )
            any_row = True
            result.rows = row
            yield row, line, data
    except csv.Error as exc:
        result.file_errors.append(
            _("Line %(line)s cannot be read as CSV (%(error)s). Is a quote left open?")
            % {"line": reader.line_num, "error": exc}
        )
        raise _FileError from exc
    if not any_row:
        result.file_errors.append(_("The file has a header line but no rows to import."))
        raise _FileError
    result.rows = row


def _too_long(line: int, column: str) -> str:
    return _(
        "Line %(line)s, column “%(column)s”: the value is longer than %(limit)s characters. "
        "Is a quote left open?"
    ) % {"line": line, "column": column, "limit": number_format(MAX_FIELD_LENGTH, force_grouping=True)}


def _check_header(header: list[str], importer: ImportSpec, result: ImportResult) -> bool:
    names = [name for name in header if name]
    known = importer.column_names()
    twice = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in importer.required_columns() if name not in names]
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    if twice:
        result.file_errors.append(
            _("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(twice)}
        )
    if missing:
        result.file_errors.append(
            _("Missing required columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if unknown:
        result.file_errors.append(
            _("Unknown columns: %(columns)s. The columns of this file are: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(known)}
        )
    return not (twice or missing or unknown)


# --- Reporting --------------------------------------------------------------------------------------


def _messages(errors: Iterable) -> list[str]:
    return [str(message) for message in errors]


def _form_errors(errors: dict, row: int, line: int) -> list[RowError]:
    return [
        RowError(row, line, "" if name == ROW else name, message)
        for name, messages in errors.items()
        for message in _messages(messages)
    ]


def _in_column_order(errors: list[RowError], importer: ImportSpec) -> list[RowError]:
    """A row's errors from left to right as in the file's columns; those of the whole row last."""
    order = {name: position for position, name in enumerate(importer.column_names())}
    return sorted(errors, key=lambda error: order.get(error.column, len(order)))


def _save_errors(exc: Exception, row: int, line: int, model=None) -> list[RowError]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return _form_errors(exc.message_dict, row, line)
    if isinstance(exc, ValidationError):
        return [RowError(row, line, "", message) for message in exc.messages]
    if isinstance(exc, PermissionDenied):
        return [RowError(row, line, "", str(exc))]
    for constraint in model._meta.constraints if model is not None else ():
        if constraint.name in str(exc):  # the database names the constraint: say it in the model's words
            return [RowError(row, line, "", str(constraint.get_violation_error_message()))]
    return [RowError(row, line, "", _("The database refused this row: %(error)s") % {"error": exc})]


def report_lines(result: ImportResult) -> list[str]:
    """The problems as plain text lines: the file errors, then a row/line/column/problem table."""
    lines = list(result.file_errors)
    if result.errors:
        table = [[_("Row"), _("Line"), _("Column"), _("Problem")]]
        table += [[str(e.row), str(e.line), e.column or "—", e.message] for e in result.errors]
        widths = [max(len(cells[i]) for cells in table) for i in range(3)]
        for cells in table:
            padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
            lines.append("  ".join([*padded, cells[3]]))
    return lines


# --- Cell fields shared by import forms ---------------------------------------------------------------

YES = {"yes", "y", "true", "1", "oui", "o", "x"}
NO = {"no", "n", "false", "0", "non", ""}


class YesNoField(forms.Field):
    """A yes/no cell: yes/no, true/false, 1/0, oui/non (any case); empty means no."""

    default_error_messages = {"invalid": gettext_lazy("Enter yes or no (or leave it empty for no).")}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value) -> bool:
        text = (value or "").strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value) -> None:
        """Empty is a valid answer (no), unlike forms.BooleanField which reads empty as missing."""

    def quick_clean(self, value):
        """`RowForm`'s cheap check (see `quick`)."""
        if self.validators:
            return SLOW
        text = value.lower() if value.__class__ is str else ""
        return True if text in YES else False if text in NO and value is not None else SLOW


def _key(text: str) -> str:
    """Compare choices loosely: "Owner/C-suite", "owner / c suite" and "OWNER / C_SUITE" are the same."""
    text = str(text).lower().replace("_", " ").replace("-", " ").replace("/", " / ")
    return " ".join(text.split())


class CodeChoiceField(forms.Field):
    """A choice cell that takes the stored code or the label (in English or the current language), any
    case, '-' or '_' or ' ' alike; `aliases` adds other accepted words. Empty gives `empty_value`."""

    default_error_messages = {"invalid_choice": gettext_lazy("“%(value)s” is not one of: %(choices)s.")}

    def __init__(self, *, choices, aliases=None, empty_value=None, coerce=str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.choices = list(choices)
        self.aliases = aliases or {}
        self.empty_value = empty_value
        self.coerce = coerce
        # Per language; shared by the copies a form makes of its fields, so built once per import.
        self._lookups: dict[str, dict[str, Any]] = {}

    def _lookup(self, language: str | None = None) -> dict[str, Any]:
        """The accepted words (as `_key` writes them) and their choice, in `language` (default: the current)."""
        language = language or translation.get_language() or ""
        if language not in self._lookups:
            lookup = {_key(alias): value for alias, value in self.aliases.items()}
            for value, label in self.choices:
                with translation.override("en"):
                    lookup[_key(label)] = value
                with translation.override(language or None):
                    lookup[_key(label)] = value
                lookup[_key(value)] = value
            self._lookups[language] = lookup
        return self._lookups[language]

    @cached_property
    def _everywhere(self) -> dict[str, Any]:
        """The words that give the same choice in every language SalesPlan ships (the codes, the English
        labels...): a cell among them needs no look-up of the current language (a tenth of a row's cost)."""
        lookups = [self._lookup(code) for code, _name in settings.LANGUAGES]
        return {
            word: value
            for word, value in lookups[0].items()
            if all(other.get(word, SLOW) == value for other in lookups[1:])
        }

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return self.empty_value
        found = self._lookup().get(_key(text))
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": text, "choices": ", ".join(str(v) for v, _label in self.choices)},
            )
        return self.coerce(found)

    def validate(self, value) -> None:
        if self.required and value in (None, ""):
            raise ValidationError(self.error_messages["required"], code="required")

    def quick_clean(self, value):
        """`RowForm`'s cheap check (see `quick`): a known word gives its choice, anything else is clean()'s."""
        if self.validators or value.__class__ is not str or not value:
            return SLOW
        word = _key(value)
        found = self._everywhere.get(word)
        if found is None:
            found = self._lookup().get(word)
        return SLOW if found is None else self.coerce(found)


class ModelRowForm(forms.ModelForm):
    """A ModelForm for one CSV row: the model's field rules and `clean()`, as on the page, but not its
    uniqueness and constraint checks, which cost a query (or a query's compilation) per row. A spec
    checks uniqueness for the whole file at once; the database still guards every constraint, and a
    refusal at save time is reported on its row."""

    def _post_clean(self) -> None:
        exclude = self._get_validation_exclusions()
        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        except ValidationError as exc:
            self._update_errors(exc)
        try:
            self.instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._update_errors(exc)


class RowForm:
    """The form of one CSV row, cheap enough for files of 100,000 rows: declared Django form fields (their
    rules and messages: required, lengths, choices, numbers, dates), `clean_<name>()` and `clean()`, with
    `cleaned_data`, `errors` and `add_error` as in a Django form. What a row never needs is left out: no copy
    of the fields, BoundField, widget or model instance per row (a ModelForm's costs were most of an import's
    time at bank scale, `make bench`), and a cell that is plainly valid skips the field's machinery (`quick`).
    Never rendered. A field taken from a model keeps the model's rules:
    `outcome = model_field(Activity, "outcome")`."""

    fields: ClassVar[dict[str, forms.Field]] = {}
    _checks: ClassVar[list[tuple]] = []

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.fields = {
            **cls.fields,
            **{name: value for name, value in vars(cls).items() if isinstance(value, forms.Field)},
        }
        cls._checks = [
            (name, form_field, quick(form_field), getattr(cls, f"clean_{name}", None))
            for name, form_field in cls.fields.items()
        ]

    def __init__(self, data: dict[str, str]) -> None:
        self.data = data
        self.cleaned_data: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}

    def is_valid(self) -> bool:
        """Clean each field (its own rules, then `clean_<name>()`), then the row (`clean()`), as Django does;
        a field in error leaves `cleaned_data`."""
        data, cleaned = self.data, self.cleaned_data
        for name, form_field, fast, clean in self._checks:
            value = data.get(name)
            try:
                if fast is None or (result := fast(value)) is SLOW:
                    result = form_field.clean(value)
                cleaned[name] = result
                if clean is not None:
                    cleaned[name] = clean(self)
            except ValidationError as error:
                self.add_error(name, error)
        try:
            self.clean()
        except ValidationError as error:
            self.add_error(None, error)
        return not self.errors

    def clean(self) -> None:
        """Rules across the row's fields: add errors with `add_error` (or raise for the whole row)."""

    def add_error(self, name: str | None, error: ValidationError | str) -> None:
        """A problem in the field `name` (None: the whole row)."""
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        self.errors.setdefault(name or ROW, []).extend(messages)
        self.cleaned_data.pop(name, None)


AnyRowForm = forms.BaseForm | RowForm  # a row's form: a Django form, or the lighter RowForm

SLOW = object()  # what a quick check answers when the field's own clean() must decide


def quick(form_field: forms.Field) -> Callable[[Any], Any] | None:
    """A cheap check of a cell for `form_field`: it answers the value `form_field.clean` would give, or SLOW
    when it cannot tell (an empty, untrimmed, too long or otherwise doubtful cell), and then `clean` decides
    and words the problem. None for a field without one. A field of ours brings its own (`quick_clean`); a
    plain Django CharField with only its length and NUL-character rules is checked here."""
    if hasattr(form_field, "quick_clean"):
        return form_field.quick_clean
    if type(form_field) is not forms.CharField or not form_field.strip or form_field.min_length is not None:
        return None
    for validator in form_field.validators:  # only the rules Django's CharField adds itself
        if isinstance(validator, MaxLengthValidator) and validator.limit_value == form_field.max_length:
            continue
        if not isinstance(validator, ProhibitNullCharactersValidator):
            return None
    longest = form_field.max_length if form_field.max_length is not None else MAX_FIELD_LENGTH
    required, empty = form_field.required, form_field.empty_value

    def check(value):
        if not value and value in ("", None) and not required:
            return empty  # an empty optional cell: what Django's to_python gives, no validator run
        if (
            value.__class__ is not str
            or not value
            or len(value) > longest
            or value[0].isspace()
            or value[-1].isspace()
            or "\x00" in value
        ):
            return SLOW
        return value

    return check


def model_field(model, name: str, **kwargs) -> forms.Field:
    """The form field a ModelForm would make for the model's field `name` (its length, choices, null...)."""
    return model._meta.get_field(name).formfield(**kwargs)


# --- Management commands ------------------------------------------------------------------------------


class ImportCommand(BaseCommand):
    """A command importing one kind of CSV file as a given user; subclasses set `spec` and `can_import`.

    Prints the same report as the import page; fails (exit status 1) when anything is wrong, having
    imported nothing. No row limit: the browser's limit protects the web server, not the data.
    """

    spec: type[ImportSpec]

    def can_import(self, user) -> bool:
        return True

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, ',' or ';' between values)")
        parser.add_argument(
            "--as",
            dest="as_email",
            metavar="EMAIL",
            help="the importing user, whose visibility applies (default: the first superuser)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check everything, then save nothing")

    def importing_user(self, email: str | None):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        if email:
            user = users.filter(email__iexact=email.strip(), is_active=True).first()
            if user is None:
                raise CommandError(_("No active user has the e-mail address %(email)s.") % {"email": email})
        else:
            user = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
            if user is None:
                raise CommandError(_("There is no superuser to import as: pass --as EMAIL."))
        if not self.can_import(user):
            raise CommandError(
                _("%(user)s may not import: only team leaders, directors and administrators may.")
                % {"user": user.email}
            )
        return user

    def handle(self, *args, file: str, as_email: str | None, dry_run: bool, **options) -> None:
        user = self.importing_user(as_email)
        try:
            with open(file, "rb") as handle:
                result = csv_import(file=handle, spec=self.spec, by=user, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc}) from exc
        if not result.ok:
            for line in report_lines(result):
                self.stderr.write(line)
            raise CommandError(_("Nothing was imported."))
        what = self.spec.counted(result.created)
        if dry_run:
            self.stdout.write(
                _("Dry run: the file is valid; %(what)s would be created. Nothing was written.")
                % {"what": what}
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("%(what)s imported.") % {"what": what}))
