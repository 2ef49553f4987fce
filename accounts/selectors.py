"""Reads of the organisation, and the one visibility rule every app filters through.

The rule follows the reporting line, like a CRM role hierarchy: a person sees their own records and
those of everyone below them.

| role     | sees and may change                                                     |
| -------- | ----------------------------------------------------------------------- |
| RM       | themselves                                                              |
| leader   | themselves and the members of every team they lead                      |
| director | themselves and everyone in their region(s): team members and leaders    |
| admin    | everyone                                                                |
| no place | themselves                                                              |

Seeing and changing coincide today: nobody sees anyone above or beside them, so there is nobody they
could see but not change. Both entry points exist so that later apps state which one they mean.
"""

from dataclasses import dataclass

from django.db.models import Count, Model, Prefetch, Q, QuerySet

from .models import Region, Role, Team, User


def users_visible_to(*, viewer: User) -> QuerySet[User]:
    """Everyone whose records the viewer may see: themselves and everyone below them."""
    users = User.objects.all()
    role = viewer.role
    if role == Role.ADMIN:
        return users
    if role == Role.DIRECTOR:
        return users.filter(
            Q(pk=viewer.pk)
            | Q(team__region__director=viewer)
            | Q(pk__in=Team.objects.filter(region__director=viewer).values("leader"))
        )
    if role == Role.LEADER:
        return users.filter(Q(pk=viewer.pk) | Q(team__leader=viewer))
    return users.filter(pk=viewer.pk)


def users_changeable_by(*, viewer: User) -> QuerySet[User]:
    """Everyone whose records the viewer may change: the same people as they may see (see module doc)."""
    return users_visible_to(viewer=viewer)


def user_can_see(*, viewer: User, target: User) -> bool:
    """Whether the viewer may see the target's records."""
    if viewer.pk == target.pk or viewer.role == Role.ADMIN:
        return True
    return users_visible_to(viewer=viewer).filter(pk=target.pk).exists()


def user_can_change(*, viewer: User, target: User) -> bool:
    """Whether the viewer may change the target's records."""
    if viewer.pk == target.pk or viewer.role == Role.ADMIN:
        return True
    return users_changeable_by(viewer=viewer).filter(pk=target.pk).exists()


def owned_by_visible(*, viewer: User, queryset: QuerySet, owner_field: str = "owner") -> QuerySet:
    """Filter a queryset of owned records (plans, accounts, activities...) down to what the viewer may see."""
    if viewer.role == Role.ADMIN:
        return queryset
    return queryset.filter(**{f"{owner_field}__in": users_visible_to(viewer=viewer).values("pk")})


def owned_by_changeable(*, viewer: User, queryset: QuerySet, owner_field: str = "owner") -> QuerySet:
    """Filter any queryset of owned records down to what the viewer may change."""
    if viewer.role == Role.ADMIN:
        return queryset
    return queryset.filter(**{f"{owner_field}__in": users_changeable_by(viewer=viewer).values("pk")})


def teams_visible_to(*, viewer: User) -> QuerySet[Team]:
    """Teams the viewer may see: all (admin), their region's (director), the ones they lead, or their own."""
    teams = Team.objects.select_related("region", "leader")
    role = viewer.role
    if role == Role.ADMIN:
        return teams
    if role == Role.DIRECTOR:
        return teams.filter(region__director=viewer)
    if role == Role.LEADER:
        return teams.filter(leader=viewer)
    if role == Role.RM:
        return teams.filter(pk=viewer.team_id)
    return teams.none()


def regions_visible_to(*, viewer: User) -> QuerySet[Region]:
    """Regions the viewer may see in full: all (admin) or the ones they direct."""
    role = viewer.role
    if role == Role.ADMIN:
        return Region.objects.all()
    if role == Role.DIRECTOR:
        return Region.objects.filter(director=viewer)
    return Region.objects.none()


def object_visible(*, viewer: User, obj: Model, owner_field: str = "owner") -> bool:
    """Whether one owned record is visible to the viewer (for detail views and object permissions)."""
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return owned_by_visible(viewer=viewer, queryset=qs, owner_field=owner_field).exists()


# --- Pages ----------------------------------------------------------------------------------------


def people_list(*, viewer: User) -> QuerySet[User]:
    """The people directory: visible users with team, region and role resolved in the same query."""
    return users_visible_to(viewer=viewer).with_roles().select_related("team__region", "team__leader")


def teams_with_members(*, viewer: User) -> QuerySet[Team]:
    """Visible teams with their visible members prefetched, and all active members counted (two queries)."""
    members = users_visible_to(viewer=viewer).filter(is_active=True).order_by("display_name")
    return (
        teams_visible_to(viewer=viewer)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .prefetch_related(Prefetch("members", queryset=members, to_attr="active_members"))
    )


@dataclass(frozen=True)
class RegionSummary:
    region: Region
    teams: list[Team]

    @property
    def headcount(self) -> int:
        return sum(team.member_count for team in self.teams)


def regions_summary(*, viewer: User) -> list[RegionSummary]:
    """Visible regions, each with its teams, leaders and headcounts (a fixed number of queries)."""
    teams = (
        teams_visible_to(viewer=viewer)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )
    regions = (
        regions_visible_to(viewer=viewer)
        .select_related("director")
        .prefetch_related(Prefetch("teams", queryset=teams, to_attr="visible_teams"))
    )
    return [RegionSummary(region=r, teams=r.visible_teams) for r in regions]


@dataclass(frozen=True)
class OrganisationCounts:
    regions: int
    teams: int
    users: int
    rms: int
    without_place: int


def organisation_counts() -> OrganisationCounts:
    """Headline counts of the whole organisation, for the admin's home page."""
    users = User.objects.filter(is_active=True)
    return OrganisationCounts(
        regions=Region.objects.count(),
        teams=Team.objects.count(),
        users=users.count(),
        rms=users.with_role(Role.RM).count(),
        without_place=users.with_role(None).count(),
    )


def users_without_place() -> QuerySet[User]:
    """Active users who are neither admin, director, leader nor team member: someone must place them."""
    return User.objects.filter(is_active=True).with_role(None).order_by("display_name")
