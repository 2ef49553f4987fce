"""URLs of the kpis app, one module per area."""

from . import dashboards, imports, records

app_name = "kpis"

urlpatterns = records.urlpatterns + dashboards.urlpatterns + imports.urlpatterns
