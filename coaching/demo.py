"""Demo plans: every demo RM has a 2026 plan in a realistic state (most approved, some submitted, some
drafts, one with changes requested), with goals, figures, relationship plans and development goals.

Idempotent: an RM who already has a plan for the year is left alone. The plans are written in French,
as the demo RMs would write them.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from kpis import selectors as kpi_selectors
from kpis.models import Metric, Scope
from targeting.models import Account, Segment

from . import calculations
from .models import (
    DevelopmentGoal,
    Plan,
    PlanComment,
    PlanEvent,
    PlannedActivity,
    PlannedMix,
    PlanRevision,
    PlanSection,
    PlanStatus,
    RelationshipAction,
    RelationshipPlan,
    RelationshipResult,
    SectionKey,
)
from .selectors.plans import funnel_ratios, last_twelve_months, plan_content

YEAR = 2026

SECTIONS = {
    SectionKey.GOALS_SELF: [
        "Devenir la référence des dirigeants de PME industrielles de mon secteur ; passer moins de temps en "
        "back-office et plus chez les clients.",
        "Prendre la responsabilité d'un portefeuille de grandes entreprises d'ici deux ans.",
    ],
    SectionKey.GOALS_BUSINESS: [
        "Faire croître les encours de crédit et de dépôts de 10 % et garder 100 % de mes clients à forte valeur.",
        "Gagner six nouveaux clients dans le segment des distributeurs en croissance.",
    ],
    SectionKey.GOALS_PAY: [
        "Atteindre 110 % de ma part variable grâce aux nouveaux clients et à la collecte.",
        "Décrocher la prime d'équipe en tenant le rythme d'activité toute l'année.",
    ],
    SectionKey.GOALS_MARKET: [
        "Être cité par trois experts-comptables de ma zone comme banquier de confiance.",
        "Être présent dans les deux clubs d'entrepreneurs de mon territoire.",
    ],
    SectionKey.STRATEGIES: [
        "Miser sur ma liste de comptes nommés : un rendez-vous dirigeant par trimestre, une proposition chiffrée "
        "(ROI, délai de retour) par besoin identifié. Prospecter en top-down : recherche avant chaque appel.",
        "Travailler avec les experts-comptables pour être présenté aux dirigeants ; préparer chaque premier "
        "rendez-vous avec la fiche de recherche.",
    ],
    SectionKey.MEASURES: [
        "15 conversations par semaine, 3 rendez-vous dont 2 premiers, une proposition par semaine ; "
        "point mensuel avec mon responsable sur l'écart plan / réalisé.",
        "Taux de transformation conversation → rendez-vous au-dessus de 12 % ; délai de vente sous 90 jours.",
    ],
    SectionKey.TERRITORY: [
        "Zone centre et ouest : 60 comptes dont 18 nommés. Priorité aux comptes de rang A et aux prospects "
        "prêts à appeler.",
    ],
    SectionKey.RESOURCES: [
        "Une demi-journée par mois d'un analyste crédit ; accès aux études sectorielles ; un co-rendez-vous "
        "avec mon responsable sur les trois plus gros dossiers.",
    ],
}
SKILLS = [
    ("Parler le langage financier du client : ROI, TRI, délai de retour", "won-revenue"),
    ("Obtenir des rendez-vous au niveau dirigeant", "first-appointments"),
    ("Conclure : demander la décision et traiter les objections", "wins"),
    ("Planifier ma semaine autour des comptes nommés", ""),
]


def _status_for(index: int) -> str:
    """Most plans are approved in late November; some wait for review; a few are still drafts."""
    if index == 0:
        return PlanStatus.CHANGES_REQUESTED
    if index % 7 == 3:
        return PlanStatus.DRAFT
    if index % 5 == 1:
        return PlanStatus.SUBMITTED
    return PlanStatus.APPROVED


def _plan_for(rm: User, index: int, metrics: dict[str, Metric], now, funnel) -> None:
    rng = random.Random(f"salesplan-plan-{rm.email}")  # noqa: S311 - demo data, not security
    status = _status_for(index)
    need = _need(funnel)
    leader = rm.team.leader
    plan = Plan.objects.create(
        owner=rm, year=YEAR, status=status, due_date=date(YEAR, 1, 31),
        goal_new_clients=rng.choice([4, 6, 8]),
        goal_won_revenue=_revenue_goal(funnel),
        submitted_at=None if status == PlanStatus.DRAFT else now - timedelta(days=rng.randint(200, 300)),
        approved_at=now - timedelta(days=rng.randint(150, 199)) if status == PlanStatus.APPROVED else None,
        approved_by=leader if status == PlanStatus.APPROVED else None,
    )  # fmt: skip
    plan.segments.set(
        Segment.objects.filter(team=rm.team)[:1] | Segment.objects.filter(region=rm.team.region)[:1]
    )
    PlanSection.objects.bulk_create(
        PlanSection(plan=plan, key=key, content=rng.choice(SECTIONS[key]) if status != PlanStatus.DRAFT or
                    key.startswith("goals") else "", version=1, updated_by=rm)
        for key in SectionKey.values
    )  # fmt: skip
    # Weekly levels from the RM's own reverse funnel: most plans add a margin; every fourth falls short (a
    # disconnect for the leader to find).
    margin = Decimal("0.7") if index % 4 == 2 else Decimal("1.1")
    levels = {"conversation": 15, "appointment": 3, "first_appointment": 2, "proposal": 1}
    if need is not None:
        levels = {
            kind: (need.per_week(field) * margin).quantize(Decimal("0.5"))
            for kind, field in (("conversation", "conversations"), ("appointment", "appointments"),
                                ("first_appointment", "first_appointments"), ("proposal", "proposals"))
        }  # fmt: skip
    PlannedActivity.objects.bulk_create(
        PlannedActivity(plan=plan, kind=kind, per_week=value) for kind, value in levels.items()
    )
    PlannedMix.objects.bulk_create([
        PlannedMix(plan=plan, category="Loans", share=Decimal(rng.choice(["0.25", "0.40", "0.45"]))),
        PlannedMix(plan=plan, category="Deposits", share=Decimal("0.30")),
        PlannedMix(plan=plan, category="Cash management", share=Decimal("0.25")),
    ])  # fmt: skip
    designated = list(Account.objects.filter(owner=rm).filter(must_keep=True) | Account.objects.filter(
        owner=rm, must_expand=True))  # fmt: skip
    for n, account in enumerate(designated):
        if n == len(designated) - 1 and status != PlanStatus.APPROVED:
            break  # one designated client still without a relationship plan: a disconnect to show
        rel = RelationshipPlan.objects.create(
            plan=plan, account=account, version=1,
            objectives="Renouveler la ligne de crédit et capter les flux de trésorerie du groupe."
            if account.must_keep else "Ouvrir l'affacturage et la gestion de trésorerie.",
            resources="Co-rendez-vous avec l'expert trésorerie ; analyse crédit en mars.",
            expected_results="Encours de crédit +15 % ; dépôts à vue +20 %.",
        )  # fmt: skip
        RelationshipAction.objects.create(
            relationship=rel,
            description="Revue annuelle avec le directeur financier",
            due_date=date(YEAR, rng.randint(2, 11), 15),
            owner=rm,
            done=rng.random() < 0.6,
        )
        RelationshipAction.objects.create(
            relationship=rel,
            description="Présentation de l'offre de cash pooling",
            due_date=date(YEAR, rng.randint(3, 12), 1),
            owner=leader or rm,
        )
        RelationshipResult.objects.create(relationship=rel, metric=metrics["loans"],
                                          expected_value=Decimal(rng.randint(200, 900) * 1000))  # fmt: skip
    for skill, code in rng.sample(SKILLS, 2):
        DevelopmentGoal.objects.create(
            plan=plan, skill=skill, actions="Formation interne au premier trimestre ; jeu de rôle avec mon responsable.",
            result_metric=metrics.get(code) if code else None,
            result_description="" if code or status == PlanStatus.DRAFT else "Deux propositions acceptées de plus par trimestre",
        )  # fmt: skip
    PlanEvent.objects.create(plan=plan, action="created", by=rm)
    if status != PlanStatus.DRAFT:
        PlanEvent.objects.create(plan=plan, action="submitted", by=rm)
    if status == PlanStatus.APPROVED:
        PlanEvent.objects.create(plan=plan, action="approved", by=leader)
        PlanRevision.objects.create(plan=plan, number=1, content=plan_content(plan=plan), created_by=leader)
    if status == PlanStatus.CHANGES_REQUESTED:
        PlanComment.objects.create(
            plan=plan, section=SectionKey.STRATEGIES, author=leader, revision=1,
            body="Ta stratégie ne dit pas comment tu atteins 8 nouveaux clients avec 10 conversations par semaine : "
                 "reprends le calcul à partir de ton taux de transformation.",
        )  # fmt: skip
        PlanEvent.objects.create(plan=plan, action="changes_requested", by=leader)


def _revenue_goal(funnel) -> Decimal:
    """Last twelve months' won revenue plus 10%, rounded to the thousand."""
    won = funnel.won_revenue if funnel else Decimal(0)
    return max(Decimal(100_000), (won * Decimal("1.1")).quantize(Decimal("1000")))


def _need(funnel):
    if funnel is None:
        return None
    ratios = funnel_ratios(funnel)
    if not ratios.complete:
        return None
    wins = calculations.wins_needed(
        new_clients=None, won_revenue=_revenue_goal(funnel), avg_revenue_per_sale=ratios.avg_revenue_per_sale
    )
    return calculations.reverse_funnel(wins, ratios)


def seed(*, stdout=None) -> None:
    """Give every demo RM without a plan for the year one in a realistic state."""
    metrics = {m.code: m for m in Metric.objects.all()}
    now = timezone.now()
    rms = list(
        User.objects.with_role(Role.RM).select_related("team__leader", "team__region").order_by("email")
    )
    created = 0
    period = last_twelve_months(timezone.localdate())
    funnels = {r.owner.id: r.funnel for r in kpi_selectors.funnel(scope=Scope.RM, period=period, viewer=None)}
    with transaction.atomic():
        for index, rm in enumerate(rms):
            if Plan.objects.filter(owner=rm, year=YEAR).exists():
                continue
            _plan_for(rm, index, metrics, now, funnels.get(rm.pk))
            created += 1
    if stdout is not None:
        stdout.write(f"coaching: {created} plans created ({Plan.objects.count()} in all).")
