"""Writes of the kpis app: permission and invariants checked, saved in a transaction."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.selectors import user_can_change, user_can_see
from salesplan import bulk

from . import selectors
from .models import Activity, Forecast, Metric, Opportunity, PlanActual, StageChange, Standard, Target

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


PLAN_ACTUAL_KEY = ["scope", "scope_id", "metric", "year", "month"]


def plan_actual_store(*, year: int, month: int, now: datetime) -> int:
    """Store plan versus actual for every owner (RMs, teams, regions, the bank) and active metric, year to
    date at the end of `month`. The month's rows are replaced as a whole, in one transaction: running it
    again (or twice at once, or after a run killed halfway) leaves exactly one row per owner × metric ×
    month, those of the latest run; an owner or metric gone since an earlier run leaves no row behind."""
    by_scope = selectors.plan_vs_actual_scopes(scopes=selectors.SCOPES, year=year, month=month, viewer=None)
    return plan_actual_write(by_scope=by_scope, year=year, month=month, now=now)


def plan_actual_write(*, by_scope: dict, year: int, month: int, now: datetime) -> int:
    """Write `plan_vs_actual_scopes`'s rows as the month's (see `plan_actual_store`); the number of rows.

    The month's rows are deleted and the new ones written from plain tuples (`salesplan.bulk`: COPY on
    PostgreSQL), in one transaction. On PostgreSQL an advisory lock on the month comes first: a second run at
    the same time waits, then replaces the first's rows rather than colliding with them (SQLite's writers
    queue anyway)."""
    rows = [
        (str(scope), r.owner.id, r.metric.pk, year, month, r.plan, r.actual, r.variance, r.attainment,
         str(r.status), now)
        for scope, scope_rows in by_scope.items()
        for r in scope_rows
    ]  # fmt: skip
    meta = PlanActual._meta
    columns = [meta.get_field(name).column for name in PLAN_ACTUAL_KEY + PLAN_ACTUAL_FIELDS]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PLAN_ACTUAL_LOCK, year * 100 + month])
        PlanActual.objects.filter(year=year, month=month).delete()
        bulk.insert_rows(PlanActual, columns, rows)
    return len(rows)


PLAN_ACTUAL_LOCK = 7_301  # the advisory-lock class of the month-end rows (the other key is the month)


# --- Targets, standards and forecasts set on the record pages -------------------------------------


def can_set_target(*, user: User, target: Target) -> bool:
    """Leaders set targets for their teams and RMs, directors for their region, its teams and RMs, the
    admin for everyone; RMs set none."""
    rms, teams, regions = selectors.target_owners_for(viewer=user)
    if target.user_id:
        return rms.filter(pk=target.user_id).exists()
    if target.team_id:
        return teams.filter(pk=target.team_id).exists()
    if target.region_id:
        return regions.filter(pk=target.region_id).exists()
    return user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)  # no owner yet: full_clean says so


def target_save(*, target: Target, by: User) -> Target:
    """Create or change a target for an owner the user may set targets for (and, for a change, of one)."""
    _require(can_set_target(user=by, target=target), _("You cannot set targets for this owner."))
    if target.pk:
        current = Target.objects.get(pk=target.pk)
        _require(can_set_target(user=by, target=current), _("You cannot change this target."))
    target.full_clean()
    with transaction.atomic():
        target._history_user = by  # read by simple-history
        target.save()
    return target


def target_delete(*, target: Target, by: User) -> None:
    _require(can_set_target(user=by, target=target), _("You cannot delete this target."))
    target.delete()


def can_set_standard(*, user: User, team) -> bool:
    """A team's guidance parameters are set by its leader (or its region's director, or the admin)."""
    return selectors.standard_teams_for(viewer=user).filter(pk=team.pk).exists()


def standard_save(*, standard: Standard, by: User) -> Standard:
    """Create or change a guidance parameter of a team the user leads (directs, administers)."""
    _require(can_set_standard(user=by, team=standard.team), _("You cannot set this team's standards."))
    if standard.pk:
        current = Standard.objects.select_related("team").get(pk=standard.pk)
        _require(can_set_standard(user=by, team=current.team), _("You cannot change this standard."))
    standard.full_clean()
    with transaction.atomic():
        standard.save()
    return standard


def standard_delete(*, standard: Standard, by: User) -> None:
    _require(can_set_standard(user=by, team=standard.team), _("You cannot delete this standard."))
    standard.delete()


def forecast_clear(*, owner: User, metric: Metric, month: date, by: User) -> None:
    """Withdraw an RM's forecast for a month (nothing happens when there is none)."""
    _require(user_can_change(viewer=by, target=owner), _("You cannot forecast for this person."))
    Forecast.objects.filter(owner=owner, metric=metric, month=month.replace(day=1)).delete()


def opportunity_delete(*, opportunity: Opportunity, by: User) -> None:
    _require(user_can_change(viewer=by, target=opportunity.owner), _("You cannot delete this deal."))
    opportunity.delete()
