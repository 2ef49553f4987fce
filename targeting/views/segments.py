"""Pages of segments, team targeting settings, contact-level rules and named-account lists.

Access: an object the viewer may not see answers 404; one they may see but not change answers 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import Role, Team, User
from accounts.selectors import owned_by_visible, regions_visible_to, teams_visible_to, user_can_change
from salesplan.paging import paginate

from .. import selectors, services
from ..forms.segments import (
    NamedAccountAddForm,
    NamedListFilter,
    PriorityCriterionFormSet,
    SegmentFilter,
    SegmentForm,
    TeamTargetingForm,
    show_service_errors,
)
from ..models import Account, NamedAccountEntry, NamedAccountList, Segment

MATCHES_SHOWN = 25
MANAGERS = (Role.LEADER, Role.DIRECTOR, Role.ADMIN)


def _current_year() -> int:
    return timezone.localdate().year


def _url_or_none(name: str, *args) -> str | None:
    """The URL of a page another part of the app may not provide yet (the account pages)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Segments -------------------------------------------------------------------------------------


def _visible_segment(request: HttpRequest, pk: int) -> Segment:
    segment = selectors.segments_visible_to(viewer=request.user).filter(pk=pk).first()
    if segment is None:
        raise Http404
    return segment


def _changeable_segment(request: HttpRequest, pk: int) -> Segment:
    segment = _visible_segment(request, pk)
    if not selectors.segments_changeable_by(viewer=request.user).filter(pk=pk).exists():
        raise PermissionDenied(_("You cannot change this segment."))
    return segment


class SegmentListView(View):
    """The segments the viewer may see, each with how many visible accounts fully match its profile."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        segments = selectors.segments_visible_to(viewer=viewer)
        filterset = SegmentFilter(request.GET, queryset=segments)
        qs = filterset.qs if filterset.is_valid() else segments.none()
        if not request.GET.get("ordering"):
            qs = qs.order_by("name", "pk")
        page, query = paginate(request, qs)
        on_page = list(page.object_list)
        counts = selectors.segment_match_counts(viewer=viewer, segments=on_page)
        for segment in on_page:
            segment.match_count = counts[segment.pk]
        return render(
            request,
            "targeting/segment_list.html",
            {
                "filter": filterset,
                "page_obj": page,
                "segments": on_page,
                "query": query,
                "can_create": viewer.role in MANAGERS,
            },
        )


class SegmentDetailView(View):
    """A segment's profile and value proposition, and the first visible accounts that fully match it."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        viewer = request.user
        segment = _visible_segment(request, pk)
        matching = (
            selectors.accounts_visible_to(viewer=viewer)
            .filter(selectors.segment_q(segment))
            .order_by("legal_name", "pk")
        )
        account_list_url = _url_or_none("targeting:account-list")
        return render(
            request,
            "targeting/segment_detail.html",
            {
                "segment": segment,
                "matches": matching[:MATCHES_SHOWN],
                "match_count": matching.count(),
                "matches_shown": MATCHES_SHOWN,
                "account_list_url": f"{account_list_url}?segment={segment.pk}" if account_list_url else None,
                "account_links": _url_or_none("targeting:account-detail", segment.pk) is not None,
                "can_change": selectors.segments_changeable_by(viewer=viewer).filter(pk=pk).exists(),
            },
        )


class _SegmentFormView(View):
    template_name = "targeting/segment_form.html"

    def _form(self, request: HttpRequest, segment: Segment, data=None) -> SegmentForm:
        return SegmentForm(
            data,
            instance=segment,
            teams=selectors.teams_managed_by(viewer=request.user),
            regions=regions_visible_to(viewer=request.user),
        )

    def _render(self, request: HttpRequest, form: SegmentForm, status: int = 200) -> HttpResponse:
        return render(request, self.template_name, {"form": form, "segment": form.instance}, status=status)

    def _save(self, request: HttpRequest, segment: Segment) -> HttpResponse:
        form = self._form(request, segment, request.POST)
        if form.is_valid():
            try:
                segment = services.segment_save(
                    segment=form.instance, industries=form.cleaned_data["industries"], by=request.user
                )
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Segment “%(name)s” saved; the tiers of the teams concerned are recomputed.")
                    % {"name": segment.name},
                )
                return redirect(segment)
        return self._render(request, form, status=400)


