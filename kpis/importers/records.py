"""Imports of activities and month-end balances (see the package's docstring for the rules)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Role, User
from accounts.selectors import users_changeable_by
from salesplan import bulk
from salesplan.csvimport import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CodeChoiceField,
    Column,
    RowForm,
    YesNoField,
    model_field,
)
from targeting.importers import owner_by_email
from targeting.models import Contact
from targeting.selectors import accounts_changeable_by

from ..calculations import month_end
from ..models import Activity, ActivityKind, BalanceSnapshot, Metric, MetricKind
from .base import (
    AMBIGUOUS,
    BATCH,
    CHUNK_ROWS,
    IDS,
    TWICE,
    IsoDateField,
    TrackedImport,
    by_lower_name,
    chunks,
    first_row_check,
    grouped,
    lower_values,
    parse_iso,
)

# --- Activities ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account as an import row needs it, kept for a whole import: read as plain values, not as a model
    instance with its owner's (12,000 of those were a quarter of a 20,000-row activities file's time)."""

    pk: int
    legal_name: str
    owner_id: int
    owner_name: str  # the owner as a message names them (`User.__str__`)

    def __str__(self) -> str:
        return self.legal_name


def _account_refs(found: dict[str, AccountRef | None], user: User, names: list[str]) -> None:
    """Add to `found` the accounts the user may change named in `names` and not looked up before (by lower
    legal name; None for a name with none, so that it is not looked up again)."""
    new = [name for name in names if name not in found]
    rows = by_lower_name(
        accounts_changeable_by(viewer=user).select_related(None), "legal_name", new,
        "pk", "legal_name", "owner_id", "owner__display_name", "owner__email",
    )  # fmt: skip
    for name in new:
        row = rows.get(name)
        found[name] = None if row is None else AccountRef(*row[:3], owner_name=row[3] or row[4])


def _look_up_new(found: dict, queryset, field_name: str, names: list[str]) -> None:
    """Add to `found` the objects of `names` not looked up before (None for a name with no object, so
    that it is not looked up again)."""
    new = [name for name in names if name not in found]
    if new:
        hits = by_lower_name(queryset, field_name, new)
        found.update((name, hits.get(name)) for name in new)


# What an activity row sets, in this order: compared with what is saved to tell an unchanged row.
ACTIVITY_FIELDS = ["owner", "kind", "is_first_appointment", "account", "contact", "date", "outcome", "notes"]
ACTIVITY_ATTNAMES = [Activity._meta.get_field(name).attname for name in ACTIVITY_FIELDS]
ACTIVITY_COLUMNS = [Activity._meta.get_field(name).column for name in ACTIVITY_FIELDS]


@dataclass
class ActivityLookups:
    owners: dict[str, User] = field(default_factory=dict)  # lower e-mail → RM the importer may change
    accounts: dict[str, AccountRef | None] = field(default_factory=dict)  # lower legal name → changeable one
    contacts: dict[tuple[int, str], int | None] = field(default_factory=dict)  # (account, lower name) → id
    contacts_of: set[int] = field(default_factory=set)  # the accounts whose contacts are in `contacts`
    existing: dict[str, tuple[int, tuple]] = field(default_factory=dict)  # external id → (pk, state)
    foreign: set[str] = field(default_factory=set)  # external ids of activities of people out of reach


