"""URLs of the accounts pages of the targeting app."""

from django.urls import path

from ..views import accounts as views

urlpatterns: list = [
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/export.csv", views.AccountExportView.as_view(), name="account-export"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account-create"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"),
    path("accounts/<int:pk>/edit/", views.AccountUpdateView.as_view(), name="account-update"),
    path("accounts/<int:pk>/delete/", views.AccountDeleteView.as_view(), name="account-delete"),
    path("accounts/<int:pk>/owner/", views.AccountReassignView.as_view(), name="account-reassign"),
    path("accounts/<int:pk>/tier/", views.AccountTierView.as_view(), name="account-tier"),
    path("accounts/<int:pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact-update"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact-delete"),
]
