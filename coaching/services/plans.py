"""Writes of annual plans: creation, section saves that never overwrite silently, the review workflow,
revisions and plan resets."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_can_change
from kpis.models import Metric

from .. import calculations
from ..models import (
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


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def can_edit(*, user: User, plan: Plan) -> bool:
    """The RM and the people above them may edit a plan that is not locked."""
    return not plan.is_locked and user_can_change(viewer=user, target=plan.owner)


def can_review(*, user: User, plan: Plan) -> bool:
    """Leaders (and directors, admins) above the RM review the plan; never the RM themself."""
    return (
        user.pk != plan.owner_id
        and user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)
        and user_can_change(viewer=user, target=plan.owner)
    )


def plan_create(*, owner: User, year: int, by: User) -> Plan:
    """Open an RM's plan for a year with every section empty (idempotent: returns the existing plan)."""
    _require(user_can_change(viewer=by, target=owner), _("You cannot open a plan for this person."))
    if owner.role != Role.RM:
        raise ValidationError(_("Annual plans are written by relationship managers."))
    with transaction.atomic():
        plan, created = Plan.objects.get_or_create(
            owner=owner, year=year, defaults={"due_date": calculations.default_due_date(year)}
        )
        if created:
            # get_or_create saves before anyone can name the author: the history's "created" row is given
            # it here, so the plan's history says who opened the plan.
            plan.history.filter(history_type="+").update(history_user=by)
            PlanSection.objects.bulk_create(PlanSection(plan=plan, key=key) for key in SectionKey.values)
            PlanEvent.objects.create(plan=plan, action="created", by=by)
    return plan


@dataclass
class EditConflict(Exception):
    """A save made from an older version: someone else saved in between. Both versions are kept for the user."""

    theirs: str
    yours: str
    their_version: int
    saved_by: User | None
    saved_at: datetime.datetime | None

    def __str__(self) -> str:
        who = self.saved_by or _("someone")
        return _(
            "%(who)s saved this section while you were editing it. Nothing of yours was lost: compare both "
            "versions, merge them, and save again."
        ) % {"who": who}


def section_save(*, plan: Plan, key: str, content: str, base_version: int, by: User) -> PlanSection:
    """Save one written section if nobody saved it since `base_version`; else raise EditConflict."""
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    if key not in SectionKey.values:
        raise ValidationError(_("Unknown section."))
    with transaction.atomic():
        section, _created = PlanSection.objects.select_for_update().get_or_create(plan=plan, key=key)
        if section.version != base_version:
            raise EditConflict(
                section.content, content, section.version, section.updated_by, section.updated_at
            )
        if section.content != content:
            section.content = content
            section.version += 1
            section.updated_by = by
            section._history_user = by  # read by simple-history
            section.save()
            Plan.objects.filter(pk=plan.pk).update(updated_at=section.updated_at)
    return section


def numbers_save(
    *,
    plan: Plan,
    base_version: int,
    by: User,
    goal_new_clients: int | None,
    goal_won_revenue: Decimal | None,
    segments,
    activity_levels: dict[str, Decimal],
    mix: dict[str, Decimal],
) -> Plan:
    """Save the plan's figures (goals, segments, weekly activity levels, product mix) as one, guarded by
    `numbers_version` like a section."""
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    if sum(mix.values(), Decimal(0)) > 1:
        raise ValidationError({"mix": _("The product mix adds up to more than 100%.")})
    with transaction.atomic():
        current = Plan.objects.select_for_update().get(pk=plan.pk)
        if current.numbers_version != base_version:
            raise EditConflict(
                _("goals and activity levels saved by someone else"),
                "",
                current.numbers_version,
                None,
                current.updated_at,
            )
        current.goal_new_clients = goal_new_clients
        current.goal_won_revenue = goal_won_revenue
        current.numbers_version += 1
        current._history_user = by  # read by simple-history
        current.save()
        current.segments.set(segments)
        PlannedActivity.objects.filter(plan=current).delete()
        PlannedActivity.objects.bulk_create(
            PlannedActivity(plan=current, kind=kind, per_week=value)
            for kind, value in activity_levels.items()
            if value is not None
        )
        PlannedMix.objects.filter(plan=current).delete()
        PlannedMix.objects.bulk_create(
            PlannedMix(plan=current, category=category, share=share)
            for category, share in mix.items()
            if share is not None
        )
    return current


def relationship_save(
    *, relationship: RelationshipPlan, base_version: int | None, by: User
) -> RelationshipPlan:
    """Create or update a relationship plan (must-keep / must-expand account of the RM), guarded by version."""
    plan = relationship.plan
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    if relationship.account.owner_id != plan.owner_id:
        raise ValidationError({"account": _("Relationship plans are for the RM's own accounts.")})
    with transaction.atomic():
        if relationship.pk:
            current = RelationshipPlan.objects.select_for_update().get(pk=relationship.pk)
            if current.version != base_version:
                raise EditConflict(current.objectives, relationship.objectives, current.version, None, None)
            relationship.version = current.version + 1
        relationship.full_clean()
        relationship.save()
    return relationship


def development_goal_save(*, goal: DevelopmentGoal, by: User) -> DevelopmentGoal:
    _require(can_edit(user=by, plan=goal.plan), _("This plan cannot be changed now."))
    goal.full_clean()
    goal.save()
    return goal


