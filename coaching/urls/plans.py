"""URLs of the plans pages of the coaching app: the RM's plan, written in place, submitted and printed."""

from django.urls import path

from ..views import plans as views

urlpatterns: list = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/new/", views.PlanCreateView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/findings/", views.PlanFindingsView.as_view(), name="plan-findings"),
    path(
        "plans/<int:pk>/sections/<slug:key>/", views.PlanSectionSaveView.as_view(), name="plan-section-save"
    ),
    path("plans/<int:pk>/numbers/", views.PlanNumbersSaveView.as_view(), name="plan-numbers-save"),
    path(
        "plans/<int:pk>/relationships/new/",
        views.RelationshipCreateView.as_view(),
        name="plan-relationship-create",
    ),
    path(
        "plans/relationships/<int:pk>/", views.RelationshipSaveView.as_view(), name="plan-relationship-save"
    ),
    path(
        "plans/relationships/<int:pk>/delete/",
        views.RelationshipDeleteView.as_view(),
        name="plan-relationship-delete",
    ),
    path(
        "plans/relationships/<int:pk>/actions/new/",
        views.RelationshipActionAddView.as_view(),
        name="plan-action-add",
    ),
    path(
        "plans/actions/<int:pk>/delete/",
        views.RelationshipActionDeleteView.as_view(),
        name="plan-action-delete",
    ),
    path(
        "plans/relationships/<int:pk>/results/new/",
        views.RelationshipResultAddView.as_view(),
        name="plan-result-add",
    ),
    path(
        "plans/results/<int:pk>/delete/",
        views.RelationshipResultDeleteView.as_view(),
        name="plan-result-delete",
    ),
    path(
        "plans/<int:pk>/development/new/", views.DevelopmentGoalAddView.as_view(), name="plan-development-add"
    ),
    path(
        "plans/development/<int:pk>/delete/",
        views.DevelopmentGoalDeleteView.as_view(),
        name="plan-development-delete",
    ),
    path("plans/<int:pk>/submit/", views.PlanSubmitView.as_view(), name="plan-submit"),
    path("plans/<int:pk>/print/", views.PlanPrintView.as_view(), name="plan-print"),
]
