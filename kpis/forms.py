"""Forms of the kpis record pages: quick activity log, deals with their financial case, targets, team
standards and the twelve-month forecast grid. Forms validate and shape input; services save."""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.dates import MONTHS
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import users_changeable_by
from targeting.models import MONEY
from targeting.selectors import accounts_changeable_by, contacts_visible_to

from . import selectors
from .models import (
    CLOSED_STAGES,
    Activity,
    ActivityKind,
    Metric,
    MetricKind,
    MetricUnit,
    Opportunity,
    Standard,
    Target,
)

CASH_FLOW_YEARS = 10
MANAGERS = (Role.LEADER, Role.DIRECTOR, Role.ADMIN)


def is_manager(user: User) -> bool:
    return user.role in MANAGERS


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names if the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def rm_choices(*, viewer: User):
    """Whom a leader (director, admin) logs activities and deals for: the RMs they manage."""
    return users_changeable_by(viewer=viewer).with_role(Role.RM).order_by("display_name", "pk")


class AccountChoiceField(forms.ModelChoiceField):
    """Accounts the owner may work on; a manager sees whose each account is."""

    def __init__(self, *args, show_owner: bool = False, **kwargs):
        self.show_owner = show_owner
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return f"{obj.legal_name} · {obj.owner}" if self.show_owner else obj.legal_name


def _account_field(viewer: User) -> AccountChoiceField:
    return AccountChoiceField(
        label=_("Account"),
        queryset=accounts_changeable_by(viewer=viewer).order_by("legal_name", "pk"),
        show_owner=is_manager(viewer),
        error_messages={"invalid_choice": _("Choose one of the accounts you work on.")},
    )


def _owner_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("For"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("The account's owner"),
        help_text=_("Empty: the RM who owns the account."),
        error_messages={"invalid_choice": _("Choose one of the RMs you manage.")},
    )


class ActivityForm(forms.ModelForm):
    """The quick log: kind, account, first appointment, date, contact, outcome, notes (and for whom, for a
    leader logging for one of their RMs)."""

    kind = forms.ChoiceField(
        label=_("What happened"), choices=ActivityKind.choices, widget=forms.RadioSelect,
        initial=ActivityKind.CONVERSATION,
    )  # fmt: skip

    class Meta:
        model = Activity
        fields = ["kind", "account", "is_first_appointment", "date", "contact", "outcome", "notes"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.TextInput(attrs={"placeholder": _("e.g. Appointment set for Tuesday")}),
        }

    def __init__(self, *args, viewer: User, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["account"] = _account_field(viewer)
        # A new activity is a conversation held today unless said otherwise (the instance's empty values
        # would otherwise win over the fields' initial values).
        self.initial["kind"] = self.initial.get("kind") or ActivityKind.CONVERSATION
        if self.initial.get("date") is None:
            self.initial["date"] = today
        self.fields["is_first_appointment"].label = _("First appointment")
        self.fields["is_first_appointment"].help_text = _(
            "Appointments only: the first meeting with this company."
        )
        contact = forms.ModelChoiceField(
            label=_("Contact"),
            queryset=contacts_visible_to(viewer=viewer),
            required=False,
            empty_label=_("— nobody in particular —"),
        )
        self.fields["contact"] = contact
        # Only the chosen account's contacts are offered; the queryset above still accepts any visible
        # contact, so that a contact of another account gets the clear message of clean().
        contact.widget.choices = [("", contact.empty_label)] + [
            (c.pk, c.name) for c in contact.queryset.filter(account_id=self._chosen_account_id())
        ]
        self.fields["account"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("kpis:activity-contacts"),
                "hx-target": "#id_contact",
                "hx-swap": "innerHTML",
            }
        )
        if is_manager(viewer):
            self.fields["owner"] = _owner_field()
            self.fields["owner"].queryset = rm_choices(viewer=viewer)
            if self.instance.pk:
                self.fields["owner"].initial = self.instance.owner_id
            self.order_fields(["owner", "kind", "account"])

    def _chosen_account_id(self) -> int:
        try:
            return int(self["account"].value() or 0)
        except (TypeError, ValueError):
            return 0

    def clean(self):
        data = super().clean()
        kind, account, contact = data.get("kind"), data.get("account"), data.get("contact")
        if data.get("is_first_appointment") and kind and kind != ActivityKind.APPOINTMENT:
            self.add_error(
                "is_first_appointment",
                _("Only an appointment can be a first appointment: untick it or choose “Appointment”."),
            )
        if contact and account and contact.account_id != account.pk:
            self.add_error(
                "contact",
                _("%(contact)s works for %(other)s, not for %(account)s.")
                % {"contact": contact.name, "other": contact.account, "account": account},
            )
        return data

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.activity_log.")  # the service checks permissions

    def to_instance(self) -> Activity:
        """The activity with the form's values and its owner (the viewer, or for a manager the chosen RM or
        else the account's owner), not saved."""
        if not is_manager(self.viewer):
            self.instance.owner = self.viewer
        else:
            self.instance.owner = self.cleaned_data.get("owner") or self.cleaned_data["account"].owner
        return self.instance


