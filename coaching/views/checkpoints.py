"""Checkpoint pages: the list of meetings, THE meeting page (run in place, saving as you go), its moves
(open, close, reschedule, cancel, skip, held), the semiannual review, invites and calendar feeds,
notifications and cadences."""

import datetime
import re
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, number_format, time_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from accounts.models import Role, User
from accounts.selectors import teams_visible_to, users_visible_to
from salesplan.history import object_history
from salesplan.paging import paginate

from .. import ical
from ..forms import add_service_errors
from ..forms_checkpoints import (
    AcknowledgeForm,
    ActionItemForm,
    CadenceForm,
    CheckpointFilter,
    DecisionForm,
    HeldForm,
    NoteForm,
    PlanResetForm,
    ProblemForm,
    ReasonForm,
    RescheduleForm,
    ReviewForm,
    SurpriseForm,
)
from ..models import (
    ActionItem,
    Cadence,
    Checkpoint,
    CheckpointStatus,
    Notification,
    SemiannualReview,
)
from ..selectors import checkpoints as selectors
from ..services import checkpoints as services

AGENDA = services.AGENDA_PREFIX


# --- Helpers ------------------------------------------------------------------------------------------


def _visible_checkpoint(request: HttpRequest, pk: int) -> Checkpoint:
    checkpoint = selectors.checkpoints_visible_to(viewer=request.user).filter(pk=pk).first()
    if checkpoint is None:
        raise Http404
    return checkpoint


def _page_checkpoint(request: HttpRequest, pk: int) -> Checkpoint:
    checkpoint = selectors.checkpoint_detail(viewer=request.user, pk=pk)
    if checkpoint is None:
        raise Http404
    return checkpoint


def _url_or_none(name: str, *args) -> str | None:
    """Pages built by other parts of the app are linked only once they exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _anchor(checkpoint: Checkpoint, anchor: str) -> str:
    return f"{checkpoint.get_absolute_url()}#{anchor}"


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _saved_at(when: datetime.datetime) -> str:
    return _("Saved at %(time)s") % {"time": time_format(timezone.localtime(when), "H:i")}


# --- The meeting page's parts ---------------------------------------------------------------------------


@dataclass
class NoteBox:
    """One note box of the meeting page: what it holds, whether the viewer writes in it, and a conflict."""

    field: str
    label: str
    text: str
    editable: bool
    version: int
    help: str = ""
    state: str = ""
    error: str = ""
    theirs: str | None = None  # set when someone saved this box while the viewer typed

    @property
    def slug(self) -> str:
        return self.field.replace(":", "-").replace("_", "-")

    @property
    def base(self) -> str:
        return self.text if self.theirs is None else self.theirs


def _note_label(checkpoint: Checkpoint, field: str) -> str:
    if field.startswith(AGENDA):
        return str(dict(checkpoint.agenda).get(field.removeprefix(AGENDA), field))
    return {
        "leader_notes": _("Leader's notes"),
        "rm_notes": _("RM's notes"),
        "prep_notes": _("Preparation notes"),
    }[field]


def _note_text(checkpoint: Checkpoint, field: str) -> str:
    if field.startswith(AGENDA):
        return (checkpoint.agenda_notes or {}).get(field.removeprefix(AGENDA), "")
    return getattr(checkpoint, field)


def _note_editable(checkpoint: Checkpoint, field: str, *, runs: bool, is_rm: bool) -> bool:
    """The leader writes the agenda notes and their own during the meeting; the RM prepares before it and
    writes their own notes during it; nobody writes once it is closed."""
    status = checkpoint.status
    if field == "prep_notes":
        return is_rm and status in (CheckpointStatus.SCHEDULED, CheckpointStatus.OPEN)
    if status != CheckpointStatus.OPEN:
        return False
    if field == "rm_notes":
        return is_rm
    return runs and not is_rm


def _note_box(checkpoint: Checkpoint, field: str, *, runs: bool, is_rm: bool) -> NoteBox:
    helps = {
        "prep_notes": _("Before the meeting: what went well, what got in the way, what you need."),
    }
    return NoteBox(
        field=field,
        label=_note_label(checkpoint, field),
        text=_note_text(checkpoint, field),
        editable=_note_editable(checkpoint, field, runs=runs, is_rm=is_rm),
        version=checkpoint.version,
        help=helps.get(field, ""),
    )


def _decimal(value: str | None) -> Decimal | None:
    try:
        return None if value is None else Decimal(value)
    except InvalidOperation:
        return None


def _rounded(value: Decimal, places: int) -> Decimal:
    # number_format cuts decimals off; round first.
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _figure(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{number_format(_rounded(value * 100, 1), 1, use_l10n=True)} %"
    places = 0 if unit == "money" or value == value.to_integral_value() else 1
    return number_format(_rounded(value, places), places, use_l10n=True, force_grouping=True)


def _snapshot_rows(checkpoint: Checkpoint) -> list[dict]:
    """The frozen snapshot's rows ready to show: metric names in the reader's language (as Metric.__str__
    gives them; a snapshot from before `metric_name` was kept shows the name its opener read), figures
    formatted for the reader, attainment in percent."""
    rows = []
    for row in (checkpoint.snapshot or {}).get("rows", []):
        unit = row.get("unit", "")
        attainment = _decimal(row.get("attainment"))
        variance = _decimal(row.get("variance"))
        rows.append(
            {
                "metric": _(row["metric_name"]) if row.get("metric_name") else row.get("metric", ""),
                "plan": _figure(_decimal(row.get("plan")), unit),
                "actual": _figure(_decimal(row.get("actual")), unit),
                "variance": ("+" if variance and variance > 0 else "") + _figure(variance, unit),
                "attainment": "—"
                if attainment is None
                else f"{number_format(_rounded(attainment * 100, 0), 0)} %",
                "status": row.get("status", ""),
            }
        )
    return rows


EVENT_LABELS = {
    "opened": gettext_lazy("Meeting opened"),
    "held": gettext_lazy("Held"),
    "held_late": gettext_lazy("Held late"),
    "rescheduled": gettext_lazy("Rescheduled"),
    "cancelled": gettext_lazy("Cancelled"),
    "skipped": gettext_lazy("Skipped"),
}
MOVE = re.compile(r"^(\S+) → (\S+): (.*)$", re.DOTALL)


def _event_rows(checkpoint: Checkpoint) -> list[dict]:
    """The meeting's history, a reschedule's times shown in the reader's time zone."""
    rows = []
    for event in checkpoint.events.all():
        note = event.note
        match = MOVE.match(note) if event.action == "rescheduled" else None
        if match:
            before, after = parse_datetime(match[1]), parse_datetime(match[2])
            if before and after:
                note = _("from %(before)s to %(after)s: %(reason)s") % {
                    "before": date_format(timezone.localtime(before), "SHORT_DATETIME_FORMAT"),
                    "after": date_format(timezone.localtime(after), "SHORT_DATETIME_FORMAT"),
                    "reason": match[3],
                }
        rows.append({"event": event, "label": EVENT_LABELS.get(event.action, event.action), "note": note})
    return rows


