"""URLs of the targeting app, one module per area."""

from . import accounts, imports, segments

app_name = "targeting"

urlpatterns = accounts.urlpatterns + segments.urlpatterns + imports.urlpatterns
