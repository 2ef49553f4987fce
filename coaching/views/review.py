"""The leader's side of annual plans: the review board, the review itself (request changes or approve), the
plan reset, and the revisions with their readable differences."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Role, User
from accounts.selectors import teams_visible_to

from .. import calculations
from ..models import Plan, PlanStatus
from ..selectors import plans as selectors
from ..services import plans as services

CURRENT = "current"  # the plan's working version, as opposed to a frozen revision


def _visible_plan(request: HttpRequest, pk: int) -> Plan:
    """The plan with what its pages show prefetched; 404 when the viewer may not see it."""
    plan = selectors.plan_detail(viewer=request.user, pk=pk)
    if plan is None:
        raise Http404
    return plan


def _reviewable_plan(request: HttpRequest, pk: int) -> Plan:
    """A plan the viewer reviews: 404 when they may not see it, 403 when they see it but do not review it
    (the RM themself)."""
    plan = _visible_plan(request, pk)
    if not services.can_review(user=request.user, plan=plan):
        raise PermissionDenied
    return plan


def _findings(plan: Plan) -> list[selectors.Finding]:
    return selectors.plan_disconnects(plans=[plan], today=timezone.localdate()).get(plan.pk, [])


def _board_url(plan: Plan) -> str:
    return f"{reverse('coaching:review-board')}?year={plan.year}"


# --- The review board -----------------------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, today, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in range(today.year + 1, today.year - 4, -1)]
        several_regions = len({t.region_id for t in teams}) > 1
        self.fields["team"].choices = [("", _("All my teams"))] + [
            (t.pk, f"{t.name} · {t.region.name}" if several_regions else t.name) for t in teams
        ]


class ReviewBoardView(View):
    """The leader's board of their RMs' plans for a year, by status, with overdue submissions and the open
    disconnects of each plan."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer: User = request.user
        if viewer.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
            raise PermissionDenied
        today = timezone.localdate()
        teams = list(teams_visible_to(viewer=viewer))
        form = BoardFilterForm(request.GET or {"year": today.year}, today=today, teams=teams)
        form.is_valid()  # a choice that is not offered is left out, with its error; the other one holds
        year = form.cleaned_data.get("year") or today.year
        team_id = form.cleaned_data.get("team")
        # Across several teams each group shows its first RMs (and counts the rest); one team shows all.
        per_status = selectors.BOARD_GROUP_ROWS if len(teams) > 1 and team_id is None else None
        columns = selectors.review_board_columns(
            viewer=viewer, year=year, today=today, team_id=team_id, per_status=per_status
        )
        context = {
            "form": form,
            "show_team_filter": len(teams) > 1,
            "year": year,
            "columns": columns,
            "total": sum(c.count for c in columns),
            "default_due": calculations.default_due_date(year),
        }
        return render(request, "coaching/review_board.html", context)


# --- The review ---------------------------------------------------------------------------------------


