"""Import of a CRM pipeline, with its teams file, (see the package's docstring for the CRM layout)."""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.utils import bulk_create_with_history

from accounts.models import Role, Team, User
from accounts.selectors import owned_by_changeable, users_changeable_by
from salesplan import bulk
from salesplan.csvimport import (
    CREATED,
    UNCHANGED,
    UPDATED,
    CodeChoiceField,
    Column,
    ImportResult,
    RowForm,
    csv_import,
)
from targeting import services as targeting_services
from targeting.models import Account

from ..models import CLOSED_STAGES, Opportunity, Product, Stage, StageChange
from .base import (
    AMBIGUOUS,
    BATCH,
    CHUNK_ROWS,
    HISTORY_REASON,
    IDS,
    IMPORTED_CATEGORY,
    PLACEHOLDER_ACCOUNT,
    TWICE,
    IsoDateField,
    Progress,
    TrackedImport,
    by_lower_name,
    chunks,
    first_row_check,
    grouped,
    lower_values,
    outcome_text,
)
from .organisation import CrmOrganisation, TeamImport

OPPORTUNITY_FIELDS = [
    "account",
    "product",
    "owner",
    "stage",
    "engage_date",
    "close_date",
    "value",
    "updated_at",
]


# A new deal's columns, as `_write_deals` gives them (the model's defaults for the rest of a CRM deal).
NEW_DEAL_COLUMNS = [
    "external_id", "account_id", "product_id", "owner_id", "stage", "engage_date", "close_date", "value",
    "name", "currency", "investment", "cash_flows", "created_at", "updated_at",
]  # fmt: skip
NEW_DEAL_DEFAULTS = (
    Opportunity._meta.get_field("name").get_default(),
    Opportunity._meta.get_field("currency").get_default(),
    None,
    json.dumps(Opportunity._meta.get_field("cash_flows").get_default()),
)
STAGE_CHANGE_COLUMNS = ["opportunity_id", "from_stage", "to_stage", "changed_on", "changed_by_id"]


@dataclass(frozen=True)
class DealState:
    """An opportunity's imported fields, to tell an unchanged row from a changed one."""

    pk: int
    owner_id: int
    account_id: int
    product_id: int | None
    stage: str
    engage_date: date | None
    close_date: date | None
    value: object


@dataclass
class PipelineLookups:
    agents: dict[str, str | None] = field(default_factory=dict)  # lower agent name → name (None: ambiguous)
    users: dict[str, User] = field(default_factory=dict)  # lower agent name → the RM (after the org is saved)
    accounts: dict[str, int] = field(default_factory=dict)  # lower legal name → the account's id
    foreign_accounts: set[str] = field(default_factory=set)  # lower names of accounts out of reach
    products: dict[str, Product] = field(default_factory=dict)  # lower name → product
    existing: dict[str, DealState] = field(default_factory=dict)  # opportunity id → what is saved
    foreign_deals: set[str] = field(default_factory=set)  # opportunity ids of deals out of reach
    from_teams_file: bool = False


