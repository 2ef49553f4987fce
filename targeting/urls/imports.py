"""URLs of the imports pages of the targeting app."""

urlpatterns: list = []
