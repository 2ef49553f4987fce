"""URLs of the dashboards pages of the kpis app: the prospecting funnel and the plan-versus-actual
dashboards of an RM, a team and a region."""

from django.urls import path

from ..views import dashboards

urlpatterns: list = [
    path("", dashboards.FunnelView.as_view(), name="funnel"),
    path("export.csv", dashboards.FunnelExportView.as_view(), name="funnel-export"),
    path("dashboard/", dashboards.DashboardMineView.as_view(), name="dashboard-mine"),
    path("dashboard/rm/<int:user_pk>/", dashboards.DashboardRMView.as_view(), name="dashboard-rm"),
    path("dashboard/team/<int:team_pk>/", dashboards.DashboardTeamView.as_view(), name="dashboard-team"),
    path(
        "dashboard/region/<int:region_pk>/", dashboards.DashboardRegionView.as_view(), name="dashboard-region"
    ),
]