def _owners(checkpoint: Checkpoint, viewer: User) -> list[User]:
    owners = [checkpoint.rm, checkpoint.leader]
    if viewer.pk not in (checkpoint.rm_id, checkpoint.leader_id):
        owners.append(viewer)
    return owners


def _review_form(review: SemiannualReview) -> ReviewForm:
    return ReviewForm(instance=review, initial={"version": review.version}, prefix="review")


def _meeting_context(request: HttpRequest, checkpoint: Checkpoint, overrides: dict | None = None) -> dict:
    """Everything the meeting page shows. `overrides` puts refused forms (with the user's input) back."""
    viewer = request.user
    overrides = overrides or {}
    runs = services.can_run(user=viewer, checkpoint=checkpoint)
    is_rm = viewer.pk == checkpoint.rm_id
    status = checkpoint.status
    is_open = status == CheckpointStatus.OPEN
    live = is_open and runs  # the leader's forms of a meeting in progress
    actions = selectors.meeting_action_items(checkpoint=checkpoint)

    def box(field: str) -> NoteBox:
        return overrides.get(("note", field)) or _note_box(checkpoint, field, runs=runs, is_rm=is_rm)

    context = {
        "checkpoint": checkpoint,
        "runs": runs,
        "is_rm": is_rm,
        "is_open": is_open,
        "is_scheduled": status == CheckpointStatus.SCHEDULED,
        "is_closed": checkpoint.is_closed,
        "was_held": status == CheckpointStatus.HELD,
        "live": live,
        "takes_part": runs or is_rm,
        "agenda_boxes": [box(f"{AGENDA}{key}") for key, _label in checkpoint.agenda],
        "prep_box": box("prep_notes"),
        "leader_box": box("leader_notes"),
        "rm_box": box("rm_notes"),
        "snapshot_rows": _snapshot_rows(checkpoint),
        "problems": list(checkpoint.problems.all()),
        "decisions": list(checkpoint.decisions.all()),
        "surprises": list(checkpoint.surprises.all()),
        "carried": actions.carried,
        "new_actions": actions.new,
        "open_after": sum(1 for item in [*actions.carried, *actions.new] if item.done_at is None),
        "deals": list(selectors.deals_in_play(rm=checkpoint.rm)[:20]),
        "events": _event_rows(checkpoint),
        "dashboard_url": _url_or_none("kpis:dashboard-rm", checkpoint.rm_id),
        "refusal": overrides.get("refusal"),
        "today": timezone.localdate(),
    }
    if live:
        context |= {
            "problem_form": overrides.get("problem") or ProblemForm(prefix="problem"),
            "decision_form": overrides.get("decision") or DecisionForm(prefix="decision"),
            "action_form": overrides.get("action")
            or ActionItemForm(
                owners=_owners(checkpoint, viewer),
                prefix="action",
                initial={"owner": checkpoint.rm_id, "due_date": _next_week(checkpoint)},
            ),
        }
        plan = selectors.approved_plan(rm=checkpoint.rm, year=timezone.localdate().year)
        if plan is not None:
            context["reset_plan"] = plan
            context["reset_form"] = overrides.get("reset") or PlanResetForm(prefix="reset")
            context["plan_url"] = _url_or_none("coaching:plan-detail", plan.pk)
    if is_open and (runs or is_rm):
        context["surprise_form"] = overrides.get("surprise") or SurpriseForm(prefix="surprise")
    if checkpoint.kind == "semiannual":
        context |= _review_context(checkpoint, runs=runs, is_rm=is_rm, overrides=overrides)
    context["history"] = object_history(checkpoint)
    return context


