"""The Celery task that runs a browser import: its body (called in the test), and once through a real
worker process and Redis."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kpis import tasks
from kpis.importers import ActivityImport, import_job_execute, live_progress
from kpis.models import Activity, ImportJob, ImportKind, ImportStatus, Opportunity
from salesplan.celery import app
from salesplan.csvimport import csv_import
from tests.conftest import redis_reachable, require
from tests.factories.kpis import ImportJobFactory
from tests.factories.targeting import AccountFactory

HEADER = "external_id,owner_email,kind,first_appointment,account,contact,date,outcome,notes"


def activities_file(rm, *kinds: str) -> bytes:
    rows = [f",{rm.email},{kind},,Acme SAS,,2026-03-10,," for kind in kinds]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def acme(org):
    return AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)


@pytest.fixture
def job(org, acme):
    content = activities_file(org.rm_a1, "conversation", "appointment", "proposal")
    return ImportJobFactory(kind=ImportKind.ACTIVITIES, created_by=org.leader_a1, content=content)


@pytest.mark.django_db
def test_the_task_imports_the_file_and_the_job_is_done_with_its_counts(org, job):
    assert tasks.import_job_run.apply(args=[job.pk]).get() == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, bytes(job.content)) == ("done", 3, 3, b"")
    assert job.started_at <= job.finished_at
    assert (job.report["ok"], job.report["created"], job.report["updated"], job.report["unchanged"]) == (
        True,
        3,
        0,
        0,
    )
    assert Activity.objects.filter(owner=org.rm_a1).count() == 3


@pytest.mark.django_db
def test_a_bad_file_fails_the_job_with_its_report_and_writes_nothing(org, acme):
    content = activities_file(org.rm_a1, "conversation", "meeting")
    job = ImportJobFactory(created_by=org.leader_a1, content=content, file_name="bad.csv")
    assert import_job_execute(job_id=job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    [file] = job.report["files"]
    assert (file["name"], file["error_count"], file["errors"]) == (
        "bad.csv",
        1,
        [
            {
                "row": 2,
                "line": 3,
                "column": "kind",
                "message": "“meeting” is not one of: conversation, appointment, proposal.",
            }
        ],
    )
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_running_the_task_twice_does_not_import_twice(org, job):
    assert import_job_execute(job_id=job.pk) == ImportStatus.DONE
    assert import_job_execute(job_id=job.pk) == ImportStatus.DONE  # a finished job is not run again
    assert Activity.objects.count() == 3, "rows without external_id would be added again by a second run"


@pytest.mark.django_db
def test_a_job_found_running_starts_again_from_scratch(org, job):
    # The worker died mid-import (its transaction rolled back); the broker delivers the task again.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, rows_done=2, rows_total=3)
    assert import_job_execute(job_id=job.pk) == ImportStatus.DONE
    assert Activity.objects.count() == 3


@pytest.mark.django_db
def test_a_run_overtaken_by_another_run_of_the_same_job_rolls_back(org, job, monkeypatch):
    prepare = ActivityImport.prepare

    def prepare_while_another_run_finishes(self, rows):
        prepare(self, rows)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, started_at=timezone.now())

    monkeypatch.setattr(ActivityImport, "prepare", prepare_while_another_run_finishes)
    assert import_job_execute(job_id=job.pk) == "taken"
    assert Activity.objects.count() == 0, "the import's transaction checks the job before committing"


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_and_imports_nothing(org, job, monkeypatch):
    def broken(self, row_forms):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ActivityImport, "save_batch", broken)
    with pytest.raises(RuntimeError, match="disk full"):  # raised again: the worker's log shows it
        import_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.report["message"]) == ("failed", "The import stopped on an unexpected error.")
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_a_job_whose_author_may_no_longer_import_fails(org, job):
    job.created_by = org.rm_a1
    job.save()
    assert import_job_execute(job_id=job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.report["message"] == "Only team leaders, directors and administrators import files."
    assert Activity.objects.count() == 0


@pytest.mark.django_db
def test_a_job_reports_in_its_authors_language(org, acme):
    org.leader_a1.language = "fr"
    org.leader_a1.save()
    content = f"owner_email,kind,account,date\n{org.rm_a1.email},conversation,Acme SAS,\n".encode()
    job = ImportJobFactory(created_by=org.leader_a1, content=content)
    import_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert job.report["files"][0]["errors"][0]["message"] == "Ce champ est obligatoire."


@pytest.mark.django_db
def test_an_opportunities_job_with_a_teams_file_creates_the_organisation(org):
    header = b"opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
    teams = b"sales_agent,manager,regional_office\nAnna Snelling,Dustin Brinkmann,Central\n"
    job = ImportJobFactory(
        kind=ImportKind.OPPORTUNITIES, created_by=org.admin, file_name="pipeline.csv", teams_file_name="teams.csv",
        content=header + b"X1,Anna Snelling,GTX,Acme,Won,2017-01-02,2017-02-01,5\n", teams_content=teams,
    )  # fmt: skip
    assert import_job_execute(job_id=job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    assert job.report["extra"]["people"] == 2 and job.teams_content is None
    assert Opportunity.objects.get().owner.team.name == "Dustin Brinkmann team"


@pytest.mark.django_db
def test_progress_is_reported_every_thousand_rows(org, acme):
    calls = []
    content = activities_file(org.rm_a1, *["conversation"] * 2500)
    result = csv_import(
        file=content, spec=lambda by: ActivityImport(by=by, progress=lambda *p: calls.append(p)), by=org.admin
    )
    assert result.ok, result.errors[:3]
    assert calls == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]


@pytest.mark.django_db
def test_progress_is_visible_in_the_job_while_the_import_runs(org, acme, monkeypatch):
    content = activities_file(org.rm_a1, *["conversation"] * 1500)
    job = ImportJobFactory(created_by=org.leader_a1, content=content)
    seen = []
    chunk_checked = ActivityImport.chunk_checked

    def chunk_checked_and_look(self):
        # What the job's page shows once the chunk's rows are checked (and streamed to the database), before
        # the import's transaction commits: the progress goes through the cache.
        shown = live_progress(ImportJob.objects.get(pk=job.pk))
        seen.append((shown.status, shown.rows_done, shown.rows_total))
        return chunk_checked(self)

    monkeypatch.setattr(ActivityImport, "chunk_checked", chunk_checked_and_look)
    import_job_execute(job_id=job.pk)
    assert seen == [("running", 1500, 1500)], "the rows checked are shown while the import runs"
    assert ImportJob.objects.get(pk=job.pk).status == "done"


# --- A real worker --------------------------------------------------------------------------------------


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_a_job_sent_through_redis(org, acme):
    require(redis_reachable(), "a Redis server on 127.0.0.1:6379 (redis-server)")
    queue = f"test-{uuid.uuid4().hex[:12]}"  # a private queue: no other worker can take the task
    job = ImportJobFactory(
        created_by=org.leader_a1, content=activities_file(org.rm_a1, "conversation", "proposal")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesplan.settings",
        "DATABASE_URL": _database_url_for_worker(),
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "false",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "salesplan", "worker", "--pool", "solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        with app.connection_for_write("redis://127.0.0.1:6379/15") as conn:
            app.send_task("kpis.tasks.import_job_run", args=[job.pk], queue=queue, connection=conn)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            job.refresh_from_db()
            if job.status == ImportStatus.DONE and job.report:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert (job.status, job.report.get("created")) == ("done", 2), f"the worker's output:\n{output}"
    assert sorted(Activity.objects.values_list("kind", flat=True)) == ["conversation", "proposal"]
