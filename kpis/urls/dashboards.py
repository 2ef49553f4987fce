"""URLs of the dashboards pages of the kpis app."""

urlpatterns: list = []
