"""Sessions last 12 hours; an expired session is sent back to the login page."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse


def test_sessions_last_twelve_hours():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.django_db
def test_an_expired_session_is_sent_to_login(rm_client):
    assert rm_client.get(reverse("home")).status_code == 200
    session = rm_client.session
    session.set_expiry(timedelta(seconds=-1))
    session.save()
    response = rm_client.get(reverse("home"))
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse(settings.LOGIN_URL)
