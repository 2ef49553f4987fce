"""Forms of the segment, team-targeting and named-account pages."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from targeting.models import NamedAccountList, PriorityCriterion, Segment, TeamTargeting

SCOPE_TEAM, SCOPE_REGION = "team", "region"


def show_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names if the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class SegmentFilter(django_filters.FilterSet):
    """Search, filter by scope and sort the segment list."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    scope = django_filters.ChoiceFilter(
        label=_("Scope"),
        choices=[(SCOPE_TEAM, _("Team segments")), (SCOPE_REGION, _("Region segments"))],
        empty_label=_("Teams and regions"),
        method="filter_scope",
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"), fields=(("name", "name"),), field_labels={"name": _("Name")}
    )

    class Meta:
        model = Segment
        fields = ["q", "scope"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(value_proposition__icontains=value)
        )

    def filter_scope(self, queryset, name, value):
        if value == SCOPE_TEAM:
            return queryset.filter(team__isnull=False)
        return queryset.filter(region__isnull=False)


class SegmentForm(forms.ModelForm):
    """A segment's ideal customer profile and value proposition; it belongs to one team or one region.

    The model's constraints (team or region, ordered bands) are checked by the form and shown as errors.
    """

    class Meta:
        model = Segment
        fields = [
            "name",
            "description",
            "team",
            "region",
            "industries",
            "revenue_min",
            "revenue_max",
            "employees_min",
            "employees_max",
            "locations",
            "value_proposition",
        ]
        labels = {
            "revenue_min": _("Annual revenue from (EUR)"),
            "revenue_max": _("Annual revenue up to (EUR)"),
        }
        help_texts = {
            "team": _("Choose a team or a region, not both."),
            "region": _("A region segment applies to every team of the region."),
            "industries": _("None ticked: any industry."),
            "revenue_min": _("Empty: no lower bound."),
            "revenue_max": _("Empty: no upper bound."),
            "employees_min": _("Empty: no lower bound."),
            "employees_max": _("Empty: no upper bound."),
            "value_proposition": _(
                "Write it as the client would use it, in their own words: what changes for them."
            ),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "industries": forms.CheckboxSelectMultiple,
            "value_proposition": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, teams, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["region"].queryset = regions
        self.fields["team"].empty_label = _("No team (region segment)")
        self.fields["region"].empty_label = _("No region (team segment)")
        # Someone who directs no region (a team leader) chooses among their teams only; the field stays in
        # the form, hidden, so that the "team or region" constraint is still checked.
        self.offers_regions = regions.exists()
        if not self.offers_regions:
            self.fields["region"].widget = forms.HiddenInput()


class TeamTargetingForm(forms.ModelForm):
    """A team's named-account limit and tier thresholds."""

    class Meta:
        model = TeamTargeting
        fields = ["named_account_limit", "tier_a_min_score", "tier_b_min_score"]
        help_texts = {
            "tier_a_min_score": _("Accounts scoring at least this many points are tier A."),
            "tier_b_min_score": _(
                "Accounts scoring at least this many points (and less than tier A) are tier B."
            ),
        }


class PriorityCriterionForm(forms.ModelForm):
    """One scoring rule; the segment choices (the team's and its region's segments) are read once."""

    segment = forms.TypedChoiceField(
        label=_("Segment"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For “matches a target segment” only; empty: any of the team's segments."),
    )

    class Meta:
        model = PriorityCriterion
        fields = ["kind", "threshold", "segment", "points"]
        help_texts = {"threshold": _("For the “at least” criteria only.")}
        widgets = {"threshold": forms.NumberInput(attrs={"step": "any"})}

    def __init__(self, *args, segments: dict[int, Segment], **kwargs):
        self.segments = segments
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("Any of the team's segments"))] + [
            (pk, str(segment)) for pk, segment in segments.items()
        ]
        # The rows are laid out as a table: each widget carries its own Bootstrap class and accessible name.
        for name, field in self.fields.items():
            is_select = name in ("kind", "segment")
            css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
            field.widget.attrs["class"] = css
            field.widget.attrs["aria-label"] = field.label

    def full_clean(self):
        super().full_clean()
        for name in self._errors or {}:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def clean_segment(self):
        pk = self.cleaned_data.get("segment")
        return None if pk is None else self.segments[pk]


class BasePriorityCriterionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove")
        form.fields["DELETE"].widget.attrs.update({"class": "form-check-input", "aria-label": _("Remove")})

    def criteria(self) -> list[PriorityCriterion]:
        """The unsaved criteria of the rows kept (filled in and not marked for removal)."""
        return [
            form.instance
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and self._should_delete_form(form))
        ]


PriorityCriterionFormSet = forms.formset_factory(
    PriorityCriterionForm, formset=BasePriorityCriterionFormSet, extra=2, can_delete=True
)


class NamedListFilter(django_filters.FilterSet):
    """Filter the named-account lists by year and team, search by owner, sort."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    year = django_filters.NumberFilter(label=_("Year"))
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), field_name="owner__team", queryset=Team.objects.none(), empty_label=_("All teams")
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("owner__display_name", "owner"), ("size", "size")),
        field_labels={"owner__display_name": _("Owner"), "size": _("Size")},
    )

    class Meta:
        model = NamedAccountList
        fields = ["q", "year", "team"]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.filters["team"].queryset = teams

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(owner__display_name__icontains=value) | Q(owner__email__icontains=value))


class NamedAccountAddForm(forms.Form):
    """Choose one of the owner's accounts that is not on the list yet."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=None, empty_label=_("Choose an account"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
