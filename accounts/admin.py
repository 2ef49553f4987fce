"""Admin pages for the organisation: users, regions and teams."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Region, Team, User


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    fields = ["name", "leader"]
    autocomplete_fields = ["leader"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "director", "team_count"]
    search_fields = ["name", "director__display_name", "director__email"]
    autocomplete_fields = ["director"]
    inlines = [TeamInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("director").annotate(team_count=Count("teams"))

    @admin.display(description=_("teams"), ordering="team_count")
    def team_count(self, obj):
        return obj.team_count


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "leader", "member_count"]
    list_filter = ["region"]
    search_fields = ["name", "leader__display_name", "region__name"]
    autocomplete_fields = ["leader"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("region", "leader")
            .annotate(member_count=Count("members"))
        )

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = [
        "display_name",
        "email",
        "role_label",
        "team",
        "is_active",
        "last_login",
        "invitation_sent_at",
    ]
    list_filter = ["is_active", "is_superuser", "team__region", "team", "language"]
    search_fields = ["display_name", "email"]
    ordering = ["display_name"]
    autocomplete_fields = ["team"]
    readonly_fields = ["last_login", "date_joined", "invitation_requested_at", "invitation_sent_at"]
    actions = ["send_invitation"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "language", "time_zone"]}),
        (_("Place in the organisation"), {"fields": ["team"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (
            _("Dates"),
            {"fields": ["last_login", "date_joined", "invitation_requested_at", "invitation_sent_at"]},
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "display_name", "usable_password", "password1", "password2"],
                "description": _(
                    "Leave password-based authentication off to send the person an invitation "
                    "to choose their own password (action “Send invitation e-mail” on the list)."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_roles().select_related("team")

    @admin.display(description=_("role"))
    def role_label(self, obj):
        return obj.role_label

    @admin.action(description=_("Send invitation e-mail"))
    def send_invitation(self, request, queryset):
        now = timezone.now()
        users = list(queryset.filter(is_active=True))
        outcomes = [services.user_invite(user=user, by=request.user, now=now) for user in users]
        if any(outcome.sent is False for outcome in outcomes):
            self.message_user(
                request,
                _(
                    "The task queue is unavailable: the invitations are recorded and will be e-mailed "
                    "when it is back."
                ),
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            ngettext(
                "An invitation will be e-mailed to %(count)d person.",
                "Invitations will be e-mailed to %(count)d people.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
