"""The prospecting funnel (page and CSV export) and the plan-versus-actual dashboards of an RM, a team and a
region, with their charts.

Every figure comes from kpis.selectors (funnel, plan_vs_actual, monthly_series, team_target_gaps), the same
functions the `kpis` command, the exports and the month-end task call; this module only picks what each page
shows and formats it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from accounts.models import Role, User
from accounts.selectors import regions_summary, regions_visible_to, teams_visible_to, users_visible_to
from kpis.management.commands.kpis import COLUMNS as EXPORT_COLUMNS
from kpis.management.commands.kpis import kpi_record
from salesplan.csvio import csv_response
from salesplan.paging import paginate

from .. import calculations, selectors
from ..calculations import NATIONAL_CONVERSATION_TO_APPOINTMENT, Funnel, Period, rounded
from ..models import Metric, MetricKind, MetricSource, MetricUnit, Scope, Standard, StandardPeriod

# The key metrics of the team and region dashboards, in this order (those active in the catalogue).
KEY_METRICS = ["loans", "dda", "won-revenue", "new-clients", "conversations", "hv-retention"]
DEFAULT_CHART_METRICS = ["won-revenue", "conversations"]
ATTAINMENT_CHART_METRIC = "won-revenue"
LEVELS_BY_ROLE = {
    Role.RM: [Scope.RM],
    Role.LEADER: [Scope.RM, Scope.TEAM],
    Role.DIRECTOR: [Scope.RM, Scope.TEAM, Scope.REGION],
    Role.ADMIN: [Scope.RM, Scope.TEAM, Scope.REGION, Scope.BANK],
}
PLAYING_FIELDS = {
    "top_down": gettext_lazy("Top-down"),
    "bottom_up": gettext_lazy("Bottom-up"),
}
BAND_LABELS = {
    "below": gettext_lazy("below national band"),
    "within": gettext_lazy("within national band"),
    "above": gettext_lazy("above national band"),
}
KPI_HEADERS = [  # the funnel table's KPI columns: title, formula
    (gettext_lazy("Conversation → appointment"), gettext_lazy("appointments ÷ conversations")),
    (gettext_lazy("First appointment → proposal"), gettext_lazy("proposals ÷ first appointments")),
    (gettext_lazy("Closing ratio"), gettext_lazy("won ÷ closed (won + lost)")),
    (gettext_lazy("Sales cycle, days"), gettext_lazy("mean / median, won deals")),
    (gettext_lazy("Average revenue per sale"), gettext_lazy("won revenue ÷ won")),
]
BAND_SHORT = {
    "below": gettext_lazy("below band"),
    "within": gettext_lazy("within band"),
    "above": gettext_lazy("above band"),
}
ACTIVITY_LEVELS = [  # (label, metric source of the team standard, funnel count)
    (gettext_lazy("Conversations"), MetricSource.CONVERSATIONS, "conversations"),
    (gettext_lazy("Appointments"), MetricSource.APPOINTMENTS, "appointments"),
    (gettext_lazy("First appointments"), MetricSource.FIRST_APPOINTMENTS, "first_appointments"),
    (gettext_lazy("Proposals"), MetricSource.PROPOSALS, "proposals"),
]


# --- Formatting -----------------------------------------------------------------------------------------


def _pct(value: Decimal | None) -> str:
    """A fraction as a percentage with one decimal (0.3 → "30.0%"); "—" when undefined."""
    if value is None:
        return "—"
    return f"{number_format(rounded(value * 100, 1), 1, force_grouping=True)}%"


def _number(value: Decimal | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(rounded(Decimal(value), places), places, force_grouping=True)


def _figure(value: Decimal | None, unit: str) -> str:
    """A metric's figure in its unit: percent as a percentage, money and counts as whole numbers."""
    if unit == MetricUnit.PERCENT:
        return _pct(value)
    return _number(value)


