"""URLs of the imports pages of the kpis app: upload, follow a job, download a template."""

from django.urls import path

from ..views import imports as views

urlpatterns: list = [
    path("import/", views.ImportView.as_view(), name="import"),
    path("import/<int:job_pk>/", views.ImportStatusView.as_view(), name="import-status"),
    path("import/template/<slug:kind>.csv", views.ImportTemplateView.as_view(), name="import-template"),
]
