"""What every kpis import shares: lookups by name in a few queries, progress reports, strict dates, the
summary of counts and the management command."""

import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from functools import cached_property

from django import forms
from django.core.management.base import CommandError
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.selectors import users_changeable_by
from salesplan.csvimport import (
    SLOW,
    ImportCommand,
    ImportResult,
    ImportSpec,
    SeenInFile,
    csv_import,
    report_lines,
)
from targeting.importers import can_import

# Names per IN (...) query: with 500 lower-cased names PostgreSQL read all 60,000 accounts (30 ms a query)
# rather than probe their index 500 times (3 ms).
NAMES = 200
# Exact keys (external ids, primary keys) per IN (...) query: a chunk of rows' in one query, within every
# database's parameter limit (SQLite's is 32,766).
IDS = 2000
BATCH = 1000  # rows per bulk insert or update
CHUNK_ROWS = 2000  # rows read, looked up, checked and saved together: what an import holds in memory
PROGRESS_EVERY = 1000  # rows checked between two progress reports
REPORT_LIMIT = 500  # problems kept in a job's report; the rest are counted
CRM_EMAIL_DOMAIN = "crm.import"
IMPORTED_CATEGORY = "Imported"  # category of a product the pipeline creates (data, not translated)
PLACEHOLDER_ACCOUNT = "Unnamed account ({agent})"  # an agent's deals without an account (data)
HISTORY_REASON = "CSV import"

Progress = Callable[[int, int], None]  # (rows checked, rows in the file)


def grouped(count: int) -> str:
    """A count as people read it in their language: 8,800 (or 8 800)."""
    return number_format(count, force_grouping=True)


def chunks(values: list, size: int = NAMES):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def lower_values(rows: list[dict[str, str]], column: str) -> list[str]:
    return sorted({row[column].lower() for row in rows if row.get(column)})


def by_lower_name(queryset: QuerySet, field_name: str, names: list[str], *fields: str) -> dict:
    """{lower-case name: object} for the objects named in `names`, a query per NAMES names. With `fields`,
    plain values instead of objects: {name: value} for one field, {name: tuple} for several (for a lookup
    kept for a whole import: less than half the cost of model instances)."""
    found = {}
    keyed = queryset.annotate(_key=Lower(field_name))
    for chunk in chunks(names):
        matched = keyed.filter(_key__in=chunk)
        if not fields:
            found.update((obj._key, obj) for obj in matched)
        elif len(fields) == 1:
            found.update(matched.values_list("_key", fields[0]))
        else:
            found.update((key, tuple(values)) for key, *values in matched.values_list("_key", *fields))
    return found


def crm_email(name: str) -> str:
    """The e-mail address of a person the CRM names: `Anna Snelling` → anna.snelling@crm.import."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(ascii_name.lower().replace("'", "").split())
    return f"{local}@{CRM_EMAIL_DOMAIN}"


class IsoDateField(forms.DateField):
    """A date written YYYY-MM-DD, and only so: 03/04/2017 means two different days on two continents."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": gettext_lazy("Enter a date as YYYY-MM-DD, e.g. 2017-03-01.")}

    def strptime(self, value: str, format: str) -> date:
        # date.fromisoformat, not strptime (which looks the locale up at each call: a tenth of a row's
        # cost); the shape is checked first, as fromisoformat also takes 20170301 or 2017-W09-3.
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError(value)
        return date.fromisoformat(value)

    def quick_clean(self, value):
        """`RowForm`'s cheap check (see `salesplan.csvimport.quick`): a well-formed day, else clean()'s."""
        if not self.required and value in ("", None):
            return None  # an empty optional day
        if self.validators or value.__class__ is not str or len(value) != 10:
            return SLOW
        try:
            return self.strptime(value, "%Y-%m-%d")
        except ValueError:
            return SLOW


def parse_iso(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar day, no time
    except (TypeError, ValueError):
        return None


class TrackedImport(ImportSpec):
    """A spec that reports progress (rows checked out of the file's rows, every 1,000 rows), counts what its
    saves did (`outcomes`), and lets its caller act at the end of the import's transaction (`on_finish`,
    given the spec: a job marks itself done there with its counts, so rows and job commit together)."""

    def __init__(
        self, *, by: User, progress: Progress | None = None, on_finish: Callable[..., None] | None = None
    ) -> None:
        super().__init__(by=by)
        self.progress = progress
        self.on_finish = on_finish
        self.total = 0
        self.checked = 0
        self.outcomes: Counter = Counter()  # CREATED, UPDATED, UNCHANGED: rows saved by batches that held

    def start(self, *, total: int | None) -> None:
        self.total = total or 0
        if self.progress:
            self.progress(0, self.total)

    def check(self, form: forms.BaseForm, *, row: int) -> None:
        self.checked += 1
        if self.progress and (self.checked % PROGRESS_EVERY == 0 or self.checked == self.total):
            # The total is estimated from the file's lines; it never shows less than what is done.
            self.progress(self.checked, max(self.total, self.checked))

    @cached_property
    def changeable_ids(self) -> set[int]:
        """The people whose records the importer may change: once per import, not once per chunk."""
        return set(users_changeable_by(viewer=self.by).values_list("pk", flat=True))

    def tallied(self, outcomes: list[str]) -> list[str]:
        """Count a saved batch's outcomes (call it once the batch is saved) and return them."""
        self.outcomes.update(outcomes)
        return outcomes

    def finish(self) -> None:
        if self.on_finish:
            self.on_finish(self)


TWICE = gettext_lazy("Appears twice in the file (also row %(row)s).")


def first_row_check(seen: SeenInFile, key, row: int, form: forms.BaseForm, column: str, message) -> None:
    """Report a key seen on an earlier row of the file (`message` takes %(row)s, the first row)."""
    seen.first(key, row, lambda first: form.add_error(column, message % {"row": first}))


AMBIGUOUS = None  # a name that two records share: the row must be refused


def outcome_text(spec: type[ImportSpec], result: ImportResult) -> str:
    """'3 activities created, 1 updated, 5 unchanged.'"""
    return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
        "created": spec.counted(result.created),
        "updated": grouped(result.updated),
        "unchanged": grouped(result.unchanged),
    }


# --- Management commands ----------------------------------------------------------------------------------


class KpiImportCommand(ImportCommand):
    """`ImportCommand` for the kpis imports: leaders, directors and administrators only, and a summary that
    counts rows created, updated and found unchanged."""

    def can_import(self, user) -> bool:
        return can_import(user)

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
        text = outcome_text(self.spec, result)
        if dry_run:
            self.stdout.write(_("Dry run: the file is valid; %(what)s Nothing was written.") % {"what": text})
        else:
            self.stdout.write(self.style.SUCCESS(text))