# --- The review workflow --------------------------------------------------------------------------------


def plan_submit(*, plan: Plan, by: User, now: datetime.datetime) -> Plan:
    """The RM submits the plan to their leader."""
    _require(by.pk == plan.owner_id, _("Only the plan's owner submits it."))
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED):
        raise ValidationError(_("Only a draft or a plan with changes requested can be submitted."))
    return _move(plan, PlanStatus.SUBMITTED, by, "submitted", submitted_at=now)


def plan_request_changes(*, plan: Plan, by: User, comments: dict[str, str]) -> Plan:
    """The leader sends the plan back with comments attached to sections (at least one)."""
    _require(can_review(user=by, plan=plan), _("Only the RM's leader reviews this plan."))
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be sent back."))
    comments = {section: body.strip() for section, body in comments.items() if body and body.strip()}
    if not comments:
        raise ValidationError(_("Say what to change: write a comment on at least one section."))
    with transaction.atomic():
        PlanComment.objects.bulk_create(
            PlanComment(plan=plan, section=section, author=by, body=body, revision=plan.revision)
            for section, body in comments.items()
        )
        return _move(
            plan, PlanStatus.CHANGES_REQUESTED, by, "changes_requested", note="\n".join(comments.values())
        )


def plan_approve(*, plan: Plan, by: User, now: datetime.datetime) -> Plan:
    """The leader approves: the plan is locked and its content frozen as the current revision."""
    _require(can_review(user=by, plan=plan), _("Only the RM's leader approves this plan."))
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted plan can be approved."))
    from ..selectors.plans import plan_content

    with transaction.atomic():
        plan = _move(plan, PlanStatus.APPROVED, by, "approved", approved_at=now, approved_by=by)
        PlanRevision.objects.update_or_create(
            plan=plan,
            number=plan.revision,
            defaults={"content": plan_content(plan=plan), "created_by": by, "reason": plan.reset_reason},
        )
        PlanComment.objects.filter(plan=plan, resolved=False).update(resolved=True)
    return plan


def plan_reset(*, plan: Plan, by: User, reason: str) -> Plan:
    """Reopen an approved plan as a new revision, with the reason (usually decided in a checkpoint); the
    approved revision stays as it was."""
    _require(can_review(user=by, plan=plan), _("Only the RM's leader resets an approved plan."))
    if plan.status != PlanStatus.APPROVED:
        raise ValidationError(_("Only an approved plan is reset; change a draft directly."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan is reset.")})
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        locked.revision += 1
        locked.status = PlanStatus.DRAFT
        locked.approved_at = None
        locked.reset_reason = reason.strip()
        locked.save(update_fields=["revision", "status", "approved_at", "reset_reason", "updated_at"])
        PlanEvent.objects.create(plan=locked, action="reset", by=by, note=reason.strip())
    return locked


def _move(plan: Plan, status: str, by: User, action: str, note: str = "", **fields) -> Plan:
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != plan.status:
            raise ValidationError(_("The plan changed status meanwhile; reload the page."))
        locked.status = status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked._history_user = by  # read by simple-history
        locked.save()
        PlanEvent.objects.create(plan=locked, action=action, by=by, note=note)
    return locked


# --- The small forms of the plan page: relationship plans, their actions and results, development goals ---


def _touch(plan: Plan) -> None:
    """The plan's "last updated" follows every change of its parts, as a section save does."""
    Plan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())


def relationship_delete(*, relationship: RelationshipPlan, by: User) -> None:
    """Remove a relationship plan (e.g. of an account no longer must keep or must expand)."""
    _require(can_edit(user=by, plan=relationship.plan), _("This plan cannot be changed now."))
    relationship.delete()
    _touch(relationship.plan)


def relationship_action_add(
    *, relationship: RelationshipPlan, description: str, due_date: datetime.date, owner: User, by: User
) -> RelationshipAction:
    """A dated action of a relationship plan, owned by the RM or by their leader."""
    plan = relationship.plan
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    leader_id = plan.owner.team.leader_id if plan.owner.team_id else None
    if owner.pk not in (plan.owner_id, leader_id):
        raise ValidationError({"owner": _("An action is owned by the RM or by their leader.")})
    action = RelationshipAction(
        relationship=relationship, description=description.strip(), due_date=due_date, owner=owner
    )
    action.full_clean()
    action.save()
    _touch(plan)
    return action


def relationship_action_delete(*, action: RelationshipAction, by: User) -> None:
    plan = action.relationship.plan
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    action.delete()
    _touch(plan)


def relationship_result_add(
    *, relationship: RelationshipPlan, metric: Metric, expected_value: Decimal, by: User
) -> RelationshipResult:
    """An expected result of a relationship plan, tied to a metric of the catalogue."""
    plan = relationship.plan
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    result = RelationshipResult(relationship=relationship, metric=metric, expected_value=expected_value)
    result.full_clean()
    result.save()
    _touch(plan)
    return result


def relationship_result_delete(*, result: RelationshipResult, by: User) -> None:
    plan = result.relationship.plan
    _require(can_edit(user=by, plan=plan), _("This plan cannot be changed now."))
    result.delete()
    _touch(plan)


def development_goal_delete(*, goal: DevelopmentGoal, by: User) -> None:
    _require(can_edit(user=by, plan=goal.plan), _("This plan cannot be changed now."))
    goal.delete()
    _touch(goal.plan)
