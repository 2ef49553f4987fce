"""Each role logs in through the browser and lands on its own home page; a wrong password is explained."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize(
    ("who", "heading", "section"),
    [
        ("rm_a1", "Your place", "home-teams"),
        ("leader_a1", "Your teams", "home-teams"),
        ("director_a", "Your region", "home-regions"),
        ("admin", "The organisation", "home-admin"),
    ],
)
def test_each_role_logs_in_and_lands_on_its_home(
    page, live_server, org, password, shot, who, heading, section
):
    user = getattr(org, who)
    _log_in(page, live_server, user.email, password)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("home-role")).to_have_text(str(user.role_label))
    expect(page.get_by_test_id(section)).to_be_visible()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    # Bootstrap's CSS is served from our static files: the navbar is coloured, not unstyled.
    navbar_bg = page.locator("nav.navbar").evaluate("el => getComputedStyle(el).backgroundColor")
    assert navbar_bg not in ("rgba(0, 0, 0, 0)", "transparent")
    shot(f"home-{who}")


def test_wrong_password_gets_a_clear_message(page, live_server, org, shot):
    _log_in(page, live_server, org.rm_a1.email, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("That e-mail address and password do not match")
    expect(page.get_by_label("E-mail address")).to_have_value(org.rm_a1.email)
    shot("login-wrong-password")


def test_language_switch_turns_the_page_french(page, live_server, org, password, shot):
    _log_in(page, live_server, org.leader_a1.email, password)
    page.get_by_test_id("language-switcher").get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Vos équipes")).to_be_visible()
    shot("home-leader-fr")