class ActivityRowForm(RowForm):
    """One row of an activities file: the owner by e-mail, the account by legal name, the contact by name
    among the account's contacts; the other columns with the model's rules."""

    external_id = model_field(Activity, "external_id")
    owner_email = forms.CharField(max_length=254)
    kind = CodeChoiceField(choices=ActivityKind.choices, required=True)
    first_appointment = YesNoField()
    account = forms.CharField(max_length=200)
    contact = forms.CharField(max_length=150, required=False)
    date = IsoDateField()
    outcome = model_field(Activity, "outcome")
    notes = model_field(Activity, "notes")

    def __init__(self, data: dict[str, str], *, lookups: ActivityLookups) -> None:
        super().__init__(data)
        self.lookups = lookups

    def clean_owner_email(self) -> User:
        return owner_by_email(self.lookups.owners, self.cleaned_data["owner_email"])

    def clean_account(self) -> AccountRef:
        name = self.cleaned_data["account"]
        account = self.lookups.accounts.get(name.lower())
        if account is None:
            raise forms.ValidationError(_("Unknown account “%(name)s”.") % {"name": name})
        return account

    def clean_external_id(self) -> str | None:
        external_id = self.cleaned_data["external_id"]
        if external_id and external_id in self.lookups.foreign:
            raise forms.ValidationError(_("This external id is an activity of someone outside your teams."))
        return external_id

    def clean(self) -> None:
        """The account is the owner's; the contact, when named, is the account's (its id replaces the name)."""
        cleaned = self.cleaned_data
        owner, account = cleaned.get("owner_email"), cleaned.get("account")
        if owner is not None and account is not None and account.owner_id != owner.pk:
            self.add_error(
                "account",
                _("“%(account)s” is an account of %(holder)s, not of %(owner)s.")
                % {"account": account, "holder": account.owner_name, "owner": owner},
            )
        name = cleaned.get("contact")
        if name and account is not None:
            key = (account.pk, name.lower())
            if key not in self.lookups.contacts:
                self.add_error(
                    "contact",
                    _("“%(name)s” is not a contact of “%(account)s”.") % {"name": name, "account": account},
                )
            elif self.lookups.contacts[key] is AMBIGUOUS:
                self.add_error(
                    "contact",
                    _(
                        "Two contacts of “%(account)s” are called “%(name)s”: rename one on the account's page."
                    )
                    % {"name": name, "account": account},
                )
            else:
                cleaned["contact"] = self.lookups.contacts[key]
        elif "contact" in cleaned:
            cleaned["contact"] = None
        if cleaned.get("first_appointment") and cleaned.get("kind") not in (None, ActivityKind.APPOINTMENT):
            self.add_error("first_appointment", _("Only an appointment can be a first appointment."))

    def state(self) -> tuple:
        """The activity's values in the order of ACTIVITY_FIELDS (ids for the related records)."""
        data = self.cleaned_data
        return (
            data["owner_email"].pk,
            data["kind"],
            data["first_appointment"],
            data["account"].pk,
            data["contact"],
            data["date"],
            data["outcome"],
            data["notes"],
        )


