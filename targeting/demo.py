"""Demo targeting data: industries, segments, contact-level rules, team scoring rules, about 60 accounts per
RM with contacts and designations, and each RM's named-account list for the current year.

Idempotent: everything is looked up by its natural key, and an RM who already owns accounts gets none added.
Random choices are seeded per RM, so the same demo comes out on every machine.
"""

import random
import unicodedata
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Region, Role, Team, User

from . import services
from .models import (
    Account,
    AccountStatus,
    Contact,
    ContactLevel,
    ContactLevelRule,
    CriterionKind,
    Industry,
    NamedAccountEntry,
    NamedAccountList,
    PlayingField,
    PriorityCriterion,
    Segment,
    TeamTargeting,
)

ACCOUNTS_PER_RM = 60

INDUSTRIES = [
    "Agri-food", "Construction", "Manufacturing", "Wholesale trade", "Retail", "Transport and logistics",
    "Hospitality", "Health care", "Professional services", "Technology", "Real estate", "Energy",
]  # fmt: skip

TOWNS = {
    "Île-de-France": [
        "Paris",
        "Boulogne-Billancourt",
        "Nanterre",
        "Saint-Denis",
        "Versailles",
        "Créteil",
        "Massy",
    ],
    "Auvergne-Rhône-Alpes": [
        "Lyon",
        "Villeurbanne",
        "Grenoble",
        "Saint-Étienne",
        "Annecy",
        "Clermont-Ferrand",
    ],
    "Provence-Alpes-Côte d'Azur": ["Marseille", "Nice", "Toulon", "Aix-en-Provence", "Avignon", "Cannes"],
}

FAMILY = [
    "Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia",
    "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Blanc",
    "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis",
    "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud",
]  # fmt: skip
FIRST = [
    "Jean", "Marie", "Pierre", "Isabelle", "Philippe", "Catherine", "Alain", "Sylvie", "Patrick", "Nathalie",
    "Christophe", "Valérie", "Stéphane", "Sandrine", "Laurent", "Céline", "Frédéric", "Véronique", "Éric", "Sophie",
]  # fmt: skip
TRADES = {
    "Agri-food": ["Conserveries", "Fromageries", "Minoterie", "Salaisons", "Vergers"],
    "Construction": ["Bâtiment", "Charpentes", "Travaux Publics", "Menuiseries", "Rénovation"],
    "Manufacturing": ["Mécanique", "Plasturgie", "Usinage", "Fonderie", "Emballages"],
    "Wholesale trade": ["Distribution", "Négoce", "Import-Export", "Fournitures", "Grossiste"],
    "Retail": ["Boutiques", "Maison", "Optique", "Jardineries", "Librairies"],
    "Transport and logistics": ["Transports", "Logistique", "Messageries", "Fret", "Déménagements"],
    "Hospitality": ["Hôtels", "Restauration", "Brasseries", "Traiteur", "Résidences"],
    "Health care": ["Clinique", "Laboratoires", "Pharmacie", "Cabinet Médical", "Ehpad"],
    "Professional services": ["Conseil", "Expertise Comptable", "Ingénierie", "Architectes", "Avocats"],
    "Technology": ["Informatique", "Logiciels", "Systèmes", "Numérique", "Électronique"],
    "Real estate": ["Immobilier", "Foncière", "Gestion Locative", "Promotion", "Patrimoine"],
    "Energy": ["Énergies", "Solaire", "Chauffage", "Thermique", "Réseaux"],
}
FORMS = ["SAS", "SARL", "SA", "& Fils", "Groupe", "et Associés"]
TITLES = {
    ContactLevel.OWNER: ["Président-directeur général", "Gérant", "Directeur général", "Fondatrice"],
    ContactLevel.SENIOR_EXECUTIVE: ["Directeur financier", "Directrice administrative et financière", "DRH"],
    ContactLevel.MANAGER: ["Responsable comptable", "Trésorier", "Contrôleur de gestion"],
    ContactLevel.STAFF: ["Assistante de direction", "Comptable", "Chargé de paie"],
}
RESEARCH = [
    "Family-owned; grows through regional contracts with public buyers; seasonal cash needs in spring.",
    "Exports a third of its output; worried about currency swings and late payments from distributors.",
    "Expanding to a second site next year; will need equipment financing and a larger overdraft.",
    "Margins squeezed by energy costs; the founder is preparing the handover to her son.",
    "Wins on service quality; large receivables with retail chains, interested in factoring.",
]

