"""Imports of activities and month-end balances (see the package's docstring for the rules)."""

from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Role, User
from accounts.selectors import users_changeable_by
from salesplan.csvimport import CREATED, UNCHANGED, UPDATED, CodeChoiceField, Column, ModelRowForm, YesNoField
from targeting.importers import owner_by_email
from targeting.models import Account, Contact
from targeting.selectors import accounts_changeable_by

from ..calculations import month_end
from ..models import Activity, ActivityKind, BalanceSnapshot, Metric, MetricKind
from .base import (
    AMBIGUOUS,
    BATCH,
    CHUNK_ROWS,
    TWICE,
    IsoDateField,
    TrackedImport,
    by_lower_name,
    chunks,
    first_row_check,
    grouped,
    lower_values,
    parse_iso,
    shared_fields,
)

# --- Activities ---------------------------------------------------------------------------------------


def _accounts(user: User):
    """The accounts the user may change, light: kept for a whole import, so only what the rows need."""
    return accounts_changeable_by(viewer=user).select_related(None).only("pk", "legal_name", "owner_id")


def _look_up_new(found: dict, queryset, field_name: str, names: list[str]) -> None:
    """Add to `found` the objects of `names` not looked up before (None for a name with no object, so
    that it is not looked up again)."""
    new = [name for name in names if name not in found]
    if new:
        hits = by_lower_name(queryset, field_name, new)
        found.update((name, hits.get(name)) for name in new)


ACTIVITY_FIELDS = ["owner", "kind", "is_first_appointment", "account", "contact", "date", "outcome", "notes"]


def _activity_state(a: Activity) -> tuple:
    return (
        a.owner_id,
        a.kind,
        a.is_first_appointment,
        a.account_id,
        a.contact_id,
        a.date,
        a.outcome,
        a.notes,
    )


@dataclass
class ActivityLookups:
    owners: dict[str, User] = field(default_factory=dict)  # lower e-mail → RM the importer may change
    accounts: dict[str, Account] = field(default_factory=dict)  # lower legal name → changeable account
    contacts: dict[tuple[int, str], Contact | None] = field(default_factory=dict)  # (account, lower name)
    existing: dict[str, tuple[int, tuple]] = field(default_factory=dict)  # external id → (pk, state)
    foreign: set[str] = field(default_factory=set)  # external ids of activities of people out of reach


