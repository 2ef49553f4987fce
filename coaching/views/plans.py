"""The RM's side of annual plans: their list of plans, the plan page written in place with autosave (sections,
numbers, relationship plans, development plan), the disconnect panel, submission and the print page."""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.models import Role, User
from accounts.selectors import teams_visible_to
from salesplan.paging import paginate

from ..forms import (
    DevelopmentGoalForm,
    NumbersForm,
    PlanFilter,
    RelationshipActionForm,
    RelationshipCreateForm,
    RelationshipResultForm,
    RelationshipTextForm,
    SectionForm,
    add_service_errors,
)
from ..models import (
    DevelopmentGoal,
    Plan,
    PlannedActivity,
    PlanSection,
    PlanStatus,
    RelationshipPlan,
    SectionKey,
)
from ..selectors import plans as selectors
from ..services import plans as services

GOALS = [SectionKey.GOALS_SELF, SectionKey.GOALS_BUSINESS, SectionKey.GOALS_PAY, SectionKey.GOALS_MARKET]
RELATIONSHIP_TEXTS = ["objectives", "resources", "expected_results"]
PLAN_CHANGED = "plan-changed"  # the htmx event that refreshes the disconnect panel
SECTION_HINTS = {
    SectionKey.GOALS_SELF: gettext_lazy(
        "What do you want for yourself this year: skills, recognition, balance?"
    ),
    SectionKey.GOALS_BUSINESS: gettext_lazy("What will your book of business look like in December?"),
    SectionKey.GOALS_PAY: gettext_lazy("What do you want to earn, and what does it take?"),
    SectionKey.GOALS_MARKET: gettext_lazy("Which market, which segments, which place in them?"),
    SectionKey.STRATEGIES: gettext_lazy("How you will reach these goals: where you play, how you win."),
    SectionKey.MEASURES: gettext_lazy("The signs, week by week and month by month, that you are on track."),
    SectionKey.TERRITORY: gettext_lazy(
        "How you will work your territory: named accounts, segments, prospecting."
    ),
    SectionKey.RESOURCES: gettext_lazy(
        "What you need from your leader and the bank: specialists, time, budget."
    ),
}


# --- Helpers ------------------------------------------------------------------------------------------


def _visible_plan(request: HttpRequest, pk: int) -> Plan:
    plan = selectors.plans_visible_to(viewer=request.user).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def _page_plan(request: HttpRequest, pk: int) -> Plan:
    """The plan with everything its page shows prefetched; 404 when the viewer may not see it."""
    plan = selectors.plan_detail(viewer=request.user, pk=pk)
    if plan is None:
        raise Http404
    order = {kind: i for i, kind in enumerate(PlannedActivity.Kind.values)}
    plan.levels_in_order = sorted(plan.planned_activities.all(), key=lambda level: order.get(level.kind, 99))
    return plan


def _visible(queryset, pk: int):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _findings(plan: Plan) -> list[selectors.Finding]:
    return selectors.plan_disconnects(plans=[plan], today=timezone.localdate()).get(plan.pk, [])


def _anchor(plan: Plan, anchor: str) -> str:
    return f"{reverse('coaching:plan-detail', args=[plan.pk])}#{anchor}"


def _review_board_url() -> str | None:
    """The review board is the leader's page; link to it only when the review pages are installed."""
    try:
        return reverse("coaching:review-board")
    except NoReverseMatch:
        return None


def _who(saved_by: User | None, viewer: User) -> str:
    if saved_by is None:
        return _("Someone else")
    if saved_by.pk == viewer.pk:
        return _("You (in another window)")
    return str(saved_by)


def _conflict_message(what: str, saved_by: User | None, viewer: User) -> str:
    messages_by_part = {
        "section": _("%(who)s saved this section while you were editing it."),
        "relationship": _("%(who)s saved this relationship plan while you were editing it."),
        "numbers": _("%(who)s saved the figures while you were editing them."),
    }
    return messages_by_part[what] % {"who": _who(saved_by, viewer)}


