"""Forms of the plan pages: the written sections, the numbers, relationship plans, development goals and
the plan list's filters. Forms validate and shape input; the services in coaching.services.plans save."""

from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User

from .models import DevelopmentGoal, Plan, PlannedActivity, PlanStatus

HUNDRED = Decimal(100)


def _plain(value: Decimal) -> Decimal:
    """40.0000 → 40, 12.50 → 12.5: how a person writes a figure."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _newlines(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF: keep plain newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names if the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class LoadedChoiceField(forms.ModelChoiceField):
    """A model choice among objects already loaded: rendering it and validating it runs no query, so a page
    with one small form per relationship plan costs the same queries for 3 plans as for 30."""

    def __init__(self, objects, **kwargs):
        self._objects = {obj.pk: obj for obj in objects}
        model = next(iter(self._objects.values()))._meta.model if self._objects else User
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def _get_choices(self):
        choices = [("", self.empty_label)] if self.empty_label is not None else []
        return choices + [(pk, self.label_from_instance(obj)) for pk, obj in self._objects.items()]

    choices = property(_get_choices, forms.ChoiceField.choices.fset)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self._objects[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None

    def has_changed(self, initial, data):
        return str(initial or "") != str(data or "")


class SectionForm(forms.Form):
    """One written section, with the version it was loaded at (a save from an older version is refused)."""

    content = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean_content(self) -> str:
        return _newlines(self.cleaned_data["content"])


class NumbersForm(forms.Form):
    """The territory plan's figures, saved as one: goals, segments covered, weekly activity, product mix."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    goal_new_clients = forms.IntegerField(label=_("New clients I will win"), min_value=0, required=False)
    goal_won_revenue = forms.DecimalField(
        label=_("Revenue I will win"), min_value=0, max_digits=18, decimal_places=2, required=False
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments I cover"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, plan: Plan, segments, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._segments = {s.pk: s for s in segments}
        self.fields["segments"].choices = [(s.pk, s.name) for s in segments]
        self.activity_names = {}
        for kind, label in PlannedActivity.Kind.choices:
            name = f"activity_{kind}"
            self.fields[name] = forms.DecimalField(
                label=label, min_value=0, max_digits=6, decimal_places=1, required=False
            )
            self.activity_names[name] = kind
        self.mix_names = {}
        for category in categories:
            name = f"mix_{slugify(category) or 'x'}"
            while name in self.fields:
                name += "_"
            self.fields[name] = forms.DecimalField(
                label=category, min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False
            )
            self.mix_names[name] = category
        if not self.is_bound:
            self.initial = self._initial_from(plan)

    def _initial_from(self, plan: Plan) -> dict:
        """The form's values from a plan with its segments, activity levels and mix prefetched."""
        revenue = plan.goal_won_revenue
        initial = {
            "version": plan.numbers_version,
            "goal_new_clients": plan.goal_new_clients,
            "goal_won_revenue": _plain(revenue) if revenue is not None else None,
            "segments": [s.pk for s in plan.segments.all()],
        }
        levels = {a.kind: _plain(a.per_week) for a in plan.planned_activities.all()}
        shares = {m.category: m.share for m in plan.planned_mix.all()}
        initial.update({name: levels.get(kind) for name, kind in self.activity_names.items()})
        for name, category in self.mix_names.items():
            if category in shares:
                initial[name] = _plain(shares[category] * HUNDRED)
        return initial

    def activity_fields(self) -> list:
        return [self[name] for name in self.activity_names]

    def mix_fields(self) -> list:
        return [self[name] for name in self.mix_names]

    def clean(self):
        data = super().clean()
        total = sum((data.get(name) or 0 for name in self.mix_names), Decimal(0))
        if total > HUNDRED:
            raise ValidationError(
                _("The product mix adds up to %(total)s%%: it cannot be more than 100%%."),
                params={"total": total.normalize()},
            )
        return data

    def segment_objects(self) -> list:
        return [self._segments[int(pk)] for pk in self.cleaned_data["segments"]]

    def activity_levels(self) -> dict[str, Decimal | None]:
        return {kind: self.cleaned_data.get(name) for name, kind in self.activity_names.items()}

    def mix(self) -> dict[str, Decimal | None]:
        """Shares as fractions of 1 (the form takes percentages)."""
        out = {}
        for name, category in self.mix_names.items():
            value = self.cleaned_data.get(name)
            out[category] = None if value is None else (value / HUNDRED).quantize(Decimal("0.0001"))
        return out


class RelationshipTextForm(forms.Form):
    """A relationship plan's written parts, with the version they were loaded at."""

    objectives = forms.CharField(label=_("Objectives"), required=False, strip=False, widget=forms.Textarea)
    resources = forms.CharField(
        label=_("Resources needed"), required=False, strip=False, widget=forms.Textarea
    )
    expected_results = forms.CharField(
        label=_("Expected results"), required=False, strip=False, widget=forms.Textarea
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        return {name: _newlines(value) if isinstance(value, str) else value for name, value in data.items()}


class RelationshipCreateForm(forms.Form):
    account = LoadedChoiceField([], label=_("Account"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = LoadedChoiceField(accounts, label=_("Account"))


class RelationshipActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    owner = LoadedChoiceField([], label=_("Owner"))

    def __init__(self, *args, owners: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"] = LoadedChoiceField(owners, label=_("Owner"), empty_label=None)


class RelationshipResultForm(forms.Form):
    metric = LoadedChoiceField([], label=_("Metric"))
    expected_value = forms.DecimalField(label=_("Expected value"), max_digits=18, decimal_places=2)

    def __init__(self, *args, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"] = LoadedChoiceField(metrics, label=_("Metric"))


class DevelopmentGoalForm(forms.ModelForm):
    """A skill to build, the actions to build it, and the specific result it serves."""

    class Meta:
        model = DevelopmentGoal
        fields = ["skill", "actions", "result_metric", "result_description"]
        widgets = {"actions": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "result_metric": _("The metric this skill moves…"),
            "result_description": _("…or the result it serves, in words."),
        }

    def __init__(self, *args, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result_metric"] = LoadedChoiceField(
            metrics,
            label=DevelopmentGoal._meta.get_field("result_metric").verbose_name.capitalize(),
            required=False,
            help_text=self._meta.help_texts["result_metric"],
        )


class PlanFilter(django_filters.FilterSet):
    """The plan list's filters for leaders, directors and admins; the team choices follow visibility."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PlanStatus.choices)
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), field_name="owner__team", queryset=Team.objects.none()
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("owner__display_name", "rm"),
            ("year", "year"),
            ("status", "status"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "owner__display_name": _("RM"),
            "year": _("Year"),
            "status": _("Status"),
            "updated_at": _("Last updated"),
        },
    )

    class Meta:
        model = Plan
        fields = ["q", "year", "status", "team"]

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["team"].queryset = teams

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(owner__display_name__icontains=value) | Q(owner__email__icontains=value))
