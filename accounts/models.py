"""The organisation: users, regions and teams. A user's role follows from their place in it."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A user's place in the organisation, derived from the organisation itself (never stored)."""

    RM = "rm", _("Relationship manager")
    LEADER = "leader", _("Team leader")
    DIRECTOR = "director", _("Director")
    ADMIN = "admin", _("Administrator")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone, e.g. Europe/Paris."), params={"value": value}
        )


class Region(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("director"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directed_regions",
        help_text=_("The director who heads this region and sees everyone in it."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="teams"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
        help_text=_("A leader may lead more than one team."),
    )

    class Meta:
        ordering = ["region__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="team_name_unique_in_region",
                violation_error_message=_("This region already has a team with that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:team-detail", args=[self.pk])

    def clean(self) -> None:
        if self.leader_id and self.leader_id in _member_ids(self):
            raise ValidationError({"leader": _("The leader of a team cannot also be one of its members.")})


def _member_ids(team: Team) -> set[int]:
    if team.pk is None:
        return set()
    return set(team.members.values_list("pk", flat=True))


class UserQuerySet(models.QuerySet):
    def with_roles(self) -> "UserQuerySet":
        """Annotate what a role is derived from, so that `user.role` costs no further query."""
        return self.annotate(
            _leads_teams=Exists(Team.objects.filter(leader=OuterRef("pk"))),
            _directs_regions=Exists(Region.objects.filter(director=OuterRef("pk"))),
        )

    def with_role(self, role: str | None) -> "UserQuerySet":
        """Users whose derived role is `role` (None: no place yet), with the precedence of `User.role`."""
        leads = Exists(Team.objects.filter(leader=OuterRef("pk")))
        directs = Exists(Region.objects.filter(director=OuterRef("pk")))
        if role == Role.ADMIN:
            return self.filter(is_superuser=True)
        qs = self.filter(is_superuser=False)
        if role == Role.DIRECTOR:
            return qs.filter(directs)
        if role == Role.LEADER:
            return qs.filter(leads).exclude(directs)
        if role == Role.RM:
            return qs.filter(team__isnull=False).exclude(leads).exclude(directs)
        return qs.filter(team__isnull=True).exclude(leads).exclude(directs)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)  # None gives an unusable password: the user sets it from an invitation
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their e-mail address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, help_text=_("How colleagues see you."))
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The team this relationship manager belongs to."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Whether the user can log into the admin site.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    invitation_requested_at = models.DateTimeField(_("invitation requested at"), null=True, blank=True)
    invitation_sent_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_case_insensitive",
                violation_error_message=_("A user with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:person-detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return str(self)

    def get_short_name(self) -> str:
        return str(self)

    @cached_property
    def leads_teams(self) -> bool:
        annotated = self.__dict__.get("_leads_teams")
        if annotated is not None:
            return annotated
        return self.pk is not None and Team.objects.filter(leader=self).exists()

    @cached_property
    def directs_regions(self) -> bool:
        annotated = self.__dict__.get("_directs_regions")
        if annotated is not None:
            return annotated
        return self.pk is not None and Region.objects.filter(director=self).exists()

    @property
    def role(self) -> str | None:
        """'admin', 'director', 'leader' or 'rm' from the user's place; None for someone with no place yet.

        Precedence when a person holds several places: admin, then director, then leader, then RM.
        """
        if self.is_superuser:
            return Role.ADMIN
        if self.directs_regions:
            return Role.DIRECTOR
        if self.leads_teams:
            return Role.LEADER
        if self.team_id is not None:
            return Role.RM
        return None

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else _("No place in the organisation yet")
