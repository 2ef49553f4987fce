"""Reads of annual plans: visibility, content, revision differences, the review board and the disconnect
detector. The detector works on a batch of plans with a fixed number of queries, so the review board
costs the same for 5 plans as for 500."""

import datetime
import difflib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import owned_by_visible
from kpis import selectors as kpi_selectors
from kpis.calculations import Period, funnel_sum
from kpis.models import Metric, MetricKind, MetricSource, Product, Scope, Standard, StandardPeriod, Target
from salesplan.history import HistoryRecord, object_history
from targeting import selectors as targeting_selectors
from targeting.models import Account, NamedAccountEntry, NamedAccountList, Segment
from targeting.selectors import DEFAULT_NAMED_ACCOUNT_LIMIT

from .. import calculations
from ..models import (
    DevelopmentGoal,
    Plan,
    PlanComment,
    PlannedActivity,
    PlanSection,
    PlanStatus,
    RelationshipAction,
    RelationshipPlan,
    RelationshipResult,
    SectionKey,
)

MIN_HISTORY_CONVERSATIONS = 50  # below this, or fewer than MIN_HISTORY_CLOSED deals, use the team's ratios
MIN_HISTORY_CLOSED = 5


def plans_visible_to(*, viewer: User) -> QuerySet[Plan]:
    return owned_by_visible(viewer=viewer, queryset=Plan.objects.select_related("owner__team__leader"))


def plan_detail(*, viewer: User, pk: int) -> Plan | None:
    """A visible plan with everything its page shows prefetched (a fixed number of queries)."""
    relationships = RelationshipPlan.objects.select_related("account").prefetch_related(
        "actions__owner", "results__metric"
    )
    return (
        plans_visible_to(viewer=viewer)
        .select_related("approved_by")
        .prefetch_related(
            Prefetch("sections", queryset=PlanSection.objects.select_related("updated_by")),
            "segments",
            "planned_activities",
            "planned_mix",
            Prefetch("relationship_plans", queryset=relationships),
            Prefetch("development_goals", queryset=DevelopmentGoal.objects.select_related("result_metric")),
            Prefetch("comments", queryset=PlanComment.objects.select_related("author")),
            "revisions",
        )
        .filter(pk=pk)
        .first()
    )


# --- Content and revisions ------------------------------------------------------------------------------


def plan_content(*, plan: Plan) -> dict:
    """The whole plan as plain data: what a revision freezes and what differences are computed on."""
    sections = {s.key: s.content for s in PlanSection.objects.filter(plan=plan)}
    relationships = (
        RelationshipPlan.objects.filter(plan=plan)
        .select_related("account")
        .prefetch_related("actions__owner", "results__metric")
    )
    return {
        "sections": {key: sections.get(key, "") for key in SectionKey.values},
        "goal_new_clients": plan.goal_new_clients,
        "goal_won_revenue": str(plan.goal_won_revenue) if plan.goal_won_revenue is not None else None,
        "segments": sorted(s.name for s in plan.segments.all()),
        "activity_per_week": {a.kind: str(a.per_week) for a in PlannedActivity.objects.filter(plan=plan)},
        "product_mix": {m.category: str(m.share) for m in plan.planned_mix.all()},
        "relationships": [
            {
                "account": r.account.legal_name,
                "objectives": r.objectives,
                "resources": r.resources,
                "expected_results": r.expected_results,
                "actions": [
                    f"{a.due_date.isoformat()} · {a.owner} · {a.description}" for a in r.actions.all()
                ],
                "results": [f"{x.metric.name}: {x.expected_value}" for x in r.results.all()],
            }
            for r in relationships
        ],
        "development": [
            {
                "skill": g.skill,
                "actions": g.actions,
                "result": str(g.result_metric or g.result_description or ""),
            }
            for g in plan.development_goals.select_related("result_metric")
        ],
    }


