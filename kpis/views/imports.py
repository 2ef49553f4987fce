"""The KPI import page: choose activities, balances or opportunities, upload, and follow the import a Celery
worker runs (a progress bar polled with htmx) down to its counts or its report of problems."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from salesplan.csvimport import BROWSER_MAX_ROWS
from salesplan.csvio import csv_response
from targeting.importers import can_import

from ..importers import (
    KINDS,
    ImportForm,
    TeamImport,
    import_job_create,
    import_jobs_visible_to,
    job_summary,
    live_progress,
)
from ..models import ImportJob, ImportKind, ImportStatus

RECENT_JOBS = 5
STALE_AFTER = timedelta(seconds=30)  # a job still queued after this: say a worker may not be running
TEMPLATES = {**KINDS, "teams": TeamImport}
KIND_TEXTS = {
    ImportKind.ACTIVITIES: gettext_lazy("Columns of an activities file"),
    ImportKind.BALANCES: gettext_lazy("Columns of a balances file"),
    ImportKind.OPPORTUNITIES: gettext_lazy("Columns of a pipeline file (opportunities)"),
    "teams": gettext_lazy("Columns of a teams file (opportunities, administrators only)"),
}


class ImportAccessMixin:
    """Only team leaders, directors and administrators import; anyone else gets 403."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_import(request.user):
            raise PermissionDenied(_("Only team leaders, directors and administrators import files."))
        return super().dispatch(request, *args, **kwargs)


def _job_context(job: ImportJob) -> dict:
    return {
        "job": live_progress(job),
        "summary": job_summary(job) if job.status == ImportStatus.DONE else [],
        "stale": job.status == ImportStatus.QUEUED and timezone.now() - job.created_at > STALE_AFTER,
    }


def _import_page(request: HttpRequest, form: ImportForm, job: ImportJob | None = None, status: int = 200):
    """The import page: the upload form, the columns of each kind, the user's recent jobs, and a job."""
    is_admin = "teams_file" in form.fields
    kinds = [
        {"kind": kind, "columns": spec.columns, "summary": KIND_TEXTS[kind]}
        for kind, spec in TEMPLATES.items()
        if kind != "teams" or is_admin
    ]
    recent = import_jobs_visible_to(viewer=request.user).filter(created_by=request.user)
    if job is not None:
        recent = recent.exclude(pk=job.pk)  # shown above, kept up to date by the polling
    recent = recent[:RECENT_JOBS]
    context = {"form": form, "kinds": kinds, "max_rows": BROWSER_MAX_ROWS, "recent": recent}
    if job is not None:
        context.update(_job_context(job))
    return render(request, "kpis/import_form.html", context, status=status)


class ImportView(ImportAccessMixin, View):
    """Upload a CSV file; a worker imports all its rows, or none and the page lists every problem."""

    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("kind")
        initial = {"kind": kind if kind in KINDS else ImportKind.ACTIVITIES}
        return _import_page(request, ImportForm(initial=initial, user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return _import_page(request, form, status=400)
        job = import_job_create(
            kind=form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            teams_file=form.cleaned_data.get("teams_file"),
            by=request.user,
        )
        if job.enqueued.sent is False:
            messages.warning(
                request,
                _("The task queue is unavailable: your file is saved and will be imported when it is back."),
            )
        return redirect(job.get_absolute_url())


class ImportStatusView(ImportAccessMixin, View):
    """One import job: the whole page, or (for htmx's polling) only its progress panel."""

    def get(self, request: HttpRequest, job_pk: int) -> HttpResponse:
        job = get_object_or_404(import_jobs_visible_to(viewer=request.user), pk=job_pk)
        if request.htmx:
            return render(request, "kpis/_import_progress.html", _job_context(job))
        return _import_page(request, ImportForm(initial={"kind": job.kind}, user=request.user), job)


class ImportTemplateView(ImportAccessMixin, View):
    """An empty CSV file with the columns of one kind of import, to fill in a spreadsheet."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        spec = TEMPLATES.get(kind)
        if spec is None:
            raise Http404
        return csv_response(filename=f"{kind}-template.csv", header=spec.column_names(), rows=[])