class ActivityImport(TrackedImport):
    """Activities of the importer's relationship managers on their own accounts."""

    form_class = ActivityRowForm
    model = Activity
    streams = True
    batch_size = BATCH
    chunk_rows = CHUNK_ROWS
    columns = (
        Column(
            "external_id",
            False,
            gettext_lazy(
                "Your system's id of the activity: importing it again updates it instead of adding it."
            ),
            "CRM-000123",
        ),
        Column(
            "owner_email",
            True,
            gettext_lazy("The e-mail address of the relationship manager (yourself or one of yours)."),
            "camille.martin@bank.example",
        ),
        Column("kind", True, gettext_lazy("conversation, appointment or proposal."), "appointment"),
        Column(
            "first_appointment",
            False,
            gettext_lazy("yes for a first appointment with the account; no when empty."),
            "yes",
        ),
        Column("account", True, gettext_lazy("The legal name of one of the owner's accounts."), "Acme SAS"),
        Column("contact", False, gettext_lazy("The name of one of the account's contacts."), "Claire Dubois"),
        Column("date", True, gettext_lazy("The day it happened, YYYY-MM-DD."), "2026-03-10"),
        Column("outcome", False, gettext_lazy("What came of it, in a few words."), "Proposal requested"),
        Column("notes", False, gettext_lazy("Anything else."), ""),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s activity", "%(count)s activities", count) % {"count": grouped(count)}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lookups = ActivityLookups()

    def prepare(self, rows: list[dict[str, str]]) -> None:
        # People, accounts and their contacts are kept from chunk to chunk (the import changes none of them):
        # only names and accounts not met yet are looked up, so a long file costs no more than its distinct
        # names. The activities found are this chunk's.
        known = self.lookups
        self.lookups = ActivityLookups(
            owners=known.owners, accounts=known.accounts, contacts=known.contacts,
            contacts_of=known.contacts_of,
        )  # fmt: skip
        owners = users_changeable_by(viewer=self.by).with_role(Role.RM)
        _look_up_new(self.lookups.owners, owners, "email", lower_values(rows, "owner_email"))
        names = lower_values(rows, "account")
        _account_refs(self.lookups.accounts, self.by, names)
        ids = sorted(
            {
                a.pk
                for name in names
                if (a := self.lookups.accounts.get(name)) is not None and a.pk not in self.lookups.contacts_of
            }
        )
        self.lookups.contacts_of.update(ids)
        for chunk in chunks(ids, IDS):
            contacts = Contact.objects.filter(account__in=chunk).order_by("pk")
            for pk, account_id, name in contacts.values_list("pk", "account_id", "name"):
                key = (account_id, name.lower())
                self.lookups.contacts[key] = AMBIGUOUS if key in self.lookups.contacts else pk
        external_ids = sorted({row["external_id"] for row in rows if row.get("external_id")})
        changeable = self.changeable_ids
        columns = ["pk", "external_id", *ACTIVITY_ATTNAMES]
        for chunk in chunks(external_ids, IDS):
            for pk, external_id, *state in Activity.objects.filter(external_id__in=chunk).values_list(
                *columns
            ):
                if state[0] in changeable:  # the owner
                    self.lookups.existing[external_id] = (pk, tuple(state))
                else:
                    self.lookups.foreign.add(external_id)

    def form(self, data: dict[str, str], *, row: int) -> ActivityRowForm:
        return ActivityRowForm(data, lookups=self.lookups)

    def check(self, form: ActivityRowForm, *, row: int) -> None:
        super().check(form, row=row)
        external_id = form.cleaned_data.get("external_id")
        if external_id:
            first_row_check(self.seen, external_id, row, form, "external_id", TWICE)

    def save(self, form: ActivityRowForm) -> str:
        return self.save_batch([form])[0]

    def save_batch(self, row_forms: Iterable[ActivityRowForm]) -> list[str]:
        """New activities go in by COPY (`salesplan.bulk`) as the rows come, changed ones by one bulk
        UPDATE after them."""
        now = timezone.now()
        changed, outcomes = [], []

        def new_rows() -> Iterator[tuple]:
            for form in row_forms:
                state, external_id = form.state(), form.cleaned_data["external_id"]
                found = self.lookups.existing.get(external_id) if external_id else None
                if found is None:
                    outcomes.append(CREATED)
                    yield (*state, external_id, now)
                elif found[1] == state:
                    outcomes.append(UNCHANGED)
                else:
                    changed.append(Activity(pk=found[0], **dict(zip(ACTIVITY_ATTNAMES, state, strict=True))))
                    outcomes.append(UPDATED)

        bulk.insert_rows(Activity, [*ACTIVITY_COLUMNS, "external_id", "created_at"], new_rows())
        Activity.objects.bulk_update(changed, ACTIVITY_FIELDS)
        return self.tallied(outcomes)


BALANCE_TWICE = gettext_lazy(
    "Row %(row)s already gives this account's balance for this metric and month end."
)


# --- Balances -----------------------------------------------------------------------------------------


@dataclass
class BalanceLookups:
    accounts: dict[str, AccountRef | None] = field(default_factory=dict)  # lower legal name → changeable one
    metrics: dict[str, Metric] = field(default_factory=dict)  # lower code → balance metric
    existing: dict[tuple[int, int, date], tuple[int, object]] = field(default_factory=dict)  # → (pk, balance)


class BalanceRowForm(RowForm):
    """One row of a balances file: an account's balance for a balance metric at a month end."""

    account = forms.CharField(max_length=200)
    metric = forms.CharField(max_length=40)
    month_end = IsoDateField()
    balance = model_field(BalanceSnapshot, "balance")

    def __init__(self, data: dict[str, str], *, lookups: BalanceLookups) -> None:
        super().__init__(data)
        self.lookups = lookups

    def clean_account(self) -> AccountRef:
        name = self.cleaned_data["account"]
        account = self.lookups.accounts.get(name.lower())
        if account is None:
            raise forms.ValidationError(_("Unknown account “%(name)s”.") % {"name": name})
        return account

    def clean_metric(self) -> Metric:
        code = self.cleaned_data["metric"]
        metric = self.lookups.metrics.get(code.lower())
        if metric is None:
            raise forms.ValidationError(
                _("Unknown balance metric “%(code)s”: use one of %(codes)s.")
                % {"code": code, "codes": ", ".join(sorted(m.code for m in self.lookups.metrics.values()))}
            )
        return metric

    def clean_month_end(self) -> date:
        day = self.cleaned_data["month_end"]
        last = month_end(day.year, day.month)
        if day != last:
            raise forms.ValidationError(
                _("Give the month's last day, e.g. %(day)s.") % {"day": last.isoformat()}
            )
        return day


class BalanceImport(TrackedImport):
    """Month-end balances of the importer's accounts: a balance already there for the same account, metric
    and month end is replaced."""

    form_class = BalanceRowForm
    model = BalanceSnapshot
    streams = True
    batch_size = BATCH
    chunk_rows = CHUNK_ROWS
    columns = (
        Column(
            "account",
            True,
            gettext_lazy("The legal name of an account of yours (or of your RMs)."),
            "Acme SAS",
        ),
        Column("metric", True, gettext_lazy("The code of a balance metric: loans or dda."), "loans"),
        Column("month_end", True, gettext_lazy("The month's last day, YYYY-MM-DD."), "2026-01-31"),
        Column(
            "balance",
            True,
            gettext_lazy("A number, with a dot for decimals and no thousands separator."),
            "250000.00",
        ),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s balance", "%(count)s balances", count) % {"count": grouped(count)}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lookups = BalanceLookups()

    def prepare(self, rows: list[dict[str, str]]) -> None:
        known = self.lookups  # accounts and metrics kept from chunk to chunk; the balances are this chunk's
        self.lookups = BalanceLookups(accounts=known.accounts, metrics=known.metrics)
        names = lower_values(rows, "account")
        _account_refs(self.lookups.accounts, self.by, names)
        if not self.lookups.metrics:
            self.lookups.metrics = {m.code.lower(): m for m in Metric.objects.filter(kind=MetricKind.BALANCE)}
        days = sorted({d for row in rows if (d := parse_iso(row.get("month_end", "")))})
        ids = sorted({a.pk for name in names if (a := self.lookups.accounts.get(name)) is not None})
        for chunk in chunks(ids, IDS):
            snapshots = BalanceSnapshot.objects.filter(account__in=chunk, month_end__in=days)
            for pk, account, metric, day, balance in snapshots.values_list(
                "pk", "account_id", "metric_id", "month_end", "balance"
            ):
                self.lookups.existing[(account, metric, day)] = (pk, balance)

    def form(self, data: dict[str, str], *, row: int) -> BalanceRowForm:
        return BalanceRowForm(data, lookups=self.lookups)

    def check(self, form: BalanceRowForm, *, row: int) -> None:
        super().check(form, row=row)
        data = form.cleaned_data
        if data.get("account") and data.get("metric") and data.get("month_end"):
            key = (data["account"].pk, data["metric"].pk, data["month_end"])
            first_row_check(self.seen, key, row, form, "month_end", BALANCE_TWICE)

    def save(self, form: BalanceRowForm) -> str:
        return self.save_batch([form])[0]

    def save_batch(self, row_forms: Iterable[BalanceRowForm]) -> list[str]:
        """New balances go in by COPY (`salesplan.bulk`) as the rows come, changed ones by one bulk UPDATE
        after them."""
        changed, outcomes = [], []

        def new_rows() -> Iterator[tuple]:
            for form in row_forms:
                data = form.cleaned_data
                key = (data["account"].pk, data["metric"].pk, data["month_end"])
                found = self.lookups.existing.get(key)
                if found is None:
                    outcomes.append(CREATED)
                    yield (*key, data["balance"])
                elif found[1] == data["balance"]:
                    outcomes.append(UNCHANGED)
                else:
                    changed.append(BalanceSnapshot(pk=found[0], balance=data["balance"]))
                    outcomes.append(UPDATED)

        bulk.insert_rows(BalanceSnapshot, ["account_id", "metric_id", "month_end", "balance"], new_rows())
        BalanceSnapshot.objects.bulk_update(changed, ["balance"])
        return self.tallied(outcomes)
