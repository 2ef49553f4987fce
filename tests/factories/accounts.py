"""Factories for the organisation: regions, teams and users in each role."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Region, Team, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@bank.example")
    display_name = factory.Faker("name")
    language = "en"
    time_zone = "Europe/Paris"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"Region {n}")
    director = factory.SubFactory(UserFactory)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    region = factory.SubFactory(RegionFactory)
    leader = factory.SubFactory(UserFactory)


class RMFactory(UserFactory):
    """A relationship manager: a member of a team."""

    team = factory.SubFactory(TeamFactory)
