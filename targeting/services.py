"""Writes of the targeting app: permission and invariants checked, saved in a transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, Team, User
from accounts.selectors import user_can_change

from . import selectors
from .models import (
    Account,
    Contact,
    NamedAccountEntry,
    NamedAccountList,
    PriorityCriterion,
    Segment,
    TeamTargeting,
)

ACCOUNT_FIELDS = [
    "legal_name", "industry", "annual_revenue", "currency", "employees", "location", "research_notes",
    "status", "products_held", "is_high_value", "must_keep", "must_expand", "playing_field", "target_level",
]  # fmt: skip


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def can_change_account(*, user: User, account: Account) -> bool:
    return user_can_change(viewer=user, target=account.owner)


def can_reassign(*, user: User) -> bool:
    """Changing an account's owner is a leader's act (or a director's, or an admin's)."""
    return user.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)


def can_manage_team(*, user: User, team: Team) -> bool:
    return selectors.teams_managed_by(viewer=user).filter(pk=team.pk).exists()


# --- Accounts -----------------------------------------------------------------------------------------


def account_save(*, account: Account, by: User, reason: str = "") -> Account:
    """Create or update an account the user may change, then recompute its tier."""
    _require(user_can_change(viewer=by, target=account.owner), _("You cannot change accounts of this owner."))
    if account.pk:
        current = Account.objects.select_related("owner").get(pk=account.pk)
        _require(can_change_account(user=by, account=current), _("You cannot change this account."))
        if current.owner_id != account.owner_id:
            _require(can_reassign(user=by), _("Only a team leader can change an account's owner."))
    account.research_notes = account.research_notes.strip()
    account.full_clean()
    with transaction.atomic():
        account._change_reason = reason or None
        account._history_user = by  # read by simple-history (no request middleware needed)
        account.save()
        tiers_recompute(accounts=Account.objects.filter(pk=account.pk))
    account.refresh_from_db()
    return account


def account_reassign(*, account: Account, new_owner: User, by: User, reason: str) -> Account:
    """A leader gives an account to another RM they manage; the change and its reason are recorded."""
    _require(can_reassign(user=by), _("Only a team leader can change an account's owner."))
    _require(can_change_account(user=by, account=account), _("You cannot change this account."))
    if new_owner.role != Role.RM or not user_can_change(viewer=by, target=new_owner):
        raise ValidationError({"owner": _("Choose a relationship manager of your own teams.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the account changes hands.")})
    account.owner = new_owner
    return account_save(account=account, by=by, reason=reason.strip())


def account_set_tier_override(*, account: Account, tier: str, reason: str, by: User) -> Account:
    """Set (or clear, with an empty tier) a manual tier; an override needs a reason."""
    _require(can_change_account(user=by, account=account), _("You cannot change this account."))
    account.tier_override = tier
    account.tier_override_reason = reason.strip() if tier else ""
    return account_save(account=account, by=by, reason=_("Tier override: %(tier)s") % {"tier": tier or "—"})


def account_delete(*, account: Account, by: User) -> None:
    _require(can_change_account(user=by, account=account), _("You cannot delete this account."))
    account._change_reason = _("Deleted")
    account._history_user = by
    account.delete()


# --- Contacts -----------------------------------------------------------------------------------------


def contact_save(*, contact: Contact, by: User) -> Contact:
    """Create or update a contact of an account the user may change; a new primary replaces the old one."""
    _require(can_change_account(user=by, account=contact.account), _("You cannot change this account."))
    with transaction.atomic():
        if contact.is_primary:
            contact.account.contacts.exclude(pk=contact.pk).filter(is_primary=True).update(is_primary=False)
        contact.full_clean()
        contact.save()
    return contact


def contact_delete(*, contact: Contact, by: User) -> None:
    _require(can_change_account(user=by, account=contact.account), _("You cannot change this account."))
    contact.delete()


# --- Segments -----------------------------------------------------------------------------------------


def segment_save(*, segment: Segment, industries, by: User) -> Segment:
    """Create or update a team or region segment the user manages; tiers of the teams concerned follow."""
    if segment.team_id:
        _require(can_manage_team(user=by, team=segment.team), _("You do not manage this team."))
    elif segment.region_id:
        _require(
            by.role == Role.ADMIN or segment.region.director_id == by.pk,
            _("Only the region's director sets region segments."),
        )
    if segment.pk:
        _require(
            selectors.segments_changeable_by(viewer=by).filter(pk=segment.pk).exists(),
            _("You cannot change this segment."),
        )
    segment.full_clean()
    with transaction.atomic():
        if not segment.pk:
            segment.created_by = by
        segment.save()
        segment.industries.set(industries)
        _recompute_segment_teams(segment)
    return segment


def segment_delete(*, segment: Segment, by: User) -> None:
    _require(
        selectors.segments_changeable_by(viewer=by).filter(pk=segment.pk).exists(),
        _("You cannot delete this segment."),
    )
    with transaction.atomic():
        teams = _segment_teams(segment)
        segment.delete()
        for team in teams:
            tiers_recompute_team(team=team)


def _segment_teams(segment: Segment) -> list[Team]:
    if segment.team_id:
        return [segment.team]
    return list(Team.objects.filter(region=segment.region_id))


def _recompute_segment_teams(segment: Segment) -> None:
    for team in _segment_teams(segment):
        tiers_recompute_team(team=team)


# --- Priority tiers -----------------------------------------------------------------------------------


def tiers_recompute_team(*, team: Team) -> int:
    """Recompute the score and tier of every account owned by the team's members, in one UPDATE."""
    return tiers_recompute(accounts=Account.objects.filter(owner__team=team), team=team)