def content_as_text(content: dict) -> list[tuple[str, list[str]]]:
    """A revision's content as titled blocks of lines, the form a person reads a difference in."""
    # In the plan's order whatever order the JSON came back in (PostgreSQL's jsonb reorders its keys).
    sections = content.get("sections", {})
    blocks = [
        (str(SectionKey(key).label), (sections.get(key) or "").splitlines()) for key in SectionKey.values
    ]
    blocks.append(
        (
            _("Goals in figures"),
            [
                f"{_('New clients')}: {content.get('goal_new_clients') or '—'}",
                f"{_('Won revenue')}: {content.get('goal_won_revenue') or '—'}",
            ],
        )
    )
    blocks.append((_("Segments covered"), content.get("segments", [])))
    blocks.append(
        (
            _("Activity per week"),
            [f"{k}: {v}" for k, v in sorted(content.get("activity_per_week", {}).items())],
        )
    )
    blocks.append(
        (_("Product mix"), [f"{k}: {v}" for k, v in sorted(content.get("product_mix", {}).items())])
    )
    for rel in content.get("relationships", []):
        lines = [
            f"{_('Objectives')}: {rel['objectives']}",
            f"{_('Resources')}: {rel['resources']}",
            f"{_('Expected results')}: {rel['expected_results']}",
            *rel["actions"],
            *rel["results"],
        ]
        blocks.append((_("Relationship plan: %(account)s") % {"account": rel["account"]}, lines))
    for goal in content.get("development", []):
        blocks.append(
            (
                _("Development: %(skill)s") % {"skill": goal["skill"]},
                [goal["actions"], f"{_('Result it serves')}: {goal['result'] or '—'}"],
            )
        )
    return blocks


@dataclass(frozen=True)
class BlockDiff:
    title: str
    lines: list[tuple[str, str]]  # ("+", text) added, ("-", text) removed, (" ", text) unchanged

    @property
    def changed(self) -> bool:
        return any(op != " " for op, _text in self.lines)


def revision_diff(old: dict, new: dict) -> list[BlockDiff]:
    """A readable difference between two plan contents, block by block; unchanged blocks come back
    unchanged so the page can fold them."""
    old_blocks, new_blocks = dict(content_as_text(old)), dict(content_as_text(new))
    titles = list(dict.fromkeys([*old_blocks, *new_blocks]))
    diffs = []
    for title in titles:
        lines = []
        for line in difflib.ndiff(old_blocks.get(title, []), new_blocks.get(title, [])):
            if line.startswith("?"):
                continue
            lines.append((line[0], line[2:]))
        diffs.append(BlockDiff(title, lines))
    return diffs


