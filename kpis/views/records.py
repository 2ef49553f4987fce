"""Record pages of the kpis app: the activity quick log, deals and their financial case, targets, team
standards (guidance parameters) and the twelve-month forecast grid."""

from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from accounts.models import Role, User
from accounts.selectors import teams_visible_to, user_can_change, users_visible_to
from salesplan.history import object_history
from salesplan.paging import paginate
from targeting.selectors import accounts_visible_to

from .. import calculations, selectors, services
from ..filters import ActivityFilter, OpportunityFilter
from ..forms import (
    ActivityForm,
    ForecastGridForm,
    ForecastPickForm,
    OpportunityForm,
    StandardForm,
    TargetForm,
    add_service_errors,
    is_manager,
)
from ..models import (
    Activity,
    ActivityKind,
    Metric,
    MetricUnit,
    Opportunity,
    Standard,
    StandardPeriod,
    Target,
)

TEAMS_PER_PAGE = 10  # the standards board: a page of teams, each with its RMs' figures


def metric_display(value: Decimal | None, unit: str, currency: str = "EUR") -> str:
    """A figure in its metric's unit: money with its currency, counts, percentages from fractions."""
    if value is None:
        return "—"
    if unit == MetricUnit.PERCENT:
        return _("%(value)s%%") % {"value": floatformat(value * 100, "-1g")}
    if unit == MetricUnit.MONEY:
        return f"{floatformat(value, '0g')} {currency}"
    return floatformat(value, "-1g")


def _year(request: HttpRequest, today: date) -> int:
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 2000 <= year <= 2100 else today.year


# --- Activities ---------------------------------------------------------------------------------------


def _logged_message(activity: Activity) -> str:
    if activity.is_first_appointment:
        return _("First appointment logged.")
    return {
        ActivityKind.CONVERSATION: _("Conversation logged."),
        ActivityKind.APPOINTMENT: _("Appointment logged."),
        ActivityKind.PROPOSAL: _("Proposal logged."),
    }[activity.kind]


def _visible_activity(request: HttpRequest, pk: int) -> Activity:
    activity = selectors.activities_visible_to(viewer=request.user).filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


class ActivityListView(View):
    """The viewer's visible activities, newest first, with filters, sorting and pagination."""

    def get(self, request: HttpRequest) -> HttpResponse:
        activities = selectors.activities_visible_to(viewer=request.user)
        filterset = ActivityFilter(request.GET, queryset=activities, viewer=request.user)
        qs = filterset.qs if filterset.is_valid() else activities.none()
        page, query = paginate(request, qs)
        return render(
            request, "kpis/activity_list.html", {"filter": filterset, "page_obj": page, "query": query}
        )


