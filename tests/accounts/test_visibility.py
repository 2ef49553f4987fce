"""The visibility rule: every role against own, same-team, other-team, same-region and other-region users."""

import pytest

from accounts import selectors

pytestmark = pytest.mark.django_db

# viewer -> target -> may see (and change)
MATRIX = {
    "rm_a1": {
        "rm_a1": True, "rm_a1_peer": False, "rm_a2": False, "rm_b1": False,
        "leader_a1": False, "leader_a2": False, "director_a": False, "leader_b1": False, "admin": False,
    },
    "leader_a1": {
        "leader_a1": True, "rm_a1": True, "rm_a1_peer": True, "rm_a2": False, "rm_b1": False,
        "leader_a2": False, "director_a": False, "leader_b1": False, "admin": False,
    },
    "director_a": {
        "director_a": True, "rm_a1": True, "rm_a1_peer": True, "rm_a2": True, "leader_a1": True,
        "leader_a2": True, "rm_b1": False, "leader_b1": False, "director_b": False, "admin": False,
    },
    "admin": {
        "admin": True, "rm_a1": True, "rm_a2": True, "rm_b1": True, "leader_a1": True, "leader_b1": True,
        "director_a": True, "director_b": True,
    },
}  # fmt: skip

CASES = [(viewer, target, expected) for viewer, row in MATRIX.items() for target, expected in row.items()]


@pytest.mark.parametrize(("viewer", "target", "expected"), CASES)
def test_visibility_follows_the_reporting_line(org, viewer, target, expected):
    viewer_user, target_user = getattr(org, viewer), getattr(org, target)
    visible = selectors.users_visible_to(viewer=viewer_user)
    changeable = selectors.users_changeable_by(viewer=viewer_user)
    assert visible.filter(pk=target_user.pk).exists() is expected
    assert changeable.filter(pk=target_user.pk).exists() is expected
    assert selectors.user_can_see(viewer=viewer_user, target=target_user) is expected
    assert selectors.user_can_change(viewer=viewer_user, target=target_user) is expected


def test_director_sees_exactly_their_region(org):
    visible = set(selectors.users_visible_to(viewer=org.director_a))
    assert visible == {
        org.director_a, org.leader_a1, org.leader_a2, org.rm_a1, org.rm_a1_peer, org.rm_a2,
    }  # fmt: skip


def test_person_without_a_place_sees_only_themselves(org):
    from tests.factories.accounts import UserFactory

    loner = UserFactory()
    assert list(selectors.users_visible_to(viewer=loner)) == [loner]
    assert not selectors.teams_visible_to(viewer=loner).exists()


@pytest.mark.parametrize(
    ("viewer", "teams"),
    [
        ("rm_a1", {"team_a1"}),
        ("leader_a1", {"team_a1"}),
        ("director_a", {"team_a1", "team_a2"}),
        ("admin", {"team_a1", "team_a2", "team_b1"}),
    ],
)
def test_teams_visible_by_role(org, viewer, teams):
    visible = set(selectors.teams_visible_to(viewer=getattr(org, viewer)))
    assert visible == {getattr(org, name) for name in teams}


def test_owned_records_filter_through_the_same_rule(org):
    """Later apps filter owned records through `owned_by_visible`; here users stand in as their own owners."""
    from accounts.models import User

    team_members = User.objects.filter(team__isnull=False)
    seen_by_leader = selectors.owned_by_visible(viewer=org.leader_a1, queryset=team_members, owner_field="pk")
    assert set(seen_by_leader) == {org.rm_a1, org.rm_a1_peer}
    seen_by_rm = selectors.owned_by_visible(viewer=org.rm_a1, queryset=team_members, owner_field="pk")
    assert set(seen_by_rm) == {org.rm_a1}
    assert selectors.object_visible(viewer=org.director_a, obj=org.rm_a2, owner_field="pk")
    assert not selectors.object_visible(viewer=org.director_a, obj=org.rm_b1, owner_field="pk")