def _next_week(checkpoint: Checkpoint) -> datetime.date:
    return timezone.localtime(checkpoint.scheduled_at).date() + datetime.timedelta(days=7)


def _review_context(checkpoint: Checkpoint, *, runs: bool, is_rm: bool, overrides: dict) -> dict:
    review = getattr(checkpoint, "review", None)
    started = review is not None
    review = review or SemiannualReview(checkpoint=checkpoint)
    locked = review.is_locked
    context = {
        "review": review,
        "review_started": started,
        "review_parts": [
            (
                getattr(review, f"get_{part}_rating_display")() if getattr(review, f"{part}_rating") else "",
                SemiannualReview._meta.get_field(f"{part}_rating").verbose_name,
                getattr(review, f"{part}_comment"),
            )
            for part in ("results", "standards", "skills", "development")
        ],
        "review_editable": runs and not locked and checkpoint.status != CheckpointStatus.SCHEDULED,
        "review_conflict": overrides.get("review_conflict"),
        "review_history": object_history(review) if started else [],
    }
    if context["review_editable"]:
        context["review_form"] = overrides.get("review") or _review_form(review)
    if is_rm and started and not locked:
        context["acknowledge_form"] = overrides.get("acknowledge") or AcknowledgeForm(
            prefix="ack", initial={"comment": review.rm_comment}
        )
    context["can_sign_off"] = runs and started and not locked and review.acknowledged_at is not None
    return context


def _render_page(request: HttpRequest, checkpoint: Checkpoint, overrides: dict, status: int) -> HttpResponse:
    context = _meeting_context(request, checkpoint, overrides)
    return render(request, "coaching/checkpoint_detail.html", context, status=status)


def _render_part(
    request: HttpRequest, pk: int, template: str, overrides: dict | None = None, status: int = 200
) -> HttpResponse:
    """One part of the meeting page, fresh from the database, for an htmx swap."""
    checkpoint = _page_checkpoint(request, pk)
    context = _meeting_context(request, checkpoint, overrides)
    return render(request, f"coaching/{template}", context, status=status)


# --- The list -------------------------------------------------------------------------------------------


class CheckpointListView(View):
    """The meetings the viewer may see: an RM's own, a leader's teams', a director's region's, or all; with
    filters, sorting and pagination. Upcoming ones first by default."""

    def get(self, request: HttpRequest) -> HttpResponse:
        viewer = request.user
        now = timezone.now()
        checkpoints = selectors.checkpoint_list(viewer=viewer)
        is_rm = viewer.role == Role.RM
        rms = users_visible_to(viewer=viewer).with_role(Role.RM).order_by("display_name")
        data = request.GET.copy()
        data.setdefault("when", CheckpointFilter.UPCOMING)  # "when=" (any time) is a choice of its own
        filterset = CheckpointFilter(data, queryset=checkpoints, rms=rms, now=now)
        qs = filterset.qs if filterset.is_valid() else checkpoints.none()
        if not data.get("ordering"):
            past = data.get("when") == CheckpointFilter.PAST
            qs = qs.order_by("-scheduled_at", "-pk") if past else qs.order_by("scheduled_at", "pk")
        page, query = paginate(request, qs, params=data)
        teams = (
            list(teams_visible_to(viewer=viewer))
            if viewer.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN)
            else []
        )
        context = {
            "filter": filterset,
            "page_obj": page,
            "query": query,
            "show_rm_filter": not is_rm,
            "cadence_teams": teams,
            "now": now,
        }
        return render(request, "coaching/checkpoint_list.html", context)


# --- The meeting page -----------------------------------------------------------------------------------


