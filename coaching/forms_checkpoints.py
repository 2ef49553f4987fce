"""Forms of the checkpoint pages: the list's filters, the meeting's small forms (notes, problems, actions,
decisions, surprises, plan reset), the moves of a meeting (reschedule, cancel, skip, held), the semiannual
review and the cadence. Forms validate and shape input; coaching.services.checkpoints saves."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .forms import LoadedChoiceField
from .models import Cadence, CheckpointKind, CheckpointStatus, SemiannualReview

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


class CheckpointFilter(django_filters.FilterSet):
    """The checkpoint list's search, filters and sorting; the RM choices follow visibility."""

    UPCOMING, PAST = "upcoming", "past"

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    when = django_filters.ChoiceFilter(
        label=_("When"),
        choices=[(UPCOMING, _("Upcoming")), (PAST, _("Past"))],
        empty_label=_("Any time"),
        method="filter_when",
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CheckpointKind.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CheckpointStatus.choices)
    rm = django_filters.ModelChoiceFilter(label=_("RM"), queryset=User.objects.none())
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="scheduled_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="scheduled_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("scheduled_at", "date"),
            ("kind", "kind"),
            ("rm__display_name", "rm"),
            ("leader__display_name", "leader"),
            ("status", "status"),
        ),
        field_labels={
            "scheduled_at": _("Date"),
            "kind": _("Kind"),
            "rm__display_name": _("RM"),
            "leader__display_name": _("Leader"),
            "status": _("Status"),
        },
    )

    def __init__(self, *args, rms, now: datetime.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["rm"].queryset = rms
        self.now = now

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(rm__display_name__icontains=value) | Q(leader__display_name__icontains=value)
        )

    def filter_when(self, queryset, name, value):
        start_of_today = timezone.localtime(self.now).replace(hour=0, minute=0, second=0, microsecond=0)
        if value == self.UPCOMING:
            return queryset.filter(scheduled_at__gte=start_of_today)
        return queryset.filter(scheduled_at__lt=start_of_today)


# --- The meeting's small forms -------------------------------------------------------------------------


class NoteForm(forms.Form):
    """One note box, autosaved: the text, the text it started from and the meeting's notes version."""

    field = forms.CharField(max_length=80)
    text = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    base = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ProblemForm(forms.Form):
    description = forms.CharField(
        label=_("Problem"),
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("Name a problem")}),
    )


class DecisionForm(forms.Form):
    text = forms.CharField(
        label=_("Decision"),
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("What did you decide for the coming period?")}),
    )


class SurpriseForm(forms.Form):
    description = forms.CharField(
        label=_("Surprise"),
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. an urgent request from a senior executive")}),
    )
    response = forms.CharField(
        label=_("How we will respond"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("The planned response")}),
    )


class ActionItemForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    owner = LoadedChoiceField([], label=_("Owner"), empty_label=None)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = LoadedChoiceField(owners, label=_("Owner"), empty_label=None)


class PlanResetForm(forms.Form):
    # Not required here: the service says why a reason is needed, in its own words.
    reason = forms.CharField(
        label=_("Why the plan is reset"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A new revision of the plan opens; the approved one is kept. Recorded as a decision."),
    )


# --- Moving a meeting ----------------------------------------------------------------------------------


class RescheduleForm(forms.Form):
    at = forms.DateTimeField(
        label=_("New date and time"),
        widget=_datetime_widget(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        help_text=_("In your time zone."),
    )
    reason = forms.CharField(
        label=_("Why it moves"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class HeldForm(forms.Form):
    held_on = forms.DateTimeField(
        label=_("When it was held"),
        widget=_datetime_widget(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        help_text=_("In your time zone."),
    )

    def __init__(self, *args, now: datetime.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def clean_held_on(self):
        value = self.cleaned_data["held_on"]
        if value > self.now:
            raise forms.ValidationError(_("A meeting cannot have been held in the future."))
        return value


# --- The semiannual review -----------------------------------------------------------------------------

REVIEW_PARTS = ("results", "standards", "skills", "development")


class ReviewForm(forms.ModelForm):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    class Meta:
        model = SemiannualReview
        fields = [
            *[name for part in REVIEW_PARTS for name in (f"{part}_rating", f"{part}_comment")],
            "overall_comment",
        ]
        widgets = {
            **{f"{part}_comment": forms.Textarea(attrs={"rows": 2}) for part in REVIEW_PARTS},
            "overall_comment": forms.Textarea(attrs={"rows": 3}),
        }

    def review_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("Your comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- Cadence -------------------------------------------------------------------------------------------


class CadenceForm(forms.ModelForm):
    class Meta:
        model = Cadence
        fields = [
            "weekly",
            "weekday",
            "time",
            "monthly",
            "monthly_day",
            "quarterly",
            "semiannual",
            "duration_minutes",
            "reminder_hours",
            "late_tolerance_days",
        ]
        widgets = {
            "time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "monthly_day": forms.NumberInput(attrs={"min": 1, "max": 10}),
        }
