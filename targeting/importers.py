"""CSV import of accounts and contacts: the row forms and specs on top of `salesplan.csvimport`.

A row form is a ModelForm of the model the page edits, so a CSV cell meets the model's own rules
(lengths, choices, amounts at least 0...). What the page picks from a list, a CSV row names: an industry
by name, an owner by e-mail, an account by legal name. Those names are looked up once for the whole file
(`prepare`, a few queries whatever the number of rows) among what the importer may change, so the
visibility rule applies exactly as on the pages: an owner outside the importer's teams is "unknown".

Saving: accounts are inserted 500 at a time with their history records (`bulk_create_with_history`,
reason "CSV import", user the importer), then each team's tiers are recomputed once with
`services.tiers_recompute_team`; contacts are inserted 500 at a time. Rows are not saved through
`services.account_save` / `contact_save`: everything those check per row (permission, model validation)
the form and the lookups have already checked for the whole file, and they would cost about ten
queries a row (a 50,000-row file took minutes). When the database refuses a batch, the engine saves
its rows one by one (`save`, same effect) to name the refused row.
"""

from dataclasses import dataclass, field

from django import forms
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.utils import bulk_create_with_history

from accounts.models import Role, Team, User
from accounts.selectors import users_changeable_by
from salesplan.csvimport import CREATED, CodeChoiceField, Column, ImportSpec, ModelRowForm, YesNoField

from . import selectors, services
from .models import CURRENCIES, Account, AccountStatus, Contact, ContactLevel, Industry, PlayingField

# Names or ids per IN (...) query, far below every database's parameter limit. With 500 lower-cased names
# PostgreSQL read all 60,000 accounts (30 ms a query) rather than probe their index 500 times (3 ms).
CHUNK = 200
CHUNK_ROWS = 2000  # rows read, looked up, checked and saved together
LEVEL_ALIASES = {"owner": 1, "c-suite": 1, "c suite": 1, "ceo": 1, "senior": 2}


def can_import(user: User) -> bool:
    """Importing is a manager's act: team leaders, directors and administrators."""
    return user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _names(rows: list[dict[str, str]], column: str) -> list[str]:
    return sorted({row[column].lower() for row in rows if row.get(column)})


def _level_field(*, required: bool) -> CodeChoiceField:
    return CodeChoiceField(choices=ContactLevel.choices, aliases=LEVEL_ALIASES, coerce=int, required=required)


# --- Accounts -----------------------------------------------------------------------------------------


def owner_by_email(owners: dict[str, User], email: str) -> User:
    """The RM an import row names by e-mail, among those the importer may change (keys lower-cased)."""
    owner = owners.get(email.lower())
    if owner is None:
        raise forms.ValidationError(
            _("Unknown owner “%(email)s”: no relationship manager of yours has this e-mail.")
            % {"email": email}
        )
    return owner


@dataclass
class AccountLookups:
    industries: dict[str, Industry] = field(default_factory=dict)  # by lower-case name
    owners: dict[str, User] = field(default_factory=dict)  # by lower-case e-mail
    existing_names: set[str] = field(default_factory=set)  # lower-case legal names already in use


