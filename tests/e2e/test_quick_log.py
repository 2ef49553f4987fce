"""An RM logs a conversation in a few clicks, then with "save and log another" the first appointment that
followed, and finds both in their activity list."""

import pytest
from playwright.sync_api import expect

from tests.factories.targeting import AccountFactory, ContactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_rm_logs_a_conversation_then_a_first_appointment(page, live_server, org, password, shot):
    account = AccountFactory(owner=org.rm_a1, legal_name="Fromagerie Besnier SARL")
    ContactFactory(account=account, name="Hélène Besnier", title="Managing director")
    AccountFactory(owner=org.rm_a1, legal_name="Atelier Moreau SAS")
    AccountFactory(owner=org.rm_a1_peer, legal_name="Not mine SA")
    _log_in(page, live_server, org.rm_a1.email, password)

    page.goto(f"{live_server.url}/kpis/activities/")
    expect(page.get_by_test_id("empty-state")).to_contain_text("No activity logged yet.")
    page.get_by_test_id("quick-log").click()
    expect(page.get_by_role("heading", name="Log an activity")).to_be_visible()
    account_select = page.get_by_label("Account")
    expect(account_select.locator("option")).to_have_text(
        ["---------", "Atelier Moreau SAS", "Fromagerie Besnier SARL"]
    )
    # Conversation is chosen already; picking the account loads its contacts (htmx).
    account_select.select_option(label="Fromagerie Besnier SARL")
    contact_select = page.get_by_label("Contact")
    expect(contact_select.locator("option", has_text="Hélène Besnier")).to_have_count(1)
    contact_select.select_option(label="Hélène Besnier")
    page.get_by_label("Outcome").fill("Appointment set for Tuesday")
    shot("quick-log-conversation")
    page.get_by_role("button", name="Save and log another").click()

    expect(page.get_by_role("alert")).to_contain_text("Conversation logged.")
    expect(page.get_by_label("Account")).to_have_value(str(account.pk))  # same account, ready for the next
    page.get_by_test_id("kind-buttons").get_by_text("Appointment").click()
    page.get_by_label("First appointment").check()
    page.get_by_label("Outcome").fill("Met the CFO")
    shot("quick-log-appointment")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/kpis/activities/")
    expect(page.get_by_role("alert")).to_contain_text("First appointment logged.")
    table = page.get_by_test_id("activity-table")
    expect(table.get_by_role("row")).to_have_count(3)  # header + the two activities
    appointment = table.get_by_role("row").filter(has_text="Met the CFO")
    expect(appointment).to_contain_text("Appointment")
    expect(appointment.get_by_test_id("first-badge")).to_be_visible()
    conversation = table.get_by_role("row").filter(has_text="Appointment set for Tuesday")
    expect(conversation).to_contain_text("Conversation")
    expect(conversation).to_contain_text("Hélène Besnier")
    expect(table).not_to_contain_text("Not mine SA")
    shot("quick-log-list")
