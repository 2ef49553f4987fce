"""The CSV import page: choose accounts or contacts, download a template, upload, read the report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from salesplan.csvimport import csv_import
from salesplan.csvio import csv_response

from ..importers import KINDS, ImportForm, can_import

REPORT_LIMIT = 500  # problems listed on the page; the rest are counted
# This import runs while the browser waits (the kpis imports run in Celery): 20,000 accounts take about 14 s
# at bank scale, well inside a web server's 30 s timeout; 50,000 would not be. Larger files: the commands.
IN_REQUEST_MAX_ROWS = 20_000
KIND_TEXTS = {
    "accounts": (gettext_lazy("Columns of an accounts file"), gettext_lazy("Download the accounts template")),
    "contacts": (gettext_lazy("Columns of a contacts file"), gettext_lazy("Download the contacts template")),
}


class ImportAccessMixin:
    """Only team leaders, directors and administrators import; anyone else gets 403."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_import(request.user):
            raise PermissionDenied(_("Only team leaders, directors and administrators import files."))
        return super().dispatch(request, *args, **kwargs)


def _after_import_url() -> str:
    try:
        return reverse("targeting:account-list")
    except NoReverseMatch:  # the account list belongs to another part of the app; fall back on ours
        return reverse("targeting:import")


class ImportView(ImportAccessMixin, View):
    """Upload a CSV file; all its rows are imported, or none and the page lists every problem."""

    template_name = "targeting/import_form.html"

    def _render(self, request, form, result=None, status=200) -> HttpResponse:
        kinds = [
            {"kind": kind, "columns": KINDS[kind].columns, "summary": summary, "download": download}
            for kind, (summary, download) in KIND_TEXTS.items()
        ]
        context = {"form": form, "kinds": kinds, "result": result, "max_rows": IN_REQUEST_MAX_ROWS}
        if result is not None:
            context["errors_shown"] = result.errors[:REPORT_LIMIT]
            context["errors_hidden"] = max(0, len(result.errors) - REPORT_LIMIT)
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        kind = request.GET.get("kind")
        return self._render(request, ImportForm(initial={"kind": kind if kind in KINDS else "accounts"}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        spec = KINDS[form.cleaned_data["kind"]]
        result = csv_import(
            file=form.cleaned_data["file"], spec=spec, by=request.user, max_rows=IN_REQUEST_MAX_ROWS
        )
        if not result.ok:
            return self._render(request, form, result, status=400)
        messages.success(request, _("%(what)s imported.") % {"what": spec.counted(result.created)})
        return redirect(_after_import_url())


class ImportTemplateView(ImportAccessMixin, View):
    """An empty CSV file with the columns of one kind of import, to fill in a spreadsheet."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        spec = KINDS.get(kind)
        if spec is None:
            raise Http404
        return csv_response(filename=f"{kind}-template.csv", header=spec.column_names(), rows=[])