def plan_history(*, plan: Plan, limit: int = 20) -> list[HistoryRecord]:
    """The plan's last `limit` changes, newest first: its own (status, goals in figures...) and the edits of
    its written sections, each named by its section ("Territory plan"), with who and when. Two queries."""
    entries = object_history(plan, limit=limit)
    edits = (
        PlanSection.history.filter(plan_id=plan.pk, history_type="~")
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    entries += [
        HistoryRecord(
            date=record.history_date,
            user=record.history_user,
            kind="~",
            reason=record.history_change_reason or "",
            changed=(str(SectionKey(record.key).label),),
        )
        for record in edits
    ]
    return sorted(entries, key=lambda entry: entry.date, reverse=True)[:limit]


# --- The disconnect detector ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    anchor: str  # the section of the plan to fix

    def url(self, plan: Plan) -> str:
        return reverse("coaching:plan-detail", args=[plan.pk]) + f"#{self.anchor}"


def last_twelve_months(today: datetime.date) -> Period:
    start = today.replace(year=today.year - 1) + datetime.timedelta(days=1)
    return Period(start, today, "12m")


def funnel_ratios(f) -> calculations.FunnelRatios:
    from kpis.calculations import ratio

    return calculations.FunnelRatios(
        conversation_to_appointment=f.conversation_to_appointment,
        first_share_of_appointments=ratio(f.first_appointments, f.appointments),
        first_appointment_to_proposal=f.first_appointment_to_proposal,
        closing_ratio=f.closing_ratio,
        avg_revenue_per_sale=f.avg_revenue_per_sale,
    )


def plan_disconnects(*, plans: list[Plan], today: datetime.date) -> dict[int, list[Finding]]:
    """Every plan's disconnects between goals and activity plan, and its other gaps (see each check)."""
    if not plans:
        return {}
    findings: dict[int, list[Finding]] = defaultdict(list)
    owners = {p.owner_id for p in plans}
    team_ids = {p.owner.team_id for p in plans if p.owner.team_id}
    years = {p.year for p in plans}

    # Funnel ratios over the last twelve months: the RMs' own, and their teams' (their people's counts
    # added up): one grouped aggregate of activities and one of deals, for the RMs and their teams' people.
    period = last_twelve_months(today)
    people = dict(User.objects.filter(team_id__in=team_ids).values_list("pk", "team_id"))
    by_person = {
        r.owner.id: r.funnel
        for r in kpi_selectors.funnel(
            scope=Scope.RM, period=period, viewer=None, owner_ids=owners | set(people), median=False
        )
    }
    rm_funnels = {pk: f for pk, f in by_person.items() if pk in owners}
    team_funnels = {
        team: funnel_sum(f for pk, f in by_person.items() if people.get(pk) == team) for team in team_ids
    }

    planned = defaultdict(dict)
    for level in PlannedActivity.objects.filter(plan__in=plans):
        planned[level.plan_id][level.kind] = level.per_week
    designated = defaultdict(dict)
    for account in (
        Account.objects.filter(owner__in=owners)
        .filter(Q(must_keep=True) | Q(must_expand=True))
        .only("pk", "legal_name", "owner_id")
    ):
        designated[account.owner_id][account.pk] = account.legal_name
    relationships = defaultdict(list)
    for rel in RelationshipPlan.objects.filter(plan__in=plans).select_related("account"):
        relationships[rel.plan_id].append(rel)
    goals_without_result = dict(
        DevelopmentGoal.objects.filter(plan__in=plans, result_metric__isnull=True, result_description="")
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "n")
    )
    lists = {
        (nl.owner_id, nl.year): nl
        for nl in NamedAccountList.objects.filter(owner__in=owners, year__in=years)
        .select_related("owner__team__targeting")
        .annotate(
            size=Count("entries"), foreign=Count("entries", filter=~Q(entries__account__owner=F("owner")))
        )
    }
    rm_targets = defaultdict(dict)
    for t in Target.objects.filter(user__in=owners, year__in=years).select_related("metric"):
        rm_targets[(t.user_id, t.year)][t.metric_id] = t
    team_targets = defaultdict(dict)
    for t in Target.objects.filter(team__in=team_ids, year__in=years).select_related("metric"):
        team_targets[(t.team_id, t.year)][t.metric_id] = t
    team_sizes = dict(
        User.objects.filter(team__in=team_ids, is_active=True)
        .values("team_id")
        .annotate(n=Count("pk"))
        .values_list("team_id", "n")
    )
    mix_standards = defaultdict(list)
    for s in Standard.objects.filter(
        team__in=team_ids, period=StandardPeriod.RATIO, metric__source=MetricSource.PRODUCT_MIX
    ).select_related("metric"):
        mix_standards[s.team_id].append(s)
    planned_mix = defaultdict(dict)
    for plan in plans:
        for mix in plan.planned_mix.all():
            planned_mix[plan.pk][mix.category] = mix.share

    for plan in plans:
        out = findings[plan.pk]
        team_id = plan.owner.team_id
        _check_activity(plan, out, rm_funnels.get(plan.owner_id), team_funnels.get(team_id), planned[plan.pk])
        _check_relationships(plan, out, designated[plan.owner_id], relationships[plan.pk])
        named = lists.get((plan.owner_id, plan.year))
        if named is not None:
            settings = getattr(named.owner.team, "targeting", None) if named.owner.team else None
            limit = settings.named_account_limit if settings else DEFAULT_NAMED_ACCOUNT_LIMIT
            if named.size > limit:
                out.append(
                    Finding(
                        "named_over_limit",
                        _(
                            "The named-account list holds %(size)s accounts, over the limit of %(limit)s: mine fewer "
                            "accounts more deeply."
                        )
                        % {"size": named.size, "limit": limit},
                        "territory",
                    )
                )
            if named.foreign:
                out.append(
                    Finding(
                        "named_not_owned",
                        _("%(n)s account(s) on the named-account list belong to another RM.")
                        % {"n": named.foreign},
                        "territory",
                    )
                )
        if goals_without_result.get(plan.pk):
            out.append(
                Finding(
                    "development_untied",
                    _("%(n)s development goal(s) serve no specific result: tie each to a metric or a result.")
                    % {"n": goals_without_result[plan.pk]},
                    "development",
                )
            )
        _check_target_share(
            plan,
            out,
            rm_targets[(plan.owner_id, plan.year)],
            team_targets[(team_id, plan.year)],
            team_sizes.get(team_id),
        )
        _check_mix(plan, out, planned_mix[plan.pk], mix_standards[team_id])
    return dict(findings)


