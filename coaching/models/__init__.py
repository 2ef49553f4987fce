"""Models of the coaching app, split by sub-domain and re-exported here."""

from .plans import (
    DevelopmentGoal,
    Plan,
    PlanComment,
    PlanEvent,
    PlannedActivity,
    PlannedMix,
    PlanRevision,
    PlanSection,
    PlanStatus,
    RelationshipAction,
    RelationshipPlan,
    RelationshipResult,
    SectionKey,
)

__all__ = [
    "DevelopmentGoal",
    "Plan",
    "PlanComment",
    "PlanEvent",
    "PlanRevision",
    "PlanSection",
    "PlanStatus",
    "PlannedActivity",
    "PlannedMix",
    "RelationshipAction",
    "RelationshipPlan",
    "RelationshipResult",
    "SectionKey",
]
