"""URLs of the imports pages of the targeting app."""

from django.urls import path

from ..views import imports

urlpatterns = [
    path("import/", imports.ImportView.as_view(), name="import"),
    path("import/template/<slug:kind>.csv", imports.ImportTemplateView.as_view(), name="import-template"),
]