@shared_fields
class ActivityRowForm(ModelRowForm):
    """One row of an activities file: the owner by e-mail, the account by legal name, the contact by name
    among the account's contacts."""

    owner_email = forms.CharField(max_length=254)
    kind = CodeChoiceField(choices=ActivityKind.choices, required=True)
    first_appointment = YesNoField()
    account = forms.CharField(max_length=200)
    contact = forms.CharField(max_length=150, required=False)
    date = IsoDateField()

    class Meta:
        model = Activity
        fields = ["kind", "date", "outcome", "notes", "external_id"]

    def __init__(self, *args, lookups: ActivityLookups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookups = lookups

    def clean_owner_email(self) -> User:
        return owner_by_email(self.lookups.owners, self.cleaned_data["owner_email"])

    def clean_account(self) -> Account:
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

    def clean(self):
        cleaned = super().clean()
        owner, account = cleaned.get("owner_email"), cleaned.get("account")
        if owner is not None and account is not None and account.owner_id != owner.pk:
            self.add_error(
                "account",
                _("“%(account)s” is an account of %(holder)s, not of %(owner)s.")
                % {"account": account, "holder": account.owner, "owner": owner},
            )
        contact = None
        name = cleaned.get("contact")
        if name and account is not None:
            key = (account.pk, name.lower())
            if key not in self.lookups.contacts:
                self.add_error(
                    "contact",
                    _("“%(name)s” is not a contact of “%(account)s”.") % {"name": name, "account": account},
                )
            elif (contact := self.lookups.contacts[key]) is AMBIGUOUS:
                self.add_error(
                    "contact",
                    _(
                        "Two contacts of “%(account)s” are called “%(name)s”: rename one on the account's page."
                    )
                    % {"name": name, "account": account},
                )
        if cleaned.get("first_appointment") and cleaned.get("kind") not in (None, ActivityKind.APPOINTMENT):
            self.add_error("first_appointment", _("Only an appointment can be a first appointment."))
        self.instance.owner = owner
        self.instance.account = account
        self.instance.contact = contact
        self.instance.is_first_appointment = bool(cleaned.get("first_appointment"))
        return cleaned


class ActivityImport(TrackedImport):
    """Activities of the importer's relationship managers on their own accounts."""

    form_class = ActivityRowForm
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
        # People and accounts are kept from chunk to chunk (the import changes neither): only names not met
        # yet are looked up, so a long file costs no more than its distinct names. The rest is this chunk's.
        known = self.lookups
        self.lookups = ActivityLookups(owners=known.owners, accounts=known.accounts)
        owners = users_changeable_by(viewer=self.by).with_role(Role.RM)
        _look_up_new(self.lookups.owners, owners, "email", lower_values(rows, "owner_email"))
        names = lower_values(rows, "account")
        _look_up_new(self.lookups.accounts, _accounts(self.by), "legal_name", names)
        ids = sorted({a.pk for name in names if (a := self.lookups.accounts.get(name)) is not None})
        for chunk in chunks(ids):
            for contact in Contact.objects.filter(account__in=chunk).order_by("pk"):
                key = (contact.account_id, contact.name.lower())
                self.lookups.contacts[key] = AMBIGUOUS if key in self.lookups.contacts else contact
        external_ids = sorted({row["external_id"] for row in rows if row.get("external_id")})
        changeable = self.changeable_ids
        for chunk in chunks(external_ids):
            for activity in Activity.objects.filter(external_id__in=chunk):
                if activity.owner_id in changeable:
                    self.lookups.existing[activity.external_id] = (activity.pk, _activity_state(activity))
                else:
                    self.lookups.foreign.add(activity.external_id)

    def form(self, data: dict[str, str], *, row: int) -> ActivityRowForm:
        return ActivityRowForm(data=data, lookups=self.lookups)

    def check(self, form: ActivityRowForm, *, row: int) -> None:
        super().check(form, row=row)
        external_id = form.cleaned_data.get("external_id")
        if external_id:
            first_row_check(self.seen, external_id, row, form, "external_id", TWICE)

    def save(self, form: ActivityRowForm) -> str:
        return self.save_batch([form])[0]

    def save_batch(self, row_forms: list[ActivityRowForm]) -> list[str]:
        new, changed, outcomes = [], [], []
        for form in row_forms:
            activity = form.instance
            found = self.lookups.existing.get(activity.external_id) if activity.external_id else None
            if found is None:
                activity.pk = None  # a batch refused earlier may have set it
                new.append(activity)
                outcomes.append(CREATED)
            elif found[1] == _activity_state(activity):
                outcomes.append(UNCHANGED)
            else:
                activity.pk = found[0]
                changed.append(activity)
                outcomes.append(UPDATED)
        Activity.objects.bulk_create(new)
        Activity.objects.bulk_update(changed, ACTIVITY_FIELDS)
        return self.tallied(outcomes)


BALANCE_TWICE = gettext_lazy(
    "Row %(row)s already gives this account's balance for this metric and month end."
)


# --- Balances -----------------------------------------------------------------------------------------


@dataclass
class BalanceLookups:
    accounts: dict[str, Account] = field(default_factory=dict)  # lower legal name → changeable account
    metrics: dict[str, Metric] = field(default_factory=dict)  # lower code → balance metric
    existing: dict[tuple[int, int, date], tuple[int, object]] = field(default_factory=dict)  # → (pk, balance)


@shared_fields
class BalanceRowForm(ModelRowForm):
    """One row of a balances file: an account's balance for a balance metric at a month end."""

    account = forms.CharField(max_length=200)
    metric = forms.CharField(max_length=40)
    month_end = IsoDateField()

    class Meta:
        model = BalanceSnapshot
        fields = ["month_end", "balance"]

    def __init__(self, *args, lookups: BalanceLookups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookups = lookups

    def clean_account(self) -> Account:
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

    def clean(self):
        cleaned = super().clean()
        self.instance.account = cleaned.get("account")
        self.instance.metric = cleaned.get("metric")
        return cleaned


class BalanceImport(TrackedImport):
    """Month-end balances of the importer's accounts: a balance already there for the same account, metric
    and month end is replaced."""

    form_class = BalanceRowForm
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
        _look_up_new(self.lookups.accounts, _accounts(self.by), "legal_name", names)
        if not self.lookups.metrics:
            self.lookups.metrics = {m.code.lower(): m for m in Metric.objects.filter(kind=MetricKind.BALANCE)}
        days = sorted({d for row in rows if (d := parse_iso(row.get("month_end", "")))})
        ids = sorted({a.pk for name in names if (a := self.lookups.accounts.get(name)) is not None})
        for chunk in chunks(ids):
            snapshots = BalanceSnapshot.objects.filter(account__in=chunk, month_end__in=days)
            for pk, account, metric, day, balance in snapshots.values_list(
                "pk", "account_id", "metric_id", "month_end", "balance"
            ):
                self.lookups.existing[(account, metric, day)] = (pk, balance)

    def form(self, data: dict[str, str], *, row: int) -> BalanceRowForm:
        return BalanceRowForm(data=data, lookups=self.lookups)

    def check(self, form: BalanceRowForm, *, row: int) -> None:
        super().check(form, row=row)
        data = form.cleaned_data
        if data.get("account") and data.get("metric") and data.get("month_end"):
            key = (data["account"].pk, data["metric"].pk, data["month_end"])
            first_row_check(self.seen, key, row, form, "month_end", BALANCE_TWICE)

    def save(self, form: BalanceRowForm) -> str:
        return self.save_batch([form])[0]

    def save_batch(self, row_forms: list[BalanceRowForm]) -> list[str]:
        new, changed, outcomes = [], [], []
        for form in row_forms:
            snapshot = form.instance
            found = self.lookups.existing.get((snapshot.account_id, snapshot.metric_id, snapshot.month_end))
            if found is None:
                snapshot.pk = None
                new.append(snapshot)
                outcomes.append(CREATED)
            elif found[1] == snapshot.balance:
                outcomes.append(UNCHANGED)
            else:
                snapshot.pk = found[0]
                changed.append(snapshot)
                outcomes.append(UPDATED)
        BalanceSnapshot.objects.bulk_create(new)
        BalanceSnapshot.objects.bulk_update(changed, ["balance"])
        return self.tallied(outcomes)