@dataclass
class Conflict:
    """What the conflict panel shows: who saved meanwhile, both versions of each text, and where to save the
    merged text (with their version as the base)."""

    target_id: str
    action: str
    message: str
    saved_at: datetime.datetime | None
    version: int
    version_name: str = "version"
    fields: list[dict] = field(default_factory=list)  # name, label, theirs, yours


def _action_owners(plan: Plan) -> list[User]:
    """Who may own an action of a relationship plan: the RM, or their leader."""
    leader = plan.owner.team.leader if plan.owner.team_id else None
    return [plan.owner] + ([leader] if leader else [])


def _with_relationship_forms(rel: RelationshipPlan, plan: Plan, metrics, designated_ids, overrides) -> None:
    rel.is_designated = rel.account_id in designated_ids
    rel.text_form = RelationshipTextForm(
        initial={name: getattr(rel, name) for name in RELATIONSHIP_TEXTS} | {"version": rel.version},
        prefix=f"rel-{rel.pk}",
    )
    rel.action_form = overrides.get(("action", rel.pk)) or RelationshipActionForm(
        owners=_action_owners(plan), prefix=f"action-{rel.pk}"
    )
    rel.result_form = overrides.get(("result", rel.pk)) or RelationshipResultForm(
        metrics=metrics, prefix=f"result-{rel.pk}"
    )
    rel.conflict = overrides.get(("conflict", rel.pk))


def _sections(
    plan: Plan, viewer: User, conflict: Conflict | None = None, conflict_key: str = ""
) -> dict[str, PlanSection]:
    """The plan's sections by key, each with its open comments; a missing section shows empty."""
    comments: dict[str, list] = {}
    for comment in plan.comments.all():
        if not comment.resolved:
            comments.setdefault(comment.section, []).append(comment)
    existing = {s.key: s for s in plan.sections.all()}
    sections = {}
    for key in SectionKey.values:
        section = existing.get(key) or PlanSection(plan=plan, key=key)
        section.hint = SECTION_HINTS.get(key, "")
        section.saved_state = _saved_at(section.updated_at, section.updated_by, viewer)
        section.open_comments = comments.get(key, [])
        section.conflict = conflict if key == conflict_key else None
        sections[key] = section
    return sections


def _page_context(request: HttpRequest, plan: Plan, *, overrides: dict | None = None) -> dict:
    """Everything the plan page shows. `overrides` puts refused forms (with the user's input) or a conflict
    back in their place."""
    viewer = request.user
    overrides = overrides or {}
    editable = services.can_edit(user=viewer, plan=plan)
    sections = _sections(plan, viewer, overrides.get("section_conflict"), overrides.get("section_key", ""))
    designated = selectors.designated_accounts(viewer=viewer, plan=plan)
    designated_ids = {a.pk for a in designated}
    relationships = list(plan.relationship_plans.all())
    covered = {r.account_id for r in relationships}
    context = {
        "plan": plan,
        "editable": editable,
        "is_owner": viewer.pk == plan.owner_id,
        "can_review": services.can_review(user=viewer, plan=plan),
        "findings": _findings(plan),
        "goal_sections": [sections[key] for key in GOALS],
        "strategies": sections[SectionKey.STRATEGIES],
        "measures": sections[SectionKey.MEASURES],
        "territory": sections[SectionKey.TERRITORY],
        "resources": sections[SectionKey.RESOURCES],
        "comments": _part_comments(plan),
        "targets": selectors.plan_targets(viewer=viewer, plan=plan),
        "named_list": selectors.plan_named_list(viewer=viewer, plan=plan),
        "relationships": relationships,
        "uncovered": [a for a in designated if a.pk not in covered],
        "development_goals": list(plan.development_goals.all()),
        "history": selectors.plan_history(plan=plan),
    }
    if editable:
        metrics = selectors.plan_metrics()
        for rel in relationships:
            _with_relationship_forms(rel, plan, metrics, designated_ids, overrides)
        context["numbers_form"] = overrides.get("numbers") or _numbers_form(plan)
        context["numbers_conflict"] = overrides.get("numbers_conflict")
        context["development_form"] = overrides.get("development") or DevelopmentGoalForm(
            metrics=metrics, prefix="goal"
        )
        context["relationship_form"] = overrides.get("relationship") or RelationshipCreateForm(
            accounts=context["uncovered"], prefix="rel-new"
        )
    else:
        for rel in relationships:
            rel.is_designated = rel.account_id in designated_ids
    return context


