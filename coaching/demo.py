"""Demo plans: every demo RM has a 2026 plan in a realistic state (most approved, some submitted, some
drafts, one with changes requested), with goals, figures, relationship plans and development goals.

Idempotent: an RM who already has a plan for the year is left alone. The plans are written in French,
as the demo RMs would write them.
"""

import random
from datetime import date, datetime, time, timedelta
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
    seed_checkpoints(stdout=stdout)


# --- Checkpoints: six months of history and the weeks ahead ---------------------------------------------------

LEADER_NOTES = [
    "Bonne semaine sur la prospection ; les premiers rendez-vous tardent à se transformer en propositions.",
    "Revue des trois dossiers en cours : prioriser Dupont, relancer le cabinet comptable.",
    "Observation terrain : bonne préparation du rendez-vous, reformulation des besoins à travailler.",
]
RM_NOTES = [
    "J'ai besoin d'un co-rendez-vous sur le dossier de crédit-bail.",
    "Deux clients à forte valeur m'ont signalé des offres concurrentes.",
]
DECISIONS = [
    "Bloquer deux matinées de prospection par semaine.",
    "Préparer un chiffrage ROI pour chaque proposition.",
]
ACTIONS = ["Appeler le directeur financier de Dupont", "Envoyer la proposition d'affacturage",
           "Préparer la revue annuelle du client", "Relancer l'expert-comptable"]  # fmt: skip


def _past_meetings(rm: User, index: int, now) -> list:
    """The RM's past meetings: weekly on Mondays, monthly, quarterly and the July semiannual review."""
    tz = timezone.get_current_timezone()
    days = []
    monday = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    for w in range(1, 27):
        days.append(("weekly", monday - timedelta(weeks=w)))
    for m in range(1, 7):
        first = (timezone.localdate(now).replace(day=1) - timedelta(days=31 * m)).replace(day=3)
        days.append(("monthly", first))
    days += [
        ("quarterly", date(YEAR, 7, 6)),
        ("quarterly", date(YEAR, 10, 6)),
        ("semiannual", date(YEAR, 7, 8)),
    ]
    return [(kind, timezone.make_aware(datetime.combine(day, time(9, 0)), tz)) for kind, day in days]


def _seed_checkpoints(rm: User, index: int, metrics, now) -> None:
    from .calculations import period_key
    from .models import (
        ActionItem,
        Checkpoint,
        CheckpointEvent,
        CheckpointStatus,
        Decision,
        Problem,
        SemiannualReview,
    )
    from .selectors.checkpoints import checkpoint_snapshot

    rng = random.Random(f"salesplan-cp-{rm.email}")  # noqa: S311 - demo data, not security
    leader = rm.team.leader
    careless = index % 9 == 4  # a few RMs whose meetings slip: cadence health has something to flag
    meetings = sorted(_past_meetings(rm, index, now), key=lambda km: km[1])
    for n, (kind, at) in enumerate(meetings):
        roll = rng.random()
        recent = (now - at).days < 45
        if careless and recent and kind == "weekly":
            status = (
                CheckpointStatus.SKIPPED if roll < 0.5 else CheckpointStatus.SCHEDULED
            )  # overdue, never held
        else:
            status = CheckpointStatus.SKIPPED if roll < 0.06 else CheckpointStatus.HELD
        late = status == CheckpointStatus.HELD and roll > 0.88
        held_at = at + timedelta(days=rng.randint(3, 6) if late else 0, minutes=rng.randint(0, 20))
        cp = Checkpoint.objects.create(
            rm=rm, leader=leader, kind=kind, period=period_key(kind, at.date()), scheduled_at=at, originally_at=at,
            status=status, held_at=held_at if status == CheckpointStatus.HELD else None, held_late=late,
            opened_at=held_at if status == CheckpointStatus.HELD else None,
            reason="Congés du responsable" if status == CheckpointStatus.SKIPPED else "",
            prep_notes=rng.choice(RM_NOTES) if status == CheckpointStatus.HELD else "",
            leader_notes=rng.choice(LEADER_NOTES) if status == CheckpointStatus.HELD else "",
            rm_notes=rng.choice(RM_NOTES) if status == CheckpointStatus.HELD and roll < 0.5 else "",
        )  # fmt: skip
        if status == CheckpointStatus.SKIPPED:
            CheckpointEvent.objects.create(checkpoint=cp, action="skipped", by=leader, note=cp.reason)
            continue
        if status != CheckpointStatus.HELD:
            continue
        CheckpointEvent.objects.create(checkpoint=cp, action="held_late" if late else "held", by=leader)
        if (
            kind != "weekly" or n >= len(meetings) - 6
        ):  # snapshots for the longer meetings and the recent weeks
            snapshot = checkpoint_snapshot(checkpoint=cp, today=held_at.date())
            cp.snapshot, cp.snapshot_from, cp.snapshot_to = snapshot.as_json(), snapshot.start, snapshot.end
            cp.save(update_fields=["snapshot", "snapshot_from", "snapshot_to"])
            for row in snapshot.off_track[:2]:
                Problem.objects.create(
                    checkpoint=cp, description=row["problem"], metric_id=row["metric_id"], proposed=True
                )
        if roll < 0.4:
            Decision.objects.create(checkpoint=cp, text=rng.choice(DECISIONS))
        if roll < 0.5:
            done = n < len(meetings) - 3 or roll < 0.2
            ActionItem.objects.create(
                checkpoint=cp, rm=rm, owner=rm, description=rng.choice(ACTIONS), due_date=(at + timedelta(days=7)).date(),
                done_at=at + timedelta(days=6) if done else None,
            )  # fmt: skip
        if kind == "semiannual":
            SemiannualReview.objects.create(
                checkpoint=cp, results_rating=rng.randint(2, 5), standards_rating=rng.randint(2, 4),
                skills_rating=rng.randint(3, 4), development_rating=rng.randint(3, 5),
                results_comment="Objectifs de collecte atteints, crédit en retrait.",
                overall_comment="Un semestre solide ; l'enjeu est la transformation des premiers rendez-vous.",
                acknowledged_at=held_at + timedelta(days=2), rm_comment="D'accord avec l'analyse.",
                signed_off_at=held_at + timedelta(days=3),
            )  # fmt: skip


def seed_checkpoints(*, stdout=None) -> None:
    """Give every RM without past meetings six months of them, then schedule the weeks ahead."""
    from .models import Checkpoint
    from .services.checkpoints import checkpoints_schedule

    now = timezone.now()
    metrics = {m.code: m for m in Metric.objects.all()}
    rms = list(User.objects.with_role(Role.RM).select_related("team__leader").order_by("email"))
    created = 0
    with transaction.atomic():
        for index, rm in enumerate(rms):
            if rm.team.leader is None or Checkpoint.objects.filter(rm=rm, scheduled_at__lt=now).exists():
                continue
            _seed_checkpoints(rm, index, metrics, now)
            created += 1
        upcoming = checkpoints_schedule(now=now)
    if stdout is not None:
        stdout.write(f"coaching: past checkpoints for {created} RMs, {upcoming} upcoming scheduled "
                     f"({Checkpoint.objects.count()} in all).")  # fmt: skip
