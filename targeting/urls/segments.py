"""URLs of the segments pages of the targeting app."""

urlpatterns: list = []
