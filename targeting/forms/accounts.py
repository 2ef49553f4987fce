"""Forms of the account and contact pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import users_changeable_by

from ..models import Account, Contact, ContactLevel, Tier
from ..services import ACCOUNT_FIELDS


def owner_choices(*, viewer: User):
    """Whom the viewer may give an account to: themself (an RM), or the RMs they manage."""
    if viewer.role in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
        return users_changeable_by(viewer=viewer).with_role(Role.RM).order_by("display_name", "pk")
    return User.objects.filter(pk=viewer.pk)


def add_service_errors(form: forms.BaseForm, error: ValidationError, aliases: dict | None = None) -> None:
    """Show a service's ValidationError on the form: on the field it names if the form has it, else on top."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        field = aliases.get(field, field)
        form.add_error(field if field in form.fields else None, messages)


class AccountForm(forms.ModelForm):
    """An account's facts; the owner is chosen only when the account is created."""

    # The fields the template lays out by name; any other field of ACCOUNT_FIELDS is shown after them.
    LAID_OUT = frozenset(
        ["legal_name", "owner", "industry", "location", "annual_revenue", "currency", "employees",
         "products_held", "status", "playing_field", "is_high_value", "must_keep", "must_expand",
         "target_level", "research_notes"]
    )  # fmt: skip

    class Meta:
        model = Account
        fields = ACCOUNT_FIELDS
        widgets = {"research_notes": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, viewer: User, suggestion: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            choices = owner_choices(viewer=viewer)
            self.fields["owner"] = forms.ModelChoiceField(label=_("Owner"), queryset=choices)
            if viewer.role not in (Role.LEADER, Role.DIRECTOR, Role.ADMIN):
                self.fields["owner"].initial = viewer.pk
            self.order_fields(["legal_name", "owner"])
        if suggestion:
            self.fields["target_level"].help_text = _("The contact-level rules suggest: %(level)s.") % {
                "level": suggestion
            }

    def other_fields(self) -> list:
        return [self[name] for name in self.fields if name not in self.LAID_OUT]

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.account_save.")  # the service checks permissions

    def to_instance(self) -> Account:
        """The account with the form's values, not saved."""
        if "owner" in self.cleaned_data:
            self.instance.owner = self.cleaned_data["owner"]
        return self.instance


class AccountReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Recorded in the account's history."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, viewer: User, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(viewer=viewer).exclude(pk=account.owner_id)


class AccountTierForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier override"),
        choices=[("", _("No override: use the computed tier")), *Tier.choices],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason for the override"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("tier") and not data.get("reason", "").strip():
            self.add_error("reason", _("A tier override needs a reason."))
        return data


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "level", "budget_authority", "email", "phone", "is_primary"]

    def __init__(self, *args, target_level: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if target_level is not None:
            self.fields["level"].help_text = _("The target level for this account is %(level)s.") % {
                "level": ContactLevel(target_level).label
            }

    def save(self, commit: bool = True):
        raise NotImplementedError("Save through services.contact_save.")