def _check_activity(plan, out, rm_funnel, team_funnel, planned) -> None:
    """Work back from the goal to the weekly activity it takes; flag planned levels below it."""
    if not (plan.goal_new_clients or plan.goal_won_revenue):
        out.append(
            Finding(
                "no_goal",
                _(
                    "The plan sets no goal in figures (new clients or won revenue), so its "
                    "activity plan cannot be checked."
                ),
                "numbers",
            )
        )
        return
    source, funnel = _("your own"), rm_funnel
    enough = (
        funnel
        and funnel.conversations >= MIN_HISTORY_CONVERSATIONS
        and funnel.won + funnel.lost >= MIN_HISTORY_CLOSED
    )
    ratios = funnel_ratios(funnel) if enough else None
    if ratios is None or not ratios.complete:
        source, funnel = _("your team's"), team_funnel
        ratios = funnel_ratios(funnel) if funnel else None
    if ratios is None or not ratios.complete:
        out.append(
            Finding(
                "no_history",
                _(
                    "Neither you nor your team has twelve months of funnel history to work "
                    "back from the goal."
                ),
                "numbers",
            )
        )
        return
    wins = calculations.wins_needed(
        new_clients=plan.goal_new_clients,
        won_revenue=plan.goal_won_revenue,
        avg_revenue_per_sale=ratios.avg_revenue_per_sale,
    )
    need = calculations.reverse_funnel(wins, ratios)
    labels = {
        "conversation": _("conversations"),
        "first_appointment": _("first appointments"),
        "appointment": _("appointments"),
        "proposal": _("proposals"),
    }
    fields = {
        "conversation": "conversations",
        "first_appointment": "first_appointments",
        "appointment": "appointments",
        "proposal": "proposals",
    }
    shortfalls = []
    for kind, field_name in fields.items():
        needed = need.per_week(field_name)
        have = planned.get(kind)
        if have is None or Decimal(have) < needed:
            shortfalls.append(
                _("%(needed)s %(what)s a week where the plan has %(have)s")
                % {
                    "needed": needed,
                    "what": labels[kind],
                    "have": _plain(have) if have is not None else _("none"),
                }
            )
    if shortfalls:
        out.append(
            Finding(
                "activity_short",
                _(
                    "Reaching %(wins)s wins takes, with %(source)s ratios of the last twelve months, about %(list)s."
                )
                % {"wins": wins, "source": source, "list": "; ".join(shortfalls)},
                "numbers",
            )
        )


def _amount(value: Decimal) -> str:
    """A whole amount with the reader's thousands separator: 120230.00 → "120,230" (or "120 230")."""
    return number_format(value.quantize(Decimal("1")), decimal_pos=0, use_l10n=True, force_grouping=True)


