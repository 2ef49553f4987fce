"""URLs of the records pages of the kpis app."""

from django.urls import path

from ..views import records as views

urlpatterns: list = [
    path("activities/", views.ActivityListView.as_view(), name="activity-list"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity-create"),
    path("activities/contacts/", views.ActivityContactsView.as_view(), name="activity-contacts"),
    path("activities/<int:pk>/edit/", views.ActivityUpdateView.as_view(), name="activity-update"),
    path("activities/<int:pk>/delete/", views.ActivityDeleteView.as_view(), name="activity-delete"),
    path("opportunities/", views.OpportunityListView.as_view(), name="opportunity-list"),
    path("opportunities/new/", views.OpportunityCreateView.as_view(), name="opportunity-create"),
    path("opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity-detail"),
    path("opportunities/<int:pk>/edit/", views.OpportunityUpdateView.as_view(), name="opportunity-update"),
    path("opportunities/<int:pk>/delete/", views.OpportunityDeleteView.as_view(), name="opportunity-delete"),
    path("targets/", views.TargetListView.as_view(), name="target-list"),
    path("targets/new/", views.TargetCreateView.as_view(), name="target-create"),
    path("targets/<int:pk>/edit/", views.TargetUpdateView.as_view(), name="target-update"),
    path("targets/<int:pk>/delete/", views.TargetDeleteView.as_view(), name="target-delete"),
    path("standards/", views.StandardListView.as_view(), name="standard-list"),
    path("standards/new/", views.StandardCreateView.as_view(), name="standard-create"),
    path("standards/<int:pk>/edit/", views.StandardUpdateView.as_view(), name="standard-update"),
    path("standards/<int:pk>/delete/", views.StandardDeleteView.as_view(), name="standard-delete"),
    path("forecasts/", views.ForecastListView.as_view(), name="forecast-list"),
]
