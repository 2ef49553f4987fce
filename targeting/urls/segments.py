"""URLs of the segments, team targeting, contact-level rules and named-account pages of the targeting app."""

from django.urls import path

from ..views import segments as views

urlpatterns: list = [
    path("segments/", views.SegmentListView.as_view(), name="segment-list"),
    path("segments/new/", views.SegmentCreateView.as_view(), name="segment-create"),
    path("segments/<int:pk>/", views.SegmentDetailView.as_view(), name="segment-detail"),
    path("segments/<int:pk>/edit/", views.SegmentUpdateView.as_view(), name="segment-update"),
    path("segments/<int:pk>/delete/", views.SegmentDeleteView.as_view(), name="segment-delete"),
    path("teams/targeting/", views.TeamTargetingListView.as_view(), name="team-targeting-list"),
    path("teams/<int:team_pk>/targeting/", views.TeamTargetingView.as_view(), name="team-targeting"),
    path("contact-levels/", views.ContactLevelRuleListView.as_view(), name="contact-level-rules"),
    path("named-accounts/", views.NamedListListView.as_view(), name="named-list-list"),
    path("named-accounts/<int:pk>/", views.NamedListDetailView.as_view(), name="named-list-detail"),
    path("named-accounts/<int:pk>/add/", views.NamedListAddView.as_view(), name="named-list-add"),
    path(
        "named-accounts/entries/<int:pk>/remove/",
        views.NamedListRemoveView.as_view(),
        name="named-list-remove",
    ),
    path("accounts/<int:pk>/named/", views.AccountNamedAddView.as_view(), name="account-named-add"),
]
