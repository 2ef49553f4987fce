"""Admin pages for the coaching app."""

from django.contrib import admin

from .models import (
    DevelopmentGoal,
    Plan,
    PlanComment,
    PlanEvent,
    PlannedActivity,
    PlannedMix,
    PlanRevision,
    PlanSection,
    RelationshipAction,
    RelationshipPlan,
    RelationshipResult,
)


class SectionInline(admin.StackedInline):
    model = PlanSection
    extra = 0
    fields = ["key", "content", "version", "updated_by"]
    readonly_fields = ["version", "updated_by"]


class PlannedActivityInline(admin.TabularInline):
    model = PlannedActivity
    extra = 0


class PlannedMixInline(admin.TabularInline):
    model = PlannedMix
    extra = 0


class EventInline(admin.TabularInline):
    model = PlanEvent
    extra = 0
    readonly_fields = ["action", "by", "at", "note"]
    can_delete = False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["owner", "year", "status", "revision", "due_date", "submitted_at", "approved_at"]
    list_filter = ["year", "status", "owner__team"]
    search_fields = ["owner__display_name"]
    autocomplete_fields = ["owner", "approved_by"]
    filter_horizontal = ["segments"]
    list_select_related = ["owner"]
    inlines = [SectionInline, PlannedActivityInline, PlannedMixInline, EventInline]


@admin.register(PlanSection)
class PlanSectionAdmin(admin.ModelAdmin):
    list_display = ["plan", "key", "version", "updated_at", "updated_by"]
    list_filter = ["key"]
    list_select_related = ["plan__owner", "updated_by"]


@admin.register(PlannedActivity)
class PlannedActivityAdmin(admin.ModelAdmin):
    list_display = ["plan", "kind", "per_week"]
    list_select_related = ["plan__owner"]


@admin.register(PlannedMix)
class PlannedMixAdmin(admin.ModelAdmin):
    list_display = ["plan", "category", "share"]
    list_select_related = ["plan__owner"]


class ActionInline(admin.TabularInline):
    model = RelationshipAction
    extra = 0
    autocomplete_fields = ["owner"]


class ResultInline(admin.TabularInline):
    model = RelationshipResult
    extra = 0


@admin.register(RelationshipPlan)
class RelationshipPlanAdmin(admin.ModelAdmin):
    list_display = ["account", "plan"]
    search_fields = ["account__legal_name", "plan__owner__display_name"]
    autocomplete_fields = ["account"]
    list_select_related = ["account", "plan__owner"]
    inlines = [ActionInline, ResultInline]


@admin.register(RelationshipAction)
class RelationshipActionAdmin(admin.ModelAdmin):
    list_display = ["description", "relationship", "due_date", "owner", "done"]
    list_filter = ["done"]
    list_select_related = ["relationship__account", "owner"]


@admin.register(RelationshipResult)
class RelationshipResultAdmin(admin.ModelAdmin):
    list_display = ["relationship", "metric", "expected_value"]
    list_select_related = ["relationship__account", "metric"]


@admin.register(DevelopmentGoal)
class DevelopmentGoalAdmin(admin.ModelAdmin):
    list_display = ["skill", "plan", "result_metric", "result_description"]
    list_select_related = ["plan__owner", "result_metric"]


@admin.register(PlanComment)
class PlanCommentAdmin(admin.ModelAdmin):
    list_display = ["plan", "section", "author", "revision", "resolved", "created_at"]
    list_filter = ["resolved", "section"]
    list_select_related = ["plan__owner", "author"]


@admin.register(PlanRevision)
class PlanRevisionAdmin(admin.ModelAdmin):
    list_display = ["plan", "number", "created_at", "created_by", "reason"]
    list_select_related = ["plan__owner", "created_by"]
    readonly_fields = ["content"]


@admin.register(PlanEvent)
class PlanEventAdmin(admin.ModelAdmin):
    list_display = ["plan", "action", "by", "at"]
    list_filter = ["action"]
    list_select_related = ["plan__owner", "by"]