SEGMENTS = [
    # (scope: "region" or team index within region, name, industries, revenue band, employee band, proposition)
    ("region", "Mid-market manufacturers", ["Manufacturing", "Construction"], (5_000_000, 100_000_000), (50, 500),
     "Finance the next machine and the order book it brings, without tying up the cash the payroll needs."),
    ("region", "Health practices", ["Health care"], (None, 20_000_000), (None, 200),
     "Predictable monthly cash to pay staff and equipment, with a banker who knows health-care reimbursements."),
    (0, "Growing distributors", ["Wholesale trade", "Transport and logistics"], (2_000_000, 50_000_000), (10, 300),
     "Get paid by your customers faster than you pay your suppliers, with receivables finance sized to your season."),
    (1, "Family retailers and hospitality", ["Retail", "Hospitality"], (None, 15_000_000), (None, 150),
     "One account for shop takings, card payments and the seasonal stock loan: less paperwork, more time in store."),
]  # fmt: skip

LEVEL_RULES = [
    (None, 0, 249, ContactLevel.OWNER),
    (None, 250, 999, ContactLevel.SENIOR_EXECUTIVE),
    (None, 1000, None, ContactLevel.SENIOR_EXECUTIVE),
    ("Health care", 0, 99, ContactLevel.OWNER),
    ("Manufacturing", 250, None, ContactLevel.SENIOR_EXECUTIVE),
    ("Retail", 1000, None, ContactLevel.MANAGER),
]

CRITERIA = [
    (CriterionKind.HIGH_VALUE, None, 30),
    (CriterionKind.REVENUE_AT_LEAST, Decimal("20000000"), 25),
    (CriterionKind.MATCHES_SEGMENT, None, 20),
    (CriterionKind.PRODUCTS_AT_LEAST, Decimal("3"), 15),
    (CriterionKind.MUST_EXPAND, None, 10),
]


def _seed_reference_data() -> dict[str, Industry]:
    industries = {name: Industry.objects.get_or_create(name=name)[0] for name in INDUSTRIES}
    for industry_name, low, high, level in LEVEL_RULES:
        ContactLevelRule.objects.get_or_create(
            industry=industries[industry_name] if industry_name else None,
            employees_min=low,
            defaults={"employees_max": high, "level": level},
        )
    return industries


def _seed_segments(industries: dict[str, Industry]) -> None:
    for region in Region.objects.prefetch_related("teams"):
        teams = sorted(region.teams.all(), key=lambda t: t.name)
        for scope, name, industry_names, (rev_lo, rev_hi), (emp_lo, emp_hi), proposition in SEGMENTS:
            team = None if scope == "region" else (teams[scope] if scope < len(teams) else None)
            if scope != "region" and team is None:
                continue
            segment, created = Segment.objects.get_or_create(
                name=name,
                team=team,
                region=region if team is None else None,
                defaults={
                    "value_proposition": proposition,
                    "revenue_min": rev_lo,
                    "revenue_max": rev_hi,
                    "employees_min": emp_lo,
                    "employees_max": emp_hi,
                    "created_by": region.director,
                },
            )
            if created:
                segment.industries.set([industries[n] for n in industry_names])


