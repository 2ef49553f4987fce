"""URLs of the coaching app, one module per area."""

from . import checkpoints, plans, review

app_name = "coaching"

urlpatterns = plans.urlpatterns + review.urlpatterns + checkpoints.urlpatterns
