"""URLs of the plans pages of the coaching app."""

urlpatterns: list = []