def _part_comments(plan: Plan) -> dict[str, list]:
    """Open comments on the numbers, relationship and development parts (sections carry their own)."""
    comments: dict[str, list] = {}
    for comment in plan.comments.all():
        if not comment.resolved and comment.section in ("numbers", "relationships", "development"):
            comments.setdefault(comment.section, []).append(comment)
    return comments


def _numbers_form(plan: Plan, data=None) -> NumbersForm:
    return NumbersForm(
        data,
        plan=plan,
        segments=selectors.plan_segment_choices(plan=plan),
        categories=selectors.product_categories(plan=plan),
        prefix="numbers",
    )


def _render_page(request: HttpRequest, plan: Plan, overrides: dict, status: int) -> HttpResponse:
    return render(
        request, "coaching/plan_detail.html", _page_context(request, plan, overrides=overrides), status=status
    )


def _saved_at(when: datetime.datetime | None, by: User | None = None, viewer: User | None = None) -> str:
    """ "Saved at 10:42" today, "Saved on 03/02/2026 10:42" before; naming who saved when it was not you."""
    if when is None:
        return ""
    local = timezone.localtime(when)
    if local.date() == timezone.localdate():
        text = _("Saved at %(time)s") % {"time": time_format(local, "H:i")}
    else:
        text = _("Saved on %(date)s") % {"date": date_format(local, "SHORT_DATETIME_FORMAT")}
    if by is not None and viewer is not None and by.pk != viewer.pk:
        text = _("%(saved)s by %(who)s") % {"saved": text, "who": by}
    return text


# --- The plan list and creation ---------------------------------------------------------------------


class PlanListView(View):
    """An RM's own plans by year (and the button to open this year's); a manager's RMs' plans, filtered."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        year = timezone.localdate().year
        plans = selectors.plan_list(viewer=viewer)
        context = {"year": year, "review_board_url": None, "is_rm": viewer.role == Role.RM}
        if viewer.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
            filterset = PlanFilter(request.GET, queryset=plans, teams=teams_visible_to(viewer=viewer))
            qs = filterset.qs if filterset.is_valid() else plans.none()
            if not request.GET.get("ordering"):
                qs = qs.order_by("-year", "owner__display_name", "pk")
            page, query = paginate(request, qs)
            context |= {
                "filter": filterset,
                "page_obj": page,
                "query": query,
                "review_board_url": _review_board_url(),
            }
        else:
            own = list(plans.filter(owner=viewer).order_by("-year"))
            context |= {"own_plans": own, "current": next((p for p in own if p.year == year), None)}
        return render(request, "coaching/plan_list.html", context)


class PlanCreateView(View):
    """An RM opens their plan for a year (this year or the next): every section empty, a draft."""

    def post(self, request: HttpRequest) -> HttpResponse:
        this_year = timezone.localdate().year
        try:
            year = int(request.POST.get("year", this_year))
        except ValueError:
            year = 0
        if year not in (this_year, this_year + 1):
            messages.error(request, _("Plans are opened for this year or the next."))
            return redirect("coaching:plan-list")
        try:
            plan = services.plan_create(owner=request.user, year=year, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("coaching:plan-list")
        return redirect(plan)


# --- The plan page --------------------------------------------------------------------------------


class PlanDetailView(View):
    """THE plan page, in the plan's order: goals, strategies, measures, the territory plan (figures, targets,
    named accounts, territory and resources), relationship plans and the personal development plan; edited
    in place while the plan is a draft, read-only once submitted or approved."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _page_plan(request, pk)
        return render(request, "coaching/plan_detail.html", _page_context(request, plan))