class PipelineRowForm(RowForm):
    """One row of a CRM pipeline file. The columns are the CRM's, not the model's field names; it checks
    what the model's constraints say (a closed deal has a close date, on or after its engage date), and the
    database still guards them."""

    opportunity_id = forms.CharField(max_length=64)
    sales_agent = forms.CharField(max_length=150)
    product = forms.CharField(max_length=100, required=False)
    account = forms.CharField(max_length=200, required=False)
    deal_stage = CodeChoiceField(choices=Stage.choices, required=True)
    engage_date = IsoDateField(required=False)
    close_date = IsoDateField(required=False)
    close_value = forms.DecimalField(max_digits=18, decimal_places=2, min_value=0, required=False)

    def __init__(self, data: dict[str, str], *, lookups: PipelineLookups) -> None:
        super().__init__(data)
        self.lookups = lookups

    def clean_opportunity_id(self) -> str:
        external_id = self.cleaned_data["opportunity_id"]
        if external_id in self.lookups.foreign_deals:
            raise forms.ValidationError(_("This opportunity is a deal of someone outside your teams."))
        return external_id

    def clean_sales_agent(self) -> str:
        name = self.cleaned_data["sales_agent"]
        key = name.lower()
        if key not in self.lookups.agents:
            if self.lookups.from_teams_file:
                message = _("Unknown sales agent “%(name)s”: not in the teams file.")
            else:
                message = _(
                    "Unknown sales agent “%(name)s”: none of your relationship managers has this name."
                )
            raise forms.ValidationError(message % {"name": name})
        if self.lookups.agents[key] is AMBIGUOUS:
            raise forms.ValidationError(
                _("Several of your relationship managers are called “%(name)s”: import with a teams file.")
                % {"name": name}
            )
        return key

    def clean_account(self) -> str:
        name = self.cleaned_data["account"]
        if name.lower() in self.lookups.foreign_accounts:
            raise forms.ValidationError(
                _("The account “%(name)s” is an account of someone outside your teams.") % {"name": name}
            )
        return name

    def clean(self) -> None:
        cleaned = self.cleaned_data
        stage, engage, close = (
            cleaned.get("deal_stage"),
            cleaned.get("engage_date"),
            cleaned.get("close_date"),
        )
        if stage in CLOSED_STAGES and close is None and "close_date" not in self.errors:
            self.add_error("close_date", _("A won or lost opportunity needs a close date."))
        if engage and close and close < engage:
            self.add_error("close_date", _("The close date cannot be before the engagement date."))


def _reached_on(stage: str, engage: date | None, close: date | None, today: date) -> date:
    """The day a deal reached its stage, as the CRM's dates tell it."""
    if stage in CLOSED_STAGES and close:
        return close
    if stage != Stage.PROSPECTING and engage:
        return engage
    return today