def _float(value: Decimal | None, places: int = 2) -> float | None:
    """A number for the charts' JSON (json_script would write a Decimal as a string)."""
    return None if value is None else float(rounded(value, places))


# --- Forms ----------------------------------------------------------------------------------------------


class FunnelForm(forms.Form):
    """The funnel page's choices: the level (limited to the viewer's role), the period, the split."""

    by = forms.ChoiceField(label=gettext_lazy("Per"), required=False)
    period = forms.CharField(
        label=gettext_lazy("Period"),
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("2026, 2026-Q2 or 2026-05; empty: all time")}
        ),
    )
    split = forms.BooleanField(label=gettext_lazy("Split by playing field"), required=False)

    def __init__(self, data, *, viewer: User, today: date):
        data = data.copy()
        if "period" not in data:
            data["period"] = str(today.year)
        levels = LEVELS_BY_ROLE.get(viewer.role, [Scope.RM])
        if not data.get("by"):
            data["by"] = levels[0]
        super().__init__(data)
        self.fields["by"].choices = [(level, Scope(level).label) for level in levels]

    def clean_period(self) -> Period:
        text = self.cleaned_data["period"]
        try:
            return calculations.parse_period(text)
        except ValueError:
            raise forms.ValidationError(
                _(
                    "“%(text)s” is not a period: use a year (2026), a quarter (2026-Q2) or a month "
                    "(2026-05), or leave it empty for all time."
                ),
                params={"text": text},
            ) from None