class OpportunityForm(forms.ModelForm):
    """A deal and its financial case: the client's investment and up to ten yearly net cash flows."""

    class Meta:
        model = Opportunity
        fields = [
            "name", "account", "product", "stage", "engage_date", "close_date", "value", "currency",
            "investment",
        ]  # fmt: skip
        widgets = {
            "engage_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, viewer: User, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.viewer, self.today = viewer, today
        self.fields["account"] = _account_field(viewer)
        self.fields["name"].help_text = _("Empty: account and product.")
        self.fields["close_date"].help_text = _(
            "Moving the deal to won or lost without a date closes it today."
        )
        if is_manager(viewer):
            self.fields["owner"] = _owner_field()
            self.fields["owner"].queryset = rm_choices(viewer=viewer)
            if self.instance.pk:
                self.fields["owner"].initial = self.instance.owner_id
        flows = list(self.instance.cash_flows or [])
        for year in range(1, CASH_FLOW_YEARS + 1):
            self.fields[f"year_{year}"] = forms.DecimalField(
                label=_("Year %(n)d") % {"n": year}, required=False, max_digits=MONEY["max_digits"],
                decimal_places=MONEY["decimal_places"],
                initial=Decimal(str(flows[year - 1])) if year <= len(flows) else None,
            )  # fmt: skip

    def cash_flow_fields(self) -> list:
        return [self[f"year_{year}"] for year in range(1, CASH_FLOW_YEARS + 1)]

    def clean(self):
        data = super().clean()
        flows = [data.get(f"year_{year}") for year in range(1, CASH_FLOW_YEARS + 1)]
        while flows and flows[-1] is None:
            flows.pop()  # trailing empty years are not part of the case
        data["cash_flows"] = [str(Decimal(0) if f is None else f) for f in flows]  # a gap counts as zero
        return data

    def _post_clean(self):
        # The service's rule, applied before the model's constraint would refuse the closed deal: won or
        # lost without a close date closes today.
        if self.cleaned_data.get("stage") in CLOSED_STAGES and not self.cleaned_data.get("close_date"):
            self.cleaned_data["close_date"] = self.today
        super()._post_clean()

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.opportunity_save.")

    def to_instance(self) -> Opportunity:
        opportunity = self.instance
        opportunity.cash_flows = self.cleaned_data["cash_flows"]
        if not is_manager(self.viewer):
            if opportunity.pk is None:
                opportunity.owner = self.viewer
        else:
            opportunity.owner = self.cleaned_data.get("owner") or self.cleaned_data["account"].owner
        return opportunity


class TargetForm(forms.ModelForm):
    """A target: one owner (an RM, a team or a region, in one grouped list), metric, year and value."""

    owner = forms.ChoiceField(label=_("Owner"))

    class Meta:
        model = Target
        fields = ["metric", "year", "value", "baseline", "distribution"]

    def __init__(self, *args, viewer: User, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        rms, teams, regions = selectors.target_owners_for(viewer=viewer)
        self.owners = {}
        groups = []
        for kind, label, objects in (
            ("region", _("Regions"), list(regions)),
            ("team", _("Teams"), list(teams)),
            ("user", _("RMs"), list(rms)),
        ):
            choices = []
            for obj in objects:
                key = f"{kind}:{obj.pk}"
                self.owners[key] = (kind, obj)
                text = f"{obj} ({obj.team})" if kind == "user" and obj.team_id else str(obj)
                choices.append((key, text))
            if choices:
                groups.append((label, choices))
        self.fields["owner"].choices = [("", _("Choose an RM, a team or a region")), *groups]
        self.order_fields(["owner"])
        self.fields["owner"].error_messages["invalid_choice"] = _(
            "Choose an RM, a team or a region you set targets for."
        )
        self.fields["metric"].queryset = Metric.objects.filter(is_active=True)
        self.initial["year"] = self.initial.get("year") or year  # the instance's empty year would win
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        self.fields["value"].help_text = _(
            "Money and counts as numbers; percentages as fractions: 0.40 for 40%."
        )
        self.fields["baseline"].help_text = _("Balance metrics: the balance at the start of the year.")
        owner = self.instance.owner if self.instance.pk else None
        if owner is not None:
            kind = "user" if self.instance.user_id else "team" if self.instance.team_id else "region"
            self.fields["owner"].initial = f"{kind}:{owner.pk}"

    def clean(self):
        data = super().clean()
        metric = data.get("metric")
        value = data.get("value")
        if metric is not None and metric.unit == MetricUnit.PERCENT and value is not None and value > 1:
            self.add_error("value", _("Give a percentage as a fraction: 0.40 for 40%."))
        if metric is not None and metric.kind != MetricKind.BALANCE:
            data["baseline"] = None  # only a balance starts the year from a level
        return data

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.target_save.")

    def to_instance(self) -> Target:
        kind, obj = self.owners[self.cleaned_data["owner"]]
        target = self.instance
        target.user, target.team, target.region = None, None, None
        setattr(target, kind, obj)
        target.baseline = self.cleaned_data.get("baseline")
        return target


class StandardForm(forms.ModelForm):
    class Meta:
        model = Standard
        fields = ["team", "metric", "value", "period", "tolerance_at_risk", "tolerance_off_track"]

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.standard_teams_for(viewer=viewer)
        self.fields["metric"].queryset = Metric.objects.filter(is_active=True)
        self.fields["value"].help_text = _("e.g. 15 conversations per week, or 0.30 for a 30% share.")

    def clean(self):
        data = super().clean()
        at_risk, off_track = data.get("tolerance_at_risk"), data.get("tolerance_off_track")
        if (at_risk is None) != (off_track is None):
            self.add_error(
                "tolerance_off_track", _("Give both tolerances, or leave both empty for the metric's.")
            )
        elif at_risk is not None and off_track < at_risk:
            self.add_error(
                "tolerance_off_track", _("The off-track tolerance must be at least the at-risk one.")
            )
        return data

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.standard_save.")


class ForecastGridForm(forms.Form):
    """Twelve monthly forecasts of one metric for one RM and year; an empty month has no forecast."""

    def __init__(self, *args, initial_values: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        for month in range(1, 13):
            self.fields[f"month_{month}"] = forms.DecimalField(
                label=capfirst(MONTHS[month]), required=False, max_digits=MONEY["max_digits"],
                decimal_places=MONEY["decimal_places"], min_value=0, initial=initial_values.get(month),
            )  # fmt: skip

    def values(self) -> dict[int, Decimal | None]:
        return {month: self.cleaned_data.get(f"month_{month}") for month in range(1, 13)}


class ForecastPickForm(forms.Form):
    """Whose forecasts, for which metric and year (a GET form above the grid)."""

    owner = forms.ModelChoiceField(label=_("RM"), queryset=User.objects.none(), required=False)
    metric = forms.ModelChoiceField(label=_("Metric"), queryset=Metric.objects.none(), required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
