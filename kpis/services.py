"""Writes of the kpis app: permission and invariants checked, saved in a transaction."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_can_change, user_can_see

from . import selectors
from .calculations import rounded
from .models import Activity, Forecast, Metric, Opportunity, PlanActual, StageChange

PLAN_ACTUAL_FIELDS = ["plan_to_date", "actual_to_date", "variance", "attainment", "status", "computed_at"]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _check_account(owner: User, account) -> None:
    if not user_can_see(viewer=owner, target=account.owner):
        raise ValidationError({"account": _("%(owner)s cannot work on this account.") % {"owner": owner}})


def activity_log(*, activity: Activity, by: User) -> Activity:
    """Log (or correct) a conversation, appointment or proposal for an RM the user may change."""
    _require(
        user_can_change(viewer=by, target=activity.owner), _("You cannot log activities for this person.")
    )
    _check_account(activity.owner, activity.account)
    if activity.contact_id and activity.contact.account_id != activity.account_id:
        raise ValidationError({"contact": _("This contact works for another account.")})
    activity.full_clean()
    activity.save()
    return activity


def activity_delete(*, activity: Activity, by: User) -> None:
    _require(user_can_change(viewer=by, target=activity.owner), _("You cannot change this activity."))
    activity.delete()


def opportunity_save(*, opportunity: Opportunity, by: User, on: date) -> Opportunity:
    """Create or update a deal; a new stage is recorded in the stage history with the day and who moved it."""
    _require(
        user_can_change(viewer=by, target=opportunity.owner), _("You cannot change this person's deals.")
    )
    _check_account(opportunity.owner, opportunity.account)
    previous = None
    if opportunity.pk:
        current = Opportunity.objects.select_related("owner").get(pk=opportunity.pk)
        _require(user_can_change(viewer=by, target=current.owner), _("You cannot change this deal."))
        previous = current.stage
    if opportunity.is_closed and opportunity.close_date is None:
        opportunity.close_date = on
    opportunity.full_clean()
    with transaction.atomic():
        opportunity.save()
        if previous != opportunity.stage:
            StageChange.objects.create(
                opportunity=opportunity, from_stage=previous or "", to_stage=opportunity.stage, changed_on=on,
                changed_by=by,
            )  # fmt: skip
    return opportunity


def forecast_set(*, owner: User, metric: Metric, month: date, value, by: User) -> Forecast:
    """An RM's forecast for a month (replacing an earlier one for the same month)."""
    _require(user_can_change(viewer=by, target=owner), _("You cannot forecast for this person."))
    forecast, _created = Forecast.objects.update_or_create(
        owner=owner, metric=metric, month=month.replace(day=1), defaults={"value": value}
    )
    return forecast


def plan_actual_store(*, year: int, month: int, now: datetime) -> int:
    """Store plan versus actual for every owner (RMs, teams, regions, the bank) and active metric, year to
    date at the end of `month`. Running it again for the same month replaces the same rows: one row per
    owner × metric × month, guaranteed by a unique constraint and written with an upsert."""
    rows = []
    for scope in selectors.SCOPES:
        for r in selectors.plan_vs_actual(scope=scope, year=year, month=month, viewer=None):
            rows.append(
                PlanActual(
                    scope=scope, scope_id=r.owner.id, metric=r.metric, year=year, month=month,
                    plan_to_date=_q(r.plan), actual_to_date=_q(r.actual), variance=_q(r.variance),
                    attainment=_q(r.attainment, 4), status=r.status, computed_at=now,
                )
            )  # fmt: skip
    with transaction.atomic():
        PlanActual.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["scope", "scope_id", "metric", "year", "month"],
            update_fields=PLAN_ACTUAL_FIELDS,
        )
    return len(rows)


def _q(value, places: int = 2):
    return rounded(value, places)
