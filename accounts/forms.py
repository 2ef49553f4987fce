"""Forms of the accounts app."""

import zoneinfo

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import throttle
from .models import Role, Team, User


class EmailAuthenticationForm(AuthenticationForm):
    """The login form: e-mail and password, with a message that does not reveal which one was wrong."""

    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("That e-mail address and password do not match. Check both and try again."),
        "inactive": _("This account is inactive. Ask your administrator to reactivate it."),
        "throttled": _("Too many failed attempts. Try again in %(minutes)s minutes or reset your password."),
    }

    def clean(self):
        """Refuse without checking the password while throttled; count failures; a success clears them."""
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()
        ip = throttle.client_ip(self.request)
        if throttle.is_locked(email=email, ip=ip):
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW // 60},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.failure_record(email=email, ip=ip)
            raise
        throttle.success_record(email=email)
        return cleaned


def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        help_text=_("Meeting times and reminders are shown in this time zone."),
    )


class PeopleFilter(django_filters.FilterSet):
    """Search, filter and sort the people directory."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.none())
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices, method="filter_role")
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("display_name", "name"),
            ("email", "email"),
            ("team__name", "team"),
            ("last_login", "last_login"),
        ),
        field_labels={
            "display_name": _("Name"),
            "email": _("E-mail"),
            "team__name": _("Team"),
            "last_login": _("Last login"),
        },
    )

    class Meta:
        model = User
        fields = ["q", "team", "role"]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.filters["team"].queryset = teams

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(display_name__icontains=value) | Q(email__icontains=value))

    def filter_role(self, queryset, name, value):
        return queryset.with_role(value)
