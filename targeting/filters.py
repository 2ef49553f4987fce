"""Search, filters and sorting of the targeting lists (django-filter FilterSets)."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import users_visible_to

from . import selectors
from .models import Account, AccountStatus, PlayingField, Segment, Tier

DESIGNATIONS = [
    ("high_value", _("High-value")),
    ("must_keep", _("Must keep")),
    ("must_expand", _("Must expand")),
]
DESIGNATION_FIELDS = {"high_value": "is_high_value", "must_keep": "must_keep", "must_expand": "must_expand"}
READINESS = [("ready", _("Ready to call")), ("not_ready", _("Not ready yet"))]


class AccountFilter(django_filters.FilterSet):
    """The account list's filters; the querysets of the choices follow the viewer's visibility."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    segment = django_filters.ModelChoiceFilter(
        label=_("Segment"), queryset=Segment.objects.none(), method="filter_segment"
    )
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=Tier.choices, method="filter_tier")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AccountStatus.choices)
    designation = django_filters.ChoiceFilter(
        label=_("Designation"), choices=DESIGNATIONS, method="filter_designation"
    )
    readiness = django_filters.ChoiceFilter(
        label=_("Readiness (prospects)"), choices=READINESS, method="filter_readiness"
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    playing_field = django_filters.ChoiceFilter(label=_("Playing field"), choices=PlayingField.choices)
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("legal_name", "name"),
            ("annual_revenue", "revenue"),
            ("employees", "employees"),
            ("tier_score", "score"),
            ("owner__display_name", "owner"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "legal_name": _("Legal name"),
            "annual_revenue": _("Annual revenue"),
            "employees": _("Employees"),
            "tier_score": _("Priority score"),
            "owner__display_name": _("Owner"),
            "updated_at": _("Last updated"),
        },
    )

    class Meta:
        model = Account
        fields = ["q", "segment", "tier", "status", "designation", "readiness", "owner", "playing_field"]

    def __init__(self, *args, viewer: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["segment"].queryset = selectors.segments_visible_to(viewer=viewer)
        self.filters["owner"].queryset = (
            users_visible_to(viewer=viewer)
            .filter(Exists(Account.objects.filter(owner=OuterRef("pk"))))
            .order_by("display_name", "pk")
        )

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(legal_name__icontains=value) | Q(location__icontains=value))

    def filter_segment(self, queryset, name, value):
        # Full matches only, the database form of calculations.profile_match(...).is_full.
        return queryset.filter(selectors.segment_q(value))

    def filter_tier(self, queryset, name, value):
        # The tier in force: the override when there is one, else the computed tier.
        return queryset.filter(Q(tier_override=value) | Q(tier_override="", tier_computed=value))

    def filter_designation(self, queryset, name, value):
        return queryset.filter(**{DESIGNATION_FIELDS[value]: True})

    def filter_readiness(self, queryset, name, value):
        # Readiness is a prospect's matter; `is_ready` is annotated by selectors.with_readiness.
        return queryset.filter(status=AccountStatus.PROSPECT, is_ready=(value == "ready"))
