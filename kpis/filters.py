"""Search, filters and sorting of the kpis record lists (django-filter FilterSets)."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import users_visible_to

from .models import CLOSED_STAGES, OPEN_STAGES, Activity, ActivityKind, Opportunity, Product, Stage

DATE = forms.DateInput(attrs={"type": "date"})
STAGE_CHOICES = [
    ("open", _("Open (prospecting, engaging, proposal)")),
    ("closed", _("Closed (won or lost)")),
    *Stage.choices,
]


def _owners_of(model, viewer: User):
    """Visible people who own at least one record of `model` (the owner filter's choices)."""
    return (
        users_visible_to(viewer=viewer)
        .filter(Exists(model.objects.filter(owner=OuterRef("pk"))))
        .order_by("display_name", "pk")
    )


class ActivityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Account"), method="filter_search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ActivityKind.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte", widget=DATE)
    date_to = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte", widget=DATE)
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("date", "date"), ("kind", "kind"), ("owner__display_name", "owner")),
        field_labels={"date": _("Date"), "kind": _("Kind"), "owner__display_name": _("Owner")},
    )

    class Meta:
        model = Activity
        fields = ["q", "kind", "owner", "date_from", "date_to"]

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = _owners_of(Activity, viewer)

    def filter_search(self, queryset, name, value):
        return queryset.filter(account__legal_name__icontains=value)


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=STAGE_CHOICES, method="filter_stage")
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    product = django_filters.ModelChoiceFilter(label=_("Product"), queryset=Product.objects.all())
    close_from = django_filters.DateFilter(
        label=_("Closing from"), field_name="close_date", lookup_expr="gte", widget=DATE
    )
    close_to = django_filters.DateFilter(
        label=_("Closing up to"), field_name="close_date", lookup_expr="lte", widget=DATE
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("close_date", "close"),
            ("engage_date", "engage"),
            ("value", "value"),
            ("stage", "stage"),
            ("account__legal_name", "account"),
            ("owner__display_name", "owner"),
        ),
        field_labels={
            "close_date": _("Close date"),
            "engage_date": _("Engagement date"),
            "value": _("Value"),
            "stage": _("Stage"),
            "account__legal_name": _("Account"),
            "owner__display_name": _("Owner"),
        },
    )

    class Meta:
        model = Opportunity
        fields = ["q", "stage", "owner", "product", "close_from", "close_to"]

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["owner"].queryset = _owners_of(Opportunity, viewer)

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(account__legal_name__icontains=value))

    def filter_stage(self, queryset, name, value):
        if value == "open":
            return queryset.filter(stage__in=OPEN_STAGES)
        if value == "closed":
            return queryset.filter(stage__in=CLOSED_STAGES)
        return queryset.filter(stage=value)
