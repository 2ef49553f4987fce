"""An RM researches a new prospect top-down until it is ready to call, then finds it in the list."""

import pytest
from playwright.sync_api import expect

from tests.factories.targeting import AccountFactory, IndustryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_rm_researches_a_prospect_until_ready_to_call(page, live_server, org, password, shot):
    prospect = AccountFactory(
        owner=org.rm_a1,
        legal_name="Fromagerie Besnier SARL",
        industry=IndustryFactory(name="Food manufacturing"),
        employees=60,
        location="Rennes",
    )
    AccountFactory(owner=org.rm_a1, legal_name="Another prospect SAS")
    _log_in(page, live_server, org.rm_a1.email, password)

    page.goto(f"{live_server.url}/targeting/accounts/")
    row = page.get_by_test_id("account-table").get_by_role("row").filter(has_text=prospect.legal_name)
    expect(row).to_contain_text("1/4")
    shot("prospect-list")

    row.get_by_role("link", name=prospect.legal_name).click()
    expect(page.get_by_role("heading", name=prospect.legal_name)).to_be_visible()
    expect(page.get_by_test_id("checklist-status")).to_have_text("1/4 done")
    expect(page.get_by_test_id("target-level")).to_contain_text("Owner / C-suite")  # the rules' suggestion
    shot("prospect-detail-before")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Target contact level").select_option(label="Owner / C-suite")
    page.get_by_label("What the company does to exist and prosper").fill(
        "Makes cheese for supermarkets; margins squeezed by milk prices, needs cash before the summer peak."
    )
    shot("prospect-edit-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("checklist-status")).to_have_text("3/4 done")
    expect(page.get_by_test_id("target-level")).to_contain_text("Not known yet")

    page.get_by_role("link", name="Add a contact").click()
    page.get_by_label("Name").fill("Hélène Besnier")
    page.get_by_label("Title").fill("Managing director")
    page.get_by_label("Contact level").select_option(label="Owner / C-suite")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("contacts-table")).to_contain_text("Hélène Besnier")
    expect(page.get_by_test_id("checklist-status")).to_have_text("Ready to call")
    shot("prospect-detail-after")

    page.get_by_role("link", name="Accounts").first.click()
    page.get_by_label("Readiness (prospects)").select_option(label="Ready to call")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_test_id("account-table")
    expect(table).to_contain_text(prospect.legal_name)
    expect(table).not_to_contain_text("Another prospect SAS")
    expect(table.get_by_test_id("ready-badge")).to_have_count(1)
    shot("prospect-list-ready")