def _plain(value: Decimal) -> str:
    """5.0 → "5", 12.5 → "12.5"."""
    value = Decimal(value)
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


def _check_relationships(
    plan, out, designated: dict[int, str], relationships: list[RelationshipPlan]
) -> None:
    covered = {r.account_id for r in relationships}
    for account_id, name in designated.items():
        if account_id not in covered:
            out.append(
                Finding(
                    "relationship_missing",
                    _("%(account)s is a must-keep or must-expand client with no relationship plan.")
                    % {"account": name},
                    "relationships",
                )
            )
    for rel in relationships:
        if rel.account_id not in designated:
            out.append(
                Finding(
                    "relationship_stale",
                    _(
                        "%(account)s is no longer designated must keep or must expand: keep its relationship plan on "
                        "purpose or remove it."
                    )
                    % {"account": rel.account.legal_name},
                    "relationships",
                )
            )


def _check_target_share(plan, out, rm_targets: dict, team_targets: dict, team_size: int | None) -> None:
    """An RM's target below their share of the team's target for the same metric: for a balance, the team
    target times the RM's part of the team's baseline; for a flow, an even share among the team's RMs."""
    if not team_size:
        return
    for metric_id, team_target in team_targets.items():
        metric = team_target.metric
        if metric.kind == MetricKind.RATIO:
            continue
        mine = rm_targets.get(metric_id)
        if metric.kind == MetricKind.BALANCE:
            if not (mine and mine.baseline and team_target.baseline):
                continue
            share = team_target.value * mine.baseline / team_target.baseline
        else:
            share = team_target.value / team_size
        if mine is None or mine.value < share.quantize(Decimal("0.01")):
            out.append(
                Finding(
                    "target_short",
                    _("Your %(metric)s target (%(mine)s) is below your share of the team's (%(share)s).")
                    % {
                        "metric": str(metric),
                        "mine": _amount(mine.value) if mine else _("none"),
                        "share": _amount(share),
                    },
                    "targets",
                )
            )


def _check_mix(plan, out, planned: dict[str, Decimal], standards: list[Standard]) -> None:
    """Planned share of a product category outside the team standard ± its tolerance (relative)."""
    for standard in standards:
        tolerance = standard.tolerance_off_track or standard.metric.tolerance_off_track
        low, high = standard.value * (1 - tolerance), standard.value * (1 + tolerance)
        share = planned.get(standard.metric.product_category)
        if share is None or not (low <= share <= high):
            out.append(
                Finding(
                    "mix_outside",
                    _(
                        "Planned %(category)s share %(share)s is outside the team standard of %(standard)s (± %(tol)s)."
                    )
                    % {
                        "category": standard.metric.product_category,
                        "share": f"{share:.0%}" if share is not None else _("not set"),
                        "standard": f"{standard.value:.0%}",
                        "tol": f"{tolerance:.0%}",
                    },
                    "numbers",
                )
            )


# --- The review board -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    plan: Plan | None
    owner: User
    findings: list[Finding]
    overdue: bool


BOARD_ORDER = [
    "not_started",
    PlanStatus.DRAFT,
    PlanStatus.SUBMITTED,
    PlanStatus.CHANGES_REQUESTED,
    PlanStatus.APPROVED,
]
BOARD_GROUP_ROWS = 50  # rows shown per status on the board page: the work stays bounded for a whole bank


def _board_groups(*, viewer: User, year: int, today: datetime.date, team_id: int | None) -> dict[str, list]:
    """(plan or None, RM, overdue) per status for the viewer's RMs (of one team, asked for), by name."""
    from accounts.models import Role
    from accounts.selectors import users_visible_to

    rms = users_visible_to(viewer=viewer).with_role(Role.RM).select_related("team").order_by("display_name")
    if team_id is not None:
        rms = rms.filter(team_id=team_id)
    rms = list(rms)
    by_owner = {
        p.owner_id: p
        for p in Plan.objects.filter(owner__in=rms, year=year)
        .select_related("owner__team__targeting")
        .prefetch_related("planned_mix")
    }
    groups: dict[str, list] = {status: [] for status in BOARD_ORDER}
    for rm in rms:
        plan = by_owner.get(rm.pk)
        due = plan.due_date if plan else calculations.default_due_date(year)
        waiting = plan is None or plan.status in (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)
        groups[plan.status if plan else "not_started"].append((plan, rm, waiting and today > due))
    return groups


