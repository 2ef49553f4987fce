"""Root URLs: the home page, each app's pages, and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from salesplan.views import FloorView, HomeView

admin.site.site_header = _("SalesPlan administration")
admin.site.site_title = _("SalesPlan admin")

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("floor/", FloorView.as_view(), name="floor"),
    path("", include("accounts.urls")),
    path("targeting/", include("targeting.urls")),
    path("kpis/", include("kpis.urls")),
    path("coaching/", include("coaching.urls")),
    path("admin/", admin.site.urls),
]