class AccountRowForm(ModelRowForm):
    """One row of an accounts file. Industry and owner, named in the row, are found in the lookups and
    set on the instance in `clean`."""

    industry = forms.CharField(required=False, max_length=100)
    owner_email = forms.CharField(max_length=254)
    currency = CodeChoiceField(choices=CURRENCIES, empty_value="EUR", required=False)
    status = CodeChoiceField(
        choices=AccountStatus.choices, empty_value=AccountStatus.PROSPECT, required=False
    )
    products_held = forms.IntegerField(min_value=0, max_value=32767, required=False)
    is_high_value = YesNoField()
    must_keep = YesNoField()
    must_expand = YesNoField()
    playing_field = CodeChoiceField(choices=PlayingField.choices, empty_value="", required=False)
    target_level = _level_field(required=False)

    class Meta:
        model = Account
        fields = [
            "legal_name", "annual_revenue", "currency", "employees", "location", "research_notes", "status",
            "products_held", "is_high_value", "must_keep", "must_expand", "playing_field", "target_level",
        ]  # fmt: skip

    def __init__(self, *args, lookups: AccountLookups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookups = lookups

    def clean_legal_name(self) -> str:
        name = self.cleaned_data["legal_name"]
        if name.lower() in self.lookups.existing_names:
            raise forms.ValidationError(_("An account with this legal name already exists."))
        return name

    def clean_industry(self) -> Industry | None:
        name = self.cleaned_data["industry"]
        if not name:
            return None
        industry = self.lookups.industries.get(name.lower())
        if industry is None:
            raise forms.ValidationError(
                _("Unknown industry “%(name)s”. Known industries are managed by an administrator.")
                % {"name": name}
            )
        return industry

    def clean_owner_email(self) -> User:
        return owner_by_email(self.lookups.owners, self.cleaned_data["owner_email"])

    def clean_products_held(self) -> int:
        return self.cleaned_data["products_held"] or 0

    def clean(self):
        cleaned = super().clean()
        self.instance.industry = cleaned.get("industry")
        if "owner_email" in cleaned:
            self.instance.owner = cleaned["owner_email"]
        return cleaned


class AccountImport(ImportSpec):
    form_class = AccountRowForm
    batch_size = 500
    chunk_rows = CHUNK_ROWS
    reason = gettext_lazy("CSV import")
    columns = (
        Column("legal_name", True, gettext_lazy("The company's legal name; new accounts only."), "Acme SAS"),
        Column("industry", False, gettext_lazy("The name of a known industry."), "Manufacturing"),
        Column(
            "annual_revenue",
            False,
            gettext_lazy("A number, with a dot for decimals and no thousands separator."),
            "12500000.00",
        ),
        Column("currency", False, gettext_lazy("EUR (when empty), USD, GBP or CHF."), "EUR"),
        Column("employees", False, gettext_lazy("A whole number."), "80"),
        Column("location", False, gettext_lazy("Town or area."), "Lyon"),
        Column("research_notes", False, gettext_lazy("What the company does to exist and prosper."), ""),
        Column(
            "owner_email",
            True,
            gettext_lazy("The e-mail address of one of your relationship managers."),
            "camille.martin@bank.example",
        ),
        Column("status", False, gettext_lazy("prospect (when empty), active or former."), "prospect"),
        Column("products_held", False, gettext_lazy("A whole number; 0 when empty."), "0"),
        Column("is_high_value", False, gettext_lazy("yes or no; no when empty."), "no"),
        Column("must_keep", False, gettext_lazy("yes or no; no when empty."), "no"),
        Column("must_expand", False, gettext_lazy("yes or no; no when empty."), "yes"),
        Column("playing_field", False, gettext_lazy("top_down, bottom_up or empty."), "top_down"),
        Column(
            "target_level",
            False,
            gettext_lazy("1 to 4, or owner/c-suite, senior executive, manager, staff."),
            "1",
        ),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s account", "%(count)s accounts", count) % {"count": count}

    def __init__(self, *, by: User) -> None:
        super().__init__(by=by)
        self.lookups = AccountLookups()
        self.teams: dict[int, Team] = {}

    def prepare(self, rows: list[dict[str, str]]) -> None:
        if not self.lookups.owners:  # industries and people, once for the whole file
            self.lookups.industries = {i.name.lower(): i for i in Industry.objects.all()}
            owners = users_changeable_by(viewer=self.by).with_role(Role.RM).select_related("team")
            self.lookups.owners = {u.email.lower(): u for u in owners}
        self.lookups.existing_names = set()  # this chunk's names already taken
        for names in _chunks(_names(rows, "legal_name")):
            self.lookups.existing_names.update(
                Account.objects.annotate(key=Lower("legal_name"))
                .filter(key__in=names)
                .values_list("key", flat=True)
            )

    def form(self, data: dict[str, str], *, row: int) -> AccountRowForm:
        return AccountRowForm(data=data, lookups=self.lookups)

    def check(self, form: AccountRowForm, *, row: int) -> None:
        name = form.cleaned_data.get("legal_name")
        if not name:
            return
        self.seen.first(
            name.lower(),
            row,
            lambda first: form.add_error(
                "legal_name", _("Appears twice in the file (also row %(row)s).") % {"row": first}
            ),
        )

    def save(self, form: AccountRowForm) -> str:
        account = form.instance
        account._change_reason = str(self.reason)
        account._history_user = self.by  # read by simple-history for the history record
        account.save()
        self._touched([account])
        return CREATED

    def save_batch(self, row_forms: list[AccountRowForm]) -> list[str]:
        accounts = [form.instance for form in row_forms]
        bulk_create_with_history(
            accounts, Account, default_user=self.by, default_change_reason=str(self.reason)
        )
        self._touched(accounts)
        return [CREATED] * len(accounts)

    def _touched(self, accounts: list[Account]) -> None:
        for account in accounts:
            if account.owner.team_id:
                self.teams[account.owner.team_id] = account.owner.team

    def finish(self) -> None:
        for team in self.teams.values():
            services.tiers_recompute_team(team=team)


# --- Contacts -----------------------------------------------------------------------------------------


@dataclass
class ContactLookups:
    accounts: dict[str, Account] = field(default_factory=dict)  # by lower-case legal name
    primaries: dict[int, str] = field(default_factory=dict)  # account id -> name of its primary contact


class ContactRowForm(ModelRowForm):
    """One row of a contacts file; the account is named by its legal name."""

    account = forms.CharField(max_length=200)
    level = _level_field(required=True)
    budget_authority = YesNoField()
    is_primary = YesNoField()

    class Meta:
        model = Contact
        fields = ["name", "title", "level", "budget_authority", "email", "phone", "is_primary"]

    def __init__(self, *args, lookups: ContactLookups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lookups = lookups

    def clean_account(self) -> Account:
        name = self.cleaned_data["account"]
        account = self.lookups.accounts.get(name.lower())
        if account is None:
            raise forms.ValidationError(_("Unknown account “%(name)s”.") % {"name": name})
        return account

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account")
        if account is not None:
            self.instance.account = account
            primary = self.lookups.primaries.get(account.pk)
            if cleaned.get("is_primary") and primary is not None:
                self.add_error(
                    "is_primary",
                    _(
                        "“%(account)s” already has a primary contact, %(name)s: leave is_primary empty, "
                        "or change the primary contact on the account's page."
                    )
                    % {"account": account, "name": primary},
                )
        return cleaned


class ContactImport(ImportSpec):
    form_class = ContactRowForm
    batch_size = 500
    chunk_rows = CHUNK_ROWS
    columns = (
        Column(
            "account",
            True,
            gettext_lazy("The legal name of an account of yours (or of your relationship managers)."),
            "Acme SAS",
        ),
        Column("name", True, gettext_lazy("The contact's full name."), "Claire Dubois"),
        Column("title", False, gettext_lazy("Job title."), "Chief Financial Officer"),
        Column(
            "level",
            True,
            gettext_lazy("1 to 4, or owner/c-suite, senior executive, manager, staff."),
            "owner/c-suite",
        ),
        Column("budget_authority", False, gettext_lazy("yes or no; no when empty."), "yes"),
        Column("email", False, gettext_lazy("E-mail address."), "claire.dubois@acme.example"),
        Column("phone", False, gettext_lazy("Phone number."), "+33 1 23 45 67 89"),
        Column(
            "is_primary",
            False,
            gettext_lazy("yes for the account's primary contact (one per account); no when empty."),
            "yes",
        ),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s contact", "%(count)s contacts", count) % {"count": count}

    def __init__(self, *, by: User) -> None:
        super().__init__(by=by)
        self.lookups = ContactLookups()
        self.primary_rows: dict[int, int] = {}  # account id -> row of the file making it primary

    def prepare(self, rows: list[dict[str, str]]) -> None:
        self.lookups = ContactLookups()  # this chunk's: contacts of earlier chunks are in the database now
        accounts = selectors.accounts_changeable_by(viewer=self.by).annotate(key=Lower("legal_name"))
        for names in _chunks(_names(rows, "account")):
            self.lookups.accounts.update((a.key, a) for a in accounts.filter(key__in=names))
        ids = [a.pk for a in self.lookups.accounts.values()]
        for start in range(0, len(ids), CHUNK):
            primaries = Contact.objects.filter(account__in=ids[start : start + CHUNK], is_primary=True)
            self.lookups.primaries.update(primaries.values_list("account_id", "name"))

    def form(self, data: dict[str, str], *, row: int) -> ContactRowForm:
        return ContactRowForm(data=data, lookups=self.lookups)

    def check(self, form: ContactRowForm, *, row: int) -> None:
        account = form.cleaned_data.get("account")
        if account is None or not form.cleaned_data.get("is_primary"):
            return
        first = self.primary_rows.setdefault(account.pk, row)
        if first != row:
            form.add_error(
                "is_primary",
                _("Row %(row)s already gives “%(account)s” its primary contact: one per account.")
                % {"row": first, "account": account},
            )

    def save(self, form: ContactRowForm) -> str:
        form.save()
        return CREATED

    def save_batch(self, row_forms: list[ContactRowForm]) -> list[str]:
        Contact.objects.bulk_create([form.instance for form in row_forms])
        return [CREATED] * len(row_forms)


KINDS: dict[str, type[ImportSpec]] = {"accounts": AccountImport, "contacts": ContactImport}


# --- The import page's form ---------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[("accounts", gettext_lazy("Accounts")), ("contacts", gettext_lazy("Contacts"))],
        initial="accounts",
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, values separated by commas or semicolons, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is 10 MB. Split it into smaller files.")
                % {"size": filesizeformat(upload.size)}
            )
        return upload