class ActivityCreateView(View):
    """The quick log: an RM records a conversation, appointment or proposal in a few seconds."""

    template_name = "kpis/activity_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        if request.GET.get("kind") in ActivityKind.values:
            initial["kind"] = request.GET["kind"]
        if request.GET.get("account", "").isdigit():
            initial["account"] = int(request.GET["account"])
        form = ActivityForm(
            initial=initial, instance=Activity(), viewer=request.user, today=timezone.localdate()
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ActivityForm(
            request.POST, instance=Activity(), viewer=request.user, today=timezone.localdate()
        )
        if form.is_valid():
            try:
                activity = services.activity_log(activity=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _logged_message(activity))
                if "another" in request.POST:
                    query = urlencode({"kind": activity.kind, "account": activity.account_id})
                    return redirect(f"{reverse('kpis:activity-create')}?{query}")
                return redirect("kpis:activity-list")
        return render(request, self.template_name, {"form": form}, status=400)


class ActivityUpdateView(View):
    template_name = "kpis/activity_form.html"

    def _activity(self, request: HttpRequest, pk: int) -> Activity:
        activity = _visible_activity(request, pk)
        if not user_can_change(viewer=request.user, target=activity.owner):
            raise PermissionDenied
        return activity

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = self._activity(request, pk)
        form = ActivityForm(instance=activity, viewer=request.user, today=timezone.localdate())
        return render(request, self.template_name, {"form": form, "activity": activity})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = self._activity(request, pk)
        form = ActivityForm(
            request.POST, instance=copy(activity), viewer=request.user, today=timezone.localdate()
        )
        if form.is_valid():
            try:
                services.activity_log(activity=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The activity has been saved."))
                return redirect("kpis:activity-list")
        return render(request, self.template_name, {"form": form, "activity": activity}, status=400)


class ActivityDeleteView(View):
    template_name = "kpis/activity_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = _visible_activity(request, pk)
        if not user_can_change(viewer=request.user, target=activity.owner):
            raise PermissionDenied
        return render(request, self.template_name, {"activity": activity})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        activity = _visible_activity(request, pk)
        services.activity_delete(activity=activity, by=request.user)
        messages.success(request, _("The activity has been deleted."))
        return redirect("kpis:activity-list")


class ActivityContactsView(View):
    """The <option>s of a visible account's contacts, for the quick log's contact select (htmx)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        pk = request.GET.get("account", "")
        contacts = []
        if pk:
            account = accounts_visible_to(viewer=request.user).filter(pk=pk if pk.isdigit() else 0).first()
            if account is None:
                raise Http404
            contacts = list(account.contacts.order_by("level", "name"))
        return render(request, "kpis/activity_contacts.html", {"contacts": contacts})


# --- Opportunities ------------------------------------------------------------------------------------


def _visible_opportunity(request: HttpRequest, pk: int) -> Opportunity:
    opportunity = selectors.opportunities_visible_to(viewer=request.user).filter(pk=pk).first()
    if opportunity is None:
        raise Http404
    return opportunity


class OpportunityListView(View):
    """Visible deals with filters, sorting, pagination, and the value of the filtered open and won deals."""

    def get(self, request: HttpRequest) -> HttpResponse:
        deals = selectors.opportunities_visible_to(viewer=request.user)
        filterset = OpportunityFilter(request.GET, queryset=deals, viewer=request.user)
        qs = filterset.qs if filterset.is_valid() else deals.none()
        page, query = paginate(request, qs)
        context = {
            "filter": filterset,
            "page_obj": page,
            "query": query,
            "totals": selectors.opportunity_totals(deals=qs),
        }
        return render(request, "kpis/opportunity_list.html", context)


@dataclass(frozen=True)
class Figure:
    """One figure of the financial case, in the prospect's words, or why it cannot be given."""

    value: str  # "—" when not computable
    explanation: str


@dataclass(frozen=True)
class ValueCase:
    investment: Decimal | None
    flows: list[Decimal]
    total: Decimal
    currency: str
    roi: Figure
    payback: Figure
    irr: Figure


def value_case(opportunity: Opportunity) -> ValueCase:
    """ROI, payback and IRR of the deal's financial case, each with a one-line explanation."""
    investment = opportunity.investment
    flows = [Decimal(str(f)) for f in opportunity.cash_flows or []]
    total = sum(flows, Decimal(0))
    currency = opportunity.currency
    years = len(flows)
    if not investment:
        reason = _("No investment entered: the client's outlay is needed to weigh the gains against.")
        none = Figure("—", reason)
        return ValueCase(investment, flows, total, currency, none, none, none)
    if not flows:
        none = Figure("—", _("No yearly gains entered yet."))
        return ValueCase(investment, flows, total, currency, none, none, none)
    roi = calculations.roi(investment, flows)
    back = floatformat(1 + roi, "2g")
    roi_figure = Figure(
        _("%(value)s%%") % {"value": floatformat(roi * 100, "-1g")},
        ngettext(
            "For every 1 %(currency)s invested the client gets back %(back)s %(currency)s over %(years)d year.",
            "For every 1 %(currency)s invested the client gets back %(back)s %(currency)s over %(years)d years.",
            years,
        )
        % {"currency": currency, "back": back, "years": years},
    )
    payback = calculations.payback_years(investment, flows)
    if payback is None:
        payback_figure = Figure(
            "—",
            ngettext(
                "Never pays for itself: the gains of %(years)d year do not repay the investment.",
                "Never pays for itself: the gains of %(years)d years do not repay the investment.",
                years,
            )
            % {"years": years},
        )
    else:
        shown = floatformat(calculations.rounded(payback, 1), "-1g")
        payback_figure = Figure(
            _("%(years)s years") % {"years": shown},
            _("Pays for itself in %(years)s years.") % {"years": shown},
        )
    rate = calculations.irr(investment, flows)
    if rate is None:
        irr_figure = Figure("—", _("No yearly rate makes these gains worth the investment."))
    else:
        shown = floatformat(calculations.rounded(rate * 100, 1), "-1g")
        irr_figure = Figure(
            _("%(value)s%%") % {"value": shown},
            _("Equivalent yearly return: like an investment paying %(value)s%% a year.") % {"value": shown}
            if rate >= 0
            else _("The gains never recover the investment: a loss of %(value)s%% a year.")
            % {"value": floatformat(calculations.rounded(-rate * 100, 1), "-1g")},
        )
    return ValueCase(investment, flows, total, currency, roi_figure, payback_figure, irr_figure)


class OpportunityDetailView(View):
    """One deal: facts, stage history and the financial case in the prospect's language."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        opportunity = selectors.opportunity_detail(viewer=request.user, pk=pk)
        if opportunity is None:
            raise Http404
        context = {
            "opportunity": opportunity,
            "history": list(opportunity.stage_changes.all()),
            "case": value_case(opportunity),
            "can_change": user_can_change(viewer=request.user, target=opportunity.owner),
        }
        return render(request, "kpis/opportunity_detail.html", context)


class OpportunityCreateView(View):
    template_name = "kpis/opportunity_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {}
        if request.GET.get("account", "").isdigit():
            initial["account"] = int(request.GET["account"])
        form = OpportunityForm(
            initial=initial, instance=Opportunity(), viewer=request.user, today=timezone.localdate()
        )
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        form = OpportunityForm(request.POST, instance=Opportunity(), viewer=request.user, today=today)
        if form.is_valid():
            try:
                deal = services.opportunity_save(opportunity=form.to_instance(), by=request.user, on=today)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The deal has been created."))
                return redirect(deal)
        return render(request, self.template_name, {"form": form}, status=400)


class OpportunityUpdateView(View):
    template_name = "kpis/opportunity_form.html"

    def _deal(self, request: HttpRequest, pk: int) -> Opportunity:
        deal = _visible_opportunity(request, pk)
        if not user_can_change(viewer=request.user, target=deal.owner):
            raise PermissionDenied
        return deal

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        deal = self._deal(request, pk)
        form = OpportunityForm(instance=deal, viewer=request.user, today=timezone.localdate())
        return render(request, self.template_name, {"form": form, "opportunity": deal})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        deal = self._deal(request, pk)
        today = timezone.localdate()
        form = OpportunityForm(request.POST, instance=copy(deal), viewer=request.user, today=today)
        if form.is_valid():
            try:
                saved = services.opportunity_save(opportunity=form.to_instance(), by=request.user, on=today)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The deal has been saved."))
                return redirect(saved)
        return render(request, self.template_name, {"form": form, "opportunity": deal}, status=400)


class OpportunityDeleteView(View):
    template_name = "kpis/opportunity_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        deal = _visible_opportunity(request, pk)
        if not user_can_change(viewer=request.user, target=deal.owner):
            raise PermissionDenied
        return render(request, self.template_name, {"opportunity": deal})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        deal = _visible_opportunity(request, pk)
        name = str(deal)
        services.opportunity_delete(opportunity=deal, by=request.user)
        messages.success(request, _("%(name)s has been deleted.") % {"name": name})
        return redirect("kpis:opportunity-list")


# --- Targets --------------------------------------------------------------------------------------------


@dataclass
class TargetRow:
    target: Target
    value: str
    baseline: str
    can_change: bool
    rm_total: str = ""
    gap: str = ""
    gap_sign: int = 0  # −1 RMs committed less than the team target, +1 more, 0 equal or not comparable


@dataclass
class TargetGroup:
    kind: str  # "region", "team" or "user"
    owner: object
    rows: list[TargetRow]


def _key(region, region_name, team, team_name, user, user_name) -> tuple:
    """A target's owner as (order, name, kind, id): regions first, then teams, then RMs, each by name."""
    if region:
        return (0, region_name, "region", region)
    if team:
        return (1, team_name, "team", team)
    return (2, user_name, "user", user)


def _owner_key(target: Target) -> tuple:
    """`_key` of a target read with its owner (only the owner's own name is used)."""
    region, team, user = target.region, target.team, target.user
    return _key(
        target.region_id, region and region.name, target.team_id, team and team.name, target.user_id,
        user and user.display_name,
    )  # fmt: skip


def _owner_keys(targets) -> list[tuple]:
    """Every owner with targets among `targets`, once and in order: one query, a row per owner whatever the
    number of targets."""
    rows = targets.order_by().values_list(
        "region_id", "region__name", "team_id", "team__name", "user_id", "user__display_name"
    )
    return sorted({_key(*row) for row in rows.distinct()})


OWNERS_PER_PAGE = 20  # the target list: a page of owners, each with all its targets


class TargetListView(View):
    """Targets of a year the viewer may see, grouped by owner, a page of owners at a time (or the one
    picked), with each team's target against the sum of its RMs' targets (the gap flagged)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer, year = request.user, _year(request, timezone.localdate())
        visible = selectors.targets_visible_to(viewer=viewer).filter(year=year)
        keys = _owner_keys(visible)
        chosen = request.GET.get("owner", "")
        picked = [k for k in keys if f"{k[2]}:{k[3]}" == chosen]
        page, query = paginate(request, keys, per_page=OWNERS_PER_PAGE)
        shown = picked or list(page)
        ids = {kind: [k[3] for k in shown if k[2] == kind] for kind in ("region", "team", "user")}
        targets = list(
            visible.filter(Q(region__in=ids["region"]) | Q(team__in=ids["team"]) | Q(user__in=ids["user"]))
        )
        changeable = set()
        if is_manager(viewer):  # among the owners shown: those the viewer may set targets for
            owners_of = zip(
                ("user", "team", "region"), selectors.target_owners_for(viewer=viewer), strict=True
            )
            for kind, owners in owners_of:
                changeable |= {
                    (kind, pk) for pk in owners.filter(pk__in=ids[kind]).values_list("pk", flat=True)
                }
        team_ids = sorted({t.team_id for t in targets if t.team_id})
        gaps = selectors.team_target_gaps_for(team_ids=team_ids, year=year) if team_ids else {}
        groups: dict[tuple, TargetGroup] = {}
        for target in sorted(targets, key=lambda t: (_owner_key(t), t.metric.display_order, t.metric.name)):
            key = _owner_key(target)
            group = groups.setdefault(key, TargetGroup(key[2], target.owner, []))
            unit = target.metric.unit
            row = TargetRow(
                target,
                metric_display(target.value, unit),
                metric_display(target.baseline, unit) if target.baseline is not None else "",
                (key[2], key[3]) in changeable,
            )
            if target.team_id:
                gap = next(
                    (g for g in gaps.get(target.team_id, []) if g["metric"].pk == target.metric_id), None
                )
                if gap and gap["rm_total"] is not None and gap["gap"] is not None:
                    row.rm_total = metric_display(gap["rm_total"], unit)
                    row.gap = metric_display(gap["gap"], unit)
                    row.gap_sign = (gap["gap"] > 0) - (gap["gap"] < 0)
            group.rows.append(row)
        # A leader or director sees many owners: the picker narrows the page to one of them.
        choices = [(f"{kind}:{pk}", name, kind) for _order, name, kind, pk in keys]
        context = {
            "year": year,
            "groups": list(groups.values()),
            "owner_choices": choices if len(choices) > 1 else [],
            "chosen": chosen if picked else "",
            "page_obj": None if picked else page,
            "query": query,
            "can_create": is_manager(viewer),
            "years": [year - 1, year, year + 1],
        }
        return render(request, "kpis/target_list.html", context)


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


def _target_list_url(year: int) -> str:
    return f"{reverse('kpis:target-list')}?year={year}"


class TargetCreateView(View):
    template_name = "kpis/target_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_manager(request)
        year = _year(request, timezone.localdate())
        form = TargetForm(instance=Target(), viewer=request.user, year=year)
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        _require_manager(request)
        form = TargetForm(
            request.POST, instance=Target(), viewer=request.user, year=timezone.localdate().year
        )
        if form.is_valid():
            try:
                target = services.target_save(target=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The target has been saved."))
                return redirect(_target_list_url(target.year))
        return render(request, self.template_name, {"form": form}, status=400)


def _changeable_target(request: HttpRequest, pk: int) -> Target:
    target = selectors.targets_visible_to(viewer=request.user).filter(pk=pk).first()
    if target is None:
        raise Http404
    if not services.can_set_target(user=request.user, target=target):
        raise PermissionDenied
    return target


class TargetUpdateView(View):
    template_name = "kpis/target_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _changeable_target(request, pk)
        form = TargetForm(instance=target, viewer=request.user, year=target.year)
        context = {"form": form, "target": target, "history": object_history(target)}
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _changeable_target(request, pk)
        form = TargetForm(request.POST, instance=copy(target), viewer=request.user, year=target.year)
        if form.is_valid():
            try:
                saved = services.target_save(target=form.to_instance(), by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The target has been saved."))
                return redirect(_target_list_url(saved.year))
        context = {"form": form, "target": target, "history": object_history(target)}
        return render(request, self.template_name, context, status=400)


class TargetDeleteView(View):
    template_name = "kpis/target_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _changeable_target(request, pk)
        return render(request, self.template_name, {"target": target})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = _changeable_target(request, pk)
        services.target_delete(target=target, by=request.user)
        messages.success(request, _("The target has been deleted."))
        return redirect(_target_list_url(target.year))


# --- Standards (guidance parameters) ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    rm: object
    value: str
    status: str | None


class StandardListView(View):
    """Each visible team's guidance parameters with each RM's figure for the year to date, coloured by
    status against the standard."""

    def get(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        visible = teams_visible_to(viewer=request.user).order_by("name", "pk")
        page, query = paginate(request, visible, per_page=TEAMS_PER_PAGE)
        board = selectors.standard_board(viewer=request.user, today=today, teams=list(page))
        editable = set(selectors.standard_teams_for(viewer=request.user).values_list("pk", flat=True))
        teams = []
        for team in board:
            rows = []
            for row in team.rows:
                metric, standard = row.standard.metric, row.standard
                # A per-week or per-month standard is a count or amount: shown as is, not as a percentage;
                # a funnel ratio (appointments per conversation...) is a percentage, as on the funnel page.
                per_period = standard.period != StandardPeriod.RATIO and metric.unit != MetricUnit.MONEY
                unit = MetricUnit.COUNT if per_period else metric.unit
                if row.funnel_ratio:
                    unit = MetricUnit.PERCENT
                cells = [Cell(c.owner, metric_display(c.actual, unit), c.status) for c in row.cells]
                rows.append({"row": row, "value": metric_display(standard.value, unit), "cells": cells})
            teams.append(
                {"team": team.team, "rms": team.rms, "rows": rows, "editable": team.team.pk in editable}
            )
        context = {
            "teams": teams,
            "today": today,
            "weeks": calculations.weeks_elapsed(date(today.year, 1, 1), today),
            "can_create": bool(editable),
            "page_obj": page,
            "query": query,
        }
        return render(request, "kpis/standard_list.html", context)


def _changeable_standard(request: HttpRequest, pk: int) -> Standard:
    standard = selectors.standards_visible_to(viewer=request.user).filter(pk=pk).first()
    if standard is None:
        raise Http404
    if not services.can_set_standard(user=request.user, team=standard.team):
        raise PermissionDenied
    return standard


class StandardCreateView(View):
    template_name = "kpis/standard_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_manager(request)
        return render(request, self.template_name, {"form": StandardForm(viewer=request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        _require_manager(request)
        form = StandardForm(request.POST, instance=Standard(), viewer=request.user)
        if form.is_valid():
            try:
                services.standard_save(standard=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The guidance parameter has been saved."))
                return redirect("kpis:standard-list")
        return render(request, self.template_name, {"form": form}, status=400)


class StandardUpdateView(View):
    template_name = "kpis/standard_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = _changeable_standard(request, pk)
        form = StandardForm(instance=standard, viewer=request.user)
        return render(request, self.template_name, {"form": form, "standard": standard})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = _changeable_standard(request, pk)
        form = StandardForm(request.POST, instance=copy(standard), viewer=request.user)
        if form.is_valid():
            try:
                services.standard_save(standard=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The guidance parameter has been saved."))
                return redirect("kpis:standard-list")
        return render(request, self.template_name, {"form": form, "standard": standard}, status=400)


class StandardDeleteView(View):
    template_name = "kpis/standard_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = _changeable_standard(request, pk)
        return render(request, self.template_name, {"standard": standard})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        standard = _changeable_standard(request, pk)
        services.standard_delete(standard=standard, by=request.user)
        messages.success(request, _("The guidance parameter has been deleted."))
        return redirect("kpis:standard-list")


# --- Forecasts ---------------------------------------------------------------------------------------


class ForecastListView(View):
    """An RM's monthly forecasts for a year, as a twelve-month grid, next to the actuals and the accuracy
    of each month already over. Leaders pick one of their RMs."""

    template_name = "kpis/forecast_list.html"

    def _setup(self, request: HttpRequest):
        viewer, today = request.user, timezone.localdate()
        rms = users_visible_to(viewer=viewer).filter(team__isnull=False).order_by("display_name", "pk")
        owner_pk = request.GET.get("owner", "")
        if owner_pk:
            owner = rms.filter(pk=owner_pk if owner_pk.isdigit() else 0).first()
            if owner is None:
                raise Http404
        elif viewer.role == Role.RM:
            owner = viewer
        else:
            owner = rms.first()
        year = _year(request, today)
        metric = None
        metrics = selectors.forecast_metrics(owner=owner) if owner else Metric.objects.none()
        if owner is not None:
            metric_pk = request.GET.get("metric", "")
            metric = (
                metrics.filter(pk=metric_pk if metric_pk.isdigit() else 0).first()
                if metric_pk
                else metrics.filter(code="won-revenue").first() or metrics.first()
            )
            if metric_pk and metric is None:
                raise Http404
        pick = ForecastPickForm(initial={"owner": owner, "metric": metric, "year": year})
        pick.fields["owner"].queryset = rms
        pick.fields["metric"].queryset = metrics
        return owner, metric, year, today, pick

    def _context(self, request, owner: User | None, metric, year, today, pick, form=None) -> dict:
        context = {
            "owner": owner,
            "metric": metric,
            "year": year,
            "pick": pick,
            "show_owner": is_manager(request.user),
        }
        if owner is None or metric is None:
            return context
        grid = selectors.forecast_grid(
            viewer=request.user, owner=owner, metric=metric, year=year, today=today
        )
        if form is None:
            form = ForecastGridForm(initial_values={m.month.month: m.forecast for m in grid})
        closed = [m for m in grid if m.is_closed and m.forecast is not None]
        year_accuracy = calculations.forecast_accuracy(
            sum((m.actual for m in closed), Decimal(0)), sum((m.forecast for m in closed), Decimal(0))
        )
        unit = metric.unit
        context.update(
            {
                "form": form,
                "months": [
                    {
                        "m": m,
                        "field": form[f"month_{m.month.month}"],
                        "actual": metric_display(m.actual, unit) if m.actual is not None else "",
                        "accuracy": metric_display(m.accuracy, MetricUnit.PERCENT)
                        if m.accuracy is not None
                        else "",
                    }
                    for m in grid
                ],
                "year_accuracy": metric_display(year_accuracy, MetricUnit.PERCENT) if closed else "",
                "can_change": user_can_change(viewer=request.user, target=owner),
                "unit_label": "EUR" if unit == MetricUnit.MONEY else "",
            }
        )
        return context

    def get(self, request: HttpRequest) -> HttpResponse:
        owner, metric, year, today, pick = self._setup(request)
        return render(request, self.template_name, self._context(request, owner, metric, year, today, pick))

    def post(self, request: HttpRequest) -> HttpResponse:
        owner, metric, year, today, pick = self._setup(request)
        if owner is None or metric is None:
            raise Http404
        form = ForecastGridForm(request.POST, initial_values={})
        if form.is_valid():
            with transaction.atomic():
                for month, value in form.values().items():
                    first = date(year, month, 1)
                    if value is None:
                        services.forecast_clear(owner=owner, metric=metric, month=first, by=request.user)
                    else:
                        services.forecast_set(
                            owner=owner, metric=metric, month=first, value=value, by=request.user
                        )
            messages.success(request, _("The forecasts have been saved."))
            query = urlencode({"owner": owner.pk, "metric": metric.pk, "year": year})
            return redirect(f"{reverse('kpis:forecast-list')}?{query}")
        context = self._context(request, owner, metric, year, today, pick, form=form)
        return render(request, self.template_name, context, status=400)
