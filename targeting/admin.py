"""Admin pages for the targeting app."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Account,
    Contact,
    ContactLevelRule,
    Industry,
    NamedAccountEntry,
    NamedAccountList,
    PriorityCriterion,
    Segment,
    TeamTargeting,
)


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["name", "account_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description=_("accounts"), ordering="account_count")
    def account_count(self, obj):
        return obj.account_count


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "region", "revenue_min", "revenue_max", "employees_min", "employees_max"]
    list_filter = ["region", "team"]
    search_fields = ["name", "description", "value_proposition"]
    filter_horizontal = ["industries"]
    autocomplete_fields = ["team", "region"]
    readonly_fields = ["created_by", "updated_at"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "level", "budget_authority", "email", "phone", "is_primary"]


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ["legal_name", "owner", "status", "industry", "tier_computed", "tier_override", "is_high_value",
                    "must_keep", "must_expand"]  # fmt: skip
    list_filter = ["status", "tier_computed", "is_high_value", "must_keep", "must_expand", "playing_field",
                   "industry", "owner__team"]  # fmt: skip
    search_fields = ["legal_name", "location", "owner__display_name"]
    autocomplete_fields = ["owner", "industry"]
    readonly_fields = ["tier_score", "tier_computed", "created_at", "updated_at"]
    list_select_related = ["owner", "industry"]
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "account", "level", "budget_authority", "is_primary"]
    list_filter = ["level", "budget_authority", "is_primary"]
    search_fields = ["name", "title", "email", "account__legal_name"]
    autocomplete_fields = ["account"]
    list_select_related = ["account"]


@admin.register(ContactLevelRule)
class ContactLevelRuleAdmin(admin.ModelAdmin):
    list_display = ["industry", "employees_min", "employees_max", "level"]
    list_filter = ["level", "industry"]
    autocomplete_fields = ["industry"]


class PriorityCriterionInline(admin.TabularInline):
    model = PriorityCriterion
    extra = 0
    fields = ["kind", "threshold", "segment", "points"]


@admin.register(TeamTargeting)
class TeamTargetingAdmin(admin.ModelAdmin):
    list_display = ["team", "named_account_limit", "tier_a_min_score", "tier_b_min_score"]
    autocomplete_fields = ["team"]


@admin.register(PriorityCriterion)
class PriorityCriterionAdmin(admin.ModelAdmin):
    list_display = ["team", "kind", "threshold", "segment", "points"]
    list_filter = ["kind", "team"]
    autocomplete_fields = ["team", "segment"]


class NamedAccountEntryInline(admin.TabularInline):
    model = NamedAccountEntry
    extra = 0
    autocomplete_fields = ["account"]
    readonly_fields = ["added_at"]


@admin.register(NamedAccountList)
class NamedAccountListAdmin(admin.ModelAdmin):
    list_display = ["owner", "year", "size"]
    list_filter = ["year"]
    search_fields = ["owner__display_name"]
    autocomplete_fields = ["owner"]
    inlines = [NamedAccountEntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").annotate(size=Count("entries"))

    @admin.display(description=_("accounts"), ordering="size")
    def size(self, obj):
        return obj.size


@admin.register(NamedAccountEntry)
class NamedAccountEntryAdmin(admin.ModelAdmin):
    list_display = ["account", "named_list", "added_at"]
    autocomplete_fields = ["account", "named_list"]
    list_select_related = ["account", "named_list__owner"]