class PlanReviewForm(forms.Form):
    """One comment box per part of the plan, all optional: requesting changes needs at least one."""

    def __init__(self, *args, parts: list[selectors.ReviewPart], **kwargs):
        super().__init__(*args, **kwargs)
        for part in parts:
            self.fields[f"comment-{part.key}"] = forms.CharField(
                label=_("Your comment on “%(part)s”") % {"part": part.title},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def comments(self) -> dict[str, str]:
        """The comments written, by the part they are attached to."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {name.removeprefix("comment-"): text for name, text in data.items() if text.strip()}


class PlanReviewView(View):
    """The reviewer reads the submitted plan part by part, comments, and requests changes or approves."""

    template_name = "coaching/plan_review_form.html"

    def _render(self, request, plan, parts, form, status=200) -> HttpResponse:
        by_part: dict[str, list] = {}
        for comment in plan.comments.all():
            by_part.setdefault(comment.section, []).append(comment)
        context = {
            "plan": plan,
            "form": form,
            "items": [(part, form[f"comment-{part.key}"], by_part.get(part.key, [])) for part in parts],
            "findings": _findings(plan),
            "can_review": True,
            "is_submitted": plan.status == PlanStatus.SUBMITTED,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _reviewable_plan(request, pk)
        parts = selectors.plan_review_parts(plan=plan)
        return self._render(request, plan, parts, PlanReviewForm(parts=parts))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _reviewable_plan(request, pk)
        parts = selectors.plan_review_parts(plan=plan)
        form = PlanReviewForm(request.POST, parts=parts)
        comments = form.comments()
        action = request.POST.get("action")
        try:
            if action == "approve":
                if comments:
                    # Approving would drop what the reviewer typed: make them choose.
                    raise ValidationError(
                        _("You wrote comments: request changes to send them, or clear them to approve.")
                    )
                plan = services.plan_approve(plan=plan, by=request.user, now=timezone.now())
                message = _("%(owner)s's plan for %(year)s is approved (revision %(revision)s).")
            elif action == "request_changes":
                plan = services.plan_request_changes(plan=plan, by=request.user, comments=comments)
                message = _("Changes requested: %(owner)s's plan for %(year)s went back with your comments.")
            else:
                raise ValidationError(_("Choose whether to request changes or to approve."))
        except ValidationError as error:
            form.add_error(None, error)
            return self._render(request, plan, parts, form, status=400)
        messages.success(
            request, message % {"owner": plan.owner, "year": plan.year, "revision": plan.revision}
        )
        return redirect(_board_url(plan))


# --- The plan reset -----------------------------------------------------------------------------------


class PlanResetForm(forms.Form):
    # Not required here: the service says why a reason is needed, in its own words.
    reason = forms.CharField(
        label=gettext_lazy("Why the plan is reset"),
        required=False,
        help_text=gettext_lazy(
            "Usually decided in a checkpoint, e.g. “Checkpoint of 14 May: the Dupont account is lost”. The RM "
            "sees it, and it stays with the new revision."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )


class PlanResetView(View):
    """The reviewer reopens an approved plan as a new revision, saying why; the approved one is kept."""

    template_name = "coaching/plan_reset_form.html"

    def _render(self, request, plan, form, status=200) -> HttpResponse:
        context = {
            "plan": plan,
            "form": form,
            "can_review": True,
            "findings": _findings(plan),
            "is_approved": plan.status == PlanStatus.APPROVED,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _reviewable_plan(request, pk)
        return self._render(request, plan, PlanResetForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _reviewable_plan(request, pk)
        form = PlanResetForm(request.POST)
        if form.is_valid():
            try:
                plan = services.plan_reset(plan=plan, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _("Revision %(revision)s opened.") % {"revision": plan.revision})
                return redirect(plan)
        return self._render(request, plan, form, status=400)


# --- Revisions and their differences ------------------------------------------------------------------


def _revision_label(revision) -> str:
    approved = date_format(timezone.localtime(revision.created_at), "DATE_FORMAT")
    return _("Revision %(number)s, approved %(date)s") % {"number": revision.number, "date": approved}


def _current_label(plan: Plan) -> str:
    return _("Current working version (revision %(number)s, %(status)s)") % {
        "number": plan.revision,
        "status": plan.get_status_display().lower(),
    }


class RevisionPickForm(forms.Form):
    """Which two versions of the plan to compare."""

    def __init__(self, *args, plan: Plan, revisions: list, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(r.number), _revision_label(r)) for r in revisions] + [(CURRENT, _current_label(plan))]
        self.fields["from"] = forms.ChoiceField(label=_("From"), choices=choices)
        self.fields["to"] = forms.ChoiceField(label=_("To"), choices=choices)


def _default_pair(plan: Plan, revisions: list) -> dict[str, str]:
    """The last revision before the working one against the working version; the first revision when there
    is no other."""
    if not revisions:
        return {}
    earlier = [r for r in revisions if r.number < plan.revision] or revisions
    return {"from": str(earlier[-1].number), "to": CURRENT}


class PlanRevisionListView(View):
    """Every revision of the plan (number, approval, reason) and the working version, to pick two to compare."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _visible_plan(request, pk)
        revisions = selectors.plan_revisions(plan=plan)
        context = {
            "plan": plan,
            "revisions": revisions,
            "form": RevisionPickForm(initial=_default_pair(plan, revisions), plan=plan, revisions=revisions),
            "can_review": services.can_review(user=request.user, plan=plan),
            "findings": _findings(plan),
        }
        return render(request, "coaching/plan_revision_list.html", context)


class PlanRevisionDiffView(View):
    """A readable difference between two versions of the plan, block by block, with the later one's reason."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _visible_plan(request, pk)
        revisions = selectors.plan_revisions(plan=plan)
        data = {**_default_pair(plan, revisions), **request.GET.dict()}
        form = RevisionPickForm(data, plan=plan, revisions=revisions)
        context = {"plan": plan, "form": form, "revisions": revisions}
        if not revisions or not form.is_valid():
            return render(
                request, "coaching/plan_revision_diff.html", context, status=400 if revisions else 200
            )
        by_number = {str(r.number): r for r in revisions}
        current = selectors.plan_content(plan=plan)

        def version(choice: str):
            if choice == CURRENT:
                return current, _current_label(plan), plan.reset_reason if plan.revision > 1 else ""
            revision = by_number[choice]
            return revision.content, _revision_label(revision), revision.reason

        old, old_label, _old_reason = version(form.cleaned_data["from"])
        new, new_label, new_reason = version(form.cleaned_data["to"])
        diffs = selectors.revision_diff(old, new)  # content_as_text puts sections in the plan's order
        context.update(
            {
                "old_label": old_label,
                "new_label": new_label,
                "reason": new_reason,
                "changed": [d for d in diffs if d.changed],
                "unchanged": [d for d in diffs if not d.changed],
                "diffs": diffs,
            }
        )
        return render(request, "coaching/plan_revision_diff.html", context)
