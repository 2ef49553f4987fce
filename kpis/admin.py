"""Admin pages for the kpis app, including the metric catalogue and an on-demand month snapshot."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from salesplan.queue import enqueue

from .models import (
    Activity,
    BalanceSnapshot,
    Distribution,
    FlowActual,
    Forecast,
    ImportJob,
    Metric,
    Opportunity,
    PlanActual,
    Product,
    StageChange,
    Standard,
    Target,
)
from .tasks import plan_actual_snapshot


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "unit", "direction", "source", "tolerance_at_risk",
                    "tolerance_off_track", "is_active", "display_order"]  # fmt: skip
    list_filter = ["kind", "unit", "source", "is_active"]
    list_editable = ["display_order", "is_active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["name", "weights"]
    search_fields = ["name"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["metric", "year", "user", "team", "region", "value", "baseline", "distribution"]
    list_filter = ["year", "metric", "team__region"]
    search_fields = ["user__display_name", "team__name", "region__name", "metric__name"]
    autocomplete_fields = ["user", "team", "region"]
    list_select_related = ["metric", "user", "team", "region", "distribution"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["team", "metric", "value", "period", "tolerance_at_risk", "tolerance_off_track"]
    list_filter = ["team", "metric"]
    autocomplete_fields = ["team"]
    list_select_related = ["team", "metric"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "list_price"]
    list_filter = ["category"]
    search_fields = ["name", "category"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "is_first_appointment", "owner", "account", "outcome"]
    list_filter = ["kind", "is_first_appointment", "date"]
    search_fields = ["account__legal_name", "owner__display_name", "outcome", "external_id"]
    autocomplete_fields = ["owner", "account", "contact"]
    list_select_related = ["owner", "account"]
    date_hierarchy = "date"


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "changed_on", "changed_by"]
    can_delete = False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "owner",
        "stage",
        "engage_date",
        "close_date",
        "value",
        "currency",
        "external_id",
    ]
    list_filter = ["stage", "product", "close_date"]
    search_fields = ["name", "account__legal_name", "owner__display_name", "external_id"]
    autocomplete_fields = ["owner", "account"]
    list_select_related = ["owner", "account", "product"]
    inlines = [StageChangeInline]
    date_hierarchy = "close_date"


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ["opportunity", "from_stage", "to_stage", "changed_on", "changed_by"]
    list_filter = ["to_stage"]
    list_select_related = ["opportunity__account", "changed_by"]
    autocomplete_fields = ["opportunity"]


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["account", "metric", "month_end", "balance"]
    list_filter = ["metric", "month_end"]
    search_fields = ["account__legal_name"]
    autocomplete_fields = ["account"]
    list_select_related = ["account", "metric"]


@admin.register(FlowActual)
class FlowActualAdmin(admin.ModelAdmin):
    list_display = ["owner", "metric", "month", "value"]
    list_filter = ["metric", "month"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner", "metric"]


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ["owner", "metric", "month", "value"]
    list_filter = ["metric", "month"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner", "metric"]


class SnapshotForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("Month"), min_value=1, max_value=12)


@admin.register(PlanActual)
class PlanActualAdmin(admin.ModelAdmin):
    list_display = ["scope", "scope_id", "metric", "year", "month", "plan_to_date", "actual_to_date",
                    "attainment", "status", "computed_at"]  # fmt: skip
    list_filter = ["scope", "status", "year", "month", "metric"]
    list_select_related = ["metric"]
    change_list_template = "admin/kpis/planactual/change_list.html"

    def get_urls(self):
        urls = [
            path(
                "snapshot/", self.admin_site.admin_view(self.snapshot_view), name="kpis_planactual_snapshot"
            ),
        ]
        return urls + super().get_urls()

    def snapshot_view(self, request):
        """Run the month snapshot on demand (through Celery, like the month-end schedule)."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = SnapshotForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            year, month = form.cleaned_data["year"], form.cleaned_data["month"]
            if not enqueue(plan_actual_snapshot, year, month):
                self.message_user(
                    request,
                    _("The task queue is unavailable: compute the snapshot again when it is back."),
                    messages.ERROR,
                )
                return redirect(reverse("admin:kpis_planactual_changelist"))
            self.message_user(
                request,
                _("The plan-versus-actual snapshot for %(year)s-%(month)02d is being computed.")
                % {"year": year, "month": month},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:kpis_planactual_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Compute a month snapshot"),
        }
        return render(request, "admin/kpis/planactual/snapshot.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Browser imports and their outcome, read-only once they exist: a job is changed only by its task."""

    list_display = ["created_at", "kind", "file_name", "created_by", "status", "rows_done", "rows_total"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "created_by__email", "created_by__display_name"]
    list_select_related = ["created_by"]
    autocomplete_fields = ["created_by"]
    date_hierarchy = "created_at"
    fields = ["kind", "created_by", "status", "file_name", "teams_file_name", "rows_done", "rows_total",
              "started_at", "finished_at", "report"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []
