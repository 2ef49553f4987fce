"""A team leader imports accounts in the browser: a bad file is explained row by row, a good one imported."""

import pytest
from playwright.sync_api import expect

from targeting.models import Account
from tests.factories.targeting import IndustryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HEADER = "legal_name,industry,annual_revenue,employees,owner_email,is_high_value"


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def _upload(page, name: str, content: str):
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}]
    )
    page.get_by_role("button", name="Check and import").click()


def test_leader_sees_what_is_wrong_then_imports_a_good_file(page, live_server, org, password, shot):
    IndustryFactory(name="Manufacturing")
    owner = org.rm_a1.email
    _log_in(page, live_server, org.leader_a1.email, password)
    page.goto(f"{live_server.url}/targeting/import/")
    expect(page.get_by_role("heading", name="Import accounts or contacts")).to_be_visible()
    expect(page.get_by_label("Accounts")).to_be_checked()
    shot("import-form")

    bad = f'{HEADER}\nAcme SAS,Manufacturing,12500000,80,{owner},yes\nBeta SARL,Manufacturing,"12,5k",12,{owner},no\n'
    _upload(page, "accounts.csv", bad)
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("Nothing was imported: fix these rows and upload the file again.")
    problems = report.get_by_role("row")
    expect(problems).to_have_count(2)  # the heading and one problem
    expect(problems.nth(1).get_by_role("cell")).to_have_text(["2", "3", "annual_revenue", "Enter a number."])
    expect(page.get_by_label("Accounts")).to_be_checked()  # the form keeps the chosen kind
    shot("import-report-bad-row")
    assert Account.objects.count() == 0

    good = f"{HEADER}\nAcme SAS,Manufacturing,12500000,80,{owner},yes\nBeta SARL,Manufacturing,12500.50,12,{owner},no\n"
    _upload(page, "accounts.csv", good)
    expect(page.get_by_role("alert").filter(has_text="2 accounts imported.")).to_be_visible()
    shot("import-success")
    assert Account.objects.filter(owner=org.rm_a1).count() == 2


def test_a_file_problem_is_named_and_the_chosen_kind_kept(page, live_server, org, password, shot):
    _log_in(page, live_server, org.director_a.email, password)
    page.goto(f"{live_server.url}/targeting/import/?kind=contacts")
    expect(page.get_by_label("Contacts")).to_be_checked()
    _upload(page, "contacts.csv", "account;name;titel\nAcme SAS;Claire Dubois;CFO\n")
    report = page.get_by_test_id("file-errors")
    expect(report).to_contain_text("Missing required columns: level.")
    expect(report).to_contain_text("Unknown columns: titel.")
    expect(page.get_by_label("Contacts")).to_be_checked()
    expect(page.get_by_test_id("columns-contacts")).to_have_attribute("open", "")
    shot("import-report-file-problem")
