"""URLs of the imports pages of the kpis app."""

urlpatterns: list = []
