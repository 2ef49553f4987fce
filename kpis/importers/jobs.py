"""Browser imports: the upload form, the import job and what its Celery task runs."""

import logging
from collections import Counter
from collections.abc import Callable
from functools import partial

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from salesplan.csvimport import BROWSER_MAX_ROWS, CREATED, UNCHANGED, UPDATED, ImportResult, csv_import
from salesplan.queue import enqueue_on_commit
from targeting.importers import MAX_UPLOAD_BYTES, can_import

from .. import tasks
from ..models import ImportJob, ImportKind, ImportStatus
from .base import REPORT_LIMIT, Progress, TrackedImport, outcome_text
from .pipeline import PipelineImport, PipelineResult, pipeline_import, pipeline_summary
from .records import ActivityImport, BalanceImport

logger = logging.getLogger(__name__)

KINDS: dict[str, type[TrackedImport]] = {
    ImportKind.ACTIVITIES: ActivityImport,
    ImportKind.BALANCES: BalanceImport,
    ImportKind.OPPORTUNITIES: PipelineImport,
}


# --- Browser imports: the form, the job and its task -----------------------------------------------------


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=ImportKind.choices,
        initial=ImportKind.ACTIVITIES,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, values separated by commas or semicolons, at most 10 MB. For opportunities: the pipeline."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    teams_file = forms.FileField(
        label=gettext_lazy("Teams file (opportunities only)"),
        required=False,
        help_text=gettext_lazy(
            "Optional: sales_agent, manager, regional_office. Creates the regions, teams and people it names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user.role != Role.ADMIN:  # a teams file creates people and teams: administrators only
            del self.fields["teams_file"]

    @staticmethod
    def _size(upload):
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is 10 MB. Split it into smaller files.")
                % {"size": filesizeformat(upload.size)}
            )
        return upload

    def clean_file(self):
        return self._size(self.cleaned_data["file"])

    def clean_teams_file(self):
        return self._size(self.cleaned_data["teams_file"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("teams_file") and cleaned.get("kind") != ImportKind.OPPORTUNITIES:
            self.add_error("teams_file", _("Only an opportunities import takes a teams file."))
        return cleaned


def import_jobs_visible_to(*, viewer: User) -> QuerySet[ImportJob]:
    """Import jobs the viewer may follow: their own; every job for an administrator."""
    jobs = ImportJob.objects.select_related("created_by").defer("content", "teams_content")
    return jobs if viewer.role == Role.ADMIN else jobs.filter(created_by=viewer)


def import_job_create(*, kind: str, file, teams_file=None, by: User) -> ImportJob:
    """Store an uploaded file as a queued import job and have a worker run it once the job is committed.

    The returned job's `enqueued.sent` says whether its task reached the broker; when it did not, the job
    stays queued and `import_jobs_requeue` sends it once the broker is back."""
    if not can_import(by):
        raise PermissionDenied(_("Only team leaders, directors and administrators import files."))
    if teams_file is not None and by.role != Role.ADMIN:
        raise PermissionDenied(
            _("Only an administrator may import a teams file: it creates people and teams.")
        )
    job = ImportJob(kind=kind, created_by=by, file_name=file.name[:255], content=file.read())
    if teams_file is not None:
        job.teams_file_name, job.teams_content = teams_file.name[:255], teams_file.read()
    with transaction.atomic():
        job.save()
        job.enqueued = enqueue_on_commit(tasks.import_job_run, job.pk)
    return job


class _JobTaken(Exception):
    """Another run of the same job has started or finished: this run's transaction must roll back."""


def _file_report(name: str, result: ImportResult | None) -> dict:
    if result is None:  # not read: the teams file had problems
        return {"name": name, "checked": False, "file_errors": [], "errors": [], "error_count": 0}
    errors = [
        {"row": e.row, "line": e.line, "column": e.column, "message": str(e.message)}
        for e in result.errors[:REPORT_LIMIT]
    ]
    return {
        "name": name,
        "checked": True,
        "rows": result.rows,
        "file_errors": [str(m) for m in result.file_errors],
        "errors": errors,
        "error_count": len(result.errors),
        "hidden": len(result.errors) - len(errors),
    }


def _run_job(job: ImportJob, user: User, progress: Progress, on_finish: Callable[..., None]) -> dict | None:
    """Run the job's import. None when it was imported (`on_finish` has marked the job done, with its
    counts, in the import's transaction); else the report of the problems, per file."""
    content = bytes(job.content)
    if job.kind == ImportKind.OPPORTUNITIES:
        teams = bytes(job.teams_content) if job.teams_file_name else None
        outcome = pipeline_import(
            pipeline=content, teams=teams, by=user, max_rows=BROWSER_MAX_ROWS, progress=progress,
            on_finish=on_finish,
        )  # fmt: skip
        files = [_file_report(job.file_name, outcome.pipeline)]
        if job.teams_file_name:
            files.insert(0, _file_report(job.teams_file_name, outcome.teams))
        ok = outcome.ok
    else:
        spec = partial(KINDS[job.kind], progress=progress, on_finish=on_finish)
        result = csv_import(file=content, spec=spec, by=user, max_rows=BROWSER_MAX_ROWS)
        files, ok = [_file_report(job.file_name, result)], result.ok
    return None if ok else {"ok": False, "files": files}


def import_job_execute(*, job_id: int) -> str:
    """Run a browser import job: all its rows or none. A finished job is not run again; a job found running
    (its worker died, the broker delivered it again) starts again from scratch: the import is one
    transaction, so the lost run left nothing. The job is marked done, with its counts, inside the import's
    transaction, so rows and status commit together and a second run can never import the file twice."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return job.status if job else "missing"
        started = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING, started_at=started, rows_done=0, rows_total=0, report={}
        )
    this_run = ImportJob.objects.filter(pk=job.pk, started_at=started)
    user = User.objects.with_roles().get(pk=job.created_by_id)
    last = {"rows_done": 0, "rows_total": 0}

    def progress(done: int, total: int) -> None:
        # The import is one transaction: a row written to the job now would be seen by nobody until it
        # ends. The progress goes to the cache, which every process shares, and the page reads it there.
        last.update(rows_done=done, rows_total=total)
        cache.set(_progress_key(job.pk, started), (done, total), timeout=PROGRESS_TIMEOUT)

    def on_finish(spec: TrackedImport) -> None:
        current = ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("status", "started_at")
        if list(current) != [(ImportStatus.RUNNING, started)]:
            raise _JobTaken
        counts = {name: spec.outcomes[name] for name in (CREATED, UPDATED, UNCHANGED)}
        report = {"ok": True, **counts, "extra": dict(getattr(spec, "tally", {})), "files": []}
        this_run.update(
            status=ImportStatus.DONE, finished_at=timezone.now(), rows_done=spec.checked,
            rows_total=spec.checked, report=report, content=b"", teams_content=None,
        )  # fmt: skip

    with translation.override(user.language):
        try:
            if not can_import(user):
                raise PermissionDenied(_("Only team leaders, directors and administrators import files."))
            problems = _run_job(job, user, progress, on_finish)
        except _JobTaken:
            return "taken"
        except PermissionDenied as exc:
            problems = {"ok": False, "message": str(exc), "files": []}
        except Exception:
            logger.exception("import job %s stopped", job.pk)
            problems = {"ok": False, "files": [], "message": _("The import stopped on an unexpected error.")}
            this_run.update(status=ImportStatus.FAILED, finished_at=timezone.now(), report=problems, **last)
            raise
    if problems is None:
        return ImportStatus.DONE
    this_run.update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        report=problems,
        content=b"",
        teams_content=None,
        **last,
    )
    return ImportStatus.FAILED


PROGRESS_TIMEOUT = 24 * 3600


def _progress_key(job_id: int, started) -> str:
    return f"import-progress:{job_id}:{started.timestamp()}"


def live_progress(job: ImportJob) -> ImportJob:
    """The job with the rows checked so far while it runs (from the cache: see import_job_execute)."""
    if job.status == ImportStatus.RUNNING and job.started_at is not None:
        found = cache.get(_progress_key(job.pk, job.started_at))
        if found is not None:
            job.rows_done, job.rows_total = found
    return job


def job_summary(job: ImportJob) -> list[str]:
    """A finished job's counts, in sentences in the reader's language."""
    report = job.report or {}
    result = ImportResult(
        created=report.get("created", 0),
        updated=report.get("updated", 0),
        unchanged=report.get("unchanged", 0),
    )
    if job.kind == ImportKind.OPPORTUNITIES:
        teams = ImportResult() if job.teams_file_name else None
        return pipeline_summary(PipelineResult(teams, result, Counter(report.get("extra", {}))))
    return [outcome_text(KINDS[job.kind], result)]