class PipelineImport(TrackedImport):
    """Opportunities of a CRM pipeline; with a `CrmOrganisation` (a teams file) its people are saved first,
    in the same transaction. Accounts and products the file names are matched or created batch by batch."""

    form_class = PipelineRowForm
    model = Opportunity
    batch_size = BATCH
    chunk_rows = CHUNK_ROWS
    columns = (
        Column(
            "opportunity_id",
            True,
            gettext_lazy("The CRM's id of the deal: importing it again updates it."),
            "1C1I7A6R",
        ),
        Column("sales_agent", True, gettext_lazy("The relationship manager's name."), "Moses Frase"),
        Column(
            "product",
            False,
            gettext_lazy("A product name; a new name creates the product."),
            "GTX Plus Basic",
        ),
        Column(
            "account",
            False,
            gettext_lazy(
                "The account's legal name; a new name creates it. Empty: the agent's unnamed account."
            ),
            "Cancity",
        ),
        Column("deal_stage", True, gettext_lazy("Prospecting, Engaging, Won or Lost."), "Won"),
        Column(
            "engage_date", False, gettext_lazy("When the deal entered Engaging, YYYY-MM-DD."), "2016-10-20"
        ),
        Column(
            "close_date",
            False,
            gettext_lazy("When it was won or lost, YYYY-MM-DD (required then)."),
            "2017-03-01",
        ),
        Column(
            "close_value",
            False,
            gettext_lazy("The deal's value (0 for a lost deal, empty while open)."),
            "1054",
        ),
    )

    @classmethod
    def counted(cls, count: int) -> str:
        return ngettext("%(count)s opportunity", "%(count)s opportunities", count) % {"count": grouped(count)}

    def __init__(
        self, *, organisation: CrmOrganisation | None = None, tally: Counter | None = None,
        today: date | None = None, **kwargs,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.organisation = organisation
        self.tally = tally if tally is not None else Counter()
        self.today = today or timezone.localdate()
        self.lookups = PipelineLookups(from_teams_file=organisation is not None)
        self.org_saved = False
        self.created_accounts: list[str] = []  # keys, in creation order, to forget them after a refused batch
        self.created_products: list[str] = []
        self.teams_touched: set[int] = set()

    def prepare(self, rows: list[dict[str, str]]) -> None:
        lookups = self.lookups
        # Accounts and products are kept from chunk to chunk (with those the import creates), and only
        # names not met yet are looked up; the deals are this chunk's.
        lookups.existing, lookups.foreign_deals = {}, set()
        if self.organisation is not None:
            lookups.agents = dict(self.organisation.agents)
        elif not lookups.agents:  # the people, once for the whole file
            for user in users_changeable_by(viewer=self.by).with_role(Role.RM):
                key = user.display_name.lower()
                lookups.agents[key] = AMBIGUOUS if key in lookups.agents else user.display_name
                lookups.users[key] = user
        names = lower_values(rows, "account")
        names += [PLACEHOLDER_ACCOUNT.format(agent=name).lower() for name in lookups.agents.values() if name]
        new = sorted({name for name in names if name not in lookups.accounts})
        found = by_lower_name(Account.objects.all(), "legal_name", new, "pk")
        lookups.accounts.update(found)
        reachable = owned_by_changeable(viewer=self.by, queryset=Account.objects.all())
        ids = list(found.values())
        allowed = {
            pk
            for chunk in chunks(ids, IDS)
            for pk in reachable.filter(pk__in=chunk).values_list("pk", flat=True)
        }
        lookups.foreign_accounts |= {key for key, pk in found.items() if pk not in allowed}
        products = [name for name in lower_values(rows, "product") if name not in lookups.products]
        lookups.products.update(by_lower_name(Product.objects.all(), "name", products))
        external_ids = sorted({row["opportunity_id"] for row in rows if row.get("opportunity_id")})
        changeable = self.changeable_ids
        for chunk in chunks(external_ids, IDS):
            fields = ("pk", "external_id", "owner_id", "account_id", "product_id", "stage", "engage_date",
                      "close_date", "value")  # fmt: skip
            for pk, external_id, *state in Opportunity.objects.filter(external_id__in=chunk).values_list(
                *fields
            ):
                if self.by.role == Role.ADMIN or state[0] in changeable:
                    lookups.existing[external_id] = DealState(pk, *state)
                else:
                    lookups.foreign_deals.add(external_id)
        # At most this many of the chunk's deals are new: the ids reserved when its deals stream.
        self.new_deals = len(external_ids) - len(lookups.existing) - len(lookups.foreign_deals)
        # The chunk's deals stream into the database as they are checked when nothing needs creating first:
        # the people of a teams file are saved, and every account and product the rows name exists.
        self.streams = (
            (self.organisation is None or self.org_saved)
            and all(name is None or name in lookups.accounts for name in map(self._account_key, rows))
            and all(name in lookups.products for name in lower_values(rows, "product"))
        )

    def _account_key(self, row: dict[str, str]) -> str | None:
        """The lower-case name of the account a row's deal goes to (None when its agent is not known)."""
        if row.get("account"):
            return row["account"].lower()
        agent = self.lookups.agents.get(row.get("sales_agent", "").lower())
        return PLACEHOLDER_ACCOUNT.format(agent=agent).lower() if agent else None

    def form(self, data: dict[str, str], *, row: int) -> PipelineRowForm:
        return PipelineRowForm(data, lookups=self.lookups)

    def check(self, form: PipelineRowForm, *, row: int) -> None:
        super().check(form, row=row)
        external_id = form.cleaned_data.get("opportunity_id")
        if external_id:
            first_row_check(self.seen, external_id, row, form, "opportunity_id", TWICE)

    # Saving. A batch the database refuses is rolled back to its savepoint by the engine, which then saves
    # its rows one by one: what the batch created (people, accounts, products) must be forgotten then.

    def save(self, form: PipelineRowForm) -> str:
        return self.tallied(self._write([form]))[0]

    def save_batch(self, row_forms: Iterable[PipelineRowForm]) -> list[str]:
        if not isinstance(row_forms, list):  # streamed (see prepare): only deals to write
            return self.tallied(self._write_deals(row_forms))
        mark = (self.org_saved, len(self.created_accounts), len(self.created_products), Counter(self.tally))
        try:
            return self.tallied(self._write(row_forms))
        except Exception:
            self._forget(*mark)
            raise

    def _forget(self, org_saved: bool, accounts: int, products: int, tally: Counter) -> None:
        for key in self.created_accounts[accounts:]:
            del self.lookups.accounts[key]
        for key in self.created_products[products:]:
            del self.lookups.products[key]
        del self.created_accounts[accounts:], self.created_products[products:]
        self.org_saved = org_saved
        self.tally.clear()
        self.tally.update(tally)

    def _write(self, row_forms: list[PipelineRowForm]) -> list[str]:
        if self.organisation is not None and not self.org_saved:
            self.lookups.users = self.organisation.save(self.tally)
            self.org_saved = True
        users = self.lookups.users
        new_accounts: dict[str, Account] = {}  # by lower legal name
        new_products = []
        for form in row_forms:
            data = form.cleaned_data
            agent = users[data["sales_agent"]]
            name = data["account"] or PLACEHOLDER_ACCOUNT.format(
                agent=self.lookups.agents[data["sales_agent"]]
            )
            key = name.lower()
            if key not in self.lookups.accounts and key not in new_accounts:
                new_accounts[key] = Account(legal_name=name, owner=agent)
            product = data["product"]
            if product and product.lower() not in self.lookups.products:
                self.lookups.products[product.lower()] = Product(name=product, category=IMPORTED_CATEGORY)
                self.created_products.append(product.lower())
                new_products.append(self.lookups.products[product.lower()])
        if new_accounts:
            bulk_create_with_history(
                list(new_accounts.values()),
                Account,
                default_user=self.by,
                default_change_reason=HISTORY_REASON,
            )
            for key, account in new_accounts.items():
                self.lookups.accounts[key] = account.pk
                self.created_accounts.append(key)
            self.tally["accounts"] += len(new_accounts)
            self.teams_touched.update(a.owner.team_id for a in new_accounts.values() if a.owner.team_id)
        if new_products:
            Product.objects.bulk_create(new_products)
            self.tally["products"] += len(new_products)
        return self._write_deals(row_forms)

    def _write_deals(self, row_forms: Iterable[PipelineRowForm]) -> list[str]:
        """New deals go in by COPY (`salesplan.bulk`) as the rows come, then their stage history; changed
        ones by one bulk UPDATE, with a stage change when their stage moved."""
        now = timezone.now()
        new_ids, new_moves = [], []  # new deals' CRM ids and stage history, when their ids are read back
        changed, moves, outcomes = [], [], []  # moves: stage changes by deal id
        lookups = self.lookups
        # The new deals' ids, taken before COPY starts (no query may run while it reads the rows); None
        # where they are read back after it.
        if isinstance(row_forms, list):  # a batch saved after its checks: its new deals are known
            new_count = sum(f.cleaned_data["opportunity_id"] not in lookups.existing for f in row_forms)
        else:  # streamed: counted from the chunk's ids before its rows are checked
            new_count = self.new_deals
        reserved = bulk.reserve_ids(Opportunity, new_count)
        free_ids = iter(reserved or ())

        def new_deals() -> Iterator[tuple]:
            for form in row_forms:
                data = form.cleaned_data
                agent = lookups.users[data["sales_agent"]]
                name = data["account"] or PLACEHOLDER_ACCOUNT.format(
                    agent=lookups.agents[data["sales_agent"]]
                )
                account_id = lookups.accounts[name.lower()]
                product = lookups.products.get(data["product"].lower()) if data["product"] else None
                product_id = product.pk if product else None
                external_id = data["opportunity_id"]
                saved = lookups.existing.get(external_id)
                stage, engage, close, value = (
                    data[k] for k in ("deal_stage", "engage_date", "close_date", "close_value")
                )
                if saved is None:
                    outcomes.append(CREATED)
                    path = self._history(stage, engage, close)
                    deal = (external_id, account_id, product_id, agent.pk, stage, engage, close, value,
                            *NEW_DEAL_DEFAULTS, now, now)  # fmt: skip
                    if reserved is None:
                        new_ids.append(external_id)
                        new_moves.extend((external_id, *move) for move in path)
                        yield deal
                    else:
                        pk = next(free_ids)
                        moves.extend((pk, *move) for move in path)
                        yield (*deal, pk)
                elif saved == DealState(
                    saved.pk, agent.pk, account_id, product_id, stage, engage, close, value
                ):
                    outcomes.append(UNCHANGED)  # most rows of a file imported again
                else:
                    changed.append(Opportunity(
                        pk=saved.pk, external_id=external_id, account_id=account_id, product_id=product_id,
                        owner_id=agent.pk, stage=stage, engage_date=engage, close_date=close, value=value,
                        updated_at=now,
                    ))  # fmt: skip
                    outcomes.append(UPDATED)
                    if stage != saved.stage:
                        moves.append(
                            (saved.pk, saved.stage, stage, _reached_on(stage, engage, close, self.today))
                        )

        bulk.insert_rows(
            Opportunity, NEW_DEAL_COLUMNS + (["id"] if reserved is not None else []), new_deals()
        )
        Opportunity.objects.bulk_update(changed, OPPORTUNITY_FIELDS)
        if new_moves:
            ids = self._deal_ids(new_ids)
            moves += [(ids[external_id], *change) for external_id, *change in new_moves]
        bulk.insert_rows(StageChange, STAGE_CHANGE_COLUMNS, [(*move, self.by.pk) for move in moves])
        self.tally["stage_changes"] += len(moves)
        return outcomes

    @staticmethod
    def _deal_ids(external_ids: list[str]) -> dict[str, int]:
        """The ids of the deals just written, by their CRM id (COPY returns none)."""
        ids: dict[str, int] = {}
        for chunk in chunks(external_ids, IDS):
            ids.update(Opportunity.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
        return ids

    def _history(self, stage: str, engage: date | None, close: date | None) -> list[tuple]:
        """A new deal's path as its dates tell it, as (from, to, on): engaging on the engage date, then won or
        lost."""
        if stage == Stage.PROSPECTING or engage is None:
            return [("", stage, _reached_on(stage, engage, close, self.today))]
        path = [("", Stage.ENGAGING, engage)]
        if stage != Stage.ENGAGING:
            path.append((Stage.ENGAGING, stage, _reached_on(stage, engage, close, self.today)))
        return path

    def finish(self) -> None:
        for team in Team.objects.filter(pk__in=self.teams_touched):
            targeting_services.tiers_recompute_team(team=team)
        super().finish()


@dataclass
class PipelineResult:
    """A pipeline import's outcome: the teams file's (when given) and the pipeline's, and what was created
    besides the opportunities (regions, teams, people, accounts, products, stage changes)."""

    teams: ImportResult | None
    pipeline: ImportResult | None
    tally: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return all(r is None or r.ok for r in (self.teams, self.pipeline)) and self.pipeline is not None


def pipeline_import(
    *, pipeline, teams=None, by: User, dry_run: bool = False, max_rows: int | None = None,
    progress: Progress | None = None, on_finish: Callable[..., None] | None = None, today: date | None = None,
) -> PipelineResult:  # fmt: skip
    """Import a CRM pipeline and, when given, its teams file: both files or nothing. The teams file is read
    first (nothing is saved when it has a problem); its people are saved with the opportunities."""
    if teams is not None and by.role != Role.ADMIN:
        raise PermissionDenied(
            _("Only an administrator may import a teams file: it creates people and teams.")
        )
    organisation, teams_result = None, None
    if teams is not None:
        organisation = CrmOrganisation()
        spec = partial(TeamImport, organisation=organisation)
        teams_result = csv_import(file=teams, spec=spec, by=by, max_rows=max_rows)
        if not teams_result.ok:
            return PipelineResult(teams_result, None)
    tally = Counter()
    spec = partial(
        PipelineImport,
        organisation=organisation,
        tally=tally,
        today=today,
        progress=progress,
        on_finish=on_finish,
    )
    result = csv_import(file=pipeline, spec=spec, by=by, dry_run=dry_run, max_rows=max_rows)
    return PipelineResult(teams_result, result, tally if result.ok else Counter())


def pipeline_summary(result: PipelineResult) -> list[str]:
    """What a pipeline import did, in sentences."""
    r, t = result.pipeline, result.tally
    lines = [outcome_text(PipelineImport, r)]
    if result.teams is not None:
        lines.append(
            _(
                "Teams file: %(regions)s new regions, %(teams)s new teams, %(people)s new people, %(moved)s moved."
            )
            % {
                "regions": grouped(t["regions"]),
                "teams": grouped(t["teams"]),
                "people": grouped(t["people"]),
                "moved": grouped(t["people_moved"]),
            }
        )
    lines.append(
        _("%(accounts)s new accounts, %(products)s new products, %(changes)s stage changes recorded.")
        % {
            "accounts": grouped(t["accounts"]),
            "products": grouped(t["products"]),
            "changes": grouped(t["stage_changes"]),
        }
    )
    return lines