def tiers_recompute(*, accounts, team: Team | None = None) -> int:
    """Recompute score and computed tier for the given accounts (all of one team) in the database.

    Accounts whose owner has no team have no rules to meet: they score 0 and fall in tier C.
    """
    if team is None:
        first = accounts.select_related("owner__team").first()
        if first is None:
            return 0
        team = first.owner.team
    if team is None:
        return accounts.update(tier_score=0, tier_computed="C")
    criteria, segments, settings = selectors.team_scoring(team)
    score = selectors.score_expression(criteria, segments)
    return accounts.update(tier_score=score, tier_computed=selectors.tier_expression(score, settings))


def team_targeting_save(*, settings: TeamTargeting, by: User) -> TeamTargeting:
    """A leader sets the team's named-account limit and tier thresholds; tiers follow."""
    _require(can_manage_team(user=by, team=settings.team), _("You do not manage this team."))
    settings.full_clean()
    with transaction.atomic():
        settings.save()
        tiers_recompute_team(team=settings.team)
    return settings


def criteria_replace(*, team: Team, criteria: list[PriorityCriterion], by: User) -> None:
    """Replace a team's scoring rules as a whole (the rules form edits them together); tiers follow."""
    _require(can_manage_team(user=by, team=team), _("You do not manage this team."))
    for criterion in criteria:
        criterion.team = team
        criterion.full_clean()
    with transaction.atomic():
        PriorityCriterion.objects.filter(team=team).delete()
        PriorityCriterion.objects.bulk_create(criteria)
        tiers_recompute_team(team=team)


# --- Named-account lists ------------------------------------------------------------------------------


def named_list_for(*, owner: User, year: int) -> NamedAccountList:
    named_list, _created = NamedAccountList.objects.get_or_create(owner=owner, year=year)
    return named_list


def named_account_add(*, owner: User, year: int, account: Account, by: User) -> NamedAccountEntry:
    """Put one of the owner's accounts on their list for the year, within the limit their leader sets."""
    _require(user_can_change(viewer=by, target=owner), _("You cannot change this person's named accounts."))
    if account.owner_id != owner.pk:
        raise ValidationError(
            _("Only accounts %(owner)s owns can be on their named-account list.") % {"owner": owner}
        )
    limit, leader = selectors.named_account_limit(owner=owner)
    with transaction.atomic():
        named_list = named_list_for(owner=owner, year=year)
        # Lock the list: two additions at once cannot both take the last place.
        NamedAccountList.objects.select_for_update().get(pk=named_list.pk)
        if named_list.entries.filter(account=account).exists():
            raise ValidationError(_("%(account)s is already on the list.") % {"account": account})
        if named_list.entries.count() >= limit:
            raise ValidationError(
                _(
                    "The named-account list for %(year)s is full: the limit is %(limit)s accounts, "
                    "set by %(setter)s. Remove an account first, or ask them to raise the limit."
                )
                % {
                    "year": year,
                    "limit": limit,
                    "setter": _("your team leader %(name)s") % {"name": leader}
                    if leader
                    else _("your team leader"),
                }
            )
        return NamedAccountEntry.objects.create(named_list=named_list, account=account)


def named_account_remove(*, entry: NamedAccountEntry, by: User) -> None:
    _require(user_can_change(viewer=by, target=entry.named_list.owner), _("You cannot change this list."))
    entry.delete()