class DashboardForm(forms.Form):
    """A dashboard's year and month (year to date at that month's end), and the RM's chart metrics."""

    # Not required: an empty choice falls back to the defaults set in __init__.
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False)
    month = forms.TypedChoiceField(
        label=gettext_lazy("Up to the end of"),
        coerce=int,
        required=False,
        choices=[(m, MONTHS[m]) for m in range(1, 13)],
    )
    metrics = forms.MultipleChoiceField(
        label=gettext_lazy("Charts"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, data, *, today: date, chart_metrics: list[Metric] | None = None):
        """Opens on the latest closed month (in January: December of the year before)."""
        closed = selectors.latest_closed_month(today)
        submitted = "charts" in data  # the form's hidden marker: an empty choice of charts is a choice
        data = data.copy()
        if not data.get("year"):
            data["year"] = str(closed[0])
        if not data.get("month"):
            try:
                data["month"] = str(calculations.default_month(int(data["year"]), closed))
            except ValueError:
                data["month"] = str(closed[1])
        if chart_metrics is not None and not submitted:
            data.setlist("metrics", [m.code for m in chart_metrics if m.code in DEFAULT_CHART_METRICS])
        super().__init__(data)
        years = range(min(today.year - 3, closed[0]), today.year + 2)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        if chart_metrics is None:
            del self.fields["metrics"]
        else:
            self.fields["metrics"].choices = [(m.code, m.name) for m in chart_metrics]


def _dashboard_form(request: HttpRequest, chart_metrics: list[Metric] | None = None) -> DashboardForm:
    return DashboardForm(request.GET, today=timezone.localdate(), chart_metrics=chart_metrics)


# --- The funnel page ------------------------------------------------------------------------------------


@dataclass
class KpiCell:
    """One KPI of one owner as the funnel tables show it: the figure, the counts behind it, and badges."""

    figure: str
    counts: str
    band: str | None = None  # below / within / above the national band
    band_label: str = ""
    band_short: str = ""  # the split table's narrower badge
    standard: str | None = None  # the team standard's value, formatted
    standard_status: str | None = None  # on_track / at_risk / off_track
    no_standard: bool = False  # a team owner without a standard for this ratio
    divider: bool = False  # split table: the first playing field of a KPI's group of columns


def _against_standard(value: Decimal | None, standard: Standard, lower_is_better: bool = False) -> str | None:
    """The status of a figure against a team standard, with the standard's tolerances (else the metric's)."""
    if value is None:
        return None
    metric = standard.metric
    at_risk = metric.tolerance_at_risk if standard.tolerance_at_risk is None else standard.tolerance_at_risk
    off = metric.tolerance_off_track if standard.tolerance_off_track is None else standard.tolerance_off_track
    return calculations.status(value, standard.value, lower_is_better=lower_is_better, at_risk=at_risk,
                               off_track=off)  # fmt: skip


def _ratio_cell(
    value, numerator, denominator, kpi: str, standards: dict | None, say_missing: bool
) -> KpiCell:
    cell = KpiCell(figure=_pct(value), counts=f"{numerator} ÷ {denominator}")
    if kpi == "conversation_to_appointment":
        cell.band = calculations.band_position(value, *NATIONAL_CONVERSATION_TO_APPOINTMENT)
        cell.band_label = BAND_LABELS.get(cell.band, "")
        cell.band_short = BAND_SHORT.get(cell.band, "")
    if standards is not None:
        standard = selectors.ratio_standard(standards, kpi)
        if standard is None:
            cell.no_standard = say_missing
        else:
            cell.standard = _pct(standard.value)
            cell.standard_status = _against_standard(value, standard)
    return cell


def _kpi_cells(f: Funnel, standards: dict | None, *, every_standard: bool = False) -> list[KpiCell]:
    """The five prospecting KPIs of one funnel, in the order of the tables' columns.

    `standards` are the team's (empty when it set none), None for a region or the bank, which have no team
    standard. A ratio without a team standard says so for conversation → appointment, and for the other two
    ratios as well when `every_standard` (the RM's dashboard); the funnel table keeps those cells quiet."""
    conv = f.conversation_to_appointment
    return [
        _ratio_cell(conv, f.appointments, f.conversations, "conversation_to_appointment", standards, True),
        _ratio_cell(f.first_appointment_to_proposal, f.proposals, f.first_appointments,
                    "first_appointment_to_proposal", standards, every_standard),
        _ratio_cell(f.closing_ratio, f.won, f.won + f.lost, "closing_ratio", standards, every_standard),
        KpiCell(
            figure=f"{_number(f.sales_cycle_mean_days, 1)} / {_number(f.cycle_days_median, 1)}",
            counts=ngettext("%(count)s won deal", "%(count)s won deals", f.cycle_count) % {"count": f.cycle_count},
        ),
        KpiCell(figure=_number(f.avg_revenue_per_sale), counts=f"{_number(f.won_revenue)} ÷ {f.won}"),
    ]  # fmt: skip


@dataclass
class FunnelLine:
    owner: selectors.Owner
    url: str | None
    cells: list[KpiCell]  # split: each KPI's cells for each playing field, side by side
    standard_note: str | None  # the team's conversation → appointment standard, or that it has none


def _owner_url(owner: selectors.Owner) -> str | None:
    if owner.scope == Scope.RM:
        return reverse("kpis:dashboard-rm", args=[owner.id])
    if owner.scope == Scope.TEAM:
        return reverse("kpis:dashboard-team", args=[owner.id])
    if owner.scope == Scope.REGION:
        return reverse("kpis:dashboard-region", args=[owner.id])
    return None


@dataclass
class FunnelTable:
    lines: list[FunnelLine]
    fields: list[str | None]  # the playing fields side by side; [None] when not split
    left_out: Funnel | None = None  # split: the counts on accounts with no playing field recorded


def funnel_table(rows: list[selectors.FunnelRow], *, viewer: User, split: bool) -> FunnelTable:
    """The funnel table: one line per owner; when split, each KPI for top-down and bottom-up prospects
    side by side, and the sum of what no playing field was recorded for (left out of the split)."""
    team_ids = sorted({r.owner.team_id for r in rows if r.owner.team_id is not None})
    standards = selectors.team_standards(team_ids=team_ids, viewer=viewer) if team_ids else {}
    by_owner: dict[tuple, dict] = {}
    for row in rows:
        entry = by_owner.setdefault((row.owner.scope, row.owner.id), {"owner": row.owner, "funnels": {}})
        entry["funnels"][row.playing_field] = row.funnel
    fields = ["top_down", "bottom_up"] if split else [None]
    lines = []
    for entry in by_owner.values():
        owner = entry["owner"]
        team_standards = standards.get(owner.team_id, {}) if owner.team_id is not None else None
        per_field = [_kpi_cells(entry["funnels"].get(pf, Funnel()), team_standards) for pf in fields]
        cells = [cells[k] for k in range(len(KPI_HEADERS)) for cells in per_field]
        if split:
            for cell in cells[:: len(fields)]:
                cell.divider = True
        note = None
        if team_standards is not None:
            standard = selectors.ratio_standard(team_standards, "conversation_to_appointment")
            note = (
                _("no team standard")
                if standard is None
                else _("team standard %(value)s") % {"value": _pct(standard.value)}
            )
        lines.append(FunnelLine(owner, _owner_url(owner), cells, note))
    left_out = None
    if split:
        unrecorded = [e["funnels"].get("", Funnel()) for e in by_owner.values()]
        left_out = Funnel(
            conversations=sum(f.conversations for f in unrecorded),
            appointments=sum(f.appointments for f in unrecorded),
            proposals=sum(f.proposals for f in unrecorded),
            won=sum(f.won for f in unrecorded),
            lost=sum(f.lost for f in unrecorded),
        )
    return FunnelTable(lines, fields, left_out)


FUNNEL_PAGE_SIZE = 50  # owners per page of the funnel table (the CSV export holds them all)


class FunnelView(View):
    """The five prospecting KPIs per RM, team, region or bank (as the role allows) for a period, each
    conversation-to-appointment ratio against the national band and the team's standard."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = FunnelForm(request.GET, viewer=request.user, today=timezone.localdate())
        context = {
            "form": form,
            "band": [_pct(b) for b in NATIONAL_CONVERSATION_TO_APPOINTMENT],
            "quick_periods": _quick_periods(request, timezone.localdate()),
        }
        if form.is_valid():
            by, period, split = (form.cleaned_data[k] for k in ("by", "period", "split"))
            # A page of owners at a time (a bank has hundreds of RMs); only their rows are read.
            page, query = paginate(
                request, selectors.owners(scope=by, viewer=request.user), per_page=FUNNEL_PAGE_SIZE
            )
            rows = selectors.funnel(
                scope=by, period=period, viewer=request.user, split_playing_field=split, of=list(page)
            )  # fmt: skip
            table = funnel_table(rows, viewer=request.user, split=split)
            export = {"by": by, "period": "" if period.is_all_time else period.label}
            context |= {
                "page_obj": page,
                "query": query,
                "lines": table.lines,
                "left_out": table.left_out,
                "period": period,
                "by": by,
                "split": split,
                "fields": [PLAYING_FIELDS[pf] for pf in table.fields] if split else [],
                "owner_label": Scope(by).label,
                "kpi_headers": KPI_HEADERS,
                "export_query": urlencode(export),
            }
        return render(request, "kpis/funnel.html", context)


def _quick_periods(request: HttpRequest, today: date) -> list[tuple[str, str, bool]]:
    """Links to this year, this quarter, the latest closed month and all time, keeping the other choices."""
    year, month = selectors.latest_closed_month(today)
    choices = [
        (_("This year"), str(today.year)),
        (_("This quarter"), f"{today.year}-Q{(today.month - 1) // 3 + 1}"),
        (_("Last closed month"), f"{year}-{month:02d}"),
        (_("All time"), ""),
    ]
    current = request.GET.get("period", str(today.year)).strip()
    links = []
    for label, value in choices:
        query = request.GET.copy()
        query["period"] = value
        links.append((label, query.urlencode(), current.upper() == value.upper()))
    return links


class FunnelExportView(View):
    """The funnel table as CSV: the columns and values of `python manage.py kpis --format csv`."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = FunnelForm(request.GET, viewer=request.user, today=timezone.localdate())
        if not form.is_valid():
            errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        by, period = form.cleaned_data["by"], form.cleaned_data["period"]
        rows = selectors.funnel(scope=by, period=period, viewer=request.user)
        records = (kpi_record(row) for row in rows)
        return csv_response(
            filename=f"kpis-{by}-{period.label}.csv",
            header=EXPORT_COLUMNS,
            rows=([record[c] for c in EXPORT_COLUMNS] for record in records),
        )


# --- Plan versus actual: shared pieces ------------------------------------------------------------------


@dataclass
class AttainmentCell:
    attainment: str
    status: str
    detail: str  # "actual of plan", for the tooltip


def _attainment_cell(row: selectors.PlanActualRow) -> AttainmentCell:
    unit = row.metric.unit
    detail = _("%(actual)s of %(plan)s planned") % {
        "actual": _figure(row.actual, unit),
        "plan": _figure(row.plan, unit),
    }
    return AttainmentCell(_pct(row.attainment), row.status, detail)


@dataclass
class MatrixLine:
    """One owner's line of a team or region dashboard: attainment and status for each key metric."""

    owner: selectors.Owner
    url: str | None
    cells: list[AttainmentCell]
    is_total: bool = False


def _matrix(rows: list[selectors.PlanActualRow], metrics: list[Metric], *, total: bool = False) -> list:
    by_owner: dict[int, dict] = {}
    for row in rows:
        by_owner.setdefault(row.owner.id, {"owner": row.owner, "cells": {}})["cells"][row.metric.pk] = row
    return [
        MatrixLine(
            entry["owner"],
            None if total else _owner_url(entry["owner"]),
            [_attainment_cell(entry["cells"][m.pk]) for m in metrics],
            total,
        )
        for entry in by_owner.values()
    ]


def _attainment_chart(rows: list[selectors.PlanActualRow], metric: Metric | None, title: str) -> dict | None:
    """Bars of each owner's attainment on one metric, coloured by status."""
    if metric is None:
        return None
    chosen = [r for r in rows if r.metric.pk == metric.pk]
    return {
        "id": "chart-attainment",
        "type": "attainment",
        "title": title % {"metric": str(metric)},
        "labels": [r.owner.label for r in chosen],
        "values": [_float(r.attainment * 100, 1) if r.attainment is not None else None for r in chosen],
        "statuses": [r.status for r in chosen],
        "axisLabel": _("Attainment (%)"),
        "height": 80 + 30 * len(chosen),  # horizontal bars: room for each owner's name
    }


def _key_metrics() -> list[Metric]:
    metrics = Metric.objects.filter(code__in=KEY_METRICS, is_active=True)
    return sorted(metrics, key=lambda m: KEY_METRICS.index(m.code))


def _year_to_date(year: int, month: int) -> Period:
    return Period(date(year, 1, 1), calculations.month_end(year, month), f"{year}-{month:02d}")


def _period_context(year: int, month: int) -> dict:
    return {"year": year, "month": month, "month_name": MONTHS[month]}


# --- The RM's dashboard ---------------------------------------------------------------------------------


@dataclass
class PlanLine:
    metric: Metric
    plan: str
    actual: str
    variance: str
    attainment: str
    status: str


@dataclass
class StandardLine:
    """One of the RM's prospecting figures against the team's standard."""

    label: str
    figure: str
    detail: str
    standard: str | None = None
    status: str | None = None
    no_standard: bool = False
    band: str | None = None
    band_label: str = ""


def _activity_lines(f: Funnel, standards: dict, period: Period, today: date) -> list[StandardLine]:
    """Weekly (or monthly) activity levels against the team's standards of that kind."""
    until = min(period.end, today)
    divisors = {
        StandardPeriod.WEEK: calculations.weeks_elapsed(period.start, until),
        StandardPeriod.MONTH: calculations.months_elapsed(period.start, until),
    }
    per_label = {StandardPeriod.WEEK: _("per week"), StandardPeriod.MONTH: _("per month")}
    lines = []
    for label, source, count_name in ACTIVITY_LEVELS:
        count = getattr(f, count_name)
        standard = standards.get((source, StandardPeriod.WEEK)) or standards.get(
            (source, StandardPeriod.MONTH)
        )
        per = standard.period if standard else StandardPeriod.WEEK
        rate = calculations.average_per(count, divisors[per])
        line = StandardLine(
            label=str(label),
            figure=f"{_number(rate, 1)} {per_label[per]}",
            detail=_("%(count)s in all") % {"count": count},
        )
        if standard is None:
            line.no_standard = True
        else:
            line.standard = f"{_number(standard.value, 1)} {per_label[per]}"
            line.status = _against_standard(rate, standard)
        lines.append(line)
    return lines


def _ratio_lines(f: Funnel, standards: dict) -> list[StandardLine]:
    labels = [
        (_("Conversation → appointment"), "conversation_to_appointment"),
        (_("First appointment → proposal"), "first_appointment_to_proposal"),
        (_("Closing ratio"), "closing_ratio"),
    ]
    cells = _kpi_cells(f, standards, every_standard=True)
    lines = [
        StandardLine(
            label=label, figure=cell.figure, detail=cell.counts, standard=cell.standard,
            status=cell.standard_status, no_standard=cell.no_standard, band=cell.band, band_label=cell.band_label,
        )
        for (label, _kpi), cell in zip(labels, cells, strict=False)
    ]  # fmt: skip
    cycle, average = cells[3], cells[4]
    lines.append(StandardLine(label=_("Sales cycle, days (mean / median)"), figure=cycle.figure,
                              detail=cycle.counts))  # fmt: skip
    lines.append(
        StandardLine(label=_("Average revenue per sale"), figure=average.figure, detail=average.counts)
    )
    return lines


def _plan_line(row: selectors.PlanActualRow) -> PlanLine:
    unit = row.metric.unit
    return PlanLine(
        row.metric,
        _figure(row.plan, unit),
        _figure(row.actual, unit),
        _figure(row.variance, unit),
        _pct(row.attainment),
        row.status,
    )


def _series_chart(series: selectors.MonthlySeries, year: int) -> dict:
    metric = series.metric
    cumulated = metric.kind == MetricKind.FLOW
    return {
        "id": f"chart-{metric.code}",
        "type": "plan_actual",
        "title": str(metric),
        "subtitle": _("cumulated since January") if cumulated else _("level at each month end"),
        "labels": [date_format(date(year, m, 1), "M") for m in range(1, 13)],
        "plan": [_float(v) for v in series.plan],
        "actual": [_float(v) for v in series.actual],
        "planLabel": _("Plan"),
        "actualLabel": _("Actual"),
        "percent": metric.unit == MetricUnit.PERCENT,
        "level": not cumulated,  # a balance: drawn as a line, its axis not forced to zero
    }


def _visible_rm(viewer: User, pk: int) -> User:
    rm = (
        users_visible_to(viewer=viewer)
        .filter(pk=pk, team__isnull=False)
        .select_related("team__region", "team__leader")
        .first()
    )
    if rm is None:
        raise Http404
    return rm


class DashboardRMView(View):
    """An RM's year to date: plan versus actual per metric, charts of plan and actual by month, and the
    five prospecting KPIs against the team's standards. For the RM, their leader, director and admin."""

    def get(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        viewer, today = request.user, timezone.localdate()
        rm = _visible_rm(viewer, user_pk)
        metrics = list(Metric.objects.filter(is_active=True).select_related("forecast_metric"))
        chartable = [m for m in metrics if m.kind in (MetricKind.FLOW, MetricKind.BALANCE)]
        form = _dashboard_form(request, chart_metrics=chartable)
        context = {"form": form, "rm": rm, "crumbs": _crumbs(viewer, region=rm.team.region, team=rm.team)}
        if not form.is_valid():
            return render(request, "kpis/dashboard_rm.html", context)
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        rows = selectors.plan_vs_actual(
            scope=Scope.RM, year=year, month=month, viewer=viewer, metrics=metrics, owner_ids=[rm.pk]
        )
        chosen = [m for m in chartable if m.code in form.cleaned_data["metrics"]]
        series = selectors.monthly_series(
            scope=Scope.RM, owner_id=rm.pk, metrics=chosen, year=year, month=month, viewer=viewer
        )
        period = _year_to_date(year, month)
        funnel = next(
            (
                r.funnel
                for r in selectors.funnel(scope=Scope.RM, period=period, viewer=viewer, owner_ids=[rm.pk])
            ),
            Funnel(),
        )
        standards = selectors.team_standards(team_ids=[rm.team_id], viewer=viewer).get(rm.team_id, {})
        context |= _period_context(year, month) | {
            "lines": [_plan_line(r) for r in rows],
            "has_plan": any(r.plan is not None for r in rows),
            "activity_lines": _activity_lines(funnel, standards, period, today),
            "ratio_lines": _ratio_lines(funnel, standards),
            "chart_data": {"charts": [_series_chart(s, year) for s in series]},
            "band": [_pct(b) for b in NATIONAL_CONVERSATION_TO_APPOINTMENT],
        }
        return render(request, "kpis/dashboard_rm.html", context)


# --- The team's and the region's dashboards -------------------------------------------------------------


@dataclass
class GapLine:
    metric: Metric
    team_target: str
    rm_total: str
    gap: str
    flag: str  # "short", "over", "missing", "ratio" (not summed) or "" (equal)


def _gap_lines(gaps: list[dict]) -> list[GapLine]:
    lines = []
    for g in gaps:
        metric = g["metric"]
        if g["rm_total"] is None:
            flag = "missing"
        elif g["gap"] is None or g["gap"] == 0:
            flag = ""
        else:
            flag = "short" if g["gap"] < 0 else "over"
        if metric.kind == MetricKind.RATIO and flag != "missing":
            flag = "ratio"  # a ratio's RM targets are not summed: there is no gap to show
        lines.append(GapLine(metric, _figure(g["team_target"], metric.unit),
                             "—" if metric.kind == MetricKind.RATIO else _figure(g["rm_total"], metric.unit),
                             _figure(g["gap"], metric.unit), flag))  # fmt: skip
    return lines


@dataclass
class Crumb:
    label: str
    url: str | None = None


def _crumbs(viewer: User, *, region=None, team=None) -> list[Crumb]:
    """The path above a dashboard, as far as the viewer may go: region (director, admin), team (and leader)."""
    crumbs = []
    if viewer.role == Role.ADMIN:
        crumbs.append(Crumb(_("Dashboards"), reverse("kpis:dashboard-mine")))
    if region is not None and viewer.role in (Role.DIRECTOR, Role.ADMIN):
        crumbs.append(Crumb(region.name, reverse("kpis:dashboard-region", args=[region.pk])))
    if team is not None and viewer.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
        crumbs.append(Crumb(team.name, reverse("kpis:dashboard-team", args=[team.pk])))
    return crumbs


class DashboardTeamView(View):
    """A team's year to date: one line per RM with attainment and status on the key metrics (each RM
    drills down to their dashboard), the team's own line, a chart of the RMs' won-revenue attainment and
    the gaps between the team target and the sum of its RMs' targets. For its leader, director and admin."""

    def get(self, request: HttpRequest, team_pk: int) -> HttpResponse:
        viewer = request.user
        if viewer.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
            raise Http404
        team = teams_visible_to(viewer=viewer).filter(pk=team_pk).first()
        if team is None:
            raise Http404
        form = _dashboard_form(request)
        siblings = list(teams_visible_to(viewer=viewer).filter(region_id=team.region_id).order_by("name"))
        context = {
            "form": form,
            "team": team,
            "siblings": siblings if len(siblings) > 1 else [],
            "crumbs": _crumbs(viewer, region=team.region),
        }
        if not form.is_valid():
            return render(request, "kpis/dashboard_team.html", context)
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        metrics = _key_metrics()
        by_scope = selectors.plan_vs_actual_scopes(
            scopes=[Scope.RM, Scope.TEAM], year=year, month=month, viewer=viewer, metrics=metrics,
            within=(Scope.TEAM, [team.pk]),
        )  # fmt: skip
        rm_rows, team_rows = by_scope[Scope.RM], by_scope[Scope.TEAM]
        chart_metric = next((m for m in metrics if m.code == ATTAINMENT_CHART_METRIC), None)
        context |= _period_context(year, month) | {
            "metrics": metrics,
            "lines": _matrix(rm_rows, metrics),
            "total": _matrix(team_rows, metrics, total=True),
            "has_plan": any(r.plan is not None for r in rm_rows + team_rows),
            "gaps": _gap_lines(selectors.team_target_gaps(team=team, year=year)),
            "chart_data": {"charts": [c for c in [_attainment_chart(rm_rows, chart_metric, _(
                "RMs' attainment: %(metric)s"))] if c]},
        }  # fmt: skip
        return render(request, "kpis/dashboard_team.html", context)


class DashboardRegionView(View):
    """A region's year to date: its teams compared on the key metrics (each drills down to the team's
    dashboard), the region's own line and a chart of the teams' won-revenue attainment. For its director
    and admin."""

    def get(self, request: HttpRequest, region_pk: int) -> HttpResponse:
        viewer = request.user
        region = regions_visible_to(viewer=viewer).filter(pk=region_pk).select_related("director").first()
        if region is None:
            raise Http404
        form = _dashboard_form(request)
        siblings = list(regions_visible_to(viewer=viewer).order_by("name"))
        context = {
            "form": form,
            "region": region,
            "siblings": siblings if len(siblings) > 1 else [],
            "crumbs": _crumbs(viewer),
        }
        if not form.is_valid():
            return render(request, "kpis/dashboard_region.html", context)
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        metrics = _key_metrics()
        by_scope = selectors.plan_vs_actual_scopes(
            scopes=[Scope.TEAM, Scope.REGION], year=year, month=month, viewer=viewer, metrics=metrics,
            within=(Scope.REGION, [region.pk]),
        )  # fmt: skip
        team_rows, region_rows = by_scope[Scope.TEAM], by_scope[Scope.REGION]  # the region's visible teams
        chart_metric = next((m for m in metrics if m.code == ATTAINMENT_CHART_METRIC), None)
        context |= _period_context(year, month) | {
            "metrics": metrics,
            "lines": _matrix(team_rows, metrics),
            "total": _matrix(region_rows, metrics, total=True),
            "has_plan": any(r.plan is not None for r in team_rows + region_rows),
            "chart_data": {"charts": [c for c in [_attainment_chart(team_rows, chart_metric, _(
                "Teams' attainment: %(metric)s"))] if c]},
        }  # fmt: skip
        return render(request, "kpis/dashboard_region.html", context)


class DashboardMineView(View):
    """The viewer's own dashboard: an RM's, a leader's first team's, a director's first region's; the
    administrator (and anyone without a place) gets the list of regions and teams to choose from."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        role = viewer.role
        if role == Role.RM:
            return redirect("kpis:dashboard-rm", user_pk=viewer.pk)
        if role == Role.LEADER:
            team = teams_visible_to(viewer=viewer).order_by("name", "pk").first()
            return redirect("kpis:dashboard-team", team_pk=team.pk)
        if role == Role.DIRECTOR:
            region = regions_visible_to(viewer=viewer).order_by("name", "pk").first()
            return redirect("kpis:dashboard-region", region_pk=region.pk)
        return render(request, "kpis/dashboard_index.html", {"regions": regions_summary(viewer=viewer)})
