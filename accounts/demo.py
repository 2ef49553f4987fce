"""The demo organisation: 3 regions, 6 teams, 35 RMs, their leaders and directors, and an admin.

Every demo person logs in with DEMO_PASSWORD. Seeding is idempotent: people, regions and teams are
looked up by their natural keys and left as they are when they exist.
"""

import unicodedata
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import Region, Team, User

DEMO_PASSWORD = "salesplan-demo"  # noqa: S105 - the published demo password, shown in README.md
DEMO_DOMAIN = "bank.example"

# region -> (director, [(team, leader, number of RMs)])
ORGANISATION = [
    (
        "Île-de-France",
        "Hélène Garnier",
        [("Paris Centre", "Marc Lefèvre", 6), ("Paris Ouest", "Marc Lefèvre", 6)],
    ),
    (
        "Auvergne-Rhône-Alpes",
        "Olivier Chevalier",
        [("Lyon Entreprises", "Sophie Mercier", 6), ("Grenoble Alpes", "Julien Fontaine", 6)],
    ),
    (
        "Provence-Alpes-Côte d'Azur",
        "Nathalie Rousseau",
        [("Marseille Entreprises", "Karim Benali", 6), ("Nice Côte d'Azur", "Claire Dubois", 5)],
    ),
]

RM_NAMES = [
    "Camille Martin",
    "Thomas Bernard",
    "Léa Petit",
    "Nicolas Robert",
    "Manon Richard",
    "Antoine Durand",
    "Chloé Moreau",
    "Julie Laurent",
    "Alexandre Simon",
    "Emma Michel",
    "Hugo Leroy",
    "Sarah Roux",
    "Lucas David",
    "Inès Bertrand",
    "Maxime Morel",
    "Pauline Girard",
    "Romain André",
    "Laura Lambert",
    "Mathieu Bonnet",
    "Élodie François",
    "Guillaume Martinez",
    "Anaïs Legrand",
    "Kevin Gauthier",
    "Marion Garcia",
    "Benjamin Perrin",
    "Clara Robin",
    "Yasmine Haddad",
    "Florian Clément",
    "Audrey Morin",
    "Vincent Nicolas",
    "Charlotte Henry",
    "Samuel Roussel",
    "Mélanie Mathieu",
    "Damien Faure",
    "Lucie Blanc",
]

ADMIN_NAME = "Admin SalesPlan"


def email_for(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name.lower().replace(" ", ".").replace("'", "") + "@" + DEMO_DOMAIN


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    name: str


def seed(*, stdout=None) -> list[DemoLogin]:
    """Create the demo organisation where it is missing; return one login per role to show."""
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: 45 people, one hashing cost
    names = iter(RM_NAMES)
    created = 0

    def person(name: str, email: str = "", **extra) -> User:
        nonlocal created
        user, was_created = User.objects.get_or_create(
            email=email or email_for(name),
            defaults={"display_name": name, "password": password_hash, "language": "fr", **extra},
        )
        created += was_created
        return user

    with transaction.atomic():
        admin = person(
            ADMIN_NAME, email=f"admin@{DEMO_DOMAIN}", is_staff=True, is_superuser=True, language="en"
        )
        first = {}
        for region_name, director_name, teams in ORGANISATION:
            director = person(director_name)
            region, _ = Region.objects.get_or_create(name=region_name, defaults={"director": director})
            first.setdefault("director", director)
            for team_name, leader_name, rm_count in teams:
                leader = person(leader_name)
                first.setdefault("leader", leader)
                team, _ = Team.objects.get_or_create(
                    region=region, name=team_name, defaults={"leader": leader}
                )
                for _i in range(rm_count):
                    rm = person(next(names), team=team)
                    first.setdefault("rm", rm)
    if stdout is not None:
        stdout.write(f"accounts: {created} people created ({User.objects.count()} in all).")
    return [
        DemoLogin("admin", admin.email, admin.display_name),
        DemoLogin("director", first["director"].email, first["director"].display_name),
        DemoLogin("leader", first["leader"].email, first["leader"].display_name),
        DemoLogin("rm", first["rm"].email, first["rm"].display_name),
    ]
