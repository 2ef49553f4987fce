"""Repeated failed logins lock the e-mail (5) or the IP (20) for 15 minutes, without checking the password.

The cache is emptied around every test (tests/conftest.py).
"""

import time
from unittest import mock

import pytest
from django.urls import reverse

from accounts import throttle
from tests.factories.accounts import PASSWORD, RMFactory

LOCKED = "Too many failed attempts. Try again in 15 minutes or reset your password."


def _login(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def _fail(client, email, times, ip="10.0.0.1"):
    for _ in range(times):
        response = _login(client, email, "wrong-password", ip=ip)
        assert response.status_code == 200 and LOCKED not in response.content.decode()


@pytest.mark.django_db
def test_five_failures_for_an_email_lock_it_even_with_the_right_password(client):
    user = RMFactory(email="camille@bank.example")
    _fail(client, user.email, 5)
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 200, "a locked login answers the login page, not a redirect"
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_email_counter_ignores_case_and_spaces(client):
    user = RMFactory(email="camille@bank.example")
    _fail(client, "CAMILLE@Bank.Example", 3)
    _fail(client, " camille@bank.example ", 2)
    assert LOCKED in _login(client, user.email, PASSWORD).content.decode()


@pytest.mark.django_db
def test_four_failures_still_let_the_right_password_in(client):
    user = RMFactory()
    _fail(client, user.email, 4)
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_locked_login_does_not_check_the_password(client):
    user = RMFactory()
    _fail(client, user.email, 5)
    with mock.patch("accounts.backends.EmailBackend.authenticate") as authenticate:
        _login(client, user.email, PASSWORD)
    authenticate.assert_not_called()


@pytest.mark.django_db
def test_a_successful_login_resets_the_email_counter(client):
    user = RMFactory()
    _fail(client, user.email, 4)
    assert _login(client, user.email, PASSWORD).status_code == 302
    client.logout()
    _fail(client, user.email, 4)  # would lock at the fifth if the first four still counted
    assert _login(client, user.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lock_is_per_email(client):
    locked, other = RMFactory(), RMFactory()
    _fail(client, locked.email, 5, ip="10.0.0.1")
    assert _login(client, other.email, PASSWORD, ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_twenty_failures_from_one_ip_lock_that_ip_for_every_email(client):
    user = RMFactory()
    for n in range(20):
        _fail(client, f"nobody{n}@bank.example", 1, ip="10.9.9.9")
    assert LOCKED in _login(client, user.email, PASSWORD, ip="10.9.9.9").content.decode()
    assert _login(client, user.email, PASSWORD, ip="10.9.9.10").status_code == 302, "other IPs unaffected"


@pytest.mark.django_db
def test_the_lock_ends_after_fifteen_minutes(client):
    user = RMFactory()
    _fail(client, user.email, 5)
    later = time.time() + 15 * 60 + 1
    with mock.patch("django.core.cache.backends.locmem.time.time", return_value=later):
        assert _login(client, user.email, PASSWORD).status_code == 302


def test_the_limits_are_the_documented_ones(settings):
    assert (settings.LOGIN_FAILURES_PER_EMAIL, settings.LOGIN_FAILURES_PER_IP) == (5, 20)
    assert settings.LOGIN_FAILURE_WINDOW == 15 * 60


def test_cache_keys_hold_no_email_address():
    key = throttle._key("email", "camille@bank.example")
    assert "camille" not in key
