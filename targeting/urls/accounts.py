"""URLs of the accounts pages of the targeting app."""

urlpatterns: list = []