class PlanFindingsView(View):
    """The disconnect panel alone, refreshed in place after the numbers or the plan's parts change."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _visible(selectors.plans_visible_to(viewer=request.user).prefetch_related("planned_mix"), pk)
        return render(request, "coaching/_plan_findings.html", {"plan": plan, "findings": _findings(plan)})


def _with_retarget(response: HttpResponse, target_id: str) -> HttpResponse:
    """A 409 replaces the whole block with the conflict panel, whatever the autosave form asked to swap."""
    response["HX-Retarget"] = f"#{target_id}"
    response["HX-Reswap"] = "outerHTML"
    response["HX-Reselect"] = f"#{target_id}"
    return response


class PlanSectionSaveView(View):
    """Autosave of one written section. Answers the section (new version, "Saved at …"); when someone saved
    the section meanwhile, 409 with both versions, nothing overwritten."""

    def post(self, request: HttpRequest, pk: int, key: str) -> HttpResponse:
        plan = _visible_plan(request, pk)
        if key not in SectionKey.values:
            raise Http404
        form = SectionForm(request.POST)
        if not form.is_valid():
            return HttpResponse(_("The section could not be read; reload the page."), status=400)
        content = form.cleaned_data["content"]
        try:
            section = services.section_save(
                plan=plan,
                key=key,
                content=content,
                base_version=form.cleaned_data["version"],
                by=request.user,
            )
        except services.EditConflict as error:
            conflict = Conflict(
                target_id=f"section-{key}",
                action=reverse("coaching:plan-section-save", args=[plan.pk, key]),
                message=_conflict_message("section", error.saved_by, request.user),
                saved_at=error.saved_at,
                version=error.their_version,
                fields=[
                    {
                        "name": "content",
                        "label": SectionKey(key).label,
                        "theirs": error.theirs,
                        "yours": content,
                    }
                ],
            )
            if not request.htmx:
                plan = _page_plan(request, pk)
                return _render_page(request, plan, {"section_conflict": conflict, "section_key": key}, 409)
            section = PlanSection.objects.select_related("updated_by").get(plan=plan, key=key)
            section.conflict, section.open_comments = conflict, []
            response = render(
                request,
                "coaching/_plan_section.html",
                {"plan": plan, "section": section, "editable": True},
                status=409,
            )
            return _with_retarget(response, conflict.target_id)
        section.saved_state = _saved_at(section.updated_at, section.updated_by, request.user)
        if not request.htmx:
            messages.success(request, section.saved_state)
            return redirect(_anchor(plan, f"section-{key}"))
        section.hint, section.open_comments, section.conflict = SECTION_HINTS.get(key, ""), [], None
        # Strategies and measures are titled by their part of the page (see plan_detail.html).
        heading = key not in (SectionKey.STRATEGIES, SectionKey.MEASURES)
        context = {"plan": plan, "section": section, "editable": True, "heading": heading}
        return render(request, "coaching/_plan_section.html", context)


class PlanNumbersSaveView(View):
    """The figures of the territory plan saved as one (goals, segments, weekly activity, product mix)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _page_plan(request, pk)
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        form = _numbers_form(plan, request.POST)
        conflict = None
        if form.is_valid():
            try:
                services.numbers_save(
                    plan=plan,
                    base_version=form.cleaned_data["version"],
                    by=request.user,
                    goal_new_clients=form.cleaned_data["goal_new_clients"],
                    goal_won_revenue=form.cleaned_data["goal_won_revenue"],
                    segments=form.segment_objects(),
                    activity_levels=form.activity_levels(),
                    mix=form.mix(),
                )
            except services.EditConflict as error:
                conflict = error
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return self._saved(request, pk)
        if conflict is not None:
            # Theirs is the plan as saved now; yours stays in the form, based on their version.
            plan = _page_plan(request, pk)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(conflict.their_version)
            form = _numbers_form(plan, data)
            form.is_valid()
            overrides = {"numbers": form, "numbers_conflict": Conflict(
                target_id="numbers", action="", message=_conflict_message("numbers", None, request.user),
                saved_at=conflict.saved_at, version=conflict.their_version,
            )}  # fmt: skip
            status = 409
        else:
            overrides, status = {"numbers": form}, 400
        if not request.htmx:
            return _render_page(request, plan, overrides, status)
        context = {"plan": plan, "editable": True, "numbers_form": form}
        context["numbers_conflict"] = overrides.get("numbers_conflict")
        response = render(request, "coaching/_plan_numbers.html", context, status=status)
        return _with_retarget(response, "numbers") if status == 409 else response

    def _saved(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _page_plan(request, pk)
        if not request.htmx:
            messages.success(request, _("The figures of your plan have been saved."))
            return redirect(_anchor(plan, "numbers"))
        context = {
            "plan": plan,
            "editable": True,
            "numbers_form": _numbers_form(plan),
            "numbers_saved": _saved_at(plan.updated_at),
        }
        response = render(request, "coaching/_plan_numbers.html", context)
        response["HX-Trigger"] = PLAN_CHANGED
        return response


# --- Relationship plans -------------------------------------------------------------------------------


class RelationshipCreateView(View):
    """Open a relationship plan for one of the RM's must-keep or must-expand accounts."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _page_plan(request, pk)
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        covered = {r.account_id for r in plan.relationship_plans.all()}
        accounts = [
            a for a in selectors.designated_accounts(viewer=request.user, plan=plan) if a.pk not in covered
        ]
        form = RelationshipCreateForm(request.POST, accounts=accounts, prefix="rel-new")
        if form.is_valid():
            relationship = RelationshipPlan(plan=plan, account=form.cleaned_data["account"])
            try:
                relationship = services.relationship_save(
                    relationship=relationship, base_version=None, by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Relationship plan for %(account)s opened.") % {"account": relationship.account},
                )
                return redirect(_anchor(plan, f"relationship-{relationship.pk}"))
        return _render_page(request, plan, {"relationship": form}, 400)


class RelationshipSaveView(View):
    """Autosave of a relationship plan's objectives, resources and expected results (guarded by version)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        relationship = _visible(selectors.relationships_visible_to(viewer=request.user), pk)
        plan = relationship.plan
        form = RelationshipTextForm(request.POST, prefix=f"rel-{pk}")
        if not form.is_valid():
            return HttpResponse(_("The relationship plan could not be read; reload the page."), status=400)
        for name in RELATIONSHIP_TEXTS:
            setattr(relationship, name, form.cleaned_data[name])
        try:
            relationship = services.relationship_save(
                relationship=relationship, base_version=form.cleaned_data["version"], by=request.user
            )
        except services.EditConflict as error:
            current = selectors.relationships_visible_to(viewer=request.user).get(pk=pk)
            conflict = Conflict(
                target_id=f"relationship-{pk}-text",
                action=reverse("coaching:plan-relationship-save", args=[pk]),
                message=_conflict_message("relationship", error.saved_by, request.user),
                saved_at=error.saved_at,
                version=error.their_version,
                version_name=form.add_prefix("version"),
                fields=[
                    {
                        "name": form.add_prefix(name),
                        "label": form.fields[name].label,
                        "theirs": getattr(current, name),
                        "yours": form.cleaned_data[name],
                    }
                    for name in RELATIONSHIP_TEXTS
                ],
            )
            if not request.htmx:
                page_plan = _page_plan(request, plan.pk)
                return _render_page(request, page_plan, {("conflict", pk): conflict}, 409)
            current.conflict = conflict
            context = {"plan": plan, "rel": current, "editable": True, "text_only": True}
            response = render(request, "coaching/_plan_relationship.html", context, status=409)
            return _with_retarget(response, conflict.target_id)
        if not request.htmx:
            messages.success(request, _("The relationship plan has been saved."))
            return redirect(_anchor(plan, f"relationship-{pk}"))
        relationship.text_form = RelationshipTextForm(
            initial={name: getattr(relationship, name) for name in RELATIONSHIP_TEXTS}
            | {"version": relationship.version},
            prefix=f"rel-{pk}",
        )
        relationship.saved_state = _saved_at(timezone.now())
        context = {"plan": plan, "rel": relationship, "editable": True, "text_only": True}
        return render(request, "coaching/_plan_relationship.html", context)


class _ConfirmDeleteView(View):
    """GET asks to confirm, POST deletes and goes back to the part of the plan."""

    anchor = ""

    def _object(self, request: HttpRequest, pk: int):
        raise NotImplementedError

    def _describe(self, obj) -> tuple[str, str]:
        """What is deleted (title, detail)."""
        raise NotImplementedError

    def _delete(self, obj, by: User) -> None:
        raise NotImplementedError

    def _plan(self, obj) -> Plan:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._object(request, pk)
        plan = self._plan(obj)
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        title, detail = self._describe(obj)
        context = {"plan": plan, "title": title, "detail": detail, "cancel_url": _anchor(plan, self.anchor)}
        return render(request, "coaching/plan_confirm_delete.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._object(request, pk)
        plan = self._plan(obj)
        title, _detail = self._describe(obj)
        self._delete(obj, request.user)
        messages.success(request, _("Deleted: %(what)s.") % {"what": title})
        return redirect(_anchor(plan, self.anchor))


class RelationshipDeleteView(_ConfirmDeleteView):
    anchor = "relationships"

    def _object(self, request, pk):
        return _visible(selectors.relationships_visible_to(viewer=request.user), pk)

    def _plan(self, obj):
        return obj.plan

    def _describe(self, obj):
        return (
            _("the relationship plan for %(account)s") % {"account": obj.account},
            _("Its objectives, actions and expected results are deleted with it."),
        )

    def _delete(self, obj, by):
        services.relationship_delete(relationship=obj, by=by)


class RelationshipActionAddView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        relationship = _visible(selectors.relationships_visible_to(viewer=request.user), pk)
        plan = relationship.plan
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        form = RelationshipActionForm(request.POST, owners=_action_owners(plan), prefix=f"action-{pk}")
        if form.is_valid():
            try:
                services.relationship_action_add(
                    relationship=relationship, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The action has been added."))
                return redirect(_anchor(plan, f"relationship-{pk}"))
        return _render_page(request, _page_plan(request, plan.pk), {("action", pk): form}, 400)


class RelationshipActionDeleteView(_ConfirmDeleteView):
    anchor = "relationships"

    def _object(self, request, pk):
        return _visible(selectors.relationship_actions_visible_to(viewer=request.user), pk)

    def _plan(self, obj):
        return obj.relationship.plan

    def _describe(self, obj):
        return (
            _("the action “%(action)s”") % {"action": obj.description},
            _("Relationship plan for %(account)s, due %(due)s.")
            % {"account": obj.relationship.account, "due": date_format(obj.due_date)},
        )

    def _delete(self, obj, by):
        services.relationship_action_delete(action=obj, by=by)


class RelationshipResultAddView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        relationship = _visible(selectors.relationships_visible_to(viewer=request.user), pk)
        plan = relationship.plan
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        form = RelationshipResultForm(request.POST, metrics=selectors.plan_metrics(), prefix=f"result-{pk}")
        if form.is_valid():
            try:
                services.relationship_result_add(
                    relationship=relationship, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The expected result has been added."))
                return redirect(_anchor(plan, f"relationship-{pk}"))
        return _render_page(request, _page_plan(request, plan.pk), {("result", pk): form}, 400)


class RelationshipResultDeleteView(_ConfirmDeleteView):
    anchor = "relationships"

    def _object(self, request, pk):
        return _visible(selectors.relationship_results_visible_to(viewer=request.user), pk)

    def _plan(self, obj):
        return obj.relationship.plan

    def _describe(self, obj):
        return (
            _("the expected result “%(result)s”") % {"result": f"{obj.metric}: {obj.expected_value}"},
            _("Relationship plan for %(account)s.") % {"account": obj.relationship.account},
        )

    def _delete(self, obj, by):
        services.relationship_result_delete(result=obj, by=by)


# --- The personal development plan ----------------------------------------------------------------


class DevelopmentGoalAddView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _visible_plan(request, pk)
        if not services.can_edit(user=request.user, plan=plan):
            raise PermissionDenied
        form = DevelopmentGoalForm(
            request.POST, instance=DevelopmentGoal(plan=plan), metrics=selectors.plan_metrics(), prefix="goal"
        )
        if form.is_valid():
            try:
                services.development_goal_save(goal=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The development goal has been added."))
                return redirect(_anchor(plan, "development"))
        return _render_page(request, _page_plan(request, pk), {"development": form}, 400)


class DevelopmentGoalDeleteView(_ConfirmDeleteView):
    anchor = "development"

    def _object(self, request, pk):
        return _visible(selectors.development_goals_visible_to(viewer=request.user), pk)

    def _plan(self, obj):
        return obj.plan

    def _describe(self, obj):
        return _("the development goal “%(skill)s”") % {"skill": obj.skill}, obj.actions

    def _delete(self, obj, by):
        services.development_goal_delete(goal=obj, by=by)


# --- Submission and printing --------------------------------------------------------------------------


class PlanSubmitView(View):
    """The RM submits the plan to their leader, after seeing the disconnects still open."""

    def _plan(self, request: HttpRequest, pk: int) -> Plan:
        plan = _visible_plan(request, pk)
        if request.user.pk != plan.owner_id:
            raise PermissionDenied
        return plan

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = self._plan(request, pk)
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED):
            messages.info(request, _("This plan is not a draft: there is nothing to submit."))
            return redirect(plan)
        plan = selectors.plans_visible_to(viewer=request.user).prefetch_related("planned_mix").get(pk=pk)
        context = {
            "plan": plan,
            "findings": _findings(plan),
            "leader": plan.owner.team.leader if plan.owner.team_id else None,
        }
        return render(request, "coaching/plan_confirm_submit.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = self._plan(request, pk)
        try:
            plan = services.plan_submit(plan=plan, by=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            leader = plan.owner.team.leader if plan.owner.team_id else None
            if leader:
                messages.success(
                    request, _("Your plan has been submitted to %(leader)s.") % {"leader": leader}
                )
            else:
                messages.success(request, _("Your plan has been submitted."))
        return redirect(plan)


class PlanPrintView(View):
    """The whole plan on clean pages for printing or a PDF: status, revision, every part."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        plan = _page_plan(request, pk)
        sections = _sections(plan, request.user)
        context = {
            "plan": plan,
            "goal_sections": [sections[key] for key in GOALS],
            "other_sections": [sections[key] for key in (SectionKey.STRATEGIES, SectionKey.MEASURES)],
            "territory": sections[SectionKey.TERRITORY],
            "resources": sections[SectionKey.RESOURCES],
            "targets": selectors.plan_targets(viewer=request.user, plan=plan),
            "named_list": selectors.plan_named_list(viewer=request.user, plan=plan),
            "relationships": list(plan.relationship_plans.all()),
            "development_goals": list(plan.development_goals.all()),
            "printed_at": timezone.now(),
        }
        return render(request, "coaching/plan_print.html", context)