def _seed_team_rules(team: Team) -> None:
    TeamTargeting.objects.get_or_create(team=team)
    if PriorityCriterion.objects.filter(team=team).exists():
        return
    PriorityCriterion.objects.bulk_create(
        PriorityCriterion(team=team, kind=kind, threshold=threshold, points=points)
        for kind, threshold, points in CRITERIA
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _company_name(rng: random.Random, industry: str, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(TRADES[industry])} {rng.choice(FAMILY)} {rng.choice(FORMS)}"
        if name.lower() not in used:
            used.add(name.lower())
            return name


def _accounts_for(
    rm: User, industries: dict[str, Industry], used: set[str]
) -> tuple[list[Account], list[Contact]]:
    rng = random.Random(f"salesplan-demo-{rm.email}")  # noqa: S311 - demo data, not security
    towns = TOWNS.get(rm.team.region.name, ["Paris"])
    accounts, contacts = [], []
    for i in range(ACCOUNTS_PER_RM):
        industry = rng.choice(INDUSTRIES)
        employees = int(rng.lognormvariate(4.2, 1.1)) + 3
        revenue = Decimal(int(employees * rng.uniform(90_000, 260_000))).quantize(Decimal("1000"))
        status = (
            AccountStatus.ACTIVE if i < 35 else AccountStatus.FORMER if i < 40 else AccountStatus.PROSPECT
        )
        active = status == AccountStatus.ACTIVE
        high_value = active and i < 8
        researched = status == AccountStatus.PROSPECT and rng.random() < 0.45
        account = Account(
            legal_name=_company_name(rng, industry, used),
            industry=industries[industry]
            if status != AccountStatus.PROSPECT or rng.random() < 0.85
            else None,
            annual_revenue=revenue,
            employees=employees,
            location=rng.choice(towns),
            research_notes=rng.choice(RESEARCH) if active or researched else "",
            owner=rm,
            status=status,
            products_held=rng.randint(1, 6) if active else 0,
            is_high_value=high_value,
            must_keep=high_value and i < 5,
            must_expand=active and 5 <= i < 9,
            playing_field=(
                (PlayingField.TOP_DOWN if researched or rng.random() < 0.3 else PlayingField.BOTTOM_UP)
                if status == AccountStatus.PROSPECT
                else ""
            ),
            target_level=(ContactLevel.OWNER if employees < 250 else ContactLevel.SENIOR_EXECUTIVE)
            if (active or researched)
            else None,
        )
        if active:  # a few became clients during the demo's two years, most long before
            since = (
                date(2025, 1, 1) + timedelta(days=rng.randint(0, 680))
                if i >= 30
                else date(rng.randint(2006, 2023), rng.randint(1, 12), 1)
            )
            account.client_since = since
        elif status == AccountStatus.FORMER:  # former clients left during the demo's two years
            account.client_since = date(rng.randint(2008, 2020), rng.randint(1, 12), 1)
            account.client_until = date(2025, 1, 1) + timedelta(days=rng.randint(0, 660))
        accounts.append(account)
        levels = [account.target_level or ContactLevel.OWNER] if (active or researched) else []
        levels += [rng.choice(list(ContactLevel)) for _ in range(rng.randint(0, 2))]
        for n, level in enumerate(levels):
            first, last = rng.choice(FIRST), rng.choice(FAMILY)
            contacts.append(
                Contact(
                    account=account,
                    name=f"{first} {last}",
                    title=rng.choice(TITLES[level]),
                    level=level,
                    budget_authority=level <= ContactLevel.SENIOR_EXECUTIVE,
                    email=_ascii(f"{first[0]}.{last}@example.fr").lower(),
                    phone=f"+33 {rng.randint(1, 5)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    is_primary=n == 0,
                )
            )
    return accounts, contacts


def seed(*, stdout=None) -> None:
    """Create the demo targeting data where it is missing."""
    year = timezone.localdate().year
    created_accounts = 0
    with transaction.atomic():
        industries = _seed_reference_data()
        _seed_segments(industries)
        used = {name.lower() for name in Account.objects.values_list("legal_name", flat=True)}
        for team in Team.objects.select_related("region").order_by("pk"):
            _seed_team_rules(team)
            rms = (
                User.objects.with_role(Role.RM)
                .filter(team=team)
                .exclude(accounts__isnull=False)
                .select_related("team__region")
                .order_by("email")
            )
            new_accounts, new_contacts = [], []
            for rm in rms:
                accounts, contacts = _accounts_for(rm, industries, used)
                new_accounts += accounts
                new_contacts += contacts
            if new_accounts:
                bulk_create_with_history(new_accounts, Account, default_change_reason="Demo data")
                saved = {a.legal_name: a for a in Account.objects.filter(owner__team=team)}
                for contact in new_contacts:
                    contact.account = saved[contact.account.legal_name]
                Contact.objects.bulk_create(new_contacts)
                created_accounts += len(new_accounts)
            services.tiers_recompute_team(team=team)
            for rm in User.objects.with_role(Role.RM).filter(team=team):
                named_list, created = NamedAccountList.objects.get_or_create(owner=rm, year=year)
                if created:
                    best = Account.objects.filter(owner=rm, status=AccountStatus.ACTIVE).order_by(
                        "-tier_score", "legal_name"
                    )[:18]
                    NamedAccountEntry.objects.bulk_create(
                        NamedAccountEntry(named_list=named_list, account=a) for a in best
                    )
    if stdout is not None:
        stdout.write(f"targeting: {created_accounts} accounts created ({Account.objects.count()} in all).")
