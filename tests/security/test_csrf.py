"""Every state-changing request needs a CSRF token: a POST without one answers 403 on every route.

Routes come from the URL configuration (tests/urlwalk.py), so a new page is covered without editing this file.
The login and password-reset forms are protected too (login CSRF). No view is csrf_exempt; the calendar
subscription (.ics) is a GET read with a secret token in the URL and changes nothing.
"""

import pytest
from django.test import Client
from django.urls import resolve

from tests.urlwalk import walk

ROUTES = walk()
CSRF_EXEMPT_ALLOWED: dict[str, str] = {}  # route name -> why it may take a POST without a token (none today)


def test_the_walk_includes_the_public_forms():
    names = {r.name for r in ROUTES}
    assert {"accounts:login", "accounts:password-reset", "accounts:password-reset-confirm"} <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_no_view_is_csrf_exempt(route):
    func = resolve(route.path).func
    if getattr(func, "csrf_exempt", False):
        assert route.name in CSRF_EXEMPT_ALLOWED, f"{route.name} is csrf_exempt: remove it or justify it here"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_a_post_without_a_csrf_token_is_refused(org, route):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.admin)
    response = client.post(route.path, {"name": "changed"})
    assert response.status_code == 403, f"{route.name} ({route.path}) answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["accounts:login", "accounts:password-reset"])
def test_anonymous_public_forms_refuse_a_post_without_a_token(name):
    route = next(r for r in ROUTES if r.name == name)
    response = Client(enforce_csrf_checks=True).post(
        route.path, {"username": "a@b.example", "email": "a@b.ex"}
    )
    assert response.status_code == 403, f"{name} answered {response.status_code}"
