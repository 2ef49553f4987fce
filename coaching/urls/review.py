"""URLs of the review pages of the coaching app: the leader's board, the review, resets and revisions."""

from django.urls import path

from ..views import review as views

urlpatterns: list = [
    path("plans/review/", views.ReviewBoardView.as_view(), name="review-board"),
    path("plans/<int:pk>/review/", views.PlanReviewView.as_view(), name="plan-review"),
    path("plans/<int:pk>/reset/", views.PlanResetView.as_view(), name="plan-reset"),
    path("plans/<int:pk>/revisions/", views.PlanRevisionListView.as_view(), name="plan-revisions"),
    path("plans/<int:pk>/revisions/diff/", views.PlanRevisionDiffView.as_view(), name="plan-revision-diff"),
]
