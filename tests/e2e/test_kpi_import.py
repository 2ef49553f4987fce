"""An administrator imports activities in the browser: the worker's job is followed on the page (htmx polls
the progress panel every second) down to its counts, or to the report of what to fix."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis.models import Activity, ImportJob, ImportStatus, Opportunity
from salesplan.celery import app
from tests.factories.kpis import ImportJobFactory
from tests.factories.targeting import AccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "external_id,owner_email,kind,first_appointment,account,contact,date,outcome,notes"


@pytest.fixture
def eager(settings):
    """Tasks run in the web process for this test (the real worker is tested in tests/kpis)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def _upload(page, content: str):
    page.get_by_label("Activities").check()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "activities.csv", "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Upload and import").click()


def test_admin_uploads_activities_and_reads_the_outcome(page, live_server, org, password, shot, eager):
    AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)
    rm = org.rm_a1.email
    _log_in(page, live_server, org.admin.email, password)
    page.goto(f"{live_server.url}/kpis/import/")
    expect(page.get_by_role("heading", name="Import activities, balances or opportunities")).to_be_visible()
    expect(page.get_by_label("Teams file (opportunities only)")).to_be_visible()
    shot("kpi-import-form")

    good = f"A-1,{rm},appointment,yes,Acme SAS,,2026-03-10,Proposal asked,"
    _upload(page, f"{HEADER}\n{good}\nA-2,{rm},meeting,,Acme SAS,,2026-13-01,,\n")
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("Nothing was imported.")
    rows = page.get_by_test_id("import-errors").get_by_role("row")
    expect(rows).to_have_count(3)  # the heading and two problems
    expect(rows.nth(1).get_by_role("cell")).to_have_text(
        ["2", "3", "kind", "“meeting” is not one of: conversation, appointment, proposal."]
    )
    expect(rows.nth(2).get_by_role("cell")).to_have_text(
        ["2", "3", "date", "Enter a date as YYYY-MM-DD, e.g. 2017-03-01."]
    )
    shot("kpi-import-failed")
    assert Activity.objects.count() == 0

    _upload(page, f"{HEADER}\n{good}\nA-2,{rm},conversation,,Acme SAS,,2026-03-11,,\n")
    expect(page.get_by_test_id("import-success")).to_contain_text(
        "2 activities created, 0 updated, 0 unchanged."
    )
    expect(page.get_by_test_id("job-status")).to_have_text("Imported")
    expect(page.get_by_test_id("recent-imports").get_by_role("listitem")).to_have_count(1)  # the failed one
    shot("kpi-import-done")
    assert sorted(Activity.objects.values_list("external_id", flat=True)) == ["A-1", "A-2"]


def test_the_page_polls_the_progress_until_the_job_is_done(page, live_server, org, password, shot):
    job = ImportJobFactory(
        created_by=org.admin, status=ImportStatus.RUNNING, rows_done=1000, rows_total=4000,
        file_name="big-activities.csv", started_at=timezone.now(),
    )  # fmt: skip
    _log_in(page, live_server, org.admin.email, password)
    page.goto(f"{live_server.url}/kpis/import/{job.pk}/")
    panel = page.get_by_test_id("import-job")
    expect(panel).to_contain_text("Checking the rows: 1,000 of 4,000.")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "25")
    shot("kpi-import-progress")

    ImportJob.objects.filter(pk=job.pk).update(rows_done=3000)  # the worker moves on
    expect(panel).to_contain_text("Checking the rows: 3,000 of 4,000.", timeout=5000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "75")

    report = {"ok": True, "created": 3990, "updated": 10, "unchanged": 0, "extra": {}, "files": []}
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, rows_done=4000, report=report)
    expect(page.get_by_test_id("import-success")).to_contain_text(
        "3,990 activities created, 10 updated, 0 unchanged.", timeout=5000
    )
    expect(panel).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    shot("kpi-import-polled-done")


PIPELINE_HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"


def test_admin_is_told_whose_account_a_row_names_then_imports_a_crm_pipeline(
    page, live_server, org, password, shot, eager
):
    """An activity on another RM's account names both people; a CRM pipeline with existing accounts streams
    its deals and their stage history, and importing it again changes nothing."""
    AccountFactory(legal_name="Acme SAS", owner=org.rm_a1)
    AccountFactory(legal_name="Borel SA", owner=org.rm_a2)
    _log_in(page, live_server, org.admin.email, password)
    page.goto(f"{live_server.url}/kpis/import/")
    _upload(page, f"{HEADER}\nA-1,{org.rm_a1.email},appointment,,Borel SA,,2026-03-10,,\n")
    rows = page.get_by_test_id("import-errors").get_by_role("row")
    expect(rows.nth(1).get_by_role("cell")).to_have_text(
        ["1", "2", "account", "“Borel SA” is an account of RM A2, not of RM A1."]
    )
    shot("kpi-import-others-account")
    assert Activity.objects.count() == 0

    pipeline = (
        f"{PIPELINE_HEADER}\n"
        "D-1,RM A1,GTX,Acme SAS,Won,2026-01-05,2026-02-20,1200\n"
        "D-2,RM A2,GTX,Borel SA,Engaging,2026-02-01,,\n"
    )
    for created, unchanged in ((2, 0), (0, 2)):
        page.goto(f"{live_server.url}/kpis/import/")
        page.get_by_role("radio", name="Opportunities").check()
        page.get_by_label("CSV file").set_input_files(
            files=[{"name": "pipeline.csv", "mimeType": "text/csv", "buffer": pipeline.encode()}]
        )
        page.get_by_role("button", name="Upload and import").click()
        expect(page.get_by_test_id("import-success")).to_contain_text(
            f"{created} opportunities created, 0 updated, {unchanged} unchanged."
        )
    expect(page.get_by_test_id("import-success")).to_contain_text("0 stage changes recorded.")
    shot("kpi-import-pipeline-again")
    deals = {d.external_id: d for d in Opportunity.objects.prefetch_related("stage_changes")}
    assert sorted(deals) == ["D-1", "D-2"]
    assert [(c.from_stage, c.to_stage) for c in deals["D-1"].stage_changes.order_by("changed_on")] == [
        ("", "engaging"),
        ("engaging", "won"),
    ]
    assert deals["D-2"].account.legal_name == "Borel SA"
