"""URLs of the records pages of the kpis app."""

urlpatterns: list = []
