"""The floor page: the base layout alone, the load test's baseline (bench/load.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["rm_client", "leader_client", "director_client"])
def test_floor_renders_the_layout_with_only_the_session_and_user_queries(
    request, who, django_assert_num_queries
):
    client = request.getfixturevalue(who)
    with django_assert_num_queries(2):  # the session, then the user
        response = client.get(reverse("floor"))
    assert response.status_code == 200
    assert 'id="main"' in response.content.decode()


def test_floor_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("floor"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
