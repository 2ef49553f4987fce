import pytest
from django.urls import reverse

from tests.factories.accounts import RMFactory

pytestmark = pytest.mark.django_db


# --- Login -----------------------------------------------------------------------------------------


def test_login_by_email_whatever_its_case(client, rm, password):
    response = client.post(reverse("accounts:login"), {"username": rm.email.upper(), "password": password})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_gets_a_clear_message(client, rm):
    response = client.post(reverse("accounts:login"), {"username": rm.email, "password": "nope"})
    assert response.status_code == 200
    assert "That e-mail address and password do not match" in response.content.decode()


def test_inactive_user_cannot_log_in(client, rm, password):
    rm.is_active = False
    rm.save()
    response = client.post(reverse("accounts:login"), {"username": rm.email, "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_an_email_with_a_working_link(client, rm, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": rm.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.context["validlink"] is True
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-42", "new_password2": "a-new-long-password-42"},
    )
    assert response.status_code == 302
    rm.refresh_from_db()
    assert rm.check_password("a-new-long-password-42")


# --- Profile and language ---------------------------------------------------------------------------


def test_profile_update_saves_language_and_time_zone(rm_client, rm):
    response = rm_client.post(
        reverse("accounts:profile"),
        {"display_name": "Camille M.", "language": "fr", "time_zone": "America/Montreal"},
    )
    assert response.status_code == 302
    rm.refresh_from_db()
    assert (rm.display_name, rm.language, rm.time_zone) == ("Camille M.", "fr", "America/Montreal")


def test_profile_with_unknown_time_zone_is_refused_and_keeps_input(rm_client, rm):
    response = rm_client.post(
        reverse("accounts:profile"),
        {"display_name": "Typed name", "language": "en", "time_zone": "Nowhere/City"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "Typed name" in page
    rm.refresh_from_db()
    assert rm.display_name != "Typed name"


def test_pages_follow_the_users_language(rm_client, rm):
    rm.language = "fr"
    rm.save()
    page = rm_client.get(reverse("home")).content.decode()
    assert '<html lang="fr">' in page
    assert "Accueil" in page


def test_language_switch_is_remembered_on_the_profile(rm_client, rm):
    response = rm_client.post(reverse("accounts:language-switch"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    rm.refresh_from_db()
    assert rm.language == "fr"


def test_anonymous_language_switch_sets_the_cookie(client):
    response = client.post(reverse("accounts:language-switch"), {"language": "fr", "next": "/login/"})
    assert response.cookies["django_language"].value == "fr"
    assert "Se connecter" in client.get(reverse("accounts:login")).content.decode()


# --- People directory, person and team pages ----------------------------------------------------------


def test_people_list_shows_only_visible_people(director_client, org):
    page = director_client.get(reverse("accounts:person-list")).content.decode()
    assert "RM A2" in page and "Leader A2" in page
    assert "RM B1" not in page and "Director B" not in page


def test_people_list_filters_by_role_team_and_search(leader_client, org):
    url = reverse("accounts:person-list")
    names = lambda r: [p.display_name for p in r.context["page_obj"].object_list]  # noqa: E731
    assert names(leader_client.get(url, {"role": "rm"})) == ["RM A1", "RM A1 peer"]
    assert names(leader_client.get(url, {"q": "peer"})) == ["RM A1 peer"]
    assert names(leader_client.get(url, {"team": org.team_a1.pk, "ordering": "-name"})) == [
        "RM A1 peer",
        "RM A1",
    ]


def test_people_list_cannot_filter_by_an_invisible_team(leader_client, org):
    response = leader_client.get(reverse("accounts:person-list"), {"team": org.team_b1.pk})
    assert list(response.context["page_obj"].object_list) == []
    assert "Select a valid choice" in response.content.decode()


def test_people_list_paginates_and_keeps_filters(admin_client, org):
    RMFactory.create_batch(30, team=org.team_b1)
    response = admin_client.get(reverse("accounts:person-list"), {"role": "rm", "page": 2})
    page = response.context["page_obj"]
    assert page.number == 2 and page.paginator.count == 34 and len(page.object_list) == 9
    assert "role=rm&amp;page=1" in response.content.decode()


def test_people_list_query_count_is_bounded(admin_client, org, django_assert_num_queries):
    # session, user, teams for the filter, count, page of people (team, region, leader joined)
    RMFactory.create_batch(3, team=org.team_a1)
    with django_assert_num_queries(5):
        admin_client.get(reverse("accounts:person-list"))
    RMFactory.create_batch(40, team=org.team_b1)
    with django_assert_num_queries(5):
        admin_client.get(reverse("accounts:person-list"))


@pytest.mark.parametrize(
    ("viewer", "target", "status"),
    [
        ("rm_a1", "rm_a1", 200),
        ("rm_a1", "rm_a1_peer", 404),
        ("rm_a1", "leader_a1", 404),
        ("leader_a1", "rm_a1", 200),
        ("leader_a1", "rm_a2", 404),
        ("director_a", "rm_a2", 200),
        ("director_a", "rm_b1", 404),
        ("admin", "rm_b1", 200),
    ],
)
def test_person_page_access(client, org, viewer, target, status):
    client.force_login(getattr(org, viewer))
    assert client.get(getattr(org, target).get_absolute_url()).status_code == status


@pytest.mark.parametrize(
    ("viewer", "team", "status"),
    [
        ("rm_a1", "team_a1", 404),
        ("leader_a1", "team_a1", 200),
        ("leader_a1", "team_a2", 404),
        ("director_a", "team_a2", 200),
        ("director_a", "team_b1", 404),
        ("admin", "team_b1", 200),
    ],
)
def test_team_page_access(client, org, viewer, team, status):
    client.force_login(getattr(org, viewer))
    assert client.get(getattr(org, team).get_absolute_url()).status_code == status