class CheckpointDetailView(View):
    """THE meeting page: the agenda of its kind with a notes box per item, the plan-versus-actual snapshot,
    problems, carried and new action items, decisions, surprises, a plan reset, the deals in play and the
    notes of each side; everything saves as you go. Read-only once closed."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _page_checkpoint(request, pk)
        return render(request, "coaching/checkpoint_detail.html", _meeting_context(request, checkpoint))


class CheckpointNotesSaveView(View):
    """Autosave of one note box. Answers its state ("Saved at …" and the new version); when the other person
    saved the same box meanwhile, 409 with their text beside the writer's, which stays in the box."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        form = NoteForm(request.POST)
        if not form.is_valid():
            return HttpResponse(_("The note could not be read; reload the page."), status=400)
        field = form.cleaned_data["field"]
        text = form.cleaned_data["text"].replace("\r\n", "\n")
        base = form.cleaned_data["base"].replace("\r\n", "\n")
        runs = services.can_run(user=request.user, checkpoint=checkpoint)
        is_rm = request.user.pk == checkpoint.rm_id
        try:
            label = _note_label(checkpoint, field)
        except KeyError:
            raise Http404 from None
        box = NoteBox(
            field=field, label=label, text=text, editable=True, version=form.cleaned_data["version"]
        )
        status = 200
        try:
            saved = services.checkpoint_note_save(
                checkpoint=checkpoint,
                by=request.user,
                field=field,
                text=text,
                base_text=base,
                base_version=form.cleaned_data["version"],
            )
        except services.NotesConflict as conflict:
            current = Checkpoint.objects.get(pk=checkpoint.pk)
            box.theirs, box.version, status = conflict.theirs[field], current.version, 409
        except ValidationError as error:
            box.text, box.error, status = base, _error_text(error), 400
        else:
            box.text, box.version, box.state = text, saved.version, _saved_at(timezone.now())
        if not request.htmx:
            if status == 200:
                messages.success(request, box.state)
                return redirect(_anchor(checkpoint, f"note-{box.slug}"))
            if status == 400:
                messages.error(request, box.error)
                return redirect(_anchor(checkpoint, f"note-{box.slug}"))
            box.text = text
            page = _page_checkpoint(request, pk)
            return _render_page(request, page, {("note", field): box}, status)
        box.editable = _note_editable(checkpoint, field, runs=runs, is_rm=is_rm) or status == 409
        return render(
            request,
            "coaching/_meeting_note_state.html",
            {"box": box, "checkpoint": checkpoint},
            status=status,
        )


class _MeetingPartView(View):
    """A small form of the meeting page: validates, calls the service, and answers the updated part (htmx)
    or goes back to the page (without JavaScript). A closed meeting changes no more."""

    template = ""
    anchor = ""
    leader_only = True  # else the RM may do it too

    def act(self, request: HttpRequest, checkpoint: Checkpoint) -> tuple[bool, dict, str]:
        """Do the change; returns (done, overrides for a refused form, success message)."""
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, **kwargs) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        self.kwargs = kwargs
        check = services.can_run if self.leader_only else services.can_take_part
        if not check(user=request.user, checkpoint=checkpoint):
            raise PermissionDenied
        if checkpoint.is_closed:
            return self._refused(request, checkpoint, _("This meeting is closed."))
        try:
            done, overrides, message = self.act(request, checkpoint)
        except ValidationError as error:
            return self._refused(request, checkpoint, _error_text(error))
        if not request.htmx:
            if done:
                messages.success(request, message)
                return redirect(_anchor(checkpoint, self.anchor))
            return _render_page(request, _page_checkpoint(request, pk), overrides, 400)
        return _render_part(request, pk, self.template, overrides, 200 if done else 400)

    def _refused(self, request: HttpRequest, checkpoint: Checkpoint, message: str) -> HttpResponse:
        if request.htmx:
            return _render_part(request, checkpoint.pk, self.template, {"refusal": message}, 400)
        messages.error(request, message)
        return redirect(_anchor(checkpoint, self.anchor))


class ProblemAddView(_MeetingPartView):
    template, anchor = "_meeting_problems.html", "problems"

    def act(self, request, checkpoint):
        form = ProblemForm(request.POST, prefix="problem")
        if not form.is_valid():
            return False, {"problem": form}, ""
        services.problem_add(
            checkpoint=checkpoint, by=request.user, description=form.cleaned_data["description"]
        )
        return True, {}, _("The problem has been added.")


class ProblemStateView(_MeetingPartView):
    template, anchor = "_meeting_problems.html", "problems"

    def act(self, request, checkpoint):
        problem = checkpoint.problems.filter(pk=self.kwargs["problem_pk"]).first()
        if problem is None:
            raise Http404
        confirmed = request.POST.get("confirmed") == "1"
        services.problem_confirm(problem=problem, by=request.user, confirmed=confirmed)
        return True, {}, _("Problem confirmed.") if confirmed else _("Problem dismissed.")


