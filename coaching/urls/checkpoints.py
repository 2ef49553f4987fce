"""URLs of the checkpoints pages of the coaching app."""

urlpatterns: list = []