class SegmentCreateView(_SegmentFormView):
    """A team leader, director or administrator writes a new segment for a team or region they manage."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.role not in MANAGERS:
            raise PermissionDenied(_("Only team leaders, directors and administrators write segments."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, self._form(request, Segment()))

    def post(self, request: HttpRequest) -> HttpResponse:
        return self._save(request, Segment())


class SegmentUpdateView(_SegmentFormView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, self._form(request, _changeable_segment(request, pk)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._save(request, _changeable_segment(request, pk))


class SegmentDeleteView(View):
    """Confirm, then delete a segment; its criteria go with it and the teams' tiers are recomputed."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        segment = _changeable_segment(request, pk)
        return render(request, "targeting/segment_confirm_delete.html", {"segment": segment})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        segment = _changeable_segment(request, pk)
        name = segment.name
        services.segment_delete(segment=segment, by=request.user)
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": name})
        return redirect("targeting:segment-list")


# --- Team targeting ---------------------------------------------------------------------------------


def _managed_team(request: HttpRequest, team_pk: int) -> Team:
    """The team whose targeting the viewer sets: 404 if they cannot see it, 403 if they cannot manage it."""
    viewer = request.user
    team = selectors.teams_managed_by(viewer=viewer).filter(pk=team_pk).first()
    if team is not None:
        return team
    # An RM sees their own team but has nothing to do with its settings: for them the page does not exist.
    if viewer.role != Role.RM and teams_visible_to(viewer=viewer).filter(pk=team_pk).exists():
        raise PermissionDenied(_("You do not manage this team."))
    raise Http404


class TeamTargetingListView(View):
    """The teams whose targeting the viewer sets; a leader of one team goes straight to it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.role not in MANAGERS:
            raise PermissionDenied(_("Team leaders, directors and administrators set team targeting."))
        teams = list(selectors.teams_managed_by(viewer=request.user))
        if len(teams) == 1:
            return redirect("targeting:team-targeting", team_pk=teams[0].pk)
        return render(request, "targeting/team_targeting_form.html", {"teams": teams, "team": None})


class TeamTargetingView(View):
    """A team's settings (named-account limit, tier thresholds) and scoring rules, saved together."""

    template_name = "targeting/team_targeting_form.html"

    def _forms(self, team: Team, data=None):
        criteria, segments, settings = selectors.team_scoring(team)
        initial = [
            {"kind": c.kind, "threshold": c.threshold, "segment": c.segment_id, "points": c.points}
            for c in criteria
        ]
        form = TeamTargetingForm(data, instance=settings, prefix="settings")
        formset = PriorityCriterionFormSet(
            data,
            initial=initial,
            prefix="criteria",
            form_kwargs={"segments": {s.pk: s for s in segments}},
        )
        return form, formset

    def _render(self, request: HttpRequest, team: Team, form, formset, status: int = 200) -> HttpResponse:
        distribution = selectors.tier_distribution(viewer=request.user, team=team)
        context = {
            "team": team,
            "teams": selectors.teams_managed_by(viewer=request.user),
            "form": form,
            "formset": formset,
            "distribution": distribution,
            "account_total": sum(distribution.values()),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, team_pk: int) -> HttpResponse:
        team = _managed_team(request, team_pk)
        return self._render(request, team, *self._forms(team))

    def post(self, request: HttpRequest, team_pk: int) -> HttpResponse:
        team = _managed_team(request, team_pk)
        form, formset = self._forms(team, request.POST)
        if form.is_valid() and formset.is_valid():
            try:
                # Settings and rules change together or not at all.
                with transaction.atomic():
                    services.team_targeting_save(settings=form.instance, by=request.user)
                    services.criteria_replace(team=team, criteria=formset.criteria(), by=request.user)
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Targeting of %(team)s saved; the tiers of its accounts are recomputed.")
                    % {"team": team},
                )
                return redirect("targeting:team-targeting", team_pk=team.pk)
        return self._render(request, team, form, formset, status=400)


# --- Contact-level rules ------------------------------------------------------------------------------


