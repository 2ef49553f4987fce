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


# --- Checkpoints ---------------------------------------------------------------------------------------------

from .models import (  # noqa: E402 - grouped with the admin classes they serve
    ActionItem,
    Cadence,
    CalendarFeed,
    Checkpoint,
    CheckpointEvent,
    Decision,
    Notification,
    Problem,
    ReminderSent,
    SemiannualReview,
    Surprise,
)


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "weekly",
        "weekday",
        "time",
        "monthly",
        "quarterly",
        "semiannual",
        "reminder_hours",
    ]
    autocomplete_fields = ["team", "rm"]


class CheckpointEventInline(admin.TabularInline):
    model = CheckpointEvent
    extra = 0
    readonly_fields = ["action", "by", "at", "note"]
    can_delete = False


class ProblemInline(admin.TabularInline):
    model = Problem
    extra = 0


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fk_name = "checkpoint"
    extra = 0
    autocomplete_fields = ["owner", "rm"]


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ["rm", "leader", "kind", "period", "scheduled_at", "status", "held_late"]
    list_filter = ["kind", "status", "held_late", "rm__team"]
    search_fields = ["rm__display_name", "leader__display_name", "period"]
    autocomplete_fields = ["rm", "leader"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["rm", "leader"]
    inlines = [ProblemInline, DecisionInline, ActionItemInline, CheckpointEventInline]


@admin.register(CheckpointEvent)
class CheckpointEventAdmin(admin.ModelAdmin):
    list_display = ["checkpoint", "action", "by", "at"]
    list_filter = ["action"]
    list_select_related = ["checkpoint__rm", "by"]


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ["description", "checkpoint", "metric", "proposed", "confirmed"]
    list_select_related = ["checkpoint__rm", "metric"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["text", "checkpoint"]
    list_select_related = ["checkpoint__rm"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["description", "rm", "owner", "due_date", "done_at"]
    list_filter = ["done_at"]
    autocomplete_fields = ["owner", "rm"]
    list_select_related = ["rm", "owner"]


@admin.register(Surprise)
class SurpriseAdmin(admin.ModelAdmin):
    list_display = ["description", "checkpoint"]
    list_select_related = ["checkpoint__rm"]


@admin.register(SemiannualReview)
class SemiannualReviewAdmin(admin.ModelAdmin):
    list_display = ["checkpoint", "results_rating", "standards_rating", "skills_rating", "development_rating",
                    "acknowledged_at", "signed_off_at"]  # fmt: skip
    list_select_related = ["checkpoint__rm"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "created_at", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["title", "user__display_name"]
    list_select_related = ["user"]


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = ["checkpoint", "kind", "recipient", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["checkpoint__rm", "recipient"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    readonly_fields = ["token"]
    list_select_related = ["user"]
