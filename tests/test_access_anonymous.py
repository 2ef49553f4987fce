"""Anonymous visitors reach only the login and password-reset pages; routes walked from the URL config."""

from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse

from tests.urlwalk import walk

PUBLIC = {
    "accounts:login",
    "accounts:password-reset",
    "accounts:password-reset-done",
    "accounts:password-reset-confirm",
    "accounts:password-reset-complete",
    "accounts:language-switch",  # POST only; changes nothing but the visitor's language cookie
    "admin:login",
    "admin:logout",
    "admin:password_reset",
    "admin:view_on_site",
    "admin:jsi18n",
    "coaching:calendar-feed-ics",  # a calendar app's subscription: the secret token is the key (404 otherwise)
}
ROUTES = [r for r in walk() if r.name not in PUBLIC]


def test_the_walk_finds_the_pages():
    names = {r.name for r in ROUTES}
    assert {"home", "accounts:profile", "accounts:person-list", "admin:index"} <= names
    assert len(ROUTES) > 20


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_anonymous_request_is_sent_to_login(client, route):
    response = client.get(route.path)
    assert response.status_code == 302, f"{route.name} ({route.path}) answered {response.status_code}"
    target = urlparse(response["Location"]).path
    logins = {reverse(settings.LOGIN_URL)}
    if route.name.startswith("admin:"):
        logins.add(reverse("admin:login"))  # the admin index sends to its own login form
    assert target in logins, f"{route.name} redirected to {target}"