class ContactLevelRuleListView(View):
    """The contact-level rules, read-only for everyone; administrators edit them in the admin site."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "targeting/contact_level_rule_list.html",
            {"rules": selectors.contact_level_rule_list(), "can_edit": request.user.role == Role.ADMIN},
        )


# --- Named-account lists ------------------------------------------------------------------------------


def _addable_accounts(viewer: User, named_list: NamedAccountList):
    """The owner's accounts the viewer may change that are not on the list yet."""
    return (
        selectors.accounts_changeable_by(viewer=viewer)
        .filter(owner=named_list.owner_id)
        .exclude(named_entries__named_list=named_list)
        .order_by("legal_name")
    )


def _add_to_named_list(request: HttpRequest, *, owner: User, year: int, account: Account) -> None:
    """Add through the service and say what happened; a refusal is shown as the service words it."""
    try:
        services.named_account_add(owner=owner, year=year, account=account, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(account)s is on %(owner)s's named-account list for %(year)s.")
            % {"account": account, "owner": owner, "year": year},
        )


class NamedListListView(View):
    """An RM goes to their own list of this year; a manager sees the lists of the people they may see."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        year = _current_year()
        if viewer.role not in MANAGERS:
            return redirect(services.named_list_for(owner=viewer, year=year))
        lists = selectors.named_lists_with_limits(viewer=viewer)
        data = request.GET.copy()
        data.setdefault("year", str(year))
        filterset = NamedListFilter(data, queryset=lists, teams=teams_visible_to(viewer=viewer))
        qs = filterset.qs if filterset.is_valid() else lists.none()
        if not request.GET.get("ordering"):
            qs = qs.order_by("owner__display_name", "pk")
        page, query = paginate(request, qs)
        return render(
            request,
            "targeting/named_list_list.html",
            {"filter": filterset, "page_obj": page, "query": query, "year": year},
        )


class NamedListDetailView(View):
    """One named-account list: its accounts, its size against the limit, and adding or removing accounts."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        viewer = request.user
        named_list = selectors.named_list_detail(viewer=viewer, pk=pk)
        if named_list is None:
            raise Http404
        limit, setter = selectors.named_account_limit(owner=named_list.owner)
        can_change = user_can_change(viewer=viewer, target=named_list.owner)
        add_form = NamedAccountAddForm(accounts=_addable_accounts(viewer, named_list)) if can_change else None
        return render(
            request,
            "targeting/named_list_detail.html",
            {
                "named_list": named_list,
                "entries": named_list.entries.all(),
                "limit": limit,
                "setter": setter,
                "is_full": named_list.size >= limit,
                "can_change": can_change,
                "add_form": add_form,
                "account_links": _url_or_none("targeting:account-detail", named_list.pk) is not None,
            },
        )


class NamedListAddView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        viewer = request.user
        named_list = selectors.named_lists_visible_to(viewer=viewer).filter(pk=pk).first()
        if named_list is None:
            raise Http404
        form = NamedAccountAddForm(request.POST, accounts=_addable_accounts(viewer, named_list))
        if form.is_valid():
            _add_to_named_list(
                request, owner=named_list.owner, year=named_list.year, account=form.cleaned_data["account"]
            )
        else:
            messages.error(
                request,
                _("Choose one of %(owner)s's accounts that is not on the list yet.")
                % {"owner": named_list.owner},
            )
        return redirect(named_list)


class NamedListRemoveView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entries = NamedAccountEntry.objects.select_related("account", "named_list__owner")
        entry = (
            owned_by_visible(viewer=request.user, queryset=entries, owner_field="named_list__owner")
            .filter(pk=pk)
            .first()
        )
        if entry is None:
            raise Http404
        named_list = entry.named_list
        services.named_account_remove(entry=entry, by=request.user)
        messages.success(
            request, _("%(account)s is off the named-account list.") % {"account": entry.account}
        )
        return redirect(named_list)


class AccountNamedAddView(View):
    """From an account's page: put the account on its owner's named-account list for this year."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        account = selectors.accounts_visible_to(viewer=request.user).filter(pk=pk).first()
        if account is None:
            raise Http404
        year = _current_year()
        _add_to_named_list(request, owner=account.owner, year=year, account=account)
        next_url = request.POST.get("next") or request.GET.get("next")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect(services.named_list_for(owner=account.owner, year=year))