def _with_findings(groups: dict[str, list], today: datetime.date) -> dict[str, list[BoardRow]]:
    plans = [plan for rows in groups.values() for plan, _rm, _overdue in rows if plan is not None]
    findings = plan_disconnects(plans=plans, today=today)
    return {
        status: [
            BoardRow(plan, rm, findings.get(plan.pk, []) if plan else [], overdue)
            for plan, rm, overdue in rows
        ]
        for status, rows in groups.items()
    }


def review_board(*, viewer: User, year: int, today: datetime.date) -> dict[str, list[BoardRow]]:
    """The viewer's RMs' plans for a year by status (RMs with no plan yet under "not started"), each with
    its open disconnects and whether its submission is overdue."""
    return _with_findings(_board_groups(viewer=viewer, year=year, today=today, team_id=None), today)


# --- The review pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardColumn:
    status: str  # a PlanStatus, or "not_started"
    label: str
    rows: list[BoardRow]  # the first `per_status` RMs by name
    count: int  # all of them

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


def review_board_columns(
    *,
    viewer: User,
    year: int,
    today: datetime.date,
    team_id: int | None = None,
    per_status: int | None = None,
) -> list[BoardColumn]:
    """The review board in workflow order (not started, draft, submitted, changes requested, approved),
    narrowed to one of the viewer's teams in the database when asked. With `per_status`, each status shows
    its first RMs by name and counts the rest, and only the plans shown go through the disconnect
    detector: an administrator's board over a whole bank costs what a region's does."""
    groups = _board_groups(viewer=viewer, year=year, today=today, team_id=team_id)
    shown = {status: rows[:per_status] if per_status else rows for status, rows in groups.items()}
    rows = _with_findings(shown, today)
    labels = {"not_started": _("Not started"), **{value: str(label) for value, label in PlanStatus.choices}}
    return [BoardColumn(status, labels[status], rows[status], len(groups[status])) for status in BOARD_ORDER]


@dataclass(frozen=True)
class ReviewPart:
    """One part of the plan the reviewer comments on: a written section, or the numbers, the relationship
    plans or the development plan, each as titled blocks of lines."""

    key: str  # what a comment on this part is attached to (PlanComment.section)
    title: str
    blocks: list[tuple[str, list[str]]]


def review_part_label(key: str) -> str:
    """The title of the part a comment is attached to."""
    parts = {
        "numbers": _("Goals in figures, activity and mix"),
        "relationships": _("Relationship plans"),
        "development": _("Personal development plan"),
    }
    if key in parts:
        return parts[key]
    return str(SectionKey(key).label) if key in SectionKey.values else key


def plan_review_parts(*, plan: Plan) -> list[ReviewPart]:
    """The plan as the reviewer reads it: each section, then the numbers, relationship plans and
    development plan, in the blocks `content_as_text` gives."""
    content = plan_content(plan=plan)
    blocks = content_as_text(content)
    n_sections = len(content["sections"])
    n_numbers = len(content_as_text({"sections": {}}))  # the numbers' blocks: no section, relationship, goal
    n_relationships = len(content["relationships"])
    parts = [
        ReviewPart(key, title, [(title, lines)])
        for key, (title, lines) in zip(content["sections"], blocks[:n_sections], strict=True)
    ]
    numbers_end = n_sections + n_numbers
    relationships_end = numbers_end + n_relationships
    parts.append(ReviewPart("numbers", review_part_label("numbers"), blocks[n_sections:numbers_end]))
    parts.append(
        ReviewPart("relationships", review_part_label("relationships"), blocks[numbers_end:relationships_end])
    )
    parts.append(ReviewPart("development", review_part_label("development"), blocks[relationships_end:]))
    return parts


