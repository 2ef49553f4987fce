"""URLs of the checkpoints pages of the coaching app: the meetings, their invites and feeds, notifications
and cadences."""

from django.urls import path

from ..views import checkpoints as views

urlpatterns: list = [
    path("checkpoints/", views.CheckpointListView.as_view(), name="checkpoint-list"),
    path("checkpoints/<int:pk>/", views.CheckpointDetailView.as_view(), name="checkpoint-detail"),
    path("checkpoints/<int:pk>/invite.ics", views.CheckpointIcsView.as_view(), name="checkpoint-ics"),
    # Moves of the meeting
    path("checkpoints/<int:pk>/open/", views.CheckpointOpenView.as_view(), name="checkpoint-open"),
    path("checkpoints/<int:pk>/close/", views.CheckpointCloseView.as_view(), name="checkpoint-close"),
    path(
        "checkpoints/<int:pk>/reschedule/",
        views.CheckpointRescheduleView.as_view(),
        name="checkpoint-reschedule",
    ),
    path("checkpoints/<int:pk>/cancel/", views.CheckpointCancelView.as_view(), name="checkpoint-cancel"),
    path("checkpoints/<int:pk>/skip/", views.CheckpointSkipView.as_view(), name="checkpoint-skip"),
    path("checkpoints/<int:pk>/held/", views.CheckpointHeldView.as_view(), name="checkpoint-held"),
    # The meeting's content, saved as you go
    path("checkpoints/<int:pk>/notes/", views.CheckpointNotesSaveView.as_view(), name="checkpoint-notes"),
    path("checkpoints/<int:pk>/problems/", views.ProblemAddView.as_view(), name="checkpoint-problem-add"),
    path(
        "checkpoints/<int:pk>/problems/<int:problem_pk>/",
        views.ProblemStateView.as_view(),
        name="checkpoint-problem-state",
    ),
    path("checkpoints/<int:pk>/actions/", views.ActionItemAddView.as_view(), name="checkpoint-action-add"),
    path(
        "checkpoints/<int:pk>/actions/<int:item_pk>/done/",
        views.ActionItemDoneView.as_view(),
        name="checkpoint-action-done",
    ),
    path("checkpoints/<int:pk>/decisions/", views.DecisionAddView.as_view(), name="checkpoint-decision-add"),
    path("checkpoints/<int:pk>/surprises/", views.SurpriseAddView.as_view(), name="checkpoint-surprise-add"),
    path("checkpoints/<int:pk>/plan-reset/", views.PlanResetView.as_view(), name="checkpoint-plan-reset"),
    # The semiannual review
    path("checkpoints/<int:pk>/review/", views.ReviewSaveView.as_view(), name="checkpoint-review-save"),
    path(
        "checkpoints/<int:pk>/review/acknowledge/",
        views.ReviewAcknowledgeView.as_view(),
        name="checkpoint-review-acknowledge",
    ),
    path(
        "checkpoints/<int:pk>/review/sign-off/",
        views.ReviewSignOffView.as_view(),
        name="checkpoint-review-sign-off",
    ),
    # Calendars
    path("calendar/", views.CalendarFeedView.as_view(), name="calendar-feed"),
    path("calendar/reset/", views.CalendarFeedResetView.as_view(), name="calendar-feed-reset"),
    path("calendar/<slug:token>.ics", views.calendar_feed_ics, name="calendar-feed-ics"),
    # Notifications
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/badge/", views.NotificationBadgeView.as_view(), name="notification-badge"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    # Cadence
    path("cadence/team/<int:team_pk>/", views.CadenceTeamView.as_view(), name="cadence-edit"),
    path("cadence/rm/<int:user_pk>/", views.CadenceRMView.as_view(), name="cadence-rm"),
]
