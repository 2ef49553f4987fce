"""URLs of the review pages of the coaching app."""

urlpatterns: list = []