def plan_revisions(*, plan: Plan) -> list:
    """The plan's frozen revisions, oldest first, with who approved each (one query)."""
    from ..models import PlanRevision

    return list(PlanRevision.objects.filter(plan=plan).select_related("created_by").order_by("number"))


# --- The plan page written by the RM ----------------------------------------------------------------------


def plan_list(*, viewer: User) -> QuerySet[Plan]:
    """The plans the viewer may see, with owner, team and region joined (one query a page)."""
    return plans_visible_to(viewer=viewer).select_related("owner__team__region")


def relationships_visible_to(*, viewer: User) -> QuerySet[RelationshipPlan]:
    return owned_by_visible(
        viewer=viewer,
        queryset=RelationshipPlan.objects.select_related("plan__owner__team__leader", "account"),
        owner_field="plan__owner",
    )


def relationship_actions_visible_to(*, viewer: User) -> QuerySet[RelationshipAction]:
    return owned_by_visible(
        viewer=viewer,
        queryset=RelationshipAction.objects.select_related(
            "relationship__plan__owner__team__leader", "relationship__account"
        ),
        owner_field="relationship__plan__owner",
    )


def relationship_results_visible_to(*, viewer: User) -> QuerySet[RelationshipResult]:
    return owned_by_visible(
        viewer=viewer,
        queryset=RelationshipResult.objects.select_related(
            "relationship__plan__owner__team__leader", "relationship__account", "metric"
        ),
        owner_field="relationship__plan__owner",
    )


def development_goals_visible_to(*, viewer: User) -> QuerySet[DevelopmentGoal]:
    return owned_by_visible(
        viewer=viewer,
        queryset=DevelopmentGoal.objects.select_related("plan__owner__team__leader", "result_metric"),
        owner_field="plan__owner",
    )


def designated_accounts(*, viewer: User, plan: Plan) -> list[Account]:
    """The plan's RM's accounts designated must keep or must expand: each deserves a relationship plan."""
    return list(
        targeting_selectors.accounts_visible_to(viewer=viewer)
        .filter(owner=plan.owner_id)
        .filter(Q(must_keep=True) | Q(must_expand=True))
        .order_by("legal_name", "pk")
    )


def plan_targets(*, viewer: User, plan: Plan) -> list[Target]:
    """The RM's own targets for the plan's year: what the plan commits to."""
    return list(
        kpi_selectors.targets_visible_to(viewer=viewer)
        .filter(user=plan.owner_id, year=plan.year)
        .order_by("metric__display_order", "metric__name")
    )


def plan_named_list(*, viewer: User, plan: Plan) -> NamedAccountList | None:
    """The RM's named-account list for the plan's year, with its size, limit and accounts (two queries)."""
    entries = Prefetch("entries", queryset=NamedAccountEntry.objects.select_related("account"))
    return (
        targeting_selectors.named_lists_with_limits(viewer=viewer)
        .filter(owner=plan.owner_id, year=plan.year)
        .prefetch_related(entries)
        .first()
    )


def plan_segment_choices(*, plan: Plan) -> list[Segment]:
    """The segments the plan's RM may cover: those their team and region target."""
    return list(
        targeting_selectors.segments_visible_to(viewer=plan.owner).prefetch_related(None).order_by("name")
    )


def product_categories(*, plan: Plan) -> list[str]:
    """The categories a plan's product mix is split into: the product catalogue's, and any the plan uses."""
    known = set(Product.objects.order_by().values_list("category", flat=True).distinct())
    return sorted(known | {m.category for m in plan.planned_mix.all()}, key=str.casefold)


def plan_metrics() -> list[Metric]:
    """The metrics a result of a plan may be tied to: the active catalogue."""
    return list(Metric.objects.filter(is_active=True))