class ActionItemAddView(_MeetingPartView):
    template, anchor = "_meeting_actions.html", "actions"

    def act(self, request, checkpoint):
        form = ActionItemForm(request.POST, owners=_owners(checkpoint, request.user), prefix="action")
        if not form.is_valid():
            return False, {"action": form}, ""
        try:
            services.action_item_add(
                checkpoint=checkpoint,
                by=request.user,
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                due=form.cleaned_data["due_date"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return False, {"action": form}, ""
        return True, {}, _("The action item has been added.")


class ActionItemDoneView(_MeetingPartView):
    template, anchor = "_meeting_actions.html", "actions"
    leader_only = False

    def act(self, request, checkpoint):
        item = ActionItem.objects.filter(pk=self.kwargs["item_pk"], rm=checkpoint.rm_id).first()
        if item is None:
            raise Http404
        services.action_item_done(item=item, checkpoint=checkpoint, by=request.user, now=timezone.now())
        return True, {}, _("Done: %(action)s") % {"action": item.description}


class DecisionAddView(_MeetingPartView):
    template, anchor = "_meeting_decisions.html", "decisions"

    def act(self, request, checkpoint):
        form = DecisionForm(request.POST, prefix="decision")
        if not form.is_valid():
            return False, {"decision": form}, ""
        services.decision_add(checkpoint=checkpoint, by=request.user, text=form.cleaned_data["text"])
        return True, {}, _("The decision has been recorded.")


class SurpriseAddView(_MeetingPartView):
    template, anchor = "_meeting_surprises.html", "surprises"
    leader_only = False

    def act(self, request, checkpoint):
        form = SurpriseForm(request.POST, prefix="surprise")
        if not form.is_valid():
            return False, {"surprise": form}, ""
        services.surprise_add(
            checkpoint=checkpoint,
            by=request.user,
            description=form.cleaned_data["description"],
            response=form.cleaned_data["response"],
        )
        return True, {}, _("The surprise and the planned response have been recorded.")


class PlanResetView(View):
    """Reset the RM's approved plan for this year from the meeting, recorded as a decision."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        if not services.can_run(user=request.user, checkpoint=checkpoint):
            raise PermissionDenied
        if checkpoint.is_closed:
            messages.error(request, _("This meeting is closed."))
            return redirect(_anchor(checkpoint, "plan-reset"))
        plan = selectors.approved_plan(rm=checkpoint.rm, year=timezone.localdate().year)
        if plan is None:
            messages.error(
                request, _("%(rm)s has no approved plan for this year to reset.") % {"rm": checkpoint.rm}
            )
            return redirect(_anchor(checkpoint, "plan-reset"))
        form = PlanResetForm(request.POST, prefix="reset")
        if form.is_valid():
            try:
                services.checkpoint_plan_reset(
                    checkpoint=checkpoint, plan=plan, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                plan.refresh_from_db()
                messages.success(
                    request,
                    _("%(rm)s's plan is reset: revision %(revision)s is open for rewriting.")
                    % {"rm": checkpoint.rm, "revision": plan.revision},
                )
                return redirect(_anchor(checkpoint, "decisions"))
        return _render_page(request, _page_checkpoint(request, pk), {"reset": form}, 400)


# --- Moving the meeting ------------------------------------------------------------------------------


class CheckpointOpenView(View):
    """The leader opens the meeting: the snapshot is taken and off-track metrics are proposed as problems."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        try:
            checkpoint = services.checkpoint_open(checkpoint=checkpoint, by=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            services.review_start(checkpoint=checkpoint)
            messages.success(
                request,
                _("The meeting is open. Plan versus actual since %(date)s is below; it saves as you go.")
                % {"date": date_format(checkpoint.snapshot_from, "DATE_FORMAT")},
            )
        return redirect(checkpoint)


class CheckpointCloseView(View):
    """The leader closes the meeting: held (late past the tolerance), snapshot and notes frozen."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        try:
            checkpoint = services.checkpoint_close(checkpoint=checkpoint, by=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            still_open = ActionItem.objects.filter(rm=checkpoint.rm_id, done_at__isnull=True).count()
            message = (
                _("The meeting is closed and recorded as held late. Its notes are frozen.")
                if checkpoint.held_late
                else _("The meeting is closed and recorded as held. Its notes are frozen.")
            )
            if still_open:
                message += " " + ngettext(
                    "%(count)s open action item carries to the next meeting.",
                    "%(count)s open action items carry to the next meeting.",
                    still_open,
                ) % {"count": still_open}
            messages.success(request, message)
        return redirect(checkpoint)


class _MoveView(View):
    """A move of the meeting that needs a few words (and sometimes a date): a form page, then the service."""

    template_name = "coaching/checkpoint_move_form.html"
    title = ""
    intro = ""
    button = ""
    leader_only = True

    def form(self, request: HttpRequest, checkpoint: Checkpoint, data=None):
        return ReasonForm(data)

    def act(self, request: HttpRequest, checkpoint: Checkpoint, form) -> str:
        raise NotImplementedError

    def _checkpoint(self, request: HttpRequest, pk: int) -> Checkpoint:
        checkpoint = _visible_checkpoint(request, pk)
        allowed = (
            services.can_run(user=request.user, checkpoint=checkpoint)
            if self.leader_only
            else services.can_take_part(user=request.user, checkpoint=checkpoint)
        )
        if not allowed:
            raise PermissionDenied
        return checkpoint

    def _render(self, request, checkpoint, form, status=200) -> HttpResponse:
        context = {
            "checkpoint": checkpoint,
            "form": form,
            "title": self.title,
            "intro": self.intro,
            "button": self.button,
            "danger": self.leader_only,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = self._checkpoint(request, pk)
        if checkpoint.is_closed:
            messages.error(request, _("This meeting is closed."))
            return redirect(checkpoint)
        return self._render(request, checkpoint, self.form(request, checkpoint))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = self._checkpoint(request, pk)
        form = self.form(request, checkpoint, request.POST)
        if form.is_valid():
            try:
                message = self.act(request, checkpoint, form)
            except ValidationError as error:
                if checkpoint.is_closed:
                    messages.error(request, _error_text(error))
                    return redirect(checkpoint)
                add_service_errors(form, error)
            else:
                messages.success(request, message)
                return redirect(checkpoint)
        return self._render(request, checkpoint, form, status=400)


class CheckpointRescheduleView(_MoveView):
    leader_only = False

    @property
    def title(self):
        return _("Reschedule the meeting")

    @property
    def intro(self):
        return _("Both of you are told; the move and its reason stay in the meeting's history.")

    @property
    def button(self):
        return _("Reschedule")

    def form(self, request, checkpoint, data=None):
        initial = {"at": timezone.localtime(checkpoint.scheduled_at).replace(tzinfo=None)}
        return RescheduleForm(data, initial=initial)

    def act(self, request, checkpoint, form):
        services.checkpoint_reschedule(
            checkpoint=checkpoint,
            at=form.cleaned_data["at"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
        return _("The meeting now takes place on %(when)s.") % {
            "when": date_format(timezone.localtime(form.cleaned_data["at"]), "DATETIME_FORMAT")
        }


class CheckpointCancelView(_MoveView):
    @property
    def title(self):
        return _("Cancel the meeting")

    @property
    def intro(self):
        return _(
            "A cancelled meeting is not a skipped one: nobody avoided it. Say why; the reason stays in its "
            "history."
        )

    @property
    def button(self):
        return _("Cancel the meeting")

    def act(self, request, checkpoint, form):
        services.checkpoint_cancel(checkpoint=checkpoint, by=request.user, reason=form.cleaned_data["reason"])
        return _("The meeting is cancelled.")


class CheckpointSkipView(_MoveView):
    @property
    def title(self):
        return _("Mark the meeting skipped")

    @property
    def intro(self):
        return _("A skipped meeting counts in cadence health; repeated skips are escalated to the director.")

    @property
    def button(self):
        return _("Mark skipped")

    def act(self, request, checkpoint, form):
        services.checkpoint_skip(checkpoint=checkpoint, by=request.user, reason=form.cleaned_data["reason"])
        return _("The meeting is recorded as skipped.")


class CheckpointHeldView(_MoveView):
    @property
    def title(self):
        return _("Record a meeting held outside the app")

    @property
    def intro(self):
        return _(
            "For a meeting that took place without being run here. It counts as held, late when past the "
            "cadence's tolerance."
        )

    @property
    def button(self):
        return _("Record as held")

    def form(self, request, checkpoint, data=None):
        initial = {
            "held_on": timezone.localtime(min(checkpoint.scheduled_at, timezone.now())).replace(tzinfo=None)
        }
        return HeldForm(data, initial=initial, now=timezone.now())

    def act(self, request, checkpoint, form):
        checkpoint = services.checkpoint_hold_late(
            checkpoint=checkpoint, by=request.user, held_on=form.cleaned_data["held_on"]
        )
        if checkpoint.held_late:
            return _("The meeting is recorded as held late.")
        return _("The meeting is recorded as held.")


# --- The semiannual review ------------------------------------------------------------------------------


class ReviewSaveView(View):
    """The leader writes the semiannual review (ratings and comments), guarded by its version."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        if not services.can_run(user=request.user, checkpoint=checkpoint):
            raise PermissionDenied
        review = services.review_start(checkpoint=checkpoint)
        if review is None:
            raise Http404
        form = ReviewForm(request.POST, instance=SemiannualReview(checkpoint=checkpoint), prefix="review")
        overrides = {"review": form}
        if form.is_valid():
            try:
                services.review_save(
                    review=review,
                    by=request.user,
                    base_version=form.cleaned_data["version"],
                    **form.review_fields(),
                )
            except services.NotesConflict as conflict:
                review.refresh_from_db()
                data = request.POST.copy()
                data[form.add_prefix("version")] = str(review.version)
                form = ReviewForm(data, instance=SemiannualReview(checkpoint=checkpoint), prefix="review")
                form.is_valid()
                overrides = {
                    "review": form,
                    "review_conflict": [
                        (SemiannualReview._meta.get_field(name).verbose_name, _review_value(review, name))
                        for name, value in conflict.theirs.items()
                        if value != conflict.yours.get(name)
                    ],
                }
                return _render_page(request, _page_checkpoint(request, pk), overrides, 409)
            except ValidationError as error:
                if review.is_locked or not hasattr(error, "error_dict"):
                    messages.error(request, _error_text(error))
                    return redirect(_anchor(checkpoint, "review"))
                add_service_errors(form, error)
            else:
                messages.success(request, _("The review has been saved."))
                return redirect(_anchor(checkpoint, "review"))
        return _render_page(request, _page_checkpoint(request, pk), overrides, 400)


def _review_value(review: SemiannualReview, name: str) -> str:
    if name.endswith("_rating"):
        return getattr(review, f"get_{name}_display")() if getattr(review, name) else "—"
    return getattr(review, name) or "—"


class ReviewAcknowledgeView(View):
    """The RM acknowledges their review, with a comment of their own if they wish."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        review = getattr(checkpoint, "review", None) if checkpoint.kind == "semiannual" else None
        if review is None:
            review = SemiannualReview.objects.filter(checkpoint=checkpoint).first()
        if review is None:
            raise Http404
        form = AcknowledgeForm(request.POST, prefix="ack")
        form.is_valid()
        try:
            services.review_acknowledge(
                review=review,
                by=request.user,
                comment=form.cleaned_data.get("comment", ""),
                now=timezone.now(),
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("You have acknowledged the review."))
        return redirect(_anchor(checkpoint, "review"))


class ReviewSignOffView(View):
    """The leader signs off an acknowledged review: it is locked from then on."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = _visible_checkpoint(request, pk)
        review = SemiannualReview.objects.filter(checkpoint=checkpoint).first()
        if review is None:
            raise Http404
        try:
            services.review_sign_off(review=review, by=request.user, now=timezone.now())
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The review is signed off and locked."))
        return redirect(_anchor(checkpoint, "review"))


# --- Invites and calendar feeds -------------------------------------------------------------------------


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class CheckpointIcsView(View):
    """One meeting as a calendar invite (.ics), in the viewer's time zone."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        checkpoint = (
            selectors.checkpoints_visible_to(viewer=request.user)
            .annotate(moves=Count("events", filter=Q(events__action="rescheduled")))
            .filter(pk=pk)
            .first()
        )
        if checkpoint is None:
            raise Http404
        content = ical.calendar([checkpoint], tz=_zone(request.user.time_zone), stamp=timezone.now())
        return _ics_response(content, f"checkpoint-{checkpoint.pk}.ics")


class CalendarFeedView(View):
    """The person's private calendar address, how to subscribe to it, and resetting it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        feed = services.calendar_feed_for(user=request.user)
        url = request.build_absolute_uri(reverse("coaching:calendar-feed-ics", args=[feed.token]))
        context = {
            "feed": feed,
            "feed_url": url,
            "webcal_url": re.sub(r"^https?://", "webcal://", url),
        }
        return render(request, "coaching/calendar_feed.html", context)


class CalendarFeedResetView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        services.calendar_token_reset(user=request.user)
        messages.success(
            request,
            _(
                "Your calendar has a new address. The old one stops working: subscribe again with the new one "
                "in every calendar app you use."
            ),
        )
        return redirect("coaching:calendar-feed")


class CalendarFeedIcsView(View):
    """The feed a calendar app subscribes to: no login, the secret token is the key. 404 for any other."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        from ..models import CalendarFeed

        feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
        if feed is None:
            raise Http404
        user = feed.user
        checkpoints = selectors.calendar_checkpoints(user=user, now=timezone.now())
        with translation.override(user.language):
            content = ical.calendar(
                checkpoints,
                tz=_zone(user.time_zone),
                stamp=timezone.now(),
                name=_("SalesPlan checkpoints · %(name)s") % {"name": user},
            )
        response = _ics_response(content, "salesplan-checkpoints.ics")
        response["Cache-Control"] = "private, max-age=900"
        return response


calendar_feed_ics = login_not_required(CalendarFeedIcsView.as_view())


# --- Notifications --------------------------------------------------------------------------------------


class NotificationListView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        notifications = selectors.notifications_for(user=request.user)
        page, query = paginate(request, notifications)
        context = {
            "page_obj": page,
            "unread": notifications.filter(read_at__isnull=True).count(),
            "query": query,
        }
        return render(request, "coaching/notification_list.html", context)


class NotificationBadgeView(View):
    """The unread count beside "Notifications" in the navigation, loaded after the page (htmx)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        unread = selectors.notifications_for(user=request.user).filter(read_at__isnull=True).count()
        if not unread:
            return HttpResponse("<span></span>")
        label = ngettext("%(count)s unread", "%(count)s unread", unread) % {"count": unread}
        return HttpResponse(
            format_html(
                '<span class="badge rounded-pill text-bg-warning ms-1" data-testid="unread-badge" title="{}">{}'
                '<span class="visually-hidden"> {}</span></span>',
                label,
                unread,
                label,
            )
        )


class NotificationReadView(View):
    """Mark one notification read; with `open`, go on to the page it is about."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = Notification.objects.filter(pk=pk, user=request.user).first()
        if notification is None:
            raise Http404
        services.notification_read(notification=notification, by=request.user, now=timezone.now())
        target = notification.url
        if (
            request.POST.get("open")
            and target
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        ):
            return redirect(target)
        return redirect(reverse("coaching:notification-list") + _page_query(request))


def _page_query(request: HttpRequest) -> str:
    page = request.POST.get("page", "")
    return f"?page={page}" if page.isdigit() else ""


class NotificationReadAllView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        count = services.notifications_read_all(user=request.user, now=timezone.now())
        messages.success(
            request,
            ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", count)
            % {"count": count},
        )
        return redirect("coaching:notification-list")


# --- Cadence --------------------------------------------------------------------------------------------


def _schedule_message(created: int) -> str:
    return ngettext(
        "%(count)s new meeting scheduled. Meetings already scheduled keep their date and time; only future "
        "meetings not yet created follow the new cadence.",
        "%(count)s new meetings scheduled. Meetings already scheduled keep their date and time; only future "
        "meetings not yet created follow the new cadence.",
        created,
    ) % {"count": created}


class CadenceTeamView(View):
    """A team's default cadence: weekly day and time, monthly, quarterly, semiannual, reminders, tolerance."""

    template_name = "coaching/cadence_form.html"

    def _team(self, request: HttpRequest, team_pk: int):
        team = teams_visible_to(viewer=request.user).filter(pk=team_pk).first()
        if team is None:
            raise Http404
        if not services.can_set_cadence(user=request.user, team=team):
            raise PermissionDenied
        return team

    def _render(self, request, team, form, status=200) -> HttpResponse:
        members = list(team.members.filter(is_active=True).order_by("display_name"))
        overrides = set(Cadence.objects.filter(rm__in=members).values_list("rm_id", flat=True))
        context = {
            "form": form,
            "team": team,
            "members": [(m, m.pk in overrides) for m in members],
            "exists": form.instance.pk is not None,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, team_pk: int) -> HttpResponse:
        team = self._team(request, team_pk)
        cadence = Cadence.objects.filter(team=team).first() or Cadence(team=team)
        return self._render(request, team, CadenceForm(instance=cadence))

    def post(self, request: HttpRequest, team_pk: int) -> HttpResponse:
        team = self._team(request, team_pk)
        cadence = Cadence.objects.filter(team=team).first() or Cadence(team=team)
        form = CadenceForm(request.POST, instance=cadence)
        if form.is_valid():
            try:
                services.cadence_save(cadence=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                created = services.checkpoints_schedule(now=timezone.now())
                messages.success(
                    request,
                    _("The cadence of %(team)s is saved.") % {"team": team}
                    + " "
                    + _schedule_message(created),
                )
                return redirect("coaching:cadence-edit", team_pk=team.pk)
        return self._render(request, team, form, status=400)


class CadenceRMView(View):
    """One RM's own cadence, overriding their team's (or removing the override)."""

    template_name = "coaching/cadence_form.html"

    def _rm(self, request: HttpRequest, user_pk: int) -> User:
        rm = (
            users_visible_to(viewer=request.user)
            .with_role(Role.RM)
            .select_related("team")
            .filter(pk=user_pk)
            .first()
        )
        if rm is None:
            raise Http404
        if not services.can_set_cadence(user=request.user, rm=rm):
            raise PermissionDenied
        return rm

    def _render(self, request, rm, form, status=200) -> HttpResponse:
        context = {
            "form": form,
            "rm": rm,
            "team": rm.team,
            "exists": form.instance.pk is not None,
            "team_url": reverse("coaching:cadence-edit", args=[rm.team_id])
            if services.can_set_cadence(user=request.user, team=rm.team)
            else None,
        }
        return render(request, self.template_name, context, status=status)

    def _initial(self, rm: User) -> Cadence:
        own = Cadence.objects.filter(rm=rm).first()
        if own is not None:
            return own
        team = Cadence.objects.filter(team=rm.team_id).first()
        cadence = Cadence(rm=rm)
        if team is not None:  # start from the team's cadence
            for name in CadenceForm.Meta.fields:
                setattr(cadence, name, getattr(team, name))
        return cadence

    def get(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        rm = self._rm(request, user_pk)
        return self._render(request, rm, CadenceForm(instance=self._initial(rm)))

    def post(self, request: HttpRequest, user_pk: int) -> HttpResponse:
        rm = self._rm(request, user_pk)
        if request.POST.get("action") == "remove":
            removed = services.cadence_remove(rm=rm, by=request.user)
            if removed:
                messages.success(request, _("%(rm)s follows the team's cadence again.") % {"rm": rm})
            return redirect("coaching:cadence-rm", user_pk=rm.pk)
        cadence = Cadence.objects.filter(rm=rm).first() or Cadence(rm=rm)
        form = CadenceForm(request.POST, instance=cadence)
        if form.is_valid():
            try:
                services.cadence_save(cadence=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                created = services.checkpoints_schedule(now=timezone.now())
                messages.success(
                    request,
                    _("%(rm)s's own cadence is saved.") % {"rm": rm} + " " + _schedule_message(created),
                )
                return redirect("coaching:cadence-rm", user_pk=rm.pk)
        return self._render(request, rm, form, status=400)
